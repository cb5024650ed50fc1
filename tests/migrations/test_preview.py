"""The SQL preview: the APEX history rendered as T-SQL without a server, per revision, and the others."""

from __future__ import annotations

import re

import sqlalchemy as sa

from apexops.migrations import preview_sql, render
from apexops.migrations._alembic import make_config, run_command


def test_tsql_preview_of_the_apex_history_renders_without_a_server():
    preview = render("mssql", start=(), lock_timeout_ms=5000)
    assert preview.ok and preview.method == "offline" and preview.dialect == "mssql"
    # the session settings execution applies come first, then the transaction and the version table
    assert preview.preamble[:3] == ("SET LOCK_TIMEOUT 5000;", "SET XACT_ABORT ON;", "BEGIN TRANSACTION;")
    assert preview.preamble[3].startswith("CREATE TABLE alembic_version")
    assert preview.epilogue == ("COMMIT;",)
    assert [r.revision for r in preview.revisions] == ["0001", "0002", "0003"]
    assert [r.label for r in preview.revisions] == ["base -> 0001", "0001 -> 0002", "0002 -> 0003"]
    assert [r.doc for r in preview.revisions] == [
        "Initial schema",
        "Add estimate risk factors table",
        "Add user audit log columns",
    ]

    # every statement is its own batch (a GO line after it), except BEGIN TRANSACTION, which opens the
    # transaction the batches share (Alembic's MSSQLImpl.emit_begin)
    statements = (
        len(preview.preamble) + sum(len(r.statements) for r in preview.revisions) + len(preview.epilogue)
    )
    assert len(re.findall(r"^GO$", preview.sql, re.M)) == statements - 1
    assert "BEGIN TRANSACTION;\n\nCREATE TABLE alembic_version" in preview.sql
    assert "GO" in preview.revisions[1].sql.splitlines()

    # per-revision attribution, in T-SQL
    r1, r2, r3 = preview.revisions
    assert len([s for s in r1.schema_statements if s.startswith("CREATE TABLE")]) == 11
    assert any("IDENTITY" in s for s in r1.schema_statements)
    assert r2.schema_statements[0].startswith("CREATE TABLE estimate_risk_factors")
    assert r2.schema_statements[1] == (
        "CREATE INDEX ix_estimate_risk_factors_estimate_id ON estimate_risk_factors (estimate_id);"
    )
    assert "ALTER TABLE audit_logs ADD user_id INTEGER NULL;" in r3.schema_statements
    assert "ALTER TABLE users ADD last_login_at DATETIMEOFFSET NULL;" in r3.schema_statements
    assert not any("estimate_risk_factors" in s for s in r3.statements)

    # alembic_version moves once per revision, from the previous one
    assert r1.version_statements == (
        "INSERT INTO alembic_version (version_num) OUTPUT inserted.version_num VALUES ('0001');",
    )
    assert r2.version_statements == (
        "UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';",
    )
    assert r3.version_statements == (
        "UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';",
    )


def test_preview_starts_at_the_current_revision_not_at_base():
    preview = render("mssql", start=("0002",), lock_timeout_ms=5000)
    assert [r.revision for r in preview.revisions] == ["0003"]
    assert "CREATE TABLE" not in preview.sql  # no alembic_version creation, no earlier tables
    assert preview.rows() == [
        {
            "revision": "0003",
            "step": "0002 -> 0003",
            "description": "Add user audit log columns",
            "statements": 5,
            "alembic_version": "UPDATE alembic_version SET version_num='0003' "
            "WHERE alembic_version.version_num = '0002'",
        }
    ]


def test_tsql_downgrade_preview_names_the_revision_undone():
    preview = render("mssql", "downgrade", start=("0003",), target="0002")
    (undo,) = preview.revisions
    assert undo.revision == "0003" and undo.label == "0003 -> 0002" and undo.direction == "downgrade"
    assert "ALTER TABLE users DROP COLUMN last_login_at;" in undo.schema_statements
    assert undo.version_statements == (
        "UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0003';",
    )


def test_postgresql_preview_sets_the_lock_timeout_before_the_transaction():
    preview = render("postgresql", start=("0001",), lock_timeout_ms=2500)
    assert preview.preamble == ("SET lock_timeout = '2500ms';", "BEGIN;")
    assert preview.separator is None and "GO" not in preview.sql
    assert preview.session_statements == ("SET lock_timeout = '2500ms';",)


def test_a_migration_that_reads_data_is_reported_with_the_revision_it_broke_in(histories):
    preview = render("postgresql", start=("d025",), target="d026", script_dir=histories / "rules")
    assert not preview.ok and preview.failed_revision == "d026"
    assert "fetchall" in preview.error


def test_sqlite_preview_is_a_rehearsal_on_a_copy_and_leaves_the_database_alone(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'apex.db'}")
    try:
        with engine.connect() as conn:
            run_command(make_config(connection=conn), "upgrade", "0002")
        preview = preview_sql(engine, start=("0002",), lock_timeout_ms=1500)
        assert preview.ok and preview.method == "rehearsal"
        assert preview.session_statements == ("PRAGMA busy_timeout = 1500;",)
        (r3,) = preview.revisions
        assert r3.schema_statements[0].startswith(
            "CREATE TABLE _alembic_tmp_audit_logs"
        )  # batch move-and-copy
        assert "ALTER TABLE users ADD COLUMN last_login_at DATETIME;" in r3.schema_statements
        assert r3.version_statements == (
            "UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';",
        )
        with engine.connect() as conn:  # the real database did not move
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == ["0002"]
            assert "user_id" not in {c["name"] for c in sa.inspect(conn).get_columns("audit_logs")}
        down = preview_sql(engine, "downgrade", start=("0002",), target="0001")
        assert [r.label for r in down.revisions] == ["0002 -> 0001"]
        assert "DROP TABLE estimate_risk_factors;" in down.revisions[0].schema_statements
    finally:
        engine.dispose()


def test_preview_is_saved_with_a_header_saying_what_it_is(tmp_path):
    preview = render("mssql", start=("0002",), lock_timeout_ms=5000)
    path = preview.write(tmp_path / "evidence")
    text = path.read_text()
    assert path.name == "migration-upgrade-preview.sql"
    assert text.startswith(
        "-- apexops migration preview: upgrade 0002 -> head\n-- dialect: mssql; method: offline"
    )
    assert "ALTER TABLE users ADD last_login_at DATETIMEOFFSET NULL;" in text
