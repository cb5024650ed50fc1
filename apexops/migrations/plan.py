"""A migration plan: state + preview + lint (+ the data a downgrade destroys), judged before anything runs.

The notebook shows the plan, the gate binds its approval phrase to the plan's target, and `execute.apply`
refuses a plan that is blocked or whose starting point no longer matches the database. So a blocking
finding stops the run before any SQL is sent, and an approval given for one target cannot apply another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.errors import ConfigError, SecretInParameterError
from apexops.migrations._alembic import RevisionInfo, lineage, script_directory
from apexops.migrations.lint import LintOptions, LintReport, lint
from apexops.migrations.preview import Preview, preview_sql
from apexops.migrations.schema_map import replay_history
from apexops.migrations.state import MigrationState, read_state
from apexops.status import Status

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from apexops.settings import Settings

__all__ = [
    "DataAtRisk",
    "MigrationPlan",
    "Preconditions",
    "check_preconditions",
    "plan_downgrade",
    "plan_upgrade",
    "resolve_downgrade_target",
]


@dataclass(frozen=True)
class DataAtRisk:
    """An object a downgrade destroys, with how many rows (or non-null values) hold data now."""

    object: str
    rows: int | None


@dataclass(frozen=True)
class MigrationPlan:
    direction: str  # upgrade | downgrade
    database_name: str
    dialect: str
    start: tuple[str, ...]
    target: str
    revisions: tuple[RevisionInfo, ...]
    state: MigrationState
    preview: Preview | None
    lint: LintReport
    data_at_risk: tuple[DataAtRisk, ...] = ()

    @property
    def nothing_to_do(self) -> bool:
        return not self.revisions

    @property
    def blocked(self) -> bool:
        return self.state.blocking or bool(self.lint.blocking)

    @property
    def status(self) -> Status:
        return Status.FAIL if self.blocked else Status.PASS

    @property
    def approval_phrase(self) -> str:
        verb = "MIGRATE" if self.direction == "upgrade" else "DOWNGRADE"
        return f"{verb} {self.database_name} TO {self.target}"

    @property
    def revision_ids(self) -> tuple[str, ...]:
        return tuple(r.revision for r in self.revisions)

    def reasons(self) -> list[str]:
        out = [*self.state.reasons] if self.state.blocking else []
        if self.state.blocking:
            out.append(self.state.guidance)
        return out + self.lint.reasons()

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"item": "direction", "value": self.direction},
            {"item": "from", "value": ", ".join(self.start) or "base"},
            {"item": "to", "value": self.target},
            {"item": "revisions", "value": ", ".join(self.revision_ids) or "none"},
            {"item": "lint verdict", "value": self.lint.verdict},
            {"item": "approval phrase", "value": self.approval_phrase},
            *(
                {"item": f"destroys {d.object}", "value": "unknown" if d.rows is None else f"{d.rows} rows"}
                for d in self.data_at_risk
            ),
        ]

    def facts(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "heads_before": list(self.start),
            "target": self.target,
            "revisions": list(self.revision_ids),
            "lint": self.lint.facts(),
            "acknowledgements": list(self.lint.acknowledgements),
            "data_at_risk": {d.object: d.rows for d in self.data_at_risk},
        }


def _database_name(engine: Engine, name: str | None) -> str:
    if name:
        return name
    db = engine.url.database or "database"
    return Path(db).stem if engine.dialect.name == "sqlite" else db


def _review(
    engine: Engine,
    direction: str,
    state: MigrationState,
    target: str,
    revisions: tuple[RevisionInfo, ...],
    script_dir: Path | str | None,
    lock_timeout_ms: int | None,
) -> tuple[Preview | None, LintOptions]:
    """The SQL the revisions would run (None when there are none), and what the lint needs besides."""
    preview = None
    if revisions:
        preview = preview_sql(engine, direction, start=state.current, target=target, script_dir=script_dir,
                              lock_timeout_ms=lock_timeout_ms)  # fmt: skip
    history = replay_history(script_dir)
    options = LintOptions(
        engine.dialect.name, direction=direction, heads=state.heads, target=target, history=history
    )
    return preview, options


def plan_upgrade(
    engine: Engine,
    *,
    target: str = "head",
    script_dir: Path | str | None = None,
    acknowledge: str = "",
    lock_timeout_ms: int | None = 5000,
    database_name: str | None = None,
    state: MigrationState | None = None,
) -> MigrationPlan:
    """State, preview of `current:target` in the database's dialect, and lint of the pending revisions."""
    state = state or read_state(engine, script_dir, target=target)
    revisions = state.pending
    # a blocking state (no version table on an existing schema, partial application, several heads ...) is
    # resolved first: SQL that cannot run as previewed would only distract from the guidance
    reviewable = () if state.blocking else revisions
    preview, options = _review(engine, "upgrade", state, state.target, reviewable, script_dir,
                               lock_timeout_ms)  # fmt: skip
    options = replace(options, acknowledge=acknowledge, start_is_empty=state.condition == "empty_database")
    report = lint(reviewable, preview, options)
    name = _database_name(engine, database_name)
    return MigrationPlan("upgrade", name, engine.dialect.name, state.current, state.target, tuple(revisions),
                         state, preview, report)  # fmt: skip


