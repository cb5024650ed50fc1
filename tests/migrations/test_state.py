"""Migration state on SQLite: current, heads, history markers, pending, and the missing-version cases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from apexops.errors import ConfigError, MigrationError, NotSupportedError
from apexops.migrations import (
    blocking_sessions,
    database_size,
    kill_session,
    long_running_queries,
    read_state,
    stamp,
)


def test_empty_database_is_a_first_deployment_with_everything_pending(sqlite_engine):
    state = read_state(sqlite_engine)
    assert state.condition == "empty_database" and not state.blocking and state.status == "INFO"
    assert state.current == () and not state.version_table
    assert state.pending_ids == ("0001", "0002", "0003") and state.heads == ("0003",)
    assert state.stamp_candidate is None and "Do not stamp" in state.guidance


def test_pending_revisions_and_history_markers(sqlite_engine, upgrade_to):
    upgrade_to(sqlite_engine, "0002")
    state = read_state(sqlite_engine)
    assert state.condition == "pending" and state.pending_ids == ("0003",)
    assert state.version_rows == ("0002",)
    assert [(h["revision"], h["markers"], h["status"]) for h in state.history_rows()] == [
        ("0003", "(head)", "pending"),
        ("0002", "(current)", "current"),
        ("0001", "", "applied"),
    ]
    assert {r["item"]: r["value"] for r in state.rows()}["pending"] == "0003"


def test_at_head_nothing_is_pending_and_a_lower_target_is_reported(sqlite_engine, upgrade_to):
    upgrade_to(sqlite_engine, "head")
    assert read_state(sqlite_engine).condition == "up_to_date" and read_state(sqlite_engine).status == "PASS"
    behind = read_state(sqlite_engine, target="0002")
    assert behind.condition == "ahead_of_target" and behind.pending == () and "downgrade" in behind.guidance
    assert behind.blocking and behind.status == "FAIL"  # an "upgrade" to it would report a change not made
    assert behind.reasons[-1].startswith("target 0002 is older than the database's current revision 0003")


def test_a_target_off_the_databases_branch_is_not_called_older(histories):
    from apexops.migrations._alembic import script_directory
    from apexops.migrations.state import _behind

    sd = script_directory(histories / "branched")
    assert _behind(sd, "b001", ("b002a",)).startswith("target b001 is older than")
    assert _behind(sd, "b002b", ("b002a",)) == (
        "target b002b cannot be reached by an upgrade from the database's current revision b002a"
    )


def test_an_unknown_target_names_the_parameter(sqlite_engine):
    with pytest.raises(
        ConfigError, match=r"target '0009' is not a revision of this migration history \(heads: 0003\)"
    ) as err:
        read_state(sqlite_engine, target="0009")
    assert "0001, 0002, 0003" in err.value.hint


def test_multiple_heads_block(sqlite_engine, histories):
    state = read_state(sqlite_engine, histories / "branched")
    assert state.condition == "multiple_heads" and state.blocking and state.status == "FAIL"
    assert set(state.heads) == {"b002a", "b002b"} and "merge" in state.guidance


def test_a_version_the_history_does_not_know_blocks(sqlite_engine, upgrade_to):
    upgrade_to(sqlite_engine, "0002")
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'deadbeef'")
    state = read_state(sqlite_engine)
    assert state.condition == "unknown_revision" and state.blocking and "deadbeef" in state.reasons[0]


def _drop_version_table(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")


def test_existing_schema_without_version_table_is_flagged_and_only_the_matching_stamp_is_allowed(
    sqlite_engine, upgrade_to, version_rows
):
    upgrade_to(sqlite_engine, "head")
    _drop_version_table(sqlite_engine)
    state = read_state(sqlite_engine)
    assert state.condition == "unversioned_schema" and state.blocking
    assert state.stamp_candidate == "0003" and "stamp head" in state.guidance
    with pytest.raises(MigrationError, match="refusing to stamp 0002"):
        stamp(sqlite_engine, "0002", state=state)
    assert version_rows(sqlite_engine) == []
    result = stamp(sqlite_engine, "0003", state=state)
    assert result.version_rows_before == () and result.version_rows_after == ("0003",)
    assert read_state(sqlite_engine).condition == "up_to_date"


def test_schema_behind_head_without_version_table_offers_its_own_revision(sqlite_engine, upgrade_to):
    upgrade_to(sqlite_engine, "0002")
    _drop_version_table(sqlite_engine)
    state = read_state(sqlite_engine)
    assert state.condition == "unversioned_schema" and state.stamp_candidate == "0002"
    assert state.pending_ids == (
        "0001",
        "0002",
        "0003",
    )  # alembic would start at base: the plan stays blocked


def test_schema_matching_no_revision_is_never_offered_a_stamp(sqlite_engine, upgrade_to):
    upgrade_to(sqlite_engine, "0002")
    _drop_version_table(sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE audit_logs ADD COLUMN user_id INTEGER")
    state = read_state(sqlite_engine)
    assert state.condition == "unversioned_schema" and state.stamp_candidate is None
    assert "do NOT stamp" in state.guidance


def test_objects_of_a_later_revision_created_by_hand_show_as_partial_application(sqlite_engine, upgrade_to):
    upgrade_to(sqlite_engine, "0002")
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE users ADD COLUMN last_login_at DATETIME")
    state = read_state(sqlite_engine)
    assert state.condition == "partially_applied" and state.blocking
    assert any("objects of 0003 exist" in r and "users.last_login_at" in r for r in state.reasons)


def test_sqlite_diagnostics_say_not_applicable_instead_of_an_empty_table(sqlite_engine, upgrade_to):
    upgrade_to(sqlite_engine, "0001")
    for diag in (blocking_sessions(sqlite_engine, tables=["users"]), long_running_queries(sqlite_engine)):
        assert not diag.applicable and diag.rows()[0]["verdict"] == "SKIPPED"
        assert "not applicable on SQLite" in diag.rows()[0]["detail"]
    with pytest.raises(NotSupportedError):
        kill_session(sqlite_engine, 1, diagnostics=blocking_sessions(sqlite_engine))
    assert database_size(sqlite_engine).records[0]["bytes"] > 0
