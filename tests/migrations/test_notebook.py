"""Procedure 20 as operators and CI run it: papermill through `apexops.runner`, against a running sandbox,
on SQLite (the default) and on a real PostgreSQL (pgserver, APEXOPS_SANDBOX_DATABASE_URL).

One sandbox per database for the module; every test starts from the sandbox baseline (the APEX history at
0002) and puts it back afterwards. Fixture histories are the APEX history plus extra revisions.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from executed import notebook_text

from apexops.runner import run_procedure
from apexops.schema import MIGRATIONS_DIR

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook, pytest.mark.slow]

DB = "apex-db-local"


def _revision(rev: str, down: str, upgrade: str, downgrade: str) -> str:
    body = lambda s: textwrap.indent(textwrap.dedent(s).strip(), "    ")  # noqa: E731
    return (
        f'"""{rev}\n\nRevision ID: {rev}\nRevises: {down}\n"""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "{rev}"\ndown_revision = "{down}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        f"def upgrade() -> None:\n{body(upgrade)}\n\n\ndef downgrade() -> None:\n{body(downgrade)}\n"
    )


EXTRA = {
    "blocked": {
        "0004_drop_entity_id.py": _revision(
            "0004",
            "0003",
            'op.drop_column("audit_logs", "entity_id")',
            'op.add_column("audit_logs", sa.Column("entity_id", sa.String(64)))',
        )
    },
    "backfill": {
        "0004_project_region.py": _revision(
            "0004",
            "0003",
            """
        op.add_column("projects", sa.Column("region", sa.String(32), nullable=True))
        op.execute("UPDATE projects SET region = 'unknown' WHERE region IS NULL")""",
            """
        with op.batch_alter_table("projects") as batch:
            batch.drop_column("region")""",
        )
    },
    "branched": {
        "0004a_left.py": _revision(
            "0004a",
            "0003",
            'op.add_column("users", sa.Column("left_col", sa.Integer))',
            'op.drop_column("users", "left_col")',
        ),
        "0004b_right.py": _revision(
            "0004b",
            "0003",
            'op.add_column("users", sa.Column("right_col", sa.Integer))',
            'op.drop_column("users", "right_col")',
        ),
    },
}


@pytest.fixture(scope="module")
def histories(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("nb-histories")
    out = {}
    for name, files in EXTRA.items():
        folder = base / name
        shutil.copytree(MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
        for fname, text in files.items():
            (folder / "versions" / fname).write_text(text)
        out[name] = folder
    return out


def _sandbox(base: Path, database_url: str | None):
    from apexops.sandbox.testing import running_sandbox

    saved = os.environ.get("APEXOPS_SANDBOX_DATABASE_URL")
    if database_url:
        os.environ["APEXOPS_SANDBOX_DATABASE_URL"] = database_url
    try:
        with running_sandbox(base / "home") as (settings, env):
            yield settings, env, base / "outputs"
    finally:
        if saved is None:
            os.environ.pop("APEXOPS_SANDBOX_DATABASE_URL", None)
        else:
            os.environ["APEXOPS_SANDBOX_DATABASE_URL"] = saved


@pytest.fixture(scope="module")
def sandbox(request, tmp_path_factory):
    """A running sandbox on SQLite or on PostgreSQL (tests choose with `on_sqlite` / `on_both`)."""
    base = tmp_path_factory.mktemp(f"nb-{request.param}")
    url = None
    if request.param == "postgresql":
        server = request.getfixturevalue("pg_server")
        admin = sa.create_engine(
            server.replace("postgresql://", "postgresql+psycopg2://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE sandbox_nb")
        admin.dispose()
        url = (
            sa.engine.make_url(server.replace("postgresql://", "postgresql+psycopg2://", 1))
            .set(database="sandbox_nb")
            .render_as_string(hide_password=False)
        )
    yield from _sandbox(base, url)


# The notebook's logic above the database is dialect-independent (and the library tests run every case on
# both databases), so the papermill runs that depend on server behaviour (DDL transactions, locks, sessions)
# run on both, the rest on SQLite only: the notebook budget is ~90 s for all of them.
on_both = pytest.mark.parametrize(
    "sandbox", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
on_sqlite = pytest.mark.parametrize("sandbox", ["sqlite"], indirect=True)
on_postgresql = pytest.mark.parametrize(
    "sandbox", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def db(sandbox):
    """The sandbox database at its baseline (0002), restored after the test whatever the test did to it."""
    from apexops.migrations._alembic import make_config, run_command

    engine = sandbox[1].database.engine()

    def baseline() -> None:
        meta = sa.MetaData()
        meta.reflect(engine)
        meta.drop_all(engine)
        with engine.connect() as conn:
            run_command(make_config(connection=conn), "upgrade", "0002")

    baseline()
    yield engine
    baseline()


def _run(sandbox, **parameters):
    return run_procedure("20-database-migration", env="local", parameters=parameters, outputs=sandbox[2])


def _version(engine) -> list[str]:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return []
        return list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())


def _columns(engine, table) -> set[str]:
    with engine.connect() as conn:
        return {c["name"] for c in sa.inspect(conn).get_columns(table)}


@on_sqlite
def test_dry_run_previews_and_lints_and_changes_nothing(sandbox, db):
    result = _run(sandbox)
    assert result.outcome == "succeeded", result.error
    text = notebook_text(result)
    assert "ALTER TABLE users ADD COLUMN last_login_at" in text  # the preview, inline
    assert "MIG-030" in text or "MIG-015" in text  # the findings table, inline
    assert "SKIPPED (dry run: the database was not changed)" in text and "VERDICT: SKIPPED" in text
    assert result.facts["heads_before"] == ["0002"] and result.facts["heads_after"] == ["0002"]
    assert result.facts["migration_verdict"] == "SKIPPED" and result.facts["lint"]["verdict"] == "PASS"
    assert (result.evidence_dir / "migration-upgrade-preview.sql").is_file()
    assert _version(db) == ["0002"]


@on_both
def test_clean_upgrade(sandbox, db):
    up = _run(sandbox, dry_run=False, approval=f"MIGRATE {DB} TO 0003")
    assert up.outcome == "succeeded", up.error
    assert up.facts["heads_before"] == ["0002"] and up.facts["heads_after"] == ["0003"]
    assert up.facts["execution"]["applied"] == ["0003"] and up.facts["verify"] == "PASS"
    assert up.facts["app_connectivity"] == "PASS"
    assert up.facts["approvals"][0]["phrase"] == f"MIGRATE {DB} TO 0003"
    ledger = up.ledger_line["facts"]  # the facts as the ledger keeps them
    assert ledger["heads_before"] == ["0002"] and ledger["heads_after"] == ["0003"]
    assert ledger["lint"]["findings"] and ledger["acknowledgements"] == []
    assert "running upgrade 0002 -> 0003: Add user audit log columns" in notebook_text(up)
    assert _version(db) == ["0003"]


@on_sqlite
def test_nothing_pending_then_a_downgrade_with_its_own_lint(sandbox, db):
    from apexops.migrations._alembic import make_config, run_command

    with db.connect() as conn:
        run_command(make_config(connection=conn), "upgrade", "head")
    again = _run(sandbox)
    assert again.outcome == "succeeded" and again.facts["migration_verdict"] == "PASS"
    assert "nothing to do: the database is at 0003" in notebook_text(again)

    down = _run(
        sandbox,
        dry_run=False,
        downgrade_to="-1",
        acknowledge="MIG-023@0003",
        approval=f"DOWNGRADE {DB} TO 0002",
    )
    assert down.outcome == "succeeded", down.error
    assert down.facts["heads_after"] == ["0002"] and down.facts["acknowledgements"] == ["MIG-023@0003"]
    assert "column users.last_login_at" in down.facts["data_at_risk"]
    assert "Data the downgrade destroys" in notebook_text(down)
    assert _version(db) == ["0002"]


@on_sqlite
def test_an_older_target_is_refused_before_the_approval_gate(sandbox, db):
    """Issue 14 #10: it planned an "upgrade" to 0001, asked for and recorded the approval, then failed."""
    result = _run(sandbox, dry_run=False, target="0001", approval=f"MIGRATE {DB} TO 0001")
    assert result.outcome == "failed" and result.exit_code == 1
    assert result.error.startswith(
        "MigrationError: database migration failed: target 0001 is older than the database's current "
        "revision 0002: a downgrade is downgrade_to=0001 (with its own lint and backup reference)"
    )
    assert "approvals" not in result.facts and "approved by" not in notebook_text(result)
    assert _version(db) == ["0002"]


