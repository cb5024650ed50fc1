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

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.errors import MigrationError
from apexops.migrations._alembic import RecordingBuffer, make_config, run_command
from apexops.migrations._tabular import Tabular

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = [
    "Preview",
    "RevisionSQL",
    "preview_downgrade",
    "preview_upgrade",
    "render_downgrade",
    "render_upgrade",
]

_MARKER = re.compile(r"^-- Running (upgrade|downgrade) (.*?) ->\s*(.*)$")
_TXN = re.compile(r"^(BEGIN( TRANSACTION)?|COMMIT|ROLLBACK)\s*;?$", re.I)


def is_transaction_control(statement: str) -> bool:
    return bool(_TXN.match(statement.strip()))


def is_version_statement(statement: str) -> bool:
    return "alembic_version" in statement.lower()


@dataclass(frozen=True)
class RevisionSQL:
    """The statements one revision runs, and how it moves alembic_version."""

    revision: str
    #: upgrade: the revisions it starts from; downgrade: the revisions it lands on
    other_revisions: tuple[str, ...]
    direction: str
    doc: str
    statements: tuple[str, ...]
    separator: str | None = None

    @property
    def schema_statements(self) -> tuple[str, ...]:
        """The revision's own statements: no version bookkeeping, no transaction control."""
        return tuple(
            s for s in self.statements if not is_version_statement(s) and not is_transaction_control(s)
        )

    @property
    def version_statements(self) -> tuple[str, ...]:
        return tuple(s for s in self.statements if is_version_statement(s))

    @property
    def sql(self) -> str:
        return _join(self.statements, self.separator)

    @property
    def label(self) -> str:
        other = ", ".join(self.other_revisions) or "base"
        return f"{other} -> {self.revision}" if self.direction == "upgrade" else f"{self.revision} -> {other}"


def _join(statements: Sequence[str], separator: str | None) -> str:
    glue = f"\n{separator}\n\n" if separator else "\n\n"
    return glue.join(statements) + (
        f"\n{separator}\n" if separator and statements else "\n" if statements else ""
    )


