"""Apply a plan: upgrade or downgrade with a session lock timeout, progress per revision, honest failures.

What the runbook's `alembic upgrade head` leaves to luck, made explicit:

- the session lock timeout for the dialect is set on the migration's own connection (PostgreSQL
  `SET lock_timeout`, SQL Server `SET LOCK_TIMEOUT` + `XACT_ABORT ON`, SQLite busy timeout), so a lock held
  by another session makes the migration fail fast instead of queueing everyone behind it;
- each revision reports when it starts and how long it took (Alembic's log + `on_version_apply`);
- on failure the result says what was applied, what was not, and the exact rows of `alembic_version`
  read back afterwards, because with transactional DDL a revision that "ran" may have been rolled back,
  and without it (SQLite) a revision may be half applied;
- a blocked plan, or a plan whose starting point is no longer the database's, is refused before any SQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.errors import MigrationBlocked
from apexops.migrations._alembic import (
    RunningStep,
    capture_running,
    make_config,
    run_command,
    script_directory,
)
from apexops.migrations.dialects import is_lock_timeout, reset_statements
from apexops.migrations.state import MigrationState, in_effect, read_version_rows
from apexops.status import Status

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from apexops.migrations.plan import MigrationPlan

__all__ = ["ExecutionResult", "StampResult", "StepResult", "apply", "stamp"]


@dataclass(frozen=True)
class StepResult:
    """One revision of the plan: applied, rolled back, failed, or not run; with its duration."""

    revision: str
    label: str
    doc: str
    status: str  # applied | undone | rolled back | failed | not run
    duration_s: float | None = None


#: how each step status is shown
_STEP_STATUS = {
    "applied": Status.PASS,
    "undone": Status.PASS,
    "rolled back": Status.WARN,
    "failed": Status.FAIL,
    "not run": Status.SKIPPED,
}


@dataclass(frozen=True)
class ExecutionResult:
    direction: str
    ok: bool
    skipped: bool
    start: tuple[str, ...]
    target: str
    steps: tuple[StepResult, ...]
    version_rows_before: tuple[str, ...]
    version_rows_after: tuple[str, ...]
    lock_timeout_ms: int | None
    duration_s: float
    error: str | None = None
    failure_kind: str | None = None  # lock_timeout | error
    failed_revision: str | None = None

    @property
    def verb(self) -> str:
        return "applied" if self.direction == "upgrade" else "undone"

    @property
    def applied(self) -> tuple[str, ...]:
        return tuple(s.revision for s in self.steps if s.status == self.verb)

    @property
    def not_applied(self) -> tuple[str, ...]:
        return tuple(s.revision for s in self.steps if s.status != self.verb)

    @property
    def verdict(self) -> Status:
        return Status.SKIPPED if self.skipped else Status.PASS if self.ok else Status.FAIL

    def reasons(self) -> list[str]:
        if self.skipped:
            return [f"SKIPPED (already at {self.target})"]
        verb = self.verb
        out = [
            f"{verb}: {', '.join(self.applied) or 'nothing'}",
            f"not {verb}: {', '.join(self.not_applied) or 'nothing'}",
            f"alembic_version now holds: {', '.join(self.version_rows_after) or '(no rows)'}",
        ]
        if self.error:
            kind = "lock timeout" if self.failure_kind == "lock_timeout" else "error"
            out.insert(0, f"{kind} in {self.failed_revision or 'the migration'}: {self.error}")
        return out

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "verdict": _STEP_STATUS[s.status],
                "revision": s.revision,
                "step": s.label,
                "description": s.doc,
                "status": s.status,
                "seconds": None if s.duration_s is None else round(s.duration_s, 3),
            }
            for s in self.steps
        ]

    def facts(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "skipped": self.skipped,
            "heads_before": list(self.version_rows_before),
            "heads_after": list(self.version_rows_after),
            "applied": list(self.applied),
            "not_applied": list(self.not_applied),
            "failure": self.failure_kind,
            "error": self.error,
            "durations_s": {s.revision: s.duration_s for s in self.steps if s.duration_s is not None},
        }

    @property
    def hint(self) -> str:
        """The next step after a failure: the lock holder, or the partly applied revision."""
        if self.failure_kind == "lock_timeout":
            return (
                "see the diagnostics: a session holds a lock; wait for it, or end it "
                "with kill_session=<id> (gated), then re-run."
            )
        return "see verify: reconcile the partly applied revision (runbook: partially applied)."


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return f"{type(orig or exc).__name__}: {text[0] if text else ''}"[:400]


def apply(
    engine: Engine,
    plan: MigrationPlan,
    *,
    script_dir: Path | str | None = None,
    lock_timeout_ms: int | None = 5000,
    on_progress: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    transaction_per_migration: bool = False,
) -> ExecutionResult:
    """Run the plan's upgrade or downgrade on `engine`; never raises for a migration failure (see result)."""
    if plan.blocked:
        raise MigrationBlocked(
            "the plan is blocked; nothing was run: " + "; ".join(plan.reasons()[:3]),
            hint="resolve the blocking findings (or acknowledge warnings: acknowledge=...), "
            "then re-run from the preview.",
        )
    started = clock()
    before = _version_rows(engine)
    if plan.nothing_to_do:
        return ExecutionResult(
            plan.direction, True, True, plan.start, plan.target, (), before, before, lock_timeout_ms, 0.0
        )
    if before != plan.start:
        raise MigrationBlocked(
            f"the database moved since the plan: alembic_version is {', '.join(before) or '(empty)'}, "
            f"the plan started at {', '.join(plan.start) or 'base'}; nothing was run.",
            hint="re-run the procedure from the state step so the preview and lint match the database.",
        )
    progress = _Progress(plan.direction, on_progress or (lambda _msg: None), clock, started)
    error = _run(engine, plan, progress, script_dir, lock_timeout_ms, transaction_per_migration)
    after = _version_rows(engine)
    failed = progress.running[-1] if error is not None and progress.running else None
    effective = in_effect(script_directory(script_dir), after)
    steps = tuple(_step(plan, rev, effective, progress, failed) for rev in plan.revision_ids)
    if error is None:
        return ExecutionResult(plan.direction, True, False, plan.start, plan.target, steps, before, after,
                               lock_timeout_ms, clock() - started)  # fmt: skip
    kind = "lock_timeout" if is_lock_timeout(error) else "error"
    return ExecutionResult(plan.direction, False, False, plan.start, plan.target, steps, before, after,
                           lock_timeout_ms, clock() - started, _one_line(error), kind, failed)  # fmt: skip


