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

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.errors import VerificationError
from apexops.migrations._alembic import script_directory
from apexops.migrations._tabular import Tabular
from apexops.migrations.schema_map import SchemaComparison, compare, reflect, replay_history
from apexops.migrations.state import read_version_rows, resolve_target

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["Verification", "VerifyCheck", "verify"]


@dataclass(frozen=True)
class VerifyCheck:
    name: str
    verdict: str  # PASS | FAIL | INCONCLUSIVE
    detail: str


@dataclass(frozen=True)
class Verification(Tabular):
    target: str
    current: tuple[str, ...]
    checks: tuple[VerifyCheck, ...]
    missing_tables: tuple[str, ...]
    comparison: SchemaComparison

    @property
    def verdict(self) -> str:
        verdicts = {c.verdict for c in self.checks}
        return "FAIL" if "FAIL" in verdicts else "INCONCLUSIVE" if "INCONCLUSIVE" in verdicts else "PASS"

    @property
    def partially_applied(self) -> bool:
        return not self.comparison.consistent

    def reasons(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if c.verdict != "PASS"]

    def rows(self) -> list[dict[str, Any]]:
        return [{"verdict": c.verdict, "check": c.name, "detail": c.detail} for c in self.checks]

    def raise_for_failure(self) -> None:
        if self.verdict == "FAIL":
            raise VerificationError(
                "migration verification failed: " + "; ".join(self.reasons()),
                hint="a partly applied revision: finish or undo its DDL by hand, then stamp the "
                "revision the schema matches (runbook: Migration partially applied).",
            )


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
    checks: list[VerifyCheck] = []
    if len(heads) > 1:
        checks.append(
            VerifyCheck("single head", "FAIL", f"the history has {len(heads)} heads: {', '.join(heads)}")
        )
    want = () if resolved == "base" else (resolved,)
    checks.append(
        VerifyCheck(
            "current revision is the target",
            "PASS" if current == want else "FAIL",
            f"alembic_version = {', '.join(current) or ('(no rows)' if has_table else '(no table)')}; "
            f"target = {resolved}",
        )
    )

    implied = (
        set()
        if resolved == "base"
        else {o.table for o in history.schemas.get(resolved, frozenset()) if o.kind == "table"}
    )
    is_head = resolved in heads
    expected = {t.lower() for t in (expected_tables if expected_tables is not None and is_head else implied)}
    expected.discard("alembic_version")
    present = set(live.tables) | ({"alembic_version"} if has_table else set())
    missing = tuple(sorted(expected - present))
    checks.append(
        VerifyCheck(
            "expected tables exist",
            "FAIL" if missing else "PASS",
            f"missing: {', '.join(missing)}"
            if missing
            else f"{len(expected)} tables present" + (" + alembic_version" if has_table else ""),
        )
    )
    if not has_table and resolved != "base":
        checks.append(VerifyCheck("alembic_version exists", "FAIL", "the version table is missing"))

    comparison = compare(history, live, current)
    if comparison.consistent and not comparison.inconclusive:
        checks.append(
            VerifyCheck(
                "schema matches alembic_version",
                "PASS",
                f"every object of {', '.join(current) or 'base'} present, none of later revisions",
            )
        )
    elif comparison.consistent:
        checks.append(VerifyCheck("schema matches alembic_version", "INCONCLUSIVE", comparison.reasons()[-1]))
    else:
        match = f" (the schema matches {comparison.matches[-1]})" if comparison.matches else ""
        checks.append(
            VerifyCheck("schema matches alembic_version", "FAIL", "; ".join(comparison.reasons()) + match)
        )
    return Verification(resolved, current, tuple(checks), missing, comparison)
