"""Fixtures for the migration tests: fixture histories, SQLite engines, and one real PostgreSQL server.

The PostgreSQL server (pgserver) is started once per session in a temporary folder, each test gets its
own database on it, and the server is stopped at the end; the session check fails if a postgres process
for that data folder survives.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

HISTORIES = Path(__file__).parent / "histories"


@pytest.fixture(scope="session")
def histories() -> Path:
    return HISTORIES


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'apex.db'}")

    @sa.event.listens_for(engine, "connect")
    def _no_fsync(dbapi_connection, _record):  # durability is irrelevant in a test; speed is not
        dbapi_connection.execute("PRAGMA synchronous = OFF")

    yield engine
    engine.dispose()


def _postgres_processes(pgdata: Path) -> list[int]:
    import psutil

    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        try:
            if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or []):
                found.append(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A real PostgreSQL server for the session; yields its base URI (stopped at the end)."""
    pgserver = pytest.importorskip("pgserver")
    # not under pytest's basetemp: as root, pgserver runs postgres as user `pgserver`, which must traverse
    # the folder, and pytest keeps re-tightening its own tmp root to 0700 (other sessions run in parallel)
    base = Path(tempfile.mkdtemp(prefix="apexops-migrations-pg-"))
    pgdata = base / "data"
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        admin = sa.create_engine(_sa_url(server.get_uri()), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:  # a throwaway server: trade durability for speed
            for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
                conn.exec_driver_sql(f"ALTER SYSTEM SET {setting}")
            conn.exec_driver_sql("SELECT pg_reload_conf()")
        admin.dispose()
        yield server.get_uri()
    finally:
        server.cleanup()
        leftover = _postgres_processes(pgdata.resolve())
        shutil.rmtree(base, ignore_errors=True)
        assert not leftover, f"postgres processes outlived the test session: {leftover}"


_ids = itertools.count(1)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty schema on the session server, first on the search path (dropped afterwards).

    A schema per test instead of a database per test: CREATE DATABASE copies a template and costs most of
    a second; a schema is instant and isolates tables and alembic_version just as well.
    """
    name = f"mig_{next(_ids)}"
    admin = sa.create_engine(_sa_url(pg_server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    try:
        yield (
            _sa_url(pg_server)
            + ("&" if "?" in _sa_url(pg_server) else "?")
            + f"options=-csearch_path%3D{name}"
        )
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        admin.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(pg_url)
    yield engine
    engine.dispose()


def _sa_url(uri: str, database: str | None = None) -> str:
    url = sa.engine.make_url(uri.replace("postgresql://", "postgresql+psycopg2://", 1))
    return url.set(database=database or url.database).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> sa.Engine:
    """The same test on SQLite (file) and on a real PostgreSQL database."""
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


def _upgrade_to(engine: sa.Engine, revision: str, script_dir: Path | None = None) -> None:
    """Set a database up at `revision` (test setup, not the code under test's path)."""
    from apexops.migrations._alembic import make_config, run_command

    with engine.connect() as conn:
        run_command(make_config(script_dir, connection=conn), "upgrade", revision)


def _version_rows(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return []
        return list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())


def _columns(engine: sa.Engine, table: str) -> set[str]:
    with engine.connect() as conn:
        return {c["name"] for c in sa.inspect(conn).get_columns(table)}


# helpers as fixtures (with --import-mode=importlib, test modules cannot import conftest)
@pytest.fixture(scope="session")
def upgrade_to():
    return _upgrade_to


@pytest.fixture(scope="session")
def version_rows():
    return _version_rows


@pytest.fixture(scope="session")
def columns():
    return _columns