def resolve_downgrade_target(state: MigrationState, to: str, script_dir: Path | str | None = None) -> str:
    """'-1' (one step), 'base', or a revision below the current one; ConfigError naming downgrade_to."""
    sd = script_directory(script_dir)
    value = (to or "").strip()
    if not value:
        raise ConfigError("downgrade_to is empty.", hint="set downgrade_to to -1, base, or a revision id.")
    if len(state.current) != 1:
        raise ConfigError(
            f"downgrade_to: the database is at {state.current_label}; a downgrade needs exactly "
            "one current revision.",
            hint="reconcile the version table first (see the state step).",
        )
    current = state.current[0]
    if re.fullmatch(r"-\d+", value):
        steps = int(value[1:])
        chain = [r.revision for r in lineage(sd, current)]  # base..current
        if steps < 1 or steps > len(chain):
            raise ConfigError(
                f"downgrade_to {value} goes past base (only {len(chain)} revision(s) applied).",
                hint="use base, or a smaller step count.",
            )
        return chain[-steps - 1] if steps < len(chain) else "base"
    if value == "base":
        return "base"
    try:
        script = sd.get_revision(value)
    except Exception:  # alembic raises several types for unknown/ambiguous ids
        script = None
    ancestors = {r.revision for r in lineage(sd, current)} - {current}
    if script is None or script.revision not in ancestors:
        raise ConfigError(
            f"downgrade_to {value!r} is not a revision below the current one ({current}).",
            hint=f"use -1, base, or one of: {', '.join(sorted(ancestors)) or '(none)'}.",
        )
    return script.revision


def _count(engine: Engine, obj: str) -> int | None:
    import sqlalchemy as sa

    kind, _, name = obj.partition(" ")
    table, _, column = name.partition(".")
    try:
        with engine.connect() as conn:
            target = sa.table(table)
            expr = sa.func.count(sa.column(column)) if kind == "column" else sa.func.count()
            return int(conn.execute(sa.select(expr).select_from(target)).scalar_one())
    except Exception:  # a count is informative only; never fail the plan on it
        return None


def plan_downgrade(
    engine: Engine,
    *,
    to: str,
    script_dir: Path | str | None = None,
    acknowledge: str = "",
    lock_timeout_ms: int | None = 5000,
    database_name: str | None = None,
    state: MigrationState | None = None,
) -> MigrationPlan:
    """Preview and lint of a downgrade; what it destroys is counted on the live database and called out."""
    state = state or read_state(engine, script_dir)
    target = resolve_downgrade_target(state, to, script_dir)
    undone = tuple(reversed(lineage(script_directory(script_dir), state.current[0], target)))
    preview, options = _review(engine, "downgrade", state, target, undone, script_dir, lock_timeout_ms)
    options = replace(options, acknowledge=acknowledge)
    first = lint(undone, preview, options)
    destructive = ("MIG-001", "MIG-002", "MIG-023")
    objects = (f.object for f in first.findings if f.rule in destructive)
    destroyed = sorted({obj for obj in objects if obj.startswith(("table ", "column "))})
    counts = {obj.split(" ", 1)[1]: n for obj in destroyed if (n := _count(engine, obj)) is not None}
    report = lint(undone, preview, replace(options, row_counts=counts))
    risk = tuple(DataAtRisk(obj, counts.get(obj.split(" ", 1)[1])) for obj in destroyed)
    name = _database_name(engine, database_name)
    return MigrationPlan("downgrade", name, engine.dialect.name, state.current, target, undone, state,
                         preview, report, risk)  # fmt: skip


_SECRETISH = re.compile(r"(sig=|accountkey=|sharedaccesssignature|password=|pwd=|secret)", re.I)


@dataclass(frozen=True)
class Preconditions:
    """The runbook's prerequisites as data: a backup reference where the environment requires one."""

    environment: str
    backup_required: bool
    backup_reference: str
    verdict: Status  # PASS | FAIL
    reasons: tuple[str, ...]

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "check": "database backup reference",
                "verdict": self.verdict,
                "detail": self.backup_reference or "; ".join(self.reasons) or "not required here",
            }
        ]

    def require(self, *, dry_run: bool = False) -> bool:
        """Raise (before anything changes) when a precondition fails; a dry run only reports it."""
        if self.verdict is Status.PASS or dry_run:
            return self.verdict is Status.PASS
        raise ConfigError(
            f"backup_reference is required for {self.environment}: " + "; ".join(self.reasons),
            hint="take the backup (runbook Prerequisites / DISASTER_RECOVERY.md) and pass its "
            "name or URL as backup_reference.",
        )


def check_preconditions(settings: Settings, *, backup_reference: str = "") -> Preconditions:
    """A backup reference is required for staging and prod; it must be a reference, never a secret."""
    ref = (backup_reference or "").strip()
    if ref and _SECRETISH.search(ref):
        raise SecretInParameterError(
            "backup_reference looks like it carries a secret (a SAS signature, key or password).",
            hint="pass the backup's name or its URL without the query string.",
        )
    required = settings.database.backup_required
    if required and not ref:
        reason = f"{settings.environment} requires a pre-migration database backup"
        return Preconditions(settings.environment, True, "", Status.FAIL, (reason,))
    return Preconditions(settings.environment, required, ref, Status.PASS, ())
