"""up / status / down / reset: idempotent start, state surviving restarts, no process left behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import httpx
import psutil
import pytest

from apexops.errors import ConflictError, TargetUnavailableError
from apexops.models import AppUpdate, TrafficWeight
from apexops.processes import alive
from apexops.sandbox import azurite, lifecycle
from apexops.sandbox.adapters import build_environment
from apexops.sandbox.daemon import DaemonOptions
from apexops.sandbox.identity import SandboxIdentity
from apexops.sandbox.supervisor import free_port
from apexops.sandbox.testing import apply_overrides
from apexops.settings import load_settings

pytestmark = pytest.mark.sandbox


def _azurite_pids(settings) -> list[int]:
    """Every live Azurite process whose data is in this sandbox's home (found by its command line)."""
    home = str(settings.sandbox_home().resolve())
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "azurite" in cmdline and home in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc.info["pid"])
    return found


@pytest.fixture
def local(tmp_path, monkeypatch):
    """Settings for a sandbox in tmp_path on a free port (env vars set, as a user's shell would)."""
    port = free_port()
    monkeypatch.setenv("APEXOPS_SANDBOX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("APEXOPS_SANDBOX_PORT", str(port))
    settings = apply_overrides(load_settings("local"), {"app": {"health_timeout_s": 8}})
    yield settings
    lifecycle.down(settings)


def test_up_down_up_keeps_state_and_leaves_no_process(local, helpers):
    opts = DaemonOptions(owner_pid=os.getpid(), flush_interval_s=0.05)
    first = lifecycle.up(local, options=opts)
    assert first.running and [r.name for r in first.revisions] == [f"{local.app.name}--v1-2-2"]
    assert lifecycle.up(local).pid == first.pid  # idempotent: the running daemon is kept
    env = build_environment(local)
    base = first.revisions[0].name
    new = env.app.update(AppUpdate(image=local.image("v1.2.3"), revision_suffix="blue")).latest_revision_name
    helpers.wait_provisioned(env, new)
    env.app.set_traffic([TrafficWeight(base, 80), TrafficWeight(new, 20)])
    running = lifecycle.status(local)
    pids = [running.pid, *running.replica_pids, *running.helper_pids]
    assert len(running.replica_pids) == 2 and len(running.helper_pids) == 2 and all(alive(p) for p in pids)
    # the Blob Storage is Azurite, one of the helpers; the BlobStore port and the replicas use it
    blob_pid = azurite.endpoint(local.sandbox_home()).pid
    assert blob_pid in running.helper_pids and running.blob_endpoint.startswith("http://127.0.0.1:")
    assert {"uploads", "processed"} <= {c.name for c in env.blobs.list_containers()}

    stopped = lifecycle.down(local)
    assert sorted(stopped) == sorted(pids)
    assert not any(alive(p) for p in pids)
    assert not lifecycle.probe(local).running
    assert azurite.endpoint(local.sandbox_home()) is None and not _azurite_pids(local)

    # the state survives: a fresh CLI process reads it while the daemon is down
    cli = subprocess.run(
        [sys.executable, "-m", "apexops.sandbox.cli", "status", "--json"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    shown = json.loads(cli.stdout)
    assert shown["running"] is False
    assert [(r["name"], r["weight"]) for r in shown["revisions"]] == [(base, 80), (new, 20)]

    again = lifecycle.up(local, options=opts)
    assert again.pid != first.pid
    assert [(r.name, r.traffic_weight, r.health_state) for r in again.revisions] == [
        (base, 80, "Healthy"),
        (new, 20, "Healthy"),
    ]
    assert again.traffic == (TrafficWeight(base, 80), TrafficWeight(new, 20))

    # the daemon killed outright: its replicas die with it, and the next `up` recovers
    replicas = [*again.replica_pids, *again.helper_pids]
    os.kill(again.pid, signal.SIGKILL)
    assert azurite.endpoint(local.sandbox_home()).pid in replicas  # Azurite too: it dies with the daemon
    helpers.wait_for(lambda: not any(alive(p) for p in [again.pid, *replicas]), 10, "replicas to die")
    assert not _azurite_pids(local)
    assert not lifecycle.probe(local).running
    third = lifecycle.up(local, options=opts)
    assert third.running and len(third.revisions) == 2

    # reset: back to the baseline release, with a fresh database
    token = SandboxIdentity(local.sandbox_home()).mint(local.api_audience).authorization_header()
    created = httpx.post(
        f"{third.url}/api/v1/projects/",
        headers=token,
        json={
            "project_number": "P-1",
            "project_name": "x",
            "voltage_level": 230,
            "line_miles": 1.5,
            "terrain_type": "flat",
        },
    )
    assert created.status_code == 201
    fresh = lifecycle.reset(local, options=opts)
    assert [(r.name, r.traffic_weight) for r in fresh.revisions] == [(base, 100)]
    listed = httpx.get(f"{fresh.url}/api/v1/projects/", headers=token).json()
    assert listed["total"] == 0
    last = [fresh.pid, *fresh.replica_pids, *fresh.helper_pids]
    lifecycle.down(local)
    assert not any(alive(p) for p in last)
    assert not _azurite_pids(local)


def test_port_in_use_is_one_clear_line_and_starts_nothing(local):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", local.sandbox_ingress_port()))
        busy.listen()
        with pytest.raises(ConflictError) as err:
            lifecycle.up(local)
    message = str(err.value)
    assert f"port {local.sandbox_ingress_port()}" in message and "APEXOPS_SANDBOX_PORT" in message
    assert "\n" not in message
    home = local.sandbox_home()
    assert not (home / "state.json").exists() and not (home / "apex.db").exists()  # nothing half-started
    assert not (home / "daemon" / "daemon.pid").exists() and not (home / "daemon" / "daemon.json").exists()
    assert not lifecycle.probe(local).running
    assert not _azurite_pids(local)


def test_adapters_say_how_to_start_a_sandbox_that_is_not_running(local):
    env = build_environment(local)
    with pytest.raises(TargetUnavailableError) as err:
        env.app.show()
    assert "apexops sandbox up" in str(err.value)
    with pytest.raises(TargetUnavailableError):
        env.telemetry.ingestion_lag_s()
