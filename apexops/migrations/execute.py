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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.errors import MigrationError
from apexops.migrations._alembic import capture_running, lineage, make_config, run_command, script_directory
from apexops.migrations._tabular import Tabular
from apexops.migrations.dialects import is_lock_timeout, reset_statements
from apexops.migrations.state import MigrationState, read_version_rows

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


@dataclass(frozen=True)
class ExecutionResult(Tabular):
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
    def applied(self) -> tuple[str, ...]:
        done = "applied" if self.direction == "upgrade" else "undone"
        return tuple(s.revision for s in self.steps if s.status == done)

    @property
    def not_applied(self) -> tuple[str, ...]:
        done = "applied" if self.direction == "upgrade" else "undone"
        return tuple(s.revision for s in self.steps if s.status != done)

    @property
    def verdict(self) -> str:
        return "SKIPPED" if self.skipped else "PASS" if self.ok else "FAIL"

    def reasons(self) -> list[str]:
        if self.skipped:
            return [f"SKIPPED (already at {self.target})"]
        verb = "applied" if self.direction == "upgrade" else "undone"
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
        verdicts = {
            "applied": "PASS",
            "undone": "PASS",
            "rolled back": "WARN",
            "failed": "FAIL",
            "not run": "SKIPPED",
        }
        return [
            {
                "verdict": verdicts[s.status],
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

    def raise_for_failure(self) -> None:
        """After the result is shown: stop the procedure with the next step in the hint."""
        if self.ok:
            return
        if self.failure_kind == "lock_timeout":
            hint = (
                "another session holds a lock on a table this migration alters: see the diagnostics step "
                "(blocking sessions), wait for it or end it (gated kill_session), then re-run."
            )
        else:
            hint = (
                "run the verify step: it compares the live schema with alembic_version and names a partly "
                "applied revision; then fix forward or downgrade (runbook: Migration partially applied)."
            )
        raise MigrationError(f"{self.direction} failed: " + "; ".join(self.reasons()), hint=hint)


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
    import sqlalchemy as sa

    if plan.blocked:
        raise MigrationError(
            "the plan is blocked; nothing was run: " + "; ".join(plan.reasons()[:3]),
            hint="resolve the blocking findings (or acknowledge warnings: acknowledge=...), "
            "then re-run from the preview.",
        )
    say = on_progress or (lambda _msg: None)
    started = clock()
    with engine.connect() as conn:
        _, before = read_version_rows(conn)
    if plan.nothing_to_do:
        return ExecutionResult(
            plan.direction, True, True, plan.start, plan.target, (), before, before, lock_timeout_ms, 0.0
        )
    if before != plan.start:
        raise MigrationError(
            f"the database moved since the plan: alembic_version is {', '.join(before) or '(empty)'}, "
            "the plan "
            f"started at {', '.join(plan.start) or 'base'}; nothing was run.",
            hint="re-run the procedure from the state step so the preview and lint match the database.",
        )

    starts: dict[str, float] = {}
    ends: dict[str, float] = {}
    running: list[str] = []
    labels = {r.revision: r for r in plan.revisions}

    def on_running(step: Any) -> None:
        rev = (
            step.to_revisions[0]
            if plan.direction == "upgrade" and step.to_revisions
            else step.from_revisions[0]
            if step.from_revisions
            else ""
        )
        running.append(rev)
        starts[rev] = clock()
        say(f"running {step.direction} {step.short}: {step.doc}")

    def on_version_apply(ctx: Any = None, step: Any = None, heads: Any = None, run_args: Any = None) -> None:
        rev = running[-1] if running else ""
        ends[rev] = clock()
        say(
            f"{'applied' if plan.direction == 'upgrade' else 'undone'} {rev} in "
            f"{ends[rev] - starts.get(rev, started):.2f} s"
        )

    error: BaseException | None = None
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
            on_version_apply=on_version_apply,
            transaction_per_migration=transaction_per_migration,
        )
        try:
            with capture_running(on_running):
                if plan.direction == "upgrade":
                    run_command(cfg, "upgrade", plan.target)
                else:
                    run_command(cfg, "downgrade", plan.target)
        except Exception as exc:  # kept as data: the caller shows what happened, then raises
            error = exc
        finally:
            try:
                conn.rollback()
                for stmt in reset_statements(dialect, sqlite_busy_ms=busy):
                    conn.execute(sa.text(stmt))
                conn.commit()
            except Exception:  # a broken connection is discarded by the pool anyway
                conn.invalidate()
    with engine.connect() as conn:
        _, after = read_version_rows(conn)

    effective = _effective(script_dir, after)
    steps = []
    failed = running[-1] if error is not None and running else None
    for rev in plan.revision_ids:
        info = labels[rev]
        done = rev in effective if plan.direction == "upgrade" else rev not in effective
        if done:
            status = "applied" if plan.direction == "upgrade" else "undone"
        elif rev == failed:
            status = "failed"
        elif rev in ends:
            status = "rolled back"
        else:
            status = "not run"
        duration = (
            ends[rev] - starts[rev]
            if rev in ends and rev in starts
            else (clock() - starts[rev] if rev == failed and rev in starts else None)
        )
        label = (
            info.label
            if plan.direction == "upgrade"
            else f"{rev} -> {', '.join(info.down_revisions) or 'base'}"
        )
        steps.append(StepResult(rev, label, info.doc, status, duration))
    return ExecutionResult(
        plan.direction,
        error is None,
        False,
        plan.start,
        plan.target,
        tuple(steps),
        before,
        after,
        lock_timeout_ms,
        clock() - started,
        None if error is None else _one_line(error),
        None if error is None else ("lock_timeout" if is_lock_timeout(error) else "error"),
        failed,
    )


def _effective(script_dir: Path | str | None, version: tuple[str, ...]) -> set[str]:
    """Every revision in effect according to the version rows (each current revision and its ancestors)."""
    sd = script_directory(script_dir)
    out: set[str] = set()
    for rev in version:
        try:
            out |= {r.revision for r in lineage(sd, rev)}
        except MigrationError:
            out.add(rev)
    return out


@dataclass(frozen=True)
class StampResult(Tabular):
    revision: str
    version_rows_before: tuple[str, ...]
    version_rows_after: tuple[str, ...]

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "verdict": "PASS",
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
        raise MigrationError(
            f"refusing to stamp {revision}: the live schema matches {found}.",
            hint="stamp only the revision the schema matches (see the state step); "
            "reconcile by hand otherwise.",
        )
    with engine.connect() as conn:
        _, before = read_version_rows(conn)
    if before != state.version_rows:
        raise MigrationError(
            "alembic_version changed since the state was read; nothing was stamped.",
            hint="re-run the procedure from the state step.",
        )
    from alembic import command

    with engine.begin() as conn:
        command.stamp(make_config(script_dir, connection=conn), revision)
    with engine.connect() as conn:
        _, after = read_version_rows(conn)
    return StampResult(revision, before, after)
