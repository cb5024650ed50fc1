"""Plan, apply and verify on SQLite AND on a real PostgreSQL (pgserver): the Done-when cases of issue 5."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from apexops.errors import MigrationError
from apexops.migrations import apply, plan_downgrade, plan_upgrade, read_state, verify
from apexops.settings import load_settings

EXPECTED = load_settings("local").database.expected_tables


def test_clean_upgrade_from_an_empty_database(engine, version_rows):
    plan = plan_upgrade(engine, lock_timeout_ms=2000, database_name="apex-db-local")
    assert plan.state.condition == "empty_database" and not plan.blocked
    assert (
        plan.revision_ids == ("0001", "0002", "0003")
        and plan.approval_phrase == "MIGRATE apex-db-local TO 0003"
    )
    progress: list[str] = []
    result = apply(engine, plan, lock_timeout_ms=2000, on_progress=progress.append)
    assert result.ok and result.verdict == "PASS"
    assert result.applied == ("0001", "0002", "0003") and result.not_applied == ()
    assert result.version_rows_before == () and result.version_rows_after == ("0003",)
    assert all(s.duration_s is not None and s.duration_s >= 0 for s in result.steps)
    assert progress[0] == "running upgrade base -> 0001: Initial schema"
    assert [p.split(" in ")[0] for p in progress if p.startswith("applied")] == [
        "applied 0001",
        "applied 0002",
        "applied 0003",
    ]
    assert version_rows(engine) == ["0003"]

    check = verify(engine, expected_tables=EXPECTED)
    assert check.verdict == "PASS", check.reasons()
    assert not check.partially_applied


def test_nothing_pending_is_skipped(engine, upgrade_to):
    upgrade_to(engine, "head")
    plan = plan_upgrade(engine)
    assert plan.nothing_to_do and plan.state.condition == "up_to_date" and plan.preview is None
    result = apply(engine, plan)
    assert (
        result.skipped and result.verdict == "SKIPPED" and result.reasons() == ["SKIPPED (already at 0003)"]
    )
    assert verify(engine, expected_tables=EXPECTED).verdict == "PASS"


def test_a_blocked_finding_stops_before_any_sql_and_leaves_the_database_unchanged(
    engine, histories, upgrade_to, version_rows, columns
):
    shop = histories / "shop"
    upgrade_to(engine, "s002", shop)
    plan = plan_upgrade(engine, script_dir=shop, lock_timeout_ms=1000)
    assert plan.blocked and plan.status == "FAIL" and [f.key for f in plan.lint.blocking] == ["MIG-002@s003"]

    sent: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    try:
        with pytest.raises(MigrationError, match="the plan is blocked; nothing was run") as err:
            apply(engine, plan, script_dir=shop)
    finally:
        sa.event.remove(engine, "before_cursor_execute", sent.append) if False else None
    assert "MIG-002@s003" in str(err.value)
    assert sent == []  # not a single statement reached the database
    assert version_rows(engine) == ["s002"] and "legacy_code" in columns(engine, "account")


def test_an_acknowledged_warning_proceeds(engine, histories, upgrade_to, version_rows):
    shop = histories / "shop"
    upgrade_to(engine, "s001", shop)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO account (id, name) VALUES (1, 'acme')")
    unacknowledged = plan_upgrade(engine, target="s002", script_dir=shop, lock_timeout_ms=1000)
    assert unacknowledged.blocked and unacknowledged.lint.needs_acknowledgement == ("MIG-018@s002",)
    with pytest.raises(MigrationError):
        apply(engine, unacknowledged, script_dir=shop)

    plan = plan_upgrade(
        engine, target="s002", script_dir=shop, acknowledge="MIG-018@s002", lock_timeout_ms=1000
    )
    assert not plan.blocked and plan.facts()["acknowledgements"] == ["MIG-018@s002"]
    result = apply(engine, plan, script_dir=shop, lock_timeout_ms=1000)
    assert result.ok and result.applied == ("s002",) and version_rows(engine) == ["s002"]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT status FROM account").scalar_one() == "active"  # the backfill ran
    assert verify(engine, target="s002", script_dir=shop).verdict == "PASS"


def test_multiple_heads_block_the_plan(engine, histories):
    plan = plan_upgrade(engine, script_dir=histories / "branched")
    assert plan.blocked and plan.state.condition == "multiple_heads"
    assert [f.rule for f in plan.lint.blocking] == ["MIG-024"]
    with pytest.raises(MigrationError):
        apply(engine, plan, script_dir=histories / "branched")
    assert verify(engine, script_dir=histories / "branched").verdict == "FAIL"


def test_existing_schema_without_version_table_blocks_the_upgrade(engine, upgrade_to):
    upgrade_to(engine, "head")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")
    plan = plan_upgrade(engine)
    assert (
        plan.blocked and plan.state.condition == "unversioned_schema" and plan.state.stamp_candidate == "0003"
    )
    with pytest.raises(MigrationError):
        apply(engine, plan)
    check = verify(engine, expected_tables=EXPECTED)
    assert check.verdict == "FAIL" and "alembic_version" in " ".join(check.reasons())


def test_objects_created_by_hand_are_detected_as_partial_application(engine, upgrade_to):
    upgrade_to(engine, "0002")
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE audit_logs ADD COLUMN ip_address VARCHAR(45)")
    check = verify(engine, target="0002")
    assert check.verdict == "FAIL" and check.partially_applied
    (evidence,) = check.comparison.evidence
    assert evidence.revision == "0003" and [str(o) for o in evidence.present] == [
        "column audit_logs.ip_address"
    ]
    assert "partly applied" in evidence.explanation
    assert plan_upgrade(engine).blocked  # planning on top of it is refused until reconciled


def test_the_reverse_a_version_without_its_objects_is_detected(engine, upgrade_to):
    upgrade_to(engine, "0002")
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0003'")  # a stamp without the DDL
    check = verify(engine)
    assert check.verdict == "FAIL"
    assert any("objects 0003 created are missing" in r for r in check.reasons())
    assert read_state(engine).stamp_candidate == "0002"


def test_a_revision_failing_midway_on_data_changed_after_the_plan(
    engine, histories, upgrade_to, version_rows, columns, request
):
    partial = histories / "partial"
    upgrade_to(engine, "p001", partial)
    plan = plan_upgrade(
        engine, script_dir=partial, acknowledge="MIG-014@p002,MIG-012@p002", lock_timeout_ms=1000
    )
    assert not plan.blocked
    with engine.begin() as conn:  # duplicates arrive between the preview and the execution
        conn.exec_driver_sql("INSERT INTO member (id, email) VALUES (1, 'a@x.io'), (2, 'a@x.io')")
    result = apply(engine, plan, script_dir=partial, lock_timeout_ms=1000)
    assert not result.ok and result.failure_kind == "error" and result.failed_revision == "p002"
    assert result.applied == () and result.not_applied == ("p002",)
    assert result.version_rows_after == ("p001",) and version_rows(engine) == ["p001"]
    assert any("alembic_version now holds: p001" in r for r in result.reasons())
    assert "verify" in result.hint

    check = verify(engine, target="p001", script_dir=partial)
    if engine.dialect.name == "sqlite":
        # no transactional DDL: the column was added before the unique index failed
        assert "nickname" in columns(engine, "member")
        assert check.verdict == "FAIL" and check.partially_applied
        (evidence,) = check.comparison.evidence
        assert evidence.revision == "p002" and {str(o) for o in evidence.present} == {
            "column member.nickname"
        }
        assert read_state(engine, partial).condition == "partially_applied"
    else:
        # PostgreSQL rolled the whole revision back
        assert "nickname" not in columns(engine, "member")
        assert check.verdict == "PASS"
        assert result.steps[0].status == "failed"


def test_downgrade_one_step_with_its_own_preview_lint_and_data_at_risk(engine, upgrade_to, version_rows):
    upgrade_to(engine, "head")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO users (id, email, display_name, created_at, last_login_at) VALUES "
            "(1, 'a@x.io', 'A', '2024-01-01', '2024-02-01')"
        )
    plan = plan_downgrade(engine, to="-1", lock_timeout_ms=1000, database_name="apex-db-local")
    assert plan.target == "0002" and plan.revision_ids == ("0003",)
    assert plan.approval_phrase == "DOWNGRADE apex-db-local TO 0002"
    assert plan.preview is not None and plan.preview.direction == "downgrade"
    assert plan.blocked and plan.lint.needs_acknowledgement == ("MIG-023@0003",)
    risk = {d.object: d.rows for d in plan.data_at_risk}
    assert risk["column users.last_login_at"] == 1 and risk["column audit_logs.user_id"] == 0

    plan = plan_downgrade(engine, to="-1", acknowledge="MIG-023@0003", lock_timeout_ms=1000)
    result = apply(engine, plan, lock_timeout_ms=1000)
    assert result.ok and result.applied == ("0003",) and result.steps[0].status == "undone"
    assert version_rows(engine) == ["0002"]
    assert verify(engine, target="0002").verdict == "PASS"


def test_a_plan_is_refused_when_the_database_moved_since(engine, upgrade_to):
    upgrade_to(engine, "0001")
    plan = plan_upgrade(engine, target="0002")
    upgrade_to(engine, "0002")
    with pytest.raises(MigrationError, match="moved since the plan"):
        apply(engine, plan)
