"""The SQLite preview: rehearse the migration on an in-memory copy of the database and capture its SQL.

SQLite cannot be previewed offline (Alembic's batch mode must reflect the live tables to rebuild them), so
the database is copied with SQLite's online backup API into memory, the migration runs there for real, and
every statement it sends is captured between Alembic's "Running upgrade" announcements. The live database is
never touched. A rehearsal that fails is a finding (MIG-029): the same migration would fail for real.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.migrations._alembic import capture_running, make_config, run_command
from apexops.migrations.preview_model import Preview, build_preview

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["rehearse"]

_NOISE = re.compile(
    r"^\s*(PRAGMA\s+(main\.|temp\.)?(table_|index_|foreign_key_)|SELECT\b.*\b(sqlite_master|"
    r"sqlite_temp_master|sqlite_schema)\b|SELECT\s+alembic_version\.version_num\s+FROM\s+alembic_version)",
    re.I | re.S,
)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _inline(statement: str, params: Any) -> str:
    if not params:
        return statement
    if isinstance(params, list | tuple) and params and isinstance(params[0], list | tuple | dict):
        first = _inline(statement, params[0])
        return first + (f" -- x{len(params)} rows" if len(params) > 1 else "")
    if isinstance(params, dict):
        out = statement
        for key, value in params.items():
            out = re.sub(rf":{re.escape(str(key))}\b", _literal(value).replace("\\", "\\\\"), out)
        return out
    values = iter(params)
    return re.sub(r"\?", lambda _m: _literal(next(values, None)), statement)


def rehearse(
    engine: Engine,
    direction: str,
    start: tuple[str, ...],
    target: str,
    script_dir: Path | str | None,
    lock_timeout_ms: int | None,
) -> Preview:
    """Run the migration on an in-memory copy of a SQLite database and capture what it executes."""
    import sqlite3

    import sqlalchemy as sa  # lazy (heavy), as everywhere in this package
    from sqlalchemy.pool import StaticPool

    copy = sqlite3.connect(":memory:", check_same_thread=False)
    raw = engine.raw_connection()
    try:
        raw.driver_connection.backup(copy)
    finally:
        raw.close()
    scratch = sa.create_engine("sqlite://", creator=lambda: copy, poolclass=StaticPool)
    units: list[str] = []

    def on_execute(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if _NOISE.match(statement):
            return
        units.append(_inline(statement.strip().replace("\t", "    "), params).rstrip(";") + ";")

    def on_running(step: Any) -> None:
        units.append(
            f"-- Running {step.direction} {', '.join(step.from_revisions)} -> {', '.join(step.to_revisions)}"
        )

    sa.event.listen(scratch, "before_cursor_execute", on_execute)
    error: BaseException | None = None
    try:
        with scratch.connect() as conn, capture_running(on_running):
            cfg = make_config(script_dir, connection=conn, lock_timeout_ms=lock_timeout_ms)
            run_command(cfg, direction, target)
    except Exception as exc:  # the rehearsal failed on a copy of the real data: a finding, not a crash
        error = exc
    finally:
        scratch.dispose()
        copy.close()
    return build_preview(
        units,
        error,
        dialect="sqlite",
        direction=direction,
        start=start,
        target=target,
        method="rehearsal",
        script_dir=script_dir,
    )