@on_both
def test_a_blocked_finding_stops_before_any_sql(sandbox, db, histories):
    before = _columns(db, "audit_logs")
    result = _run(
        sandbox, dry_run=False, migrations_dir=str(histories["blocked"]), approval=f"MIGRATE {DB} TO 0004"
    )
    assert result.outcome == "failed"
    assert "MIG-002@0004" in result.facts["lint"]["blocking"]
    assert any("BLOCKED, nothing was run" in line for line in notebook_text(result).splitlines())
    assert _version(db) == ["0002"] and _columns(db, "audit_logs") == before  # not even 0003 ran


@on_sqlite
def test_an_acknowledged_warning_proceeds(sandbox, db, histories):
    common = {
        "dry_run": False,
        "migrations_dir": str(histories["backfill"]),
        "approval": f"MIGRATE {DB} TO 0004",
    }
    refused = _run(sandbox, **common)
    assert refused.outcome == "failed" and refused.facts["lint"]["blocking"] == ["MIG-018@0004"]
    assert 'acknowledge="MIG-018@0004"' in notebook_text(refused)
    assert _version(db) == ["0002"]

    result = _run(sandbox, acknowledge="MIG-018@0004", **common)
    assert result.outcome == "succeeded", result.error
    assert result.facts["acknowledgements"] == ["MIG-018@0004"] and result.facts["heads_after"] == ["0004"]
    assert "region" in _columns(db, "projects")