def _version_rows(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return read_version_rows(conn)[1]


@dataclass
class _Progress:
    """When each revision started (Alembic's log) and finished (on_version_apply), told as it happens."""

    direction: str
    say: Callable[[str], None]
    clock: Callable[[], float]
    started: float
    running: list[str] = field(default_factory=list)
    starts: dict[str, float] = field(default_factory=dict)
    ends: dict[str, float] = field(default_factory=dict)

    def on_running(self, step: RunningStep) -> None:
        if self.direction == "upgrade" and step.to_revisions:
            rev = step.to_revisions[0]
        else:
            rev = step.from_revisions[0] if step.from_revisions else ""
        self.running.append(rev)
        self.starts[rev] = self.clock()
        self.say(f"running {step.direction} {step.short}: {step.doc}")

    def on_version_apply(self, *_args: Any, **_kwargs: Any) -> None:
        rev = self.running[-1] if self.running else ""
        self.ends[rev] = self.clock()
        verb = "applied" if self.direction == "upgrade" else "undone"
        self.say(f"{verb} {rev} in {self.ends[rev] - self.starts.get(rev, self.started):.2f} s")

    def duration(self, rev: str, failed: str | None) -> float | None:
        if rev in self.ends and rev in self.starts:
            return self.ends[rev] - self.starts[rev]
        return self.clock() - self.starts[rev] if rev == failed and rev in self.starts else None


def _run(
    engine: Engine,
    plan: MigrationPlan,
    progress: _Progress,
    script_dir: Path | str | None,
    lock_timeout_ms: int | None,
    transaction_per_migration: bool,
) -> BaseException | None:
    """Alembic's upgrade/downgrade on one connection with the session lock timeout; the error, if any."""
    import sqlalchemy as sa  # lazy (heavy), as everywhere in this package

    dialect = engine.dialect.name
    with engine.connect() as conn:
        busy = None
        if dialect == "sqlite":
            busy = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
            conn.rollback()
        cfg = make_config(
            script_dir,
            connection=conn,
            lock_timeout_ms=lock_timeout_ms,
            on_version_apply=progress.on_version_apply,
            transaction_per_migration=transaction_per_migration,
        )
        try:
            with capture_running(progress.on_running):
                run_command(cfg, plan.direction, plan.target)
        except Exception as exc:  # kept as data: the caller shows what happened, then raises
            return exc
        finally:
            try:
                conn.rollback()
                for stmt in reset_statements(dialect, sqlite_busy_ms=busy):
                    conn.execute(sa.text(stmt))
                conn.commit()
            except Exception:  # a broken connection is discarded by the pool anyway
                conn.invalidate()
    return None


def _step(
    plan: MigrationPlan, rev: str, effective: set[str], progress: _Progress, failed: str | None
) -> StepResult:
    """One revision of the plan after the run: in effect per alembic_version, failed, rolled back, not run."""
    info = next(r for r in plan.revisions if r.revision == rev)
    upgrade = plan.direction == "upgrade"
    if (rev in effective) == upgrade:
        status = "applied" if upgrade else "undone"
    elif rev == failed:
        status = "failed"
    else:
        status = "rolled back" if rev in progress.ends else "not run"
    label = info.label if upgrade else f"{rev} -> {', '.join(info.down_revisions) or 'base'}"
    return StepResult(rev, label, info.doc, status, progress.duration(rev, failed))


@dataclass(frozen=True)
class StampResult:
    revision: str
    version_rows_before: tuple[str, ...]
    version_rows_after: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """A stamp that could not be made raises before there is a result."""
        return True

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "verdict": Status.PASS,
                "stamped": self.revision,
                "alembic_version before": ", ".join(self.version_rows_before) or "(none)",
                "alembic_version after": ", ".join(self.version_rows_after),
            }
        ]


def stamp(
    engine: Engine, revision: str, *, state: MigrationState, script_dir: Path | str | None = None
) -> StampResult:
    """Record `revision` in alembic_version without running DDL, only where the schema matches it.

    `alembic stamp` rewrites bookkeeping and never touches the schema, so stamping a revision the schema
    does not match turns one problem into two. It is refused unless the state's comparison of the live
    schema with the history found exactly this revision (the runbook's first-deployment `stamp head` case).
    """
    if state.stamp_candidate != revision:
        found = state.stamp_candidate or "no revision"
        raise MigrationBlocked(
            f"refusing to stamp {revision}: the live schema matches {found}.",
            hint="stamp only the revision the schema matches (see the state step); "
            "reconcile by hand otherwise.",
        )
    before = _version_rows(engine)
    if before != state.version_rows:
        raise MigrationBlocked(
            "alembic_version changed since the state was read; nothing was stamped.",
            hint="re-run the procedure from the state step.",
        )
    from alembic import command

    with engine.begin() as conn:
        command.stamp(make_config(script_dir, connection=conn), revision)
    return StampResult(revision, before, _version_rows(engine))
