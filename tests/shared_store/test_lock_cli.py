"""`apexops lock status|break` against a real Azurite: status names the holder; breaking a live lease needs
the typed phrase, changes nothing without it, and is recorded in the local ledger when done."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from azure.core.exceptions import HttpResponseError
from typer.testing import CliRunner

from apexops.ledger import Ledger
from apexops.settings import AuditSettings
from apexops.shared import lock_cli
from apexops.shared.lock import LeaseLock, read_lock

pytestmark = [pytest.mark.slow]


class Storage:
    def __init__(self, container) -> None:
        self._container = container

    def container(self):
        return self._container

    def describe(self) -> str:
        return self._container.url


@pytest.fixture
def environment(audit_container, monkeypatch):
    env = SimpleNamespace(
        settings=SimpleNamespace(audit=AuditSettings(lease_duration_s=15), app=SimpleNamespace(name="apex")),
        audit_storage=Storage(audit_container),
    )
    monkeypatch.setattr(lock_cli, "_connect", lambda name: env)
    monkeypatch.setenv("COLUMNS", "200")
    return env


def run(*args: str):
    return CliRunner().invoke(lock_cli.lock_app, list(args))


def test_status_names_the_holder_and_an_unlocked_app(environment, audit_container, monkeypatch):
    monkeypatch.setenv("APEXOPS_OPERATOR", "bob")
    result = run("status", "--env", "prod")
    assert result.exit_code == 0 and "no deployment lock was ever taken for prod" in result.output
    with LeaseLock(audit_container, env="prod", app="apex", duration_s=15, run_id="r-77", procedure="50"):
        result = run("status", "--env", "prod")
        assert result.exit_code == 0, result.output
        assert "locks/prod--apex" in result.output and "leased" in result.output
        assert "run r-77 by bob" in result.output
    result = run("status", "--env", "prod", "--app", "apex")
    assert "available" in result.output and "released by run r-77" in result.output


def test_a_live_lock_is_not_broken_without_the_phrase_and_breaking_is_recorded(
    environment, audit_container, tmp_path, monkeypatch
):
    monkeypatch.setenv("APEXOPS_OPERATOR", "carol")
    holder = LeaseLock(audit_container, env="prod", app="apex", duration_s=15, run_id="r-live").acquire()
    try:
        for confirm in ([], ["--confirm", "BREAK LOCK prod"], ["--confirm", "break lock prod--apex"]):
            result = run("break", "--env", "prod", "--outputs", str(tmp_path), *confirm)
            assert result.exit_code == 3, result.output
            assert "is held by a live lease (run r-live by carol" in result.output
            assert (
                "nothing was broken" in result.output and "--confirm 'BREAK LOCK prod--apex'" in result.output
            )
            assert read_lock(audit_container, holder.name).lease_state == "leased"
        assert Ledger(tmp_path).entries() == []
        result = run(
            "break",
            "--env",
            "prod",
            "--outputs",
            str(tmp_path),
            "--confirm",
            "BREAK LOCK prod--apex",
            "--reason",
            "laptop lost",
        )
        assert result.exit_code == 0, result.output
        assert "broken: locks/prod--apex (was run r-live by carol" in result.output
        assert read_lock(audit_container, holder.name).lease_state == "broken"
        (entry,) = Ledger(tmp_path).entries()
        assert entry["procedure"] == "lock-break" and entry["operator"] == "carol"
        assert (
            entry["facts"]["holder"]["run_id"] == "r-live" and entry["parameters"]["reason"] == "laptop lost"
        )
        assert holder.lease_id not in str(entry)
        assert Ledger(tmp_path).verify().ok
        # the next run takes the lock at once; the old holder's renewals now fail and it says so
        nxt = LeaseLock(audit_container, env="prod", app="apex", duration_s=15, run_id="r-next").acquire()
        with pytest.raises(HttpResponseError, match="Lease"):
            holder.renew()
        nxt.release()
        result = run("break", "--env", "prod", "--outputs", str(tmp_path))
        assert result.exit_code == 0 and "not held" in result.output
    finally:
        holder.release()
