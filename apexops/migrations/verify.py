"""After a migration: is the database where the plan said, and does its schema agree with its version?

The runbook's Step 5 (`alembic current` + a table list compared by eye) as checks with verdicts:

- current equals the target revision (and the history has one head);
- the environment's expected tables exist (settings.database.expected_tables at head; the tables the
  target revision implies otherwise, so a verified downgrade is judged against its own target);
- the live schema agrees with alembic_version, revision by revision: objects of a later revision present
  (a partly applied or unrecorded migration) or objects of an applied revision missing (a stamp without
  the DDL, or a manual drop) fail the check and name the revision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.migrations._alembic import script_directory
from apexops.migrations.schema_map import SchemaComparison, compare, reflect, replay_history
from apexops.migrations.state import read_version_rows, resolve_target
from apexops.status import Status, worst

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["CHECKS", "Observed", "Verification", "VerifyCheck", "verify"]


@dataclass(frozen=True)
class VerifyCheck:
    name: str
    verdict: Status  # PASS | FAIL | INCONCLUSIVE
    detail: str


@dataclass(frozen=True)
class Verification:
    target: str
    current: tuple[str, ...]
    checks: tuple[VerifyCheck, ...]
    comparison: SchemaComparison

    @property
    def verdict(self) -> Status:
        return worst(c.verdict for c in self.checks)

    @property
    def partially_applied(self) -> bool:
        return not self.comparison.consistent

    def reasons(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if c.verdict is not Status.PASS]

    def rows(self) -> list[dict[str, Any]]:
        return [{"verdict": c.verdict, "check": c.name, "detail": c.detail} for c in self.checks]


def verify(
    engine: Engine,
    *,
    target: str = "head",
    expected_tables: Sequence[str] | None = None,
    script_dir: Path | str | None = None,
) -> Verification:
    """Check current == target, expected tables, and schema/version agreement (partial application)."""
    sd = script_directory(script_dir)
    heads = tuple(sd.get_heads())
    resolved = resolve_target(sd, target)
    history = replay_history(script_dir)
    with engine.connect() as conn:
        has_table, current = read_version_rows(conn)
        live = reflect(conn, history.tables)
    implied = {o.table for o in history.schemas.get(resolved, frozenset()) if o.kind == "table"}
    wanted = expected_tables if expected_tables is not None and resolved in heads else implied
    expected = frozenset(t.lower() for t in wanted) - {"alembic_version"}
    present = frozenset(live.tables) | ({"alembic_version"} if has_table else frozenset())
    seen = Observed(heads, resolved, current, has_table, expected, present, compare(history, live, current))
    checks = tuple(check for rule in CHECKS if (check := rule(seen)) is not None)
    return Verification(resolved, current, checks, seen.comparison)


@dataclass(frozen=True)
class Observed:
    """What the checks look at: the history's heads, the target, alembic_version and the live schema."""

    heads: tuple[str, ...]
    target: str
    current: tuple[str, ...]
    has_table: bool
    expected: frozenset[str]  # tables the target implies (the environment's list at head)
    present: frozenset[str]
    comparison: SchemaComparison

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(sorted(self.expected - self.present))


def single_head(seen: Observed) -> VerifyCheck | None:
    if len(seen.heads) < 2:
        return None
    return VerifyCheck(
        "single head", Status.FAIL, f"the history has {len(seen.heads)} heads: {', '.join(seen.heads)}"
    )


def at_target(seen: Observed) -> VerifyCheck:
    want = () if seen.target == "base" else (seen.target,)
    rows = ", ".join(seen.current) or ("(no rows)" if seen.has_table else "(no table)")
    status = Status.PASS if seen.current == want else Status.FAIL
    return VerifyCheck(
        "current revision is the target", status, f"alembic_version = {rows}; target = {seen.target}"
    )


def tables_exist(seen: Observed) -> VerifyCheck:
    if seen.missing:
        return VerifyCheck("expected tables exist", Status.FAIL, f"missing: {', '.join(seen.missing)}")
    present = f"{len(seen.expected)} tables present" + (" + alembic_version" if seen.has_table else "")
    return VerifyCheck("expected tables exist", Status.PASS, present)


def version_table_exists(seen: Observed) -> VerifyCheck | None:
    if seen.has_table or seen.target == "base":
        return None
    return VerifyCheck("alembic_version exists", Status.FAIL, "the version table is missing")


def schema_matches_version(seen: Observed) -> VerifyCheck:
    """Objects of a later revision present, or of an applied one missing, name the revision (partial)."""
    name, comparison = "schema matches alembic_version", seen.comparison
    if not comparison.consistent:
        match = f" (the schema matches {comparison.matches[-1]})" if comparison.matches else ""
        return VerifyCheck(name, Status.FAIL, "; ".join(comparison.reasons()) + match)
    if comparison.inconclusive:
        return VerifyCheck(name, Status.INCONCLUSIVE, comparison.reasons()[-1])
    every = f"every object of {', '.join(seen.current) or 'base'} present, none of later revisions"
    return VerifyCheck(name, Status.PASS, every)


#: the checks, in the order the notebook shows them
CHECKS: tuple[Callable[[Observed], VerifyCheck | None], ...] = (
    single_head,
    at_target,
    tables_exist,
    version_table_exists,
    schema_matches_version,
)
