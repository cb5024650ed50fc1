"""Sandbox hardening (issue 14, items 9 and 12), on one real sandbox shared by the module.

- the control API checks the token on the headers before reading a byte of the body, bounds the body, and
  answers a bad, missing or huge Content-Length with 400/411/413 (never an unhandled exception);
- everything the sandbox writes (database, telemetry, logs, state) is private: files 0600, folders 0700;
- traffic left split by a canary whose run is gone (daemon killed mid-canary) is one warning line in
  `sandbox up` and `sandbox status`, with the weights and the command that restores a safe state.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import time
from datetime import UTC, datetime, timedelta

import httpx
import psutil
import pytest
from typer.testing import CliRunner

from apexops.canary.lock import DeploymentLock
from apexops.models import AppUpdate, Revision, TrafficWeight
from apexops.processes import alive
from apexops.sandbox import lifecycle
from apexops.sandbox.cli import app as sandbox_cli
from apexops.sandbox.daemon import MAX_BODY, DaemonOptions
from apexops.sandbox.split import deployment_lock_held, lock_file, orphaned_split
from apexops.sandbox.state import SandboxPaths, read_json

pytestmark = pytest.mark.sandbox

#: the daemon knobs of the shared `sandbox` fixture (conftest's TEST_OPTIONS), for restarting it
OPTIONS = {"flush_interval_s": 0.05, "scale_idle_s": 1.0, "deploy_step_s": 0.01}


# --------------------------------------------------------------------------- the control API (item 9)


def _daemon(settings) -> tuple[int, int, str]:
    """(pid, control port, token) of the running daemon."""
    paths = SandboxPaths(settings.sandbox_home())
    info = read_json(paths.daemon_info)
    return info["pid"], info["control_port"], paths.control_token.read_text().strip()


def _ask(
    port: int, head: bytes, body: bytes = b"", timeout_s: float = 3.0
) -> tuple[int, dict, socket.socket]:
    """Send a raw request; (status, JSON answer, the socket) once the whole answer is in."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    sock.sendall(head + b"\r\n" + body)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed before an answer: {data!r}"
        data += chunk
    raw_head, _, rest = data.partition(b"\r\n\r\n")
    fields = dict(line.split(b": ", 1) for line in raw_head.split(b"\r\n")[1:])
    while len(rest) < int(fields[b"content-length"]):
        rest += sock.recv(65536)
    return int(raw_head.split(b" ")[1]), json.loads(rest), sock


def _closed(sock: socket.socket) -> bool:
    """The daemon closed its side: recv gives EOF (or the reset that follows it)."""
    try:
        return sock.recv(1) == b""
    except ConnectionError:
        return True
    finally:
        sock.close()


def test_unauthenticated_huge_post_is_refused_before_its_body_and_costs_no_memory(sandbox):
    pid, port, _ = _daemon(sandbox[0])
    daemon = psutil.Process(pid)
    before = daemon.memory_info().rss
    started = time.monotonic()
    status, answer, sock = _ask(port, b"POST /v1/status HTTP/1.1\r\ncontent-length: 300000000\r\n")
    assert status == 401 and answer["error"]["type"] == "AuthenticationError"
    assert time.monotonic() - started < 2  # answered on the headers, without waiting for 300 MB
    # the body sent anyway is not kept: the daemon stops reading and closes the connection
    refused = False
    try:
        for _ in range(32):
            sock.sendall(b"x" * (1 << 20))
    except OSError:
        refused = True
    assert refused and _closed(sock)
    time.sleep(0.2)
    assert daemon.memory_info().rss - before < 16 << 20
    assert _ask(port, b"POST /v1/get_traffic HTTP/1.1\r\ncontent-length: 0\r\n")[0] == 401  # still serving


