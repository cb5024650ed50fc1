"""Runbook step 5, Rollback Database Migration (if required), through procedure 20.

The preview is procedure 20's own library, read-only: where the database stands, the SQL the downgrade
would run, the lint findings and the data it would destroy, and the approval phrase 20 will demand
(`DOWNGRADE <db> TO <rev>`). The downgrade itself is a full run of procedure 20 as a child of this run
(its own notebook, evidence and ledger line, linked by parent run id), started only behind its own gate.
When the migration is not reversible, 20 refuses and the runbook's option B applies (restore the
pre-migration backup, DISASTER_RECOVERY.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apexops.errors import ApexopsError
from apexops.status import Status

__all__ = ["DowngradePreview", "preview_downgrade"]


@dataclass(frozen=True)
class DowngradePreview:
    target: str
    phrase: str
    tables: tuple[tuple[str, list[dict[str, Any]]], ...]
    sql: str
    blocked: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.blocked


def preview_downgrade(
    env: Any, downgrade_to: str, *, backup_reference: str = "", acknowledge: str = ""
) -> DowngradePreview:
    from apexops.migrations.procedure import MigrationProcedure  # lazy: alembic and sqlalchemy

    proc = MigrationProcedure(
        env,
        downgrade_to=downgrade_to,
        backup_reference=backup_reference,
        acknowledge=acknowledge,
        dry_run=True,
    )
    state = proc.state()
    tables: list[tuple[str, list[dict[str, Any]]]] = [("Database now (alembic current)", state.rows())]
    blocked: list[str] = []
    try:
        plan = proc.plan()
    except ApexopsError as exc:
        return DowngradePreview(downgrade_to, "", tuple(tables), "", (exc.message,))
    if plan is None:
        return DowngradePreview(downgrade_to, "", tuple(tables), "", ("no downgrade plan",))
    sql = ""
    if plan.preview is not None:
        tables.append((f"SQL per revision ({plan.preview.method})", plan.preview.rows()))
        sql = plan.preview.header + plan.preview.sql
    tables.append((f"Lint: {plan.lint.verdict}", plan.lint.rows()))
    if plan.data_at_risk:
        tables.append(
            ("Data the downgrade destroys", [{"object": d.object, "rows": d.rows} for d in plan.data_at_risk])
        )
    if plan.nothing_to_do:
        blocked.append(f"nothing to downgrade: the database is already at {downgrade_to}")
    if plan.blocked:
        blocked += plan.reasons()
    preconditions = proc.preconditions()
    if preconditions.verdict != Status.PASS:
        blocked += list(preconditions.reasons)
    return DowngradePreview(downgrade_to, plan.approval_phrase, tuple(tables), sql, tuple(blocked))