@on_sqlite
def test_multiple_heads_block(sandbox, db, histories):
    result = _run(sandbox, migrations_dir=str(histories["branched"]))
    assert result.outcome == "failed" and "MIG-024" in " ".join(result.facts["lint"]["blocking"])
    assert "alembic merge heads" in notebook_text(result)
    assert _version(db) == ["0002"]


@on_sqlite
def test_missing_version_table_is_flagged_then_stamped_behind_the_gate(sandbox, db):
    with db.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")
    flagged = _run(sandbox)
    assert flagged.outcome == "failed"
    assert "matches revision 0002" in notebook_text(flagged) and _version(db) == []

    stamped = _run(sandbox, dry_run=False, allow_stamp=True, approval=f"STAMP {DB} AS 0002")
    assert stamped.outcome == "succeeded", stamped.error
    assert stamped.facts["stamped"] == "0002" and stamped.facts["heads_after"] == ["0002"]
    assert _version(db) == ["0002"]


@on_both
def test_partial_application_is_detected(sandbox, db):
    with db.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE audit_logs ADD COLUMN ip_address VARCHAR(45)")
    result = _run(sandbox, dry_run=False, approval=f"MIGRATE {DB} TO 0003")
    assert result.outcome == "failed"
    assert result.facts["partially_applied"] is True and result.facts["verify"] == "FAIL"
    text = notebook_text(result)
    assert "objects of 0003 exist" in text and "partly applied" in text
    assert _version(db) == ["0002"] and "user_id" not in _columns(db, "audit_logs")


@on_postgresql
def test_a_lock_held_by_another_session_fails_fast_and_the_blocker_is_shown_then_ended(sandbox, db):
    blocker = db.connect()
    try:
        pid = blocker.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        blocker.exec_driver_sql("SELECT count(*) FROM audit_logs").scalar_one()  # idle in transaction
        failed = _run(sandbox, dry_run=False, approval=f"MIGRATE {DB} TO 0003", lock_timeout_ms=500)
        assert failed.outcome == "failed"
        assert failed.facts["execution"]["failure"] == "lock_timeout" and failed.facts["heads_after"] == [
            "0002"
        ]
        text = notebook_text(failed)
        assert "lock timeout in 0003" in text and "idle in transaction" in text and str(pid) in text

        killed = _run(sandbox, dry_run=False, kill_session=pid, approval=f"KILL SESSION {pid} ON {DB}")
        assert killed.outcome == "succeeded", killed.error
        assert killed.facts["killed_session"] == {"id": pid, "terminated": True}
        with pytest.raises(sa.exc.DBAPIError):  # the blocker's session is gone
            blocker.exec_driver_sql("SELECT 1")
    finally:
        blocker.invalidate()
        blocker.close()


@on_sqlite
def test_a_vendored_real_world_history_runs_dry_with_its_findings_inline(sandbox, db):
    """Procedure 20 pointed at mlflow's history (tests/migrations/corpora): it loads although half its
    revisions import mlflow (one MIG-031 finding each), previews, and shows the findings in the notebook."""
    corpus = Path(__file__).parent / "corpora" / "mlflow"
    meta = sa.MetaData()
    meta.reflect(db)
    meta.drop_all(db)  # an empty database: the plan is the whole history, from base
    result = _run(sandbox, migrations_dir=str(corpus))
    text = notebook_text(result)
    assert "MIG-031" in text and "imports mlflow" in text  # a revision that does not import: one finding
    assert "MIG-022" in text and "MIG-026" in text  # empty downgrades (warn), data read through the ORM
    assert "SKIPPED (dry run: the database was not changed)" in text
    assert result.facts.get("lint", {}).get("verdict") == "BLOCKED", (result.outcome, result.error)
    assert sa.inspect(db).get_table_names() == []  # dry: nothing was created