@dataclass(frozen=True)
class Preview(Tabular):
    """The SQL of a planned upgrade or downgrade, split per revision."""

    dialect: str
    direction: str
    start: tuple[str, ...]
    target: str
    method: str  # offline | rehearsal
    sql: str
    preamble: tuple[str, ...]
    revisions: tuple[RevisionSQL, ...]
    epilogue: tuple[str, ...]
    separator: str | None = None
    error: str | None = None
    failed_revision: str | None = None
    not_rendered: tuple[str, ...] = field(default_factory=tuple)
    #: warnings Alembic raised while rendering (e.g. SQL Server implicit NULL conversion)
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def session_statements(self) -> tuple[str, ...]:
        """Session settings emitted before the first revision (the lock timeout)."""
        return tuple(s for s in self.preamble if re.match(r"\s*(SET|PRAGMA)\b", s, re.I))

    def for_revision(self, revision: str) -> RevisionSQL | None:
        return next((r for r in self.revisions if r.revision == revision), None)

    @property
    def header(self) -> str:
        start = ", ".join(self.start) or "base"
        lines = [
            f"-- apexops migration preview: {self.direction} {start} -> {self.target}",
            f"-- dialect: {self.dialect}; method: {self.method}",
        ]
        if self.error:
            lines.append(f"-- INCOMPLETE: rendering failed in {self.failed_revision}: {self.error}")
        return "\n".join(lines) + "\n\n"

    def write(self, folder: Path, name: str | None = None) -> Path:
        """Save the full preview (with a header saying what it is) into the evidence folder."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name or f'migration-{self.direction}-preview'}.sql"
        path.write_text(self.header + self.sql)
        return path

    def rows(self) -> list[dict[str, Any]]:
        out = [
            {
                "revision": r.revision,
                "step": r.label,
                "description": r.doc,
                "statements": len(r.schema_statements),
                "alembic_version": " ".join(s.rstrip(";") for s in r.version_statements),
            }
            for r in self.revisions
        ]
        out += [
            {
                "revision": rev,
                "step": "(not rendered)",
                "description": self.error or "",
                "statements": 0,
                "alembic_version": "",
            }
            for rev in self.not_rendered
        ]
        return out


def _parse(
    units: Sequence[str],
    *,
    dialect: str,
    direction: str,
    start: tuple[str, ...],
    target: str,
    method: str,
    docs: dict[str, str],
    separator: str | None,
) -> tuple[tuple[str, ...], list[RevisionSQL], list[str]]:
    preamble: list[str] = []
    sections: list[tuple[str, tuple[str, ...], list[str]]] = []
    for unit in units:
        text = unit.strip()
        if not text or (separator and text == separator):
            continue
        marker = _MARKER.match(text)
        if marker:
            _, src, dst = marker.groups()
            srcs = tuple(s.strip() for s in src.split(",") if s.strip())
            dsts = tuple(s.strip() for s in dst.split(",") if s.strip())
            # an upgrade announces "0002 -> 0003" (0003 applied); a downgrade "0003 -> 0002" (0003 undone)
            if direction == "upgrade":
                sections.append((dsts[0] if dsts else "", srcs, []))
            else:
                sections.append((srcs[0] if srcs else "", dsts, []))
            continue
        (sections[-1][2] if sections else preamble).append(text)
    epilogue: list[str] = []
    if sections:
        tail = sections[-1][2]
        while tail and is_transaction_control(tail[-1]):
            epilogue.insert(0, tail.pop())
    revisions = [
        RevisionSQL(rev, srcs, direction, docs.get(rev, ""), tuple(stmts), separator)
        for rev, srcs, stmts in sections
    ]
    return tuple(preamble), revisions, epilogue


def _docs(script_dir: Path | str | None) -> dict[str, str]:
    from apexops.migrations._alembic import script_directory

    sd = script_directory(script_dir)
    return {s.revision: (s.doc or "").strip() for s in sd.walk_revisions()}


def _order(script_dir: Path | str | None, direction: str, start: tuple[str, ...], target: str) -> list[str]:
    from apexops.migrations._alembic import lineage, script_directory

    sd = script_directory(script_dir)
    if direction == "upgrade":
        return [r.revision for r in lineage(sd, target, start or "base")]
    lower = "base" if target == "base" else target
    return [r.revision for r in reversed(lineage(sd, start[0], lower))] if start else []


def _build(
    units: list[str],
    error: BaseException | None,
    *,
    dialect: str,
    direction: str,
    start: tuple[str, ...],
    target: str,
    method: str,
    script_dir: Path | str | None,
    separator: str | None,
) -> Preview:
    docs = _docs(script_dir)
    preamble, revisions, epilogue = _parse(
        units,
        dialect=dialect,
        direction=direction,
        start=start,
        target=target,
        method=method,
        docs=docs,
        separator=separator,
    )
    message = failed = None
    not_rendered: tuple[str, ...] = ()
    if error is not None:
        message = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:300] if str(error) else ''}"
        order = _order(script_dir, direction, start, target)
        seen = [r.revision for r in revisions]
        failed = seen[-1] if seen else (order[0] if order else None)
        not_rendered = tuple(r for r in order if r not in seen)
    sql = "".join(u if u.endswith("\n\n") else u + "\n\n" for u in units)
    return Preview(
        dialect,
        direction,
        start,
        target,
        method,
        sql,
        preamble,
        tuple(revisions),
        tuple(epilogue),
        separator,
        message,
        failed,
        not_rendered,
    )


def _offline(
    dialect: str,
    direction: str,
    start: Sequence[str],
    target: str,
    script_dir: Path | str | None,
    lock_timeout_ms: int | None,
) -> Preview:
    start = tuple(start)
    if len(start) > 1:
        raise MigrationError(
            f"the database is at several revisions ({', '.join(start)}); a preview needs one starting point.",
            hint="merge the branches (alembic merge) before planning a migration.",
        )
    buf = RecordingBuffer()
    cfg = make_config(script_dir, dialect_name=dialect, output_buffer=buf, lock_timeout_ms=lock_timeout_ms)
    error: BaseException | None = None
    if direction == "downgrade" and not start:
        raise MigrationError("nothing to downgrade: the database is at base.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if direction == "upgrade":
                run_command(cfg, "upgrade", f"{start[0]}:{target}" if start else target, sql=True)
            else:
                run_command(cfg, "downgrade", f"{start[0]}:{target}", sql=True)
        except Exception as exc:  # rendering failed: kept as data, the lint turns it into a finding
            error = exc
    separator = "GO" if dialect == "mssql" else None
    preview = _build(
        buf.units,
        error,
        dialect=dialect,
        direction=direction,
        start=start,
        target=target,
        method="offline",
        script_dir=script_dir,
        separator=separator,
    )
    notes = tuple(dict.fromkeys(str(w.message) for w in caught))
    return replace(preview, warnings=notes) if notes else preview


def render_upgrade(
    dialect: str,
    *,
    start: Sequence[str] = (),
    target: str = "head",
    script_dir: Path | str | None = None,
    lock_timeout_ms: int | None = None,
) -> Preview:
    """Offline T-SQL / PostgreSQL / SQLite rendering of `start:target`, with no server (pure)."""
    return _offline(dialect, "upgrade", start, target, script_dir, lock_timeout_ms)


def render_downgrade(
    dialect: str,
    *,
    start: Sequence[str],
    target: str,
    script_dir: Path | str | None = None,
    lock_timeout_ms: int | None = None,
) -> Preview:
    """Offline rendering of a downgrade from `start` to `target` (a revision or 'base')."""
    return _offline(dialect, "downgrade", start, target, script_dir, lock_timeout_ms)


def preview_upgrade(
    engine: Engine,
    *,
    start: Sequence[str],
    target: str = "head",
    script_dir: Path | str | None = None,
    lock_timeout_ms: int | None = None,
) -> Preview:
    """The SQL an upgrade of this database would run: offline for servers, a rehearsal for SQLite."""
    if engine.dialect.name == "sqlite":
        from apexops.migrations.rehearsal import rehearse

        return rehearse(engine, "upgrade", tuple(start), target, script_dir, lock_timeout_ms)
    return render_upgrade(
        engine.dialect.name,
        start=start,
        target=target,
        script_dir=script_dir,
        lock_timeout_ms=lock_timeout_ms,
    )


def preview_downgrade(
    engine: Engine,
    *,
    start: Sequence[str],
    target: str,
    script_dir: Path | str | None = None,
    lock_timeout_ms: int | None = None,
) -> Preview:
    if engine.dialect.name == "sqlite":
        from apexops.migrations.rehearsal import rehearse

        return rehearse(engine, "downgrade", tuple(start), target, script_dir, lock_timeout_ms)
    return render_downgrade(
        engine.dialect.name,
        start=start,
        target=target,
        script_dir=script_dir,
        lock_timeout_ms=lock_timeout_ms,
    )
