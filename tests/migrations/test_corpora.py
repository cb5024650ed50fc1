"""The linter on real Alembic histories (tests/migrations/corpora: mlflow, Apache Airflow, Apache Superset).

Each rule fixed for issue 16 has a revision that triggers it and one that must stay quiet, both taken from
the vendored histories. Most run at the operation level (no preview, the mode that needs nothing but the
source); where the SQL matters the revision is rendered offline, as a plan renders its pending revisions.
The scores over every revision are printed by benchmarks/migration_corpus.py, not asserted here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from apexops.migrations import LintOptions, lint, render
from apexops.migrations._alembic import revision_info, script_directory
from apexops.migrations._opscan import _Source, scan_revision
from apexops.migrations.checks_locking import same_type

CORPORA = Path(__file__).parent / "corpora"
BLOCK, ACK, WARN, INFO = "block", "acknowledge", "warn", "info"


def _info(corpus: str, rev: str):
    return revision_info(script_directory(CORPORA / corpus).get_revision(rev))


def lint_rev(
    corpus: str, rev: str, direction: str = "upgrade", dialect: str = "postgresql", sql: bool = False
):
    info = _info(corpus, rev)
    preview = None
    if sql and direction == "upgrade":
        preview = render(dialect, start=info.down_revisions, target=rev, script_dir=CORPORA / corpus,
                         lock_timeout_ms=5000)  # fmt: skip
    elif sql:
        down = info.down_revisions[0] if info.down_revisions else "base"
        preview = render(dialect, "downgrade", start=(rev,), target=down, script_dir=CORPORA / corpus,
                         lock_timeout_ms=5000)  # fmt: skip
    return lint([info], preview, LintOptions(dialect, direction=direction, target=rev))


def hits(report, rule: str, obj: str = ""):
    return [f for f in report.findings if f.rule == rule and obj in f.object]


# --------------------------------------------------------------------------- (1) load any history


@pytest.mark.parametrize("corpus", ["mlflow", "airflow", "superset"])
def test_every_history_loads_although_some_revisions_import_their_application(corpus):
    sd = script_directory(CORPORA / corpus)
    infos = [revision_info(s) for s in sd.walk_revisions()]
    assert len(sd.get_heads()) == 1 and len(infos) > 20
    broken = [i for i in infos if i.load_error]
    assert broken and len(broken) < len(infos)
    assert all(
        "is not installed here" in i.load_error or "cannot be imported" in i.load_error for i in broken
    )


def test_an_unimportable_revision_is_one_finding_naming_the_module_and_the_fix():
    report = lint_rev("airflow", "e655c0453f75")  # imports airflow.utils.sqlalchemy
    (finding,) = hits(report, "MIG-031")
    assert finding.severity == BLOCK and "airflow.utils" in finding.reason
    assert "APEXOPS_MIGRATIONS_PATH" in finding.reason and "stubs" in finding.reason
    # its operations are still read from the source
    assert hits(report, "MIG-014", "task_instance_pkey")


def test_a_stub_on_the_history_s_import_path_makes_a_revision_load():
    # 0a2a5b66e19d imports airflow.migrations.db_types, provided by corpora/airflow/stubs
    assert _info("airflow", "0a2a5b66e19d").load_error == ""
    assert not hits(lint_rev("airflow", "0a2a5b66e19d"), "MIG-031")


def test_a_merge_revision_previews_from_all_the_branches_it_joins():
    info = _info("airflow", "08364691d074")
    assert len(info.down_revisions) == 4
    preview = render("postgresql", start=info.down_revisions, target=info.revision,
                     script_dir=CORPORA / "airflow", lock_timeout_ms=5000)  # fmt: skip
    assert preview.error is None and [r.revision for r in preview.revisions] == ["08364691d074"]


# --------------------------------------------------------------------------- (2) operation scanning


def test_op_f_names_are_unwrapped_for_index_rules():
    created = hits(lint_rev("superset", "f18570e03440", sql=True), "MIG-012")
    assert [f.object for f in created] == ["index query.ix_query_results_key"]
    assert created[0].source == "op+sql"
    # the downgrade drops exactly the op.f index the upgrade created: an undo, not an offline drop
    assert not hits(lint_rev("superset", "f18570e03440", "downgrade", sql=True), "MIG-013")
    # a drop of an index this revision did not create is reported
    assert hits(lint_rev("airflow", "bff083ad727d"), "MIG-013", "idx_last_scheduling_decision")


def test_keyword_arguments_name_the_table_and_column():
    # op.alter_column(table_name="serialized_dag", column_name="fileloc_hash", type_=sa.BigInteger(), ...)
    assert hits(lint_rev("airflow", "952da73b5eff"), "MIG-011", "serialized_dag.fileloc_hash")
    # the same call shape under `if conn.dialect.name == "mysql":` does not run on PostgreSQL
    assert not hits(lint_rev("airflow", "4addfa1236f1"), "MIG-011")
    assert hits(lint_rev("airflow", "4addfa1236f1", dialect="mysql"), "MIG-011", "dag.last_pickled")


def test_module_level_helpers_are_followed_with_their_literal_arguments():
    # recreate_mssql_ts_column(conn, op, "dag_code", "last_updated") drops and re-adds it (SQL Server only)
    dropped = hits(lint_rev("airflow", "83f031fd9f1c", dialect="mssql"), "MIG-002")
    assert {f.object for f in dropped} >= {"column dag_code.last_updated"}
    assert not hits(lint_rev("airflow", "83f031fd9f1c"), "MIG-002")  # `!= "mssql": return` on PostgreSQL
    # tables created by helpers are known, so the downgrade dropping them is an undo (MIG-023), not MIG-001
    down = lint_rev("airflow", "0038cd0c28b4", "downgrade")
    assert hits(down, "MIG-023", "dataset") and not hits(down, "MIG-001")


def test_loops_over_literal_lists_are_unrolled():
    report = lint_rev(
        "mlflow", "bd07f7e963c5"
    )  # for table in [...]: op.create_index(f"index_{table}_run_uuid", table, ...)
    assert {f.object for f in hits(report, "MIG-012")} == {
        f"index {t}.index_{t}_run_uuid" for t in ("params", "metrics", "latest_metrics", "tags")
    }


def test_a_drop_before_a_create_of_the_same_table_is_a_drop():
    # SQL Server only: drop_table(rendered_task_instance_fields) then create_table(...) again
    (finding,) = hits(lint_rev("airflow", "52d53670a240", dialect="mssql"), "MIG-001")
    assert finding.severity == BLOCK and finding.object == "table rendered_task_instance_fields"
    assert not hits(lint_rev("airflow", "52d53670a240"), "MIG-001")  # nothing runs on PostgreSQL


def test_an_early_return_under_a_dialect_test_guards_the_rest_of_the_function():
    # `if conn.dialect.name in ("sqlite", "mssql"): return`, then the TIMESTAMP WITH TIME ZONE changes
    assert hits(lint_rev("airflow", "0e2a74e0fc9f"), "MIG-011", "chart.last_modified")
    assert not hits(lint_rev("airflow", "0e2a74e0fc9f", dialect="mssql"), "MIG-011")


def test_source_segments_from_positions_computed_once_match_the_standard_library():
    path = next((CORPORA / "airflow" / "versions").glob("0093_*.py"))
    text = path.read_text()
    src = _Source(text)
    calls = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Call)]
    assert len(calls) > 100
    assert all(src.segment(n) == ast.get_source_segment(text, n) for n in calls)
    assert scan_revision("7b2661a43ba3", path) is scan_revision("7b2661a43ba3", path)  # read once


# --------------------------------------------------------------------------- (3) rules and severities


def test_an_unnamed_constraint_drop_is_reported():
    (finding,) = hits(lint_rev("superset", "1a48a5411020", "downgrade"), "MIG-016")
    assert finding.object == "constraint dashboards.?" and "without naming it" in finding.reason
    # a named constraint the upgrade created (unique_conn_id) is an undo
    assert not hits(lint_rev("airflow", "8d48763f6d53", "downgrade"), "MIG-016")


def test_an_empty_downgrade_warns_and_blocks_only_a_downgrade_through_it():
    up = lint_rev("mlflow", "0c779009ac13")
    assert [f.severity for f in hits(up, "MIG-022")] == [WARN] and up.verdict == "PASS"
    down = lint_rev("mlflow", "0c779009ac13", "downgrade")
    assert [f.severity for f in hits(down, "MIG-022")] == [BLOCK]


def test_merge_and_no_op_revisions_are_quiet():
    for corpus, rev in (
        ("airflow", "05f30312d566"),
        ("airflow", "13eb55f81627"),
        ("superset", "d2424a248d63"),
    ):
        for direction in ("upgrade", "downgrade"):
            assert not hits(lint_rev(corpus, rev, direction), "MIG-022"), (rev, direction)


def test_a_downgrade_that_only_raises_is_irreversible(tmp_path):
    """No revision of the three corpora raises in downgrade(); this one is written like issue 16's case."""
    (tmp_path / "versions").mkdir()
    (tmp_path / "env.py").write_text("from apexops.migrations.alembic_env import run\n\nrun(None)\n")
    (tmp_path / "versions" / "r1.py").write_text(
        'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "r1"\ndown_revision = None\n\n\n'
        'def upgrade():\n    op.drop_column("runs", "legacy")\n\n\n'
        'def downgrade():\n    """Irreversible."""\n    raise RuntimeError("cannot restore legacy")\n'
    )
    info = revision_info(script_directory(tmp_path).get_revision("r1"))
    (finding,) = hits(lint([info], None, LintOptions("postgresql")), "MIG-022")
    assert "raises RuntimeError" in finding.reason and finding.severity == WARN
    assert not hits(lint_rev("airflow", "338e90f54d61"), "MIG-022")  # a downgrade that drops its columns


