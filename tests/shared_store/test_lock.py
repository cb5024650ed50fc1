"""The shared deployment lock (a blob lease) against a real Azurite: who holds it, refusal naming the holder,
renewal keeping it past its duration, a dead holder's lease expiring, and the local lock still working."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from apexops.canary.lock import DeploymentLock
from apexops.errors import ConfigError, LockHeldError
from apexops.settings import AuditSettings
from apexops.shared.lock import LeaseLock, list_locks, read_lock
from apexops.shared.store import StoreUnavailable

pytestmark = [pytest.mark.slow]


class Storage:
    """An AuditStorage over one Azurite container (what the sandbox wires, without the sandbox)."""

    def __init__(self, container) -> None:
        self._container = container

    def container(self):
        return self._container

    def describe(self) -> str:
        return self._container.url


def test_the_holder_is_named_and_a_second_acquirer_is_refused_at_once(audit_container, monkeypatch):
    monkeypatch.setenv("APEXOPS_OPERATOR", "alice")
    first = LeaseLock(audit_container, env="prod", app="apex", duration_s=15, run_id="run-a", procedure="50")
    with first:
        state = read_lock(audit_container, first.name)
        assert state.lease_state == "leased" and state.held
        assert (state.holder.operator, state.holder.run_id, state.holder.procedure) == (
            "alice",
            "run-a",
            "50",
        )
        assert state.holder.machine and state.holder.start and first.lease_id not in str(state)
        started = time.monotonic()
        second = LeaseLock(audit_container, env="prod", app="apex", duration_s=15, run_id="run-b")
        with pytest.raises(LockHeldError, match=r"run run-a by alice on .* \(50, since .*lease leased"):
            second.acquire()
        assert time.monotonic() - started < 5  # refused at once, not after waiting for the lease
        assert not second.held
        # another app, or another environment, is another lock
        with LeaseLock(audit_container, env="staging", app="apex", duration_s=15):
            pass
    after = read_lock(audit_container, first.name)
    assert after.lease_state == "available" and after.recorded == "released"
    with LeaseLock(audit_container, env="prod", app="apex", duration_s=15, run_id="run-b"):
        assert read_lock(audit_container, first.name).holder.run_id == "run-b"
    names = {s.name: s.lease_state for s in list_locks(audit_container, "")}
    assert names == {"locks/prod--apex": "available", "locks/staging--apex": "available"}


def test_a_prefix_keeps_teams_apart(audit_container):
    with LeaseLock(audit_container, env="prod", app="apex", duration_s=15, prefix="team-a"):
        LeaseLock(audit_container, env="prod", app="apex", duration_s=15, prefix="team-b").acquire().release()
        assert [s.name for s in list_locks(audit_container, "team-a")] == ["team-a/locks/prod--apex"]


HOLD = textwrap.dedent(
    """
    import sys, time
    from apexops.sandbox import azurite
    from apexops.shared.lock import LeaseLock
    container = azurite.AzuriteEndpoint(sys.argv[1]).container_client(sys.argv[2])
    LeaseLock(container, env="prod", app=sys.argv[3], duration_s=15, run_id="doomed").acquire()
    print("held", flush=True)
    time.sleep(600)
    """
)


def test_renewal_keeps_a_live_holder_and_a_dead_holders_lease_expires(audit_container, azurite_endpoint):
    """Both past the 15 s duration: the live holder (renewing) still holds, the killed one lost it."""
    alive = LeaseLock(audit_container, env="prod", app="alive", duration_s=15, run_id="live").acquire()
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, azurite_endpoint.account_url, audit_container.container_name, "dead"],
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"held"
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        killed_at = time.monotonic()
        with pytest.raises(LockHeldError, match="run doomed"):
            LeaseLock(audit_container, env="prod", app="dead", duration_s=15).acquire()
        while time.monotonic() - killed_at < 17:
            time.sleep(0.5)
        with pytest.raises(LockHeldError, match="run live"):
            LeaseLock(audit_container, env="prod", app="alive", duration_s=15).acquire()
        assert not alive.lost
        dead = read_lock(audit_container, "locks/prod--dead")
        assert dead.lease_state == "expired" and dead.holder.run_id == "doomed"  # last holder still named
        with LeaseLock(audit_container, env="prod", app="dead", duration_s=15, run_id="next"):
            assert read_lock(audit_container, "locks/prod--dead").holder.run_id == "next"
    finally:
        alive.release()
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=10)


def test_deployment_lock_takes_the_local_and_the_shared_lock(audit_container, tmp_path):
    """Two outputs folders (two machines): only the shared lease keeps the second run out."""
    storage, audit = Storage(audit_container), AuditSettings(lease_duration_s=15)
    one = DeploymentLock(tmp_path / "a", env="prod", app="apex", run_id="r1", storage=storage, settings=audit)
    two = DeploymentLock(tmp_path / "b", env="prod", app="apex", run_id="r2", storage=storage, settings=audit)
    with one:
        assert one.lease is not None and one.lease.held
        with pytest.raises(LockHeldError, match=r"run r1 by .*shared lock locks/prod--apex"):
            two.acquire()
        assert not two.held and two.holder()["run_id"] == "r1"
        # the local lock still refuses a run of the same folder first, with its own words
        with pytest.raises(LockHeldError, match=r"run r1 \(pid \d+, since "):
            DeploymentLock(tmp_path / "a", env="prod", app="apex", storage=storage, settings=audit).acquire()
    assert one.lease is None and read_lock(audit_container, "locks/prod--apex").lease_state == "available"
    with two:
        assert two.lease is not None


def unreachable(tmp_path: Path) -> Storage:
    """A store nobody answers on (a closed loopback port): what an unknown account or an outage looks like."""
    from apexops.sandbox.azurite import AzuriteEndpoint
    from apexops.sandbox.testing import free_port

    url = f"http://127.0.0.1:{free_port()}/devstoreaccount1"
    return Storage(AzuriteEndpoint(url).container_client("apexops-audit", retry_total=0))


def test_a_required_store_that_cannot_be_reached_refuses_before_anything(tmp_path):
    lock = DeploymentLock(
        tmp_path / "locks",
        env="prod",
        app="apex",
        storage=unreachable(tmp_path),
        settings=AuditSettings(required=True, lease_duration_s=15),
    )
    with pytest.raises(StoreUnavailable) as err:
        lock.acquire()
    line = str(err.value)
    assert "\n" not in line and "refusing to start: prod requires the shared deployment lock" in line
    assert "cannot be reached" in line and "HINT:" in line and "Traceback" not in line
    assert not lock.held  # the local lock was let go too: nothing is held, nothing changed
    DeploymentLock(tmp_path / "locks", env="prod", app="apex").acquire().release()


def test_an_optional_store_that_cannot_be_reached_leaves_the_local_lock(tmp_path, caplog):
    lock = DeploymentLock(
        tmp_path / "locks", env="local", app="apex", storage=unreachable(tmp_path), settings=AuditSettings()
    )
    with lock:
        assert lock.held and lock.lease is None
        assert "shared lock not taken" in lock.shared_skipped and "cannot be reached" in lock.shared_skipped
    assert "going on under the local lock only" in caplog.text


def test_a_target_without_shared_storage_keeps_the_local_lock_unless_required(tmp_path):
    from apexops.environment import _Missing

    missing = _Missing("the shared audit storage")
    with DeploymentLock(tmp_path, env="local", app="apex", storage=missing) as lock:  # type: ignore[arg-type]
        assert lock.held and "no shared store" in lock.shared_skipped
    with pytest.raises(StoreUnavailable, match="requires the shared deployment lock"):
        DeploymentLock(
            tmp_path, env="prod", app="apex", storage=missing, settings=AuditSettings(required=True)
        ).acquire()


def test_bad_lease_durations_and_container_names_get_one_line(tmp_path):
    """As an operator meets them: an `audit:` section in a parameters file, read by load_settings."""
    from apexops.settings import load_settings, parameters_dir

    local = (parameters_dir() / "local.yaml").read_text()
    for audit, words in [
        ("lease_duration_s: 10", "lease_duration_s"),
        ("lease_duration_s: 61", "lease_duration_s"),
        ("container: Audit_Trail", "is not valid for Azure"),
        ("account: Not-An-Account", "is not a storage account name"),
    ]:
        path = tmp_path / "local.yaml"
        path.write_text(local + f"\naudit:\n  {audit}\n")
        with pytest.raises(ConfigError, match=words) as err:
            load_settings("local", path=path)
        assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match=r"outside Azure's lease range.*between 15 and 60"):
        LeaseLock(object(), env="prod", app="apex", duration_s=90)


def test_an_unknown_account_is_one_line(tmp_path):
    """AzureAuditStorage on an account that does not exist: DNS fails, one StoreUnavailable line."""
    from azure.core.credentials import AccessToken

    from apexops.shared.store import AzureAuditStorage

    class Token:
        def get_token(self, *scopes, **kwargs):
            return AccessToken("not-a-real-token", int(time.time()) + 3600)

    audit = AuditSettings(account="apexopsnosuchacct0000", required=True, lease_duration_s=15)
    storage = AzureAuditStorage(audit, credential=Token(), retry_total=0)
    assert storage.describe() == "https://apexopsnosuchacct0000.blob.core.windows.net/apexops-audit"
    with pytest.raises(StoreUnavailable) as err:
        DeploymentLock(tmp_path, env="prod", app="apex", storage=storage, settings=audit).acquire()
    line = str(err.value)
    assert "\n" not in line and "apexopsnosuchacct0000.blob.core.windows.net" in line
    assert "check audit.account" in line and "not-a-real-token" not in line
