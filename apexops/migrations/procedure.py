"""Procedure 20 as one object the notebook steps through: state → history → preview → lint →
preconditions → (gated) apply → verify → connectivity → diagnostics → verdict.

One run makes at most ONE change, chosen by parameters and named by the approval phrase:

    upgrade    (default)                  MIGRATE <database> TO <revision>
    downgrade  (downgrade_to="-1"|rev)    DOWNGRADE <database> TO <revision>
    stamp      (allow_stamp=True)         STAMP <database> AS <revision>    (the revision the schema matches)
    kill       (kill_session=<id>)        KILL SESSION <id> ON <database>   (only a session shown blocking)

Nothing here raises for a blocked plan or a failed migration: they are results, shown in the notebook,
and the verdict at the end fails the run, so the evidence (preview, findings, alembic_version, blockers)
is in the notebook before it stops. Bad parameters raise at once, before anything changes; so does a
`target` the history does not know. A `target` behind the database's revision is a downgrade in disguise:
`plan()` (and the approval phrase) raise the failed verdict, so the gate never asks for its approval.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from apexops.errors import ConfigError, LockHeldError, MigrationBlocked, MigrationError
from apexops.migrations._alembic import script_directory
from apexops.migrations._sqlscan import parse_statement
from apexops.migrations.connectivity import ConnectivityResult, check_from_app
from apexops.migrations.diagnostics import (
    Diagnostic,
    KillResult,
    blocking_sessions,
    database_size,
    kill_session,
    long_running_queries,
)
from apexops.migrations.execute import ExecutionResult, StampResult, apply, stamp
from apexops.migrations.lint import parse_acknowledgements
from apexops.migrations.plan import (
    MigrationPlan,
    Preconditions,
    check_preconditions,
    plan_downgrade,
    plan_upgrade,
)
from apexops.migrations.schema_map import replay_history
from apexops.migrations.state import MigrationState, read_state, resolve_target
from apexops.migrations.verify import Verification, verify
from apexops.shared.store import StoreUnavailable
from apexops.status import Status, Verdict

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

    from apexops.environment import Environment

__all__ = ["MigrationProcedure", "Refusal"]


@dataclass(frozen=True)
class Refusal:
    """The change was not attempted (a blocked plan, nothing to stamp, a session that is not blocking)."""

    reasons: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return False

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"verdict": Status.FAIL, "status": "BLOCKED: nothing was run", "reason": r} for r in self.reasons
        ]


def _check_target(sd: ScriptDirectory, target: str) -> None:
    """A target the history does not know, or `base`, is refused from the parameters alone."""
    if target == "base":
        raise ConfigError(
            "target base is not an upgrade: going back to base is a downgrade.",
            hint="run with downgrade_to=base instead of target (its own preview, lint, backup reference "
            "and approval).",
        )
    resolve_target(sd, target)


class Failure(NamedTuple):
    """Why the run fails (one rule of the verdict), and the next step."""

    reasons: list[str]
    hint: str = ""


Result = ExecutionResult | StampResult | KillResult | Refusal


class MigrationProcedure:
    """One run of procedure 20 against an environment's database (sandbox or Azure, through the ports)."""

    def __init__(
        self,
        env: Environment,
        *,
        target: str = "head",
        downgrade_to: str = "",
        acknowledge: str = "",
        backup_reference: str = "",
        allow_stamp: bool = False,
        kill_session: int = 0,
        dry_run: bool = True,
        migrations_dir: str | Path | None = "",
        lock_timeout_ms: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.env = env
        self.settings = env.settings
        self.dry_run = bool(dry_run)
        self.target = (target or "head").strip()
        self.downgrade_to = (downgrade_to or "").strip()
        self.acknowledge = ",".join(parse_acknowledgements(acknowledge))  # ConfigError names `acknowledge`
        self.backup_reference = (backup_reference or "").strip()
        self.allow_stamp = bool(allow_stamp)
        try:
            self.kill_session = int(kill_session or 0)
        except (TypeError, ValueError):
            raise ConfigError(
                f"kill_session {kill_session!r} is not a session id.",
                hint="use a session_id from the diagnostics table, or 0.",
            ) from None
        if self.kill_session < 0:
            raise ConfigError(
                "kill_session must be a positive session id (0 = none).",
                hint="use a session_id from the diagnostics table.",
            )
        changes = {
            "downgrade_to": self.downgrade_to,
            "allow_stamp": self.allow_stamp,
            "kill_session": self.kill_session,
        }
        chosen = [name for name, value in changes.items() if value]
        if len(chosen) > 1 or (chosen and self.target != "head"):
            both = ", ".join(chosen + (["target"] if self.target != "head" else []))
            raise ConfigError(
                f"one change per run: {both} were all set.",
                hint="set only one of target, downgrade_to, allow_stamp, kill_session per run.",
            )
        if lock_timeout_ms is not None and int(lock_timeout_ms) < 0:
            raise ConfigError(
                "lock_timeout_ms must be >= 0 (0 = the environment's database.lock_timeout_ms).",
                hint="e.g. lock_timeout_ms=5000.",
            )
        self.lock_timeout_ms = int(lock_timeout_ms or 0) or self.settings.database.lock_timeout_ms
        self.script_dir = Path(migrations_dir) if migrations_dir else None
        try:
            _check_target(script_directory(self.script_dir), self.target)
        except MigrationError as exc:
            raise ConfigError(f"migrations_dir: {exc.message}", hint=exc.hint) from None
        self.database_name = self.settings.database.name
        self._clock = clock
        self._engine = env.database.engine()
        self._state: MigrationState | None = None
        self._heads_before: tuple[str, ...] | None = None
        self._plan: MigrationPlan | None = None
        self._planned = False
        self.result: Result | None = None
        self.preview_path: Path | None = None
        self._verification: Verification | None = None
        self._connectivity: ConnectivityResult | None = None

    # ------------------------------------------------------------------ what this run is

    @property
    def mode(self) -> str:
        if self.kill_session:
            return "kill"
        if self.downgrade_to:
            return "downgrade"
        if self.allow_stamp:
            return "stamp"
        return "upgrade"

    def summary_rows(self) -> list[dict[str, Any]]:
        info = self.env.database.info()
        return [
            {"item": "change", "value": self.mode},
            {
                "item": "database",
                "value": f"{self.database_name} ({info.dialect}: {info.server} {info.database})",
            },
            {"item": "migration history", "value": str(self.script_dir or "apexops.schema (shipped)")},
            {"item": "session lock timeout", "value": f"{self.lock_timeout_ms} ms"},
            {"item": "dry run", "value": self.dry_run},
        ]

    # ------------------------------------------------------------------ 1-2 state and history

    def state(self) -> MigrationState:
        if self._state is None:
            self._state = read_state(
                self._engine, self.script_dir, target="head" if self.mode == "downgrade" else self.target
            )
            if self._heads_before is None:
                self._heads_before = self._state.version_rows
        return self._state

    # ------------------------------------------------------------------ 3-4 preview and lint

    def plan(self) -> MigrationPlan | None:
        """The upgrade or downgrade plan (None for stamp and kill runs)."""
        if not self._planned:
            self._planned = True
            planner = {
                "upgrade": partial(plan_upgrade, target=self.target),
                "downgrade": partial(plan_downgrade, to=self.downgrade_to),
            }.get(self.mode)
            if planner is not None:
                self._plan = planner(
                    self._engine,
                    script_dir=self.script_dir,
                    acknowledge=self.acknowledge,
                    lock_timeout_ms=self.lock_timeout_ms,
                    database_name=self.database_name,
                    state=self.state(),
                )
        self._refuse_behind(self._plan)
        return self._plan

    def _refuse_behind(self, plan: MigrationPlan | None) -> None:
        """An upgrade to a revision behind the database's is refused here, before the approval gate: it
        would change nothing and report success (going back is `downgrade_to`, with its own lint)."""
        if plan is not None and plan.direction == "upgrade" and plan.state.condition == "ahead_of_target":
            self._verdict(Status.FAIL, plan.state.reasons, plan.state.guidance).raise_for_failure()

    def preview_skip_reason(self) -> str | None:
        """Why there is no SQL to show (None when there is)."""
        plan = self.plan()
        if plan is None:
            return f"no SQL to preview ({self.mode} run)"
        if plan.preview is not None:
            return None
        if plan.state.blocking:
            return f"the database state blocks this run: {plan.state.condition} (see step 1)"
        return "nothing pending"

    def save_preview(self, folder: Path) -> Path | None:
        plan = self.plan()
        if plan is None or plan.preview is None:
            return None
        self.preview_path = plan.preview.write(folder)
        return self.preview_path

    # ------------------------------------------------------------------ 5 preconditions and approval

    def preconditions(self) -> Preconditions:
        return check_preconditions(self.settings, backup_reference=self.backup_reference)

    @property
    def approval_phrase(self) -> str:
        if self.mode == "kill":
            return f"KILL SESSION {self.kill_session} ON {self.database_name}"
        if self.mode == "stamp":
            return f"STAMP {self.database_name} AS {self.state().stamp_candidate or 'NOTHING'}"
        plan = self.plan()
        assert plan is not None
        return plan.approval_phrase

    # ------------------------------------------------------------------ 6 apply (behind the gate)

    def apply(self, *, on_progress: Callable[[str], None] | None = None) -> Result:
        """Make this run's one change under the deployment lock (local and shared: one change per app at a
        time, on any machine); a lock held elsewhere is a refusal naming its holder, like any refusal."""
        from apexops.canary.lock import lock_for  # lazily: the apexops.canary package loads scipy

        lock = lock_for(self.env, procedure="20-database-migration")
        try:
            lock.acquire()
        except (LockHeldError, StoreUnavailable) as exc:
            self.result = Refusal((str(exc),))
            return self.result
        try:
            return self._apply(on_progress=on_progress)
        finally:
            lock.release()

    def _apply(self, *, on_progress: Callable[[str], None] | None = None) -> Result:
        """Make this run's one change; a refusal or a failure is returned, never raised."""
        self.preconditions().require(dry_run=False)
        if self.mode == "kill":
            diag = blocking_sessions(self._engine, tables=self.touched_tables())
            try:
                self.result = kill_session(self._engine, self.kill_session, diagnostics=diag)
            except MigrationError as exc:
                self.result = Refusal((str(exc),))
        elif self.mode == "stamp":
            state = self.state()
            if state.stamp_candidate is None:
                reason = (
                    "nothing to stamp: alembic_version is already consistent with the schema"
                    if not state.blocking
                    else f"refusing to stamp: {state.guidance}"
                )
                self.result = Refusal((reason,))
            else:
                self.result = stamp(
                    self._engine, state.stamp_candidate, state=state, script_dir=self.script_dir
                )
        else:
            plan = self.plan()
            assert plan is not None
            if plan.blocked:
                self.result = Refusal(tuple(plan.reasons()))
            else:
                self.result = apply(
                    self._engine,
                    plan,
                    script_dir=self.script_dir,
                    lock_timeout_ms=self.lock_timeout_ms,
                    on_progress=on_progress,
                    clock=self._clock,
                )
        self._state = None  # the database may have moved: re-read for verify and the facts
        return self.result

    def result_status(self) -> Status:
        """PASS when the change was made, FAIL when it was refused or failed, SKIPPED when not attempted."""
        if self.result is None:
            return Status.SKIPPED
        return Status.PASS if self.result.ok else Status.FAIL  # every result says whether it did its change

    def result_lines(self) -> list[str]:
        """What happened, in words: applied / not applied / alembic_version now (or why nothing ran)."""
        r = self.result
        if isinstance(r, ExecutionResult):
            return r.reasons()
        if isinstance(r, Refusal):
            return [f"BLOCKED, nothing was run: {reason}" for reason in r.reasons]
        if isinstance(r, KillResult) and not r.ok:
            return [r.detail]
        return self._done()

    # ------------------------------------------------------------------ 7-9 verify, connectivity, diagnostics

    def verify(self) -> Verification:
        """Against the plan's target after a successful change; else against what alembic_version says."""
        heads = tuple(script_directory(self.script_dir).get_heads())
        r = self.result
        if isinstance(r, ExecutionResult) and r.ok:
            target = r.target
        elif isinstance(r, StampResult):
            target = r.revision
        else:
            current = self.state().current
            target = current[0] if len(current) == 1 else "base" if not current else "head"
        expected = self.settings.database.expected_tables if target in heads else None
        self._verification = verify(
            self._engine, target=target, expected_tables=expected, script_dir=self.script_dir
        )
        return self._verification

    def connectivity(self) -> ConnectivityResult:
        self._connectivity = check_from_app(self.env.app)
        return self._connectivity

    def touched_tables(self) -> list[str]:
        """The tables the plan's statements touch (for lock holders); every table of the history otherwise."""
        plan = self._plan
        if plan is not None and plan.preview is not None:
            tables = {
                parse_statement(s, in_transaction=True).table
                for r in plan.preview.revisions
                for s in r.schema_statements
            }
            tables.discard("")
            if tables:
                return sorted(t for t in tables if not t.startswith("_alembic_tmp"))
        return sorted(replay_history(self.script_dir).tables)

    def diagnostics(self) -> list[Diagnostic]:
        return [
            blocking_sessions(self._engine, tables=self.touched_tables()),
            long_running_queries(self._engine),
            database_size(self._engine),
        ]

    # ------------------------------------------------------------------ verdict and facts

    def verdict(self) -> Verdict:
        """FAIL when a failure rule below finds one; else PASS (changed, nothing to do) or SKIPPED."""
        failures = [f for f in (self._change_failure(), self._verify_failure(), self._app_failure()) if f]
        if failures:
            reasons = tuple(dict.fromkeys(r for f in failures for r in f.reasons))
            hint = next((f.hint for f in failures if f.hint), "")
            return self._verdict(Status.FAIL, reasons, hint, blocked=self._refused())
        plan = self._plan
        if self.result is None:
            if plan is not None and plan.nothing_to_do:
                return self._verdict(Status.PASS, (f"nothing to do: the database is at {plan.target}",))
            phrase = f'to apply: dry_run=False, approval="{self.approval_phrase}"'
            return self._verdict(Status.SKIPPED, (f"dry run: {self._would()}", phrase))
        manual = []
        if self._connectivity is not None and self._connectivity.skipped:
            manual.append("SELECT 1 from the container app did not run here: run step 8's az command")
        return self._verdict(Status.PASS, (*self._done(), *manual))

    def _refused(self) -> bool:
        """Nothing ran: the change was refused or its plan is blocked (a stop to resolve, not a failure)."""
        plan = self._plan
        return isinstance(self.result, Refusal) or (self.result is None and plan is not None and plan.blocked)

    @staticmethod
    def _verdict(
        status: Status, reasons: tuple[str, ...], hint: str = "", *, blocked: bool = False
    ) -> Verdict:
        error = MigrationBlocked if blocked else MigrationError
        return Verdict(status, reasons, hint=hint, title="database migration failed", error=error)

    def _change_failure(self) -> Failure | None:
        """Why this run's change was refused or failed (or would be, in a dry run)."""
        result, plan, state = self.result, self._plan, self.state()
        if isinstance(result, Refusal):
            return Failure(
                list(result.reasons),
                state.guidance if state.blocking else "resolve the findings, then re-run.",
            )
        if isinstance(result, ExecutionResult) and not result.ok:
            return Failure(result.reasons(), result.hint)
        if isinstance(result, KillResult) and not result.ok:
            return Failure([result.detail], "re-run the diagnostics; the session may have ended by itself.")
        if result is None and plan is not None and plan.blocked:
            return Failure(
                plan.reasons(), state.guidance if state.blocking else "resolve or acknowledge the findings."
            )
        if result is None and self.mode == "stamp" and state.stamp_candidate is None:
            why = (
                state.guidance if state.blocking else "alembic_version is already consistent with the schema"
            )
            return Failure([f"nothing to stamp: {why}"])
        return None

    def _verify_failure(self) -> Failure | None:
        """The verify step found the schema disagreeing with alembic_version, or the target not reached."""
        v = self._verification
        if v is None or v.verdict is not Status.FAIL:
            return None
        return Failure(v.reasons(), "see verify: reconcile the schema with alembic_version, then stamp.")

    def _app_failure(self) -> Failure | None:
        """The app cannot reach the database (a target that cannot exec into a replica is not a failure)."""
        c = self._connectivity
        if c is None or not c.failed:
            return None
        return Failure(
            [f"the app cannot reach the database: {c.output.strip()[-200:]}"],
            "run 70-emergency, database section.",
        )

    def _would(self) -> str:
        plan = self._plan
        if self.mode == "kill":
            return f"would end session {self.kill_session}"
        if self.mode == "stamp":
            return f"would stamp {self.state().stamp_candidate}"
        assert plan is not None
        return (
            f"would {plan.direction} {', '.join(plan.start) or 'base'} -> {plan.target} "
            f"({', '.join(plan.revision_ids)}); lint {plan.lint.verdict}"
        )

    def _done(self) -> list[str]:
        r = self.result
        if isinstance(r, ExecutionResult):
            return r.reasons() if not r.skipped else [f"nothing to do: already at {r.target}"]
        if isinstance(r, StampResult):
            return [
                f"stamped {r.revision}; alembic_version = {', '.join(r.version_rows_after)}",
                "re-run the procedure to upgrade from there",
            ]
        if isinstance(r, KillResult):
            return [f"session {r.session_id} ended", "re-run the procedure to migrate"]
        return []

    def facts(self) -> dict[str, Any]:
        """What the ledger keeps for this run (no secrets: a backup reference is a name or a URL path)."""
        state = self.state()
        plan = self._plan
        out: dict[str, Any] = {
            "migration_mode": self.mode,
            "database": self.database_name,
            "heads_before": list(self._heads_before or ()),
            "heads_after": list(state.version_rows),
            "backup_reference": self.backup_reference or None,
        }
        if plan is not None:
            out.update({k: v for k, v in plan.facts().items() if k != "heads_before"})
            out["preview"] = self.preview_path.name if self.preview_path else None
        if isinstance(self.result, ExecutionResult):
            out["execution"] = self.result.facts()
        elif isinstance(self.result, StampResult):
            out["stamped"] = self.result.revision
        elif isinstance(self.result, KillResult):
            out["killed_session"] = {"id": self.result.session_id, "terminated": self.result.terminated}
        elif isinstance(self.result, Refusal):
            out["refused"] = list(self.result.reasons)
        if self._verification is not None:
            out["verify"] = str(self._verification.verdict)
            out["partially_applied"] = self._verification.partially_applied
        if self._connectivity is not None:
            out["app_connectivity"] = str(self._connectivity.verdict)
        out["migration_verdict"] = str(self.verdict().status)
        return out
