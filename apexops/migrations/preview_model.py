"""A migration preview as data: the SQL Alembic emitted, split per revision, and where rendering stopped.

Both ways of producing a preview (offline rendering in `preview.py`, the SQLite rehearsal in `rehearsal.py`)
capture Alembic's output as units (statements, GO separators, `-- Running upgrade a -> b` markers) and hand
them to `build_preview`, so the split per revision is written once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apexops.migrations._alembic import lineage, script_directory
from apexops.scrubbed import write_scrubbed

__all__ = ["Preview", "RevisionSQL", "build_preview", "is_transaction_control", "is_version_statement"]

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
class Preview:
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
        return write_scrubbed(path, self.header + self.sql)

    def rows(self) -> list[dict[str, Any]]:
        rendered = [
            (
                r.revision,
                r.label,
                r.doc,
                len(r.schema_statements),
                " ".join(s.rstrip(";") for s in r.version_statements),
            )
            for r in self.revisions
        ]
        missing = [(rev, "(not rendered)", self.error or "", 0, "") for rev in self.not_rendered]
        keys = ("revision", "step", "description", "statements", "alembic_version")
        return [dict(zip(keys, row, strict=True)) for row in rendered + missing]


def _parse(
    units: Sequence[str], *, direction: str, docs: dict[str, str], separator: str | None
) -> tuple[tuple[str, ...], list[RevisionSQL], list[str]]:
    """Preamble (session settings), each revision's statements (split at Alembic's markers), epilogue."""
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
    sd = script_directory(script_dir)
    return {s.revision: (s.doc or "").strip() for s in sd.walk_revisions()}


def _order(script_dir: Path | str | None, direction: str, start: tuple[str, ...], target: str) -> list[str]:
    sd = script_directory(script_dir)
    if direction == "upgrade":
        return [r.revision for r in lineage(sd, target, start or "base")]
    lower = "base" if target == "base" else target
    return [r.revision for r in reversed(lineage(sd, start[0], lower))] if start else []


def build_preview(
    units: list[str],
    error: BaseException | None,
    *,
    dialect: str,
    direction: str,
    start: tuple[str, ...],
    target: str,
    method: str,
    script_dir: Path | str | None,
    separator: str | None = None,
) -> Preview:
    """The Preview of what Alembic emitted (`units`: statements and markers), and where it stopped if
    rendering failed (`error`): the revision it failed in and the ones never rendered."""
    preamble, revisions, epilogue = _parse(
        units, direction=direction, docs=_docs(script_dir), separator=separator
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
