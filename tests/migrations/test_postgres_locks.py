"""Locks on a real PostgreSQL: the upgrade fails fast on its lock timeout, diagnostics show the blocker.

A second connection holds an open transaction on a table the migration alters (the classic sleeping
head blocker: `idle in transaction`); the migration's session lock timeout makes it give up instead of
queueing every other session behind it.
"""

from __future__ import annotations

import threading
import time

import pytest

from apexops.errors import MigrationError
from apexops.migrations import (
    apply,
    blocking_sessions,
    database_size,
    kill_session,
    long_running_queries,
    plan_upgrade,
    verify,
)

pytestmark = pytest.mark.postgres


def test_a_lock_held_by_another_session_makes_the_upgrade_fail_fast_and_shows_the_blocker(
    pg_engine, upgrade_to, version_rows
):
    upgrade_to(pg_engine, "0002")
    plan = plan_upgrade(pg_engine, lock_timeout_ms=300)
    assert not plan.blocked

    blocker = pg_engine.connect()
    try:
        blocker_pid = blocker.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        blocker.exec_driver_sql("SELECT count(*) FROM audit_logs").scalar_one()  # open transaction, idle

        result = apply(pg_engine, plan, lock_timeout_ms=300)
        assert not result.ok and result.failure_kind == "lock_timeout"
        assert result.failed_revision == "0003" and result.steps[0].status == "failed"
        assert result.version_rows_after == ("0002",) and version_rows(pg_engine) == ["0002"]
        assert "lock timeout in 0003" in result.reasons()[0]
        assert "diagnostics" in result.hint
        assert verify(pg_engine, target="0002").verdict == "PASS"  # rolled back: nothing half-done

        diag = blocking_sessions(pg_engine, tables=["audit_logs", "users"])
        holders = [r for r in diag.records if r["session_id"] == blocker_pid]
        assert holders and holders[0]["role"] == "holds lock"
        assert holders[0]["state"] == "idle in transaction" and "audit_logs" in holders[0]["wait_resource"]
        assert blocker_pid in diag.blockers

        long = long_running_queries(pg_engine)
        assert blocker_pid in {r["session_id"] for r in long.records}

        killed = kill_session(pg_engine, blocker_pid, diagnostics=diag)
        assert killed.terminated
    finally:
        blocker.invalidate()
        blocker.close()

    retry = apply(pg_engine, plan_upgrade(pg_engine, lock_timeout_ms=300), lock_timeout_ms=300)
    assert retry.ok and version_rows(pg_engine) == ["0003"]


def test_a_waiting_session_is_shown_with_the_session_that_blocks_it(pg_engine, upgrade_to):
    upgrade_to(pg_engine, "0002")
    holder = pg_engine.connect()
    holder_pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    holder.exec_driver_sql("LOCK TABLE audit_logs IN ACCESS EXCLUSIVE MODE")
    waiter_pid: list[int] = []

    def wait_for_lock() -> None:
        with pg_engine.connect() as conn:
            waiter_pid.append(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            conn.exec_driver_sql("SET lock_timeout = '10s'")
            conn.exec_driver_sql("SELECT count(*) FROM audit_logs").scalar_one()
            conn.rollback()

    thread = threading.Thread(target=wait_for_lock)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        blocked: list[dict] = []
        while time.monotonic() < deadline and not blocked:
            diag = blocking_sessions(pg_engine)
            blocked = [r for r in diag.records if r["role"] == "blocked"]
            time.sleep(0.05)
        assert blocked, "the waiting session never showed as blocked"
        assert blocked[0]["session_id"] == waiter_pid[0]
        assert blocked[0]["blocked_by"] == str(holder_pid)
        assert "audit_logs" in blocked[0]["wait_resource"]
        blockers = [r for r in diag.records if r["role"] == "blocker"]
        assert [r["session_id"] for r in blockers] == [holder_pid]
    finally:
        holder.rollback()
        holder.close()
        thread.join(timeout=15)
    assert not thread.is_alive()


def test_kill_refuses_a_session_the_diagnostics_did_not_show_blocking(pg_engine):
    with pg_engine.connect() as other:
        pid = other.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        diag = blocking_sessions(pg_engine)
        with pytest.raises(MigrationError, match=f"refusing to end session {pid}"):
            kill_session(pg_engine, pid, diagnostics=diag)
        assert other.exec_driver_sql("SELECT 1").scalar_one() == 1  # still alive


def test_database_size_on_postgresql(pg_engine, upgrade_to):
    upgrade_to(pg_engine, "head")
    size = database_size(pg_engine)
    assert size.applicable and size.records[0]["table"] == "(database)" and size.records[0]["bytes"] > 0
