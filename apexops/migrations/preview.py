"""The exact SQL a migration will run, per revision, in the target's dialect: what the reviewer reads.

Two ways to get it, both keeping statement boundaries exact:

- **offline** (`alembic upgrade <current>:<target> --sql`): for SQL Server/Azure SQL and PostgreSQL. Needs no
  server and no DBAPI, so the T-SQL of production (with its GO batch separators) renders anywhere. It
  starts from the *database's* current revision (a bare `upgrade head --sql` starts at base and shows SQL
  that will never run: sqlalchemy/alembic#935).
- **rehearsal** on a copy: for SQLite, whose batch mode must reflect live tables and therefore cannot
  render offline. The database is copied into memory, the migration runs there for real, and every
  statement it executes is captured. A rehearsal that fails is a finding in itself.

A rendering error (a migration reading data, an operation the dialect cannot express) is kept as data,
with the revision it happened in, because the review is blind from that point on.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from apexops.errors import MigrationError
from apexops.migrations._alembic import RecordingBuffer, make_config, run_command
from apexops.migrations.preview_model import Preview, RevisionSQL, build_preview, is_transaction_control
from apexops.migrations.rehearsal import rehearse

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["Preview", "RevisionSQL", "is_transaction_control", "preview_sql", "render"]


def render(
    dialect: str,
    direction: str = "upgrade",
    *,
    start: Sequence[str] = (),
    target: str = "head",
    script_dir: Path | str | None = None,
    lock_timeout_ms: int | None = None,
) -> Preview:
    """Offline T-SQL / PostgreSQL / SQLite rendering of `start:target` (a downgrade's target may be 'base'),
    with no server (pure). An upgrade may start from several revisions (the branches a merge joins)."""
    start = tuple(start)
    if len(start) > 1 and direction == "downgrade":
        raise MigrationError(
            f"the database is at several revisions ({', '.join(start)}); a downgrade preview needs one "
            "starting point.",
            hint="downgrade one branch at a time (downgrade_to a revision of that branch).",
        )
    if direction == "downgrade" and not start:
        raise MigrationError("nothing to downgrade: the database is at base.")
    buf = RecordingBuffer()
    cfg = make_config(script_dir, dialect_name=dialect, output_buffer=buf, lock_timeout_ms=lock_timeout_ms)
    error: BaseException | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # several starting revisions (branches a merge joins): Alembic renders from all of them
            run_command(cfg, direction, f"{','.join(start)}:{target}" if start else target, sql=True)
        except Exception as exc:  # rendering failed: kept as data, the lint turns it into a finding
            error = exc
    preview = build_preview(
        buf.units,
        error,
        dialect=dialect,
        direction=direction,
        start=start,
        target=target,
        method="offline",
        script_dir=script_dir,
        separator="GO" if dialect == "mssql" else None,
    )
    notes = tuple(dict.fromkeys(str(w.message) for w in caught))
    return replace(preview, warnings=notes) if notes else preview


def preview_sql(
    engine: Engine,
    direction: str = "upgrade",
    *,
    start: Sequence[str],
    target: str = "head",
    script_dir: Path | str | None = None,
    lock_timeout_ms: int | None = None,
) -> Preview:
    """The SQL an upgrade or downgrade of this database would run: offline for servers, a rehearsal for
    SQLite."""
    if engine.dialect.name == "sqlite":
        return rehearse(engine, direction, tuple(start), target, script_dir, lock_timeout_ms)
    return render(
        engine.dialect.name,
        direction,
        start=start,
        target=target,
        script_dir=script_dir,
        lock_timeout_ms=lock_timeout_ms,
    )