@pytest.mark.parametrize(
    ("length_header", "status"),
    [
        (b"", 411),
        (b"content-length: abc\r\n", 400),
        (b"content-length: -5\r\n", 400),
        (b"content-length: 1e9\r\n", 400),
        (b"content-length: 99999999999999999999\r\n", 413),
        (b"content-length: %d\r\n" % (MAX_BODY + 1), 413),
    ],
)
def test_bad_content_lengths_are_refused_and_the_daemon_keeps_serving(
    sandbox, control, length_header, status
):
    _, port, token = _daemon(sandbox[0])
    head = b"POST /v1/get_traffic HTTP/1.1\r\nx-sandbox-token: %s\r\n%s" % (token.encode(), length_header)
    got, answer, sock = _ask(port, head)
    assert got == status and answer["error"]["type"] == "InvalidRequestError"
    assert _closed(sock)
    assert control.call("get_traffic")  # the daemon is fine


def test_a_malformed_request_line_is_a_400(sandbox, control):
    got, answer, sock = _ask(_daemon(sandbox[0])[1], b"GARBAGE\r\n")
    assert got == 400 and "malformed" in answer["error"]["message"] and _closed(sock)
    assert control.call("get_traffic")


def test_a_body_that_is_not_a_json_object_is_a_400(sandbox, control):
    _, port, token = _daemon(sandbox[0])
    for body in (b"{not json", b"[1, 2]"):
        head = b"POST /v1/get_traffic HTTP/1.1\r\nx-sandbox-token: %s\r\ncontent-length: %d\r\n" % (
            token.encode(),
            len(body),
        )
        got, answer, sock = _ask(port, head, body)
        sock.close()
        assert got == 400 and "JSON object" in answer["error"]["message"]
    assert control.call("get_traffic")


def test_a_wrong_token_with_a_small_body_reads_as_401_not_as_a_reset(sandbox):
    _, port, _ = _daemon(sandbox[0])
    body = b'{"name": "x"}' * 1000
    got, answer, sock = _ask(
        port,
        b"POST /v1/get_revision HTTP/1.1\r\nx-sandbox-token: nope\r\ncontent-length: %d\r\n" % len(body),
        body,
    )
    assert got == 401 and "token" in answer["error"]["message"] and _closed(sock)


# --------------------------------------------------------------------------- private files (item 9)


def _public(root) -> list[str]:
    """Every file or folder under `root` (itself included) that the group or others may access."""
    out = []
    for entry in [root, *root.rglob("*")]:
        mode = entry.lstat().st_mode
        if not stat.S_ISLNK(mode) and not stat.S_ISSOCK(mode) and mode & 0o077:
            out.append(f"{entry.relative_to(root.parent)} {stat.filemode(mode)}")
    return out


def test_everything_the_sandbox_writes_is_private(sandbox, auth, control):
    settings, _ = sandbox
    home = settings.sandbox_home()
    assert _public(home) == [], "after `sandbox up`"
    # first writes: a request (telemetry), a traffic change (state), a deployment, a blob, the log
    assert httpx.get(f"{lifecycle.status(settings).url}/api/v1/projects/", headers=auth).status_code == 200
    control.call("set_traffic", weights=control.call("get_traffic"))
    control.call("flush_telemetry")
    names = {p.name for p in home.iterdir()}
    assert {"telemetry.db", "state.json", "apex.db", "deployments.json"} <= names
    assert (home / "daemon" / "daemon.log").exists()
    assert _public(home) == [], "after the first writes"


def test_up_makes_an_older_home_private(tmp_path):
    home = tmp_path / "home"
    (home / "daemon").mkdir(parents=True)
    for name in ("telemetry.db", "state.json", "apex.db", "daemon/daemon.log"):
        (home / name).write_text("x")
        (home / name).chmod(0o644)
    home.chmod(0o755)
    (home / "daemon").chmod(0o755)
    SandboxPaths(home).ensure()
    assert _public(home) == []


# --------------------------------------------------------------------------- orphaned split (item 12)