def test_taking_the_bind_is_not_reading_data_but_reading_rows_is():
    assert not hits(lint_rev("airflow", "1fd565369930"), "MIG-026")  # conn = op.get_bind(), nothing read
    (read,) = hits(lint_rev("mlflow", "90e64c465722"), "MIG-026")  # session.query(SqlRun).all()
    assert read.severity == BLOCK  # no preview shows what runs
    # a read only on other dialects (JSON probe `if dialect != "postgresql"`) is not one on PostgreSQL
    assert not hits(lint_rev("airflow", "d38e04c12aa2"), "MIG-026")
    assert hits(lint_rev("airflow", "d38e04c12aa2", dialect="mssql"), "MIG-026")


def test_a_drop_and_add_with_a_different_type_is_a_rework_not_a_rename():
    # datasources: cluster_name VARCHAR dropped, cluster_id INTEGER added (the downgrade restores the VARCHAR)
    report = lint_rev("superset", "e96dbf2cfef0")
    assert not hits(report, "MIG-006") and hits(report, "MIG-002", "datasources.cluster_name")


def test_sql_server_types_are_compared_by_meaning():
    assert same_type("sa.String()", "VARCHAR(max)") and same_type("sa.Text()", "VARCHAR(max)")
    assert same_type("sa.VARCHAR(length=500)", "VARCHAR(500)") and same_type("sa.Boolean()", "BIT")
    assert not same_type("sa.String(500)", "VARCHAR(5000)") and not same_type(
        "sa.DateTime()", "DATETIMEOFFSET"
    )
    # nullability-only change: SQL Server restates VARCHAR(500); not a type change
    assert not hits(lint_rev("airflow", "8f966b9c467a", dialect="mssql", sql=True), "MIG-011")
    # a real shrink on SQL Server still blocks
    shrink = hits(lint_rev("airflow", "fe461863935f", "downgrade", dialect="mssql", sql=True), "MIG-011")
    assert [f.severity for f in shrink] == [BLOCK]


def test_a_foreign_key_on_a_column_added_in_the_same_revision_is_information():
    (new,) = hits(lint_rev("airflow", "54bebd308c5f"), "MIG-015")
    assert new.severity == INFO  # trigger_id is new: validation cannot fail
    rebuilt = hits(lint_rev("airflow", "939bb1e647c8"), "MIG-015")
    assert [f.severity for f in rebuilt] == [ACK]  # existing columns: the scan can fail and blocks writes


def test_server_named_constraints_are_reported_from_the_operations_on_sql_server():
    # dag_run's UniqueConstraint("dag_id", "execution_date") without a name
    assert hits(lint_rev("airflow", "1b38cef5b76e", dialect="mssql"), "MIG-025", "dag_run")
    assert not hits(lint_rev("airflow", "1b38cef5b76e"), "MIG-025")  # PostgreSQL names them itself
