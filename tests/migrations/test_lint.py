"""Every lint rule: a migration that triggers it and one that does not (fixture history `rules`).

Each revision of tests/migrations/histories/rules is linted alone, against its offline rendering
(PostgreSQL or T-SQL, no server), exactly as a plan lints its pending revisions.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from apexops.errors import ConfigError
from apexops.migrations import (
    RULES,
    LintOptions,
    lint,
    parse_acknowledgements,
    render,
)
from apexops.migrations._alembic import lineage, revision_info, script_directory
from apexops.migrations.schema_map import replay_history

RULES_DIR = Path(__file__).parent / "histories" / "rules"
BLOCK, ACK, WARN, INFO = "block", "acknowledge", "warn", "info"


def lint_revision(
    rev: str, dialect: str = "postgresql", *, acknowledge: str = "", lock_timeout_ms: int | None = 1000
):
    sd = script_directory(RULES_DIR)
    info = revision_info(sd.get_revision(rev))
    preview = render(
        dialect, start=info.down_revisions, target=rev, script_dir=RULES_DIR, lock_timeout_ms=lock_timeout_ms
    )
    return lint([info], preview, LintOptions(dialect, acknowledge=acknowledge))


CASES = [
    # rule, triggering revision, expected severity, non-triggering revision, dialect
    ("MIG-001", "d001", BLOCK, "g001", "postgresql"),
    ("MIG-002", "d002", BLOCK, "n000", "postgresql"),
    ("MIG-003", "d003", BLOCK, "g003", "postgresql"),
    ("MIG-004", "d004", BLOCK, "g004", "postgresql"),
    ("MIG-005", "d005", ACK, "g005", "postgresql"),
    ("MIG-006", "d006", ACK, "n000", "postgresql"),
    ("MIG-006", "e006", ACK, "g007", "postgresql"),
    ("MIG-007", "d007", BLOCK, "g007", "postgresql"),
    ("MIG-008", "d008", ACK, "g008", "postgresql"),
    ("MIG-008", "a008", ACK, "g008", "mssql"),
    ("MIG-009", "d009", ACK, "n000", "postgresql"),
    ("MIG-010", "d010", ACK, "g010", "postgresql"),
    ("MIG-010", "d010", ACK, "g010", "mssql"),
    ("MIG-010", "a010", ACK, "g010", "mssql"),
    ("MIG-011", "d011", BLOCK, "n000", "postgresql"),
    ("MIG-011", "a011", ACK, "n000", "mssql"),
    ("MIG-012", "d012", ACK, "g012", "postgresql"),
    ("MIG-012", "d012", ACK, "n000", "mssql"),
    ("MIG-013", "d013", ACK, "g013", "postgresql"),
    ("MIG-014", "d014", ACK, "g014", "postgresql"),
    ("MIG-015", "d015", ACK, "g015", "postgresql"),
    ("MIG-016", "d016", ACK, "n000", "postgresql"),
    ("MIG-017", "d017", INFO, "n000", "postgresql"),
    ("MIG-018", "d018", ACK, "g018", "postgresql"),
    ("MIG-019", "d019", ACK, "n000", "postgresql"),
    ("MIG-020", "d020", BLOCK, "g020", "postgresql"),
    ("MIG-021", "d021", INFO, "n000", "postgresql"),
    ("MIG-022", "d022", WARN, "n000", "postgresql"),
    ("MIG-023", "d023", INFO, "g023", "postgresql"),
    ("MIG-025", "d025", ACK, "n000", "mssql"),
    ("MIG-026", "d026", BLOCK, "n000", "postgresql"),
    ("MIG-028", "d028", INFO, "n000", "postgresql"),
    ("MIG-029", "d029", BLOCK, "g029", "mssql"),
]


@pytest.mark.parametrize(
    ("rule", "bad", "severity", "good", "dialect"), CASES, ids=[f"{c[0]}-{c[1]}-{c[4]}" for c in CASES]
)
def test_rule_triggers_on_the_bad_migration_and_not_on_the_good_one(rule, bad, severity, good, dialect):
    report = lint_revision(bad, dialect)
    hits = [f for f in report.findings if f.rule == rule]
    assert hits, f"{rule} did not fire on {bad}: {[f.key for f in report.findings]}"
    finding = max(hits, key=lambda f: {INFO: 0, WARN: 1, ACK: 2, BLOCK: 3}[f.severity])
    assert finding.severity == severity
    assert finding.revision == bad and finding.key == f"{rule}@{bad}"
    assert finding.excerpt and finding.reason and finding.alternative == RULES[rule].alternative
    assert report.verdict == ("BLOCKED" if severity in (BLOCK, ACK) else report.verdict)

    clean = lint_revision(good, dialect)
    assert rule not in {f.rule for f in clean.findings}, [f.key for f in clean.findings if f.rule == rule]


def test_every_rule_in_the_table_is_exercised_by_a_test():
    # history- and SQLite-level, tested below; MIG-031 (a revision that does not import) in test_corpora.py
    covered = {c[0] for c in CASES} | {"MIG-024", "MIG-030", "MIG-031"}
    assert covered == set(RULES)


def test_sql_and_operation_views_of_one_object_merge_into_one_finding():
    report = lint_revision("d002")
    drops = [f for f in report.findings if f.rule == "MIG-002"]
    assert len(drops) == 1 and drops[0].source == "op+sql"
    assert drops[0].excerpt.startswith("ALTER TABLE account DROP COLUMN legacy_code")


def test_type_change_severity_follows_what_the_change_does():
    assert [f.severity for f in lint_revision("d011").findings if f.rule == "MIG-011"] == [BLOCK]
    assert [f.severity for f in lint_revision("a011").findings if f.rule == "MIG-011"] == [ACK]
    widen = [f for f in lint_revision("g011").findings if f.rule == "MIG-011"]
    assert [f.severity for f in widen] == [INFO] and "widens" in widen[0].reason


def test_missing_session_lock_timeout_needs_acknowledgement_on_servers_only():
    report = lint_revision("n000", lock_timeout_ms=None)
    assert [f.key for f in report.findings if f.rule == "MIG-019"] == ["MIG-019@n000"]
    assert lint_revision("n000", lock_timeout_ms=1000).verdict == "PASS"


def test_acknowledgement_is_bound_to_rule_and_revision():
    assert lint_revision("d012").verdict == "BLOCKED"
    assert lint_revision("d012", acknowledge="MIG-012@d012").verdict == "PASS"
    wrong_revision = lint_revision("d012", acknowledge="MIG-012@g012")
    assert wrong_revision.verdict == "BLOCKED" and wrong_revision.unused_acknowledgements == ("MIG-012@g012",)
    finding = next(
        f for f in lint_revision("d012", acknowledge="MIG-012@d012").findings if f.rule == "MIG-012"
    )
    assert finding.acknowledged and finding.status == "ACKNOWLEDGED"


def test_a_blocking_rule_cannot_be_acknowledged_by_parameter():
    report = lint_revision("d001", acknowledge="MIG-001@d001")
    assert report.verdict == "BLOCKED"
    assert report.refused_acknowledgements == ("MIG-001@d001",)
    assert any("cannot be acknowledged" in r for r in report.reasons())


def test_a_reviewed_waiver_in_the_migration_source_lifts_a_block():
    report = lint_revision("w001")
    (finding,) = [f for f in report.findings if f.rule == "MIG-001"]
    assert finding.status == "WAIVED" and "OPS-42" in finding.waiver
    assert report.verdict == "PASS"


@pytest.mark.parametrize("bad", ["MIG-12@0002", "0002", "MIG-999@0002", "MIG-012"])
def test_malformed_acknowledgements_name_the_parameter(bad):
    with pytest.raises(ConfigError, match="acknowledge"):
        parse_acknowledgements(bad)


def test_acknowledgements_parse_from_a_comma_list():
    assert parse_acknowledgements(" MIG-003@0003, mig-012@0002 ,") == ("MIG-003@0003", "MIG-012@0002")


def test_multiple_heads_block():
    branched = Path(__file__).parent / "histories" / "branched"
    sd = script_directory(branched)
    report = lint([], None, LintOptions("postgresql", heads=sd.get_heads()))
    (finding,) = report.findings
    assert finding.rule == "MIG-024" and finding.severity == BLOCK and report.verdict == "BLOCKED"
    assert lint([], None, LintOptions("postgresql", heads=("only",))).findings == ()


def _apex(rev_from: str | None, rev_to: str):
    sd = script_directory()
    return lineage(sd, rev_to, rev_from or "base")


def test_apex_history_is_clean_on_postgresql_with_an_info_for_the_new_column_foreign_key():
    revisions = _apex("0001", "0003")
    preview = render("postgresql", start=("0001",), lock_timeout_ms=5000)
    report = lint(revisions, preview, LintOptions("postgresql", history=replay_history()))
    assert report.verdict == "PASS"
    fk = [f for f in report.findings if f.rule == "MIG-015"]
    assert [(f.revision, f.severity) for f in fk] == [
        ("0003", INFO)
    ]  # user_id is new: validation cannot fail
    # 0002 builds its index on the table it creates: no offline-index warning
    assert not [f for f in report.findings if f.rule == "MIG-012"]


def test_apex_history_on_sql_server_has_no_server_named_constraints_beyond_primary_keys():
    preview = render("mssql", lock_timeout_ms=5000)
    options = LintOptions("mssql", history=replay_history(), start_is_empty=True)
    report = lint(_apex(None, "0003"), preview, options)
    assert report.verdict == "PASS"
    assert {f.severity for f in report.findings if f.rule == "MIG-025"} == {INFO}


def test_sqlite_batch_rebuild_is_reported_as_info(tmp_path):
    import sqlalchemy as sa
    from alembic import command

    from apexops.migrations import preview_sql
    from apexops.migrations._alembic import make_config

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as conn:
        command.upgrade(make_config(connection=conn), "0002")
    try:
        options = LintOptions("sqlite", history=replay_history())
        preview = preview_sql(engine, start=("0002",), lock_timeout_ms=1000)
        report = lint(_apex("0002", "0003"), preview, options)
        assert [(f.key, f.severity, f.object) for f in report.findings if f.rule == "MIG-030"] == [
            ("MIG-030@0003", INFO, "table audit_logs")
        ]
        assert report.verdict == "PASS"
        none = lint(_apex("0001", "0002"), render("sqlite", start=("0001",), target="0002"), options)
        assert "MIG-030" not in {f.rule for f in none.findings}
    finally:
        engine.dispose()


def test_downgrade_calls_out_the_data_it_destroys_and_needs_acknowledgement():
    revisions = list(reversed(_apex("0001", "0003")))
    preview = render("postgresql", "downgrade", start=("0003",), target="0001", lock_timeout_ms=1000)
    options = LintOptions("postgresql", direction="downgrade", history=replay_history())
    report = lint(revisions, preview, replace(options, row_counts={"estimate_risk_factors": 7}))
    destroyed = {f.object: f for f in report.findings if f.rule == "MIG-023"}
    assert set(destroyed) == {
        "table estimate_risk_factors",
        "column users.last_login_at",
        "column audit_logs.user_id",
        "column audit_logs.ip_address",
        "column audit_logs.user_agent",
    }
    assert all(f.severity == ACK for f in destroyed.values())
    assert "7 rows" in destroyed["table estimate_risk_factors"].reason
    # dropping what the upgrade created is MIG-023 (acknowledge), not MIG-001/002 (block)
    assert not [f for f in report.findings if f.rule in ("MIG-001", "MIG-002")]
    assert set(report.needs_acknowledgement) == {"MIG-023@0003", "MIG-023@0002"}
    ok = lint(revisions, preview, replace(options, acknowledge="MIG-023@0003,MIG-023@0002"))
    assert ok.verdict == "PASS"


def test_an_empty_downgrade_blocks_a_downgrade_through_it():
    sd = script_directory(RULES_DIR)
    info = revision_info(sd.get_revision("d022"))
    preview = render(
        "postgresql", "downgrade", start=("d022",), target="d021", script_dir=RULES_DIR, lock_timeout_ms=1000
    )
    report = lint([info], preview, LintOptions("postgresql", direction="downgrade"))
    assert [(f.key, f.severity) for f in report.findings if f.rule == "MIG-022"] == [("MIG-022@d022", BLOCK)]


def test_operations_are_read_by_their_argument_layout_and_what_only_they_carry(tmp_path):
    from apexops.migrations._opscan import scan_revision

    source = tmp_path / "x.py"
    source.write_text(
        "from alembic import op\nimport sqlalchemy as sa\n\n\ndef upgrade():\n"
        '    op.drop_index("ix_a", table_name="account")\n'
        '    op.execute(sa.text("UPDATE account SET x = 1"))\n'
        '    op.create_foreign_key("fk_a", "account", "owner", ["owner_id"], ["id"])\n'
        '    with op.batch_alter_table("orders") as batch:\n'
        '        batch.create_foreign_key("fk_o", "account", ["account_id"], ["id"])\n'
    )
    drop, execute, fk, _batch_alter_table, batch_fk = scan_revision("x", source).upgrade.calls
    assert (drop.name, drop.table, drop.target) == ("drop_index", "account", "ix_a")
    assert execute.raw_sql == "UPDATE account SET x = 1" and drop.raw_sql is None
    assert (fk.table, fk.target, fk.columns) == ("account", "fk_a", ("owner_id",))
    assert (batch_fk.table, batch_fk.batch, batch_fk.columns) == ("orders", True, ("account_id",))