def _rev(name: str, weight: int, age_min: int) -> Revision:
    created = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(minutes=age_min)
    return Revision(name, True, weight, 1, "Provisioned", "Healthy", "Running", created, "", "", "img")


def test_a_single_serving_revision_is_no_split():
    assert orphaned_split([_rev("a", 100, 5), _rev("b", 0, 1)], env="local", lock_held=False) is None


def test_a_split_held_by_a_run_is_a_canary_in_progress():
    assert orphaned_split([_rev("a", 90, 5), _rev("b", 10, 1)], env="local", lock_held=True) is None


def test_a_split_without_the_lock_names_weights_and_the_fix():
    line = orphaned_split([_rev("old", 90, 5), _rev("new", 10, 1)], env="staging", lock_held=False)
    assert line is not None and "\n" not in line
    assert "old=90" in line and "new=10" in line and "no run holds the deployment lock" in line
    assert "apexops run 60 --env staging -p failed_revision=new -p rollback_to=old" in line


def test_the_lock_probe_sees_a_held_lock_and_leaves_it_alone(tmp_path):
    path = lock_file("local", "apex", tmp_path)
    assert not deployment_lock_held(path)  # never locked
    with DeploymentLock(tmp_path / "locks", env="local", app="apex", run_id="r1") as lock:
        assert lock.path == path and deployment_lock_held(path)
        assert lock.holder()["run_id"] == "r1"  # the probe does not rewrite who holds it
    assert not deployment_lock_held(path)


def test_daemon_killed_mid_canary_then_up_warns_about_the_split(sandbox, tmp_path, monkeypatch, helpers):
    settings, env = sandbox
    monkeypatch.setenv("APEXOPS_OUTPUTS", str(tmp_path / "outputs"))
    base = f"{settings.app.name}--v1-2-2"
    canary = env.app.update(AppUpdate(image=settings.image("v1.2.3"), revision_suffix="canary"))
    canary_name = canary.latest_revision_name
    helpers.wait_provisioned(env, canary_name)
    lock = DeploymentLock(tmp_path / "outputs" / "locks", env=settings.environment, app=settings.app.name)
    with lock:  # a canary in progress: split, lock held -> no warning
        env.app.set_traffic([TrafficWeight(canary_name, 10), TrafficWeight(base, 90)])
        assert lifecycle.status(settings).warning is None
    # the run is gone (lock released) and the daemon is killed while traffic is split; its replicas and
    # fork server die with it (they may hold the ingress port until then)
    before = lifecycle.status(settings)
    pids = [before.pid, *before.replica_pids, *before.helper_pids]
    os.kill(before.pid, signal.SIGKILL)
    helpers.wait_for(lambda: not any(alive(p) for p in pids), 10, "the daemon and its replicas to die")
    try:
        again = lifecycle.up(settings, options=DaemonOptions.from_dict({**OPTIONS, "owner_pid": os.getpid()}))
        assert again.running and again.pid != before.pid
        assert again.warning and f"{canary_name}=10" in again.warning and f"{base}=90" in again.warning
        fix = f"apexops run 60 --env {settings.environment} -p failed_revision={canary_name} -p rollback_to="
        assert fix + base in again.warning
        runner = CliRunner()
        for command in ("up", "status"):  # `up` on a running sandbox shows its status
            shown = runner.invoke(sandbox_cli, [command])
            assert shown.exit_code == 0, shown.output
            lines = [ln for ln in shown.output.splitlines() if ln.startswith("warning: ")]
            assert lines == [f"warning: {again.warning}"], shown.output
        listed = json.loads(runner.invoke(sandbox_cli, ["status", "--json"]).output)
        assert listed["warning"] == again.warning
    finally:
        if lifecycle.probe(settings).running:  # leave the module's sandbox at the baseline for the others
            env.app.set_traffic([TrafficWeight(base, 100)])
    assert lifecycle.status(settings).warning is None
