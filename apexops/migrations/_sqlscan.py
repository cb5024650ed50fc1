"""Rendered SQL statements, flattened and tagged, for the SQL-level lint rules.

Regular expressions over one statement at a time are enough here: the statements come from Alembic's
own compiler (a small, regular vocabulary) plus the occasional `op.execute()`, and each rule only needs
the statement's verb, its table and a few keywords (CONCURRENTLY, NOT VALID, ONLINE = ON, WHERE ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apexops.migrations.dialects import ident

__all__ = ["Stmt", "excerpt", "flatten", "parse_statement"]

_NAME = r'((?:[\w$]+|"[^"]+"|\[[^\]]+\]|`[^`]+`)(?:\.(?:[\w$]+|"[^"]+"|\[[^\]]+\]|`[^`]+`))?)'

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "create table",
        re.compile(rf"^CREATE\s+(?:TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}", re.I),
    ),
    ("drop table", re.compile(rf"^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_NAME}", re.I)),
    ("alter table", re.compile(rf"^ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?{_NAME}", re.I)),
    (
        "create index",
        re.compile(
            rf"^CREATE\s+(?:UNIQUE\s+)?(?:(?:NON)?CLUSTERED\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
            rf"{_NAME}\s+ON\s+(?:ONLY\s+)?{_NAME}",
            re.I,
        ),
    ),
    (
        "drop index",
        re.compile(
            rf"^DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?{_NAME}(?:\s+ON\s+{_NAME})?", re.I
        ),
    ),
    ("truncate", re.compile(rf"^TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?{_NAME}", re.I)),
    ("delete", re.compile(rf"^DELETE\s+(?:FROM\s+)?{_NAME}", re.I)),
    ("update", re.compile(rf"^UPDATE\s+{_NAME}\s+SET\b", re.I)),
    ("insert", re.compile(rf"^INSERT\s+INTO\s+{_NAME}", re.I)),
    ("rename", re.compile(r"^EXEC(?:UTE)?\s+sp_rename\b", re.I)),
    ("drop schema", re.compile(r"^DROP\s+(SCHEMA|DATABASE)\b", re.I)),
    ("session", re.compile(r"^(SET|PRAGMA|RESET)\b", re.I)),
    ("transaction", re.compile(r"^(BEGIN(\s+TRANSACTION)?|COMMIT|ROLLBACK|START\s+TRANSACTION)\s*;?$", re.I)),
]


def flatten(statement: str) -> str:
    """One line, comments removed, no trailing terminator."""
    no_comments = re.sub(r"--[^\n]*", " ", statement)
    return " ".join(no_comments.split()).rstrip(";").strip()


def excerpt(statement: str, limit: int = 160) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class Stmt:
    """A statement with its verb, the table it touches, and whether it runs inside a transaction."""

    text: str
    flat: str
    verb: str
    table: str
    name: str  # index name for index statements
    in_transaction: bool

    @property
    def upper(self) -> str:
        return self.flat.upper()

    @property
    def is_ddl(self) -> bool:
        return self.verb in (
            "create table",
            "drop table",
            "alter table",
            "create index",
            "drop index",
            "rename",
            "drop schema",
            "truncate",
        )


def parse_statement(text: str, *, in_transaction: bool) -> Stmt:
    flat = flatten(text)
    for verb, pattern in _PATTERNS:
        match = pattern.match(flat)
        if not match:
            continue
        groups = [g for g in match.groups() if g]
        if verb in ("create index", "drop index"):  # name ON table
            return Stmt(text, flat, verb, ident(match.group(2)), ident(match.group(1)), in_transaction)
        table = (
            ident(groups[0])
            if groups and verb not in ("rename", "drop schema", "session", "transaction")
            else ""
        )
        return Stmt(text, flat, verb, table, "", in_transaction)
    return Stmt(text, flat, "other", "", "", in_transaction)
