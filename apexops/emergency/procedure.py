"""Procedure 70 as one object a notebook steps through: diagnostics first, then one gated recovery.

The scenario (outage | database | blob) chooses the dependency checks and the manual steps; the recovery
(restart | scale_to_zero_and_back | activate_last_good, or '' to diagnose only) is the run's ONE change,
named by an approval phrase bound to the action and the app ("RESTART apex-backend-prod"). Diagnostics
never change anything; the app-side checks run read-only scripts in a replica (the blob check writes and
deletes one probe blob, as the app's readiness probe does). Bad parameters raise ConfigError before
anything is contacted. The recovery holds the app's deployment lock (the one canary rollouts take), so it
cannot interleave with a traffic shift.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops import azcli
from apexops.emergency import views
from apexops.emergency.diagnose import SCENARIOS, Diagnostics, Summary, gather, summarize
from apexops.emergency.recovery import (
    RecoveryPlan,
    RecoveryResult,
    apply_recovery,
    check_choice,
    plan_recovery,
)
from apexops.errors import ApexopsError, ConfigError, VerificationError
from apexops.kernel import outputs_root, run_context
from apexops.migrations.connectivity import CHECK_SCRIPT
from apexops.status import Status, Verdict
from apexops.troubleshoot import insights, manual
from apexops.troubleshoot.probes import BLOB_SCRIPT, blob_from_app, database_from_app

if TYPE_CHECKING:
    from apexops.environment import Environment

__all__ = ["EmergencyProcedure"]

_NEXT = {
    "restart": "watch the error rate for 10 minutes (80-troubleshooting, window_minutes=15); if errors come "
    'back, recovery="activate_last_good" or 60-rollback',
    "scale_to_zero_and_back": "watch the error rate for 10 minutes (80-troubleshooting); if errors come "
    'back, recovery="activate_last_good" or 60-rollback',
    "activate_last_good": "60-rollback: deactivate the failing revision, keep the evidence, communicate, and "
    "start the root-cause analysis",
}


#: the checks each scenario runs from the app side, and the script each runs (for its `az` equivalent)
_CHECKS = {"outage": ("database", "blob"), "database": ("database",), "blob": ("blob",)}
_FROM_APP = {"database": (database_from_app, CHECK_SCRIPT), "blob": (blob_from_app, BLOB_SCRIPT)}


def _verdict(status: Status, reasons: tuple[str, ...], hint: str) -> Verdict:
    return Verdict(status, reasons, hint=hint, title="recovery failed", error=VerificationError)


class EmergencyProcedure:
    def __init__(
        self,
        env: Environment,
        *,
        scenario: str = "outage",
        recovery: str = "",
        last_good_revision: str = "",
        window_minutes: float = 15.0,
        verify_timeout_s: float = 0.0,
        scale_pause_s: float = 30.0,
        dry_run: bool = True,
        lock_dir: Path | None = None,
        run_id: str = "",
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.env, self.settings = env, env.settings
        if scenario not in SCENARIOS:
            raise ConfigError(
                f"scenario {scenario!r} is not an emergency scenario.",
                hint=f"use one of {', '.join(SCENARIOS)}.",
            )
        check_choice(recovery, last_good_revision)
        if not 0 < float(window_minutes) <= 24 * 60:
            raise ConfigError(f"window_minutes {window_minutes!r} is out of range.", hint="use 1..1440.")
        if float(verify_timeout_s) < 0 or float(scale_pause_s) < 0:
            raise ConfigError(
                "verify_timeout_s and scale_pause_s must be >= 0.", hint="use 0 for the default."
            )
        self.scenario, self.recovery, self.last_good = scenario, recovery, last_good_revision.strip()
        self.window_minutes = float(window_minutes)
        self.verify_timeout_s = float(verify_timeout_s) or self.settings.app.health_timeout_s
        self.scale_pause_s = float(scale_pause_s)
        self.dry_run = bool(dry_run)
        self._lock_dir, self._run_id = lock_dir, run_id
        self._now, self._clock, self._sleep = now, clock, sleep
        self.diagnostics: Diagnostics | None = None
        self.summary: Summary | None = None
        self.plan: RecoveryPlan | None = None
        self.result: RecoveryResult | None = None
        self.traffic_before: dict[str, int] = {}

    @property
    def app_name(self) -> str:
        return self.settings.app.name

    # ------------------------------------------------------------------ step 1: status

    def diagnose(self) -> Diagnostics:
        """Read app, revisions, replicas, health, resources and telemetry once (no dependency checks yet)."""
        self.diagnostics = gather(
            self.env, self.scenario, now=self._now(), window_minutes=self.window_minutes
        )
        self.traffic_before = self.diagnostics.traffic()
        return self.diagnostics

    def _diag(self) -> Diagnostics:
        return self.diagnostics if self.diagnostics is not None else self.diagnose()

    def status_rows(self) -> list[dict[str, Any]]:
        return views.status_rows(self._diag())

    def status_command(self) -> str:
        return azcli.containerapp_show(self.settings, query="properties.runningStatus")

    # ------------------------------------------------------------------ step 2: revisions

    def revision_rows(self) -> list[dict[str, Any]]:
        return views.revision_rows(self._diag())

    def revisions_command(self) -> str:
        return azcli.revision_list(
            self.settings,
            query="[].{Name:name, Created:properties.createdTime, Health:properties.healthState}",
        )

    # ------------------------------------------------------------------ step 3: resources

    def resource_rows(self) -> list[dict[str, Any]]:
        return views.resource_rows(self._diag())

    def resources_command(self) -> str:
        return (
            f"az resource list --resource-group {self.settings.azure.resource_group} "
            '--query "[].{Name:name, Status:properties.provisioningState}" -o table'
        )

    # ------------------------------------------------------------------ step 4: telemetry

    def telemetry_rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        d = self._diag()
        if d.stats is None:
            why = d.unavailable.get("request telemetry")
            return [{"status": Status.FAIL, "revision": "(telemetry)", "detail": why}], []
        rate = self.settings.rollback_triggers.error_rate
        return insights.error_rate_rows(d.stats, fail_pct=100 * rate), insights.exception_groups(
            list(d.exceptions)
        )

    def kql(self, name: str) -> str:
        return manual.app_insights_query(
            self.settings, name, window=insights.window_text(self.window_minutes)
        )

    # ------------------------------------------------------------------ step 5: dependencies

    def dependencies(self) -> list[dict[str, Any]]:
        """The scenario's checks from here (database, blob containers), then from the app side."""
        d, here = self._diag(), {"database": self._database_from_here, "blob": self._containers_from_here}
        rows = [here[self.scenario]()] if self.scenario in here else []
        checks = [_FROM_APP[name][0](self.env.app, self.settings) for name in _CHECKS[self.scenario]]
        self.diagnostics = replace(d, dependencies=tuple(checks))
        return rows + [c.row() for c in checks]

    def _containers_from_here(self) -> dict[str, Any]:
        d, check = self._diag(), "blob containers (from here)"
        if d.containers is None:
            return {"status": Status.FAIL, "check": check, "output": d.unavailable.get("blob containers", "")}
        names = ", ".join(f"{c.name} ({c.blob_count} blobs)" for c in d.containers) or "none"
        want = {self.settings.storage.uploads_container, self.settings.storage.processed_container}
        missing = want - {c.name for c in d.containers}
        if missing:
            names += f"; MISSING {', '.join(sorted(missing))}"
        return {"status": Status.FAIL if missing else Status.PASS, "check": check, "output": names}

    def _database_from_here(self) -> dict[str, Any]:
        check = "database: SELECT 1 from here"
        try:
            import sqlalchemy as sa  # lazily: sqlalchemy is heavy and only this scenario needs it

            info = self.env.database.info()
            with self.env.database.engine().connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            output = f"{info.dialect} {info.server}/{info.database}"
            return {"status": Status.PASS, "check": check, "output": output}
        except ApexopsError as exc:
            return {"status": Status.FAIL, "check": check, "output": exc.message, "hint": exc.hint or ""}
        except Exception as exc:  # a driver error is the finding itself
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            return {"status": Status.FAIL, "check": check, "output": f"{type(exc).__name__}: {first}"}

    def dependency_commands(self) -> str:
        scripts = [_FROM_APP[name][1] for name in _CHECKS[self.scenario]]
        return "\n".join(azcli.containerapp_exec(self.settings, ["python3", "-c", s]) for s in scripts)

    def manual_steps(self) -> list[manual.ManualStep]:
        return {
            "outage": manual.outage_manual_steps,
            "database": manual.database_manual_steps,
            "blob": manual.blob_manual_steps,
        }[self.scenario](self.settings)

    def manual_rows(self) -> list[dict[str, Any]]:
        return [s.row(self.env.traits) for s in self.manual_steps()]

    def manual_commands(self) -> str:
        parts = [f"# {s.check} — expected: {s.expected}\n{s.command}" for s in self.manual_steps()]
        recovery = manual.recovery_commands(self.settings, self.scenario)
        if recovery:
            parts.append(
                "# the runbook's recovery actions for this scenario (run by hand, after review)\n" + recovery
            )
        return "\n\n".join(parts)

    # ------------------------------------------------------------------ step 6: summary

    def summarize(self) -> Summary:
        rate = self.settings.rollback_triggers.error_rate
        self.summary = summarize(self._diag(), error_rate_fail=rate)
        return self.summary

    # ------------------------------------------------------------------ step 7: recovery

    def make_plan(self) -> RecoveryPlan | None:
        d = self._diag()
        if d.app is None:
            if not self.recovery:
                return None
            raise ConfigError(
                "the container app cannot be read, so no recovery can be planned.",
                hint=d.unavailable.get("container app", "check the target (00-preflight)."),
            )
        candidates = self.summary.candidates if self.summary else ()
        self.plan = plan_recovery(
            self.settings,
            self.recovery,
            app=d.app,
            revisions=d.revisions,
            last_good_revision=self.last_good,
            candidates=candidates,
            scale_pause_s=self.scale_pause_s,
        )
        return self.plan

    @property
    def approval_phrase(self) -> str:
        return self.plan.phrase if self.plan else f"RECOVER {self.app_name}"

    def apply(self) -> RecoveryResult:
        """The one recovery action (after the gate), under the app's deployment lock, read back."""
        # lazily: the apexops.canary package loads scipy (the canary judge) on import
        from apexops.canary.lock import lock_for

        if self.plan is None:
            raise ConfigError(
                "there is no recovery to apply.", hint="choose one with the recovery parameter."
            )
        lock_dir = self._lock_dir or outputs_root() / "locks"
        run_id = self._run_id or run_context().run_id
        with lock_for(self.env, procedure="70-emergency", lock_dir=lock_dir, run_id=run_id):
            self.result = apply_recovery(
                self.env.app,
                self.plan,
                timeout_s=self.verify_timeout_s,
                scale_pause_s=self.scale_pause_s,
                clock=self._clock,
                sleep=self._sleep,
            )
        return self.result

    # ------------------------------------------------------------------ outcome

    def next_step(self) -> str:
        if self.result is not None:
            if self.result.ok:
                return _NEXT.get(self.result.action, "")
            return self.result.hint
        if self.summary is not None:
            return self.summary.suggestion_text()
        return ""

    def verdict(self) -> Verdict:
        """PASS when the recovery was read back, FAIL when it was not, SKIPPED for a dry run's plan; a
        diagnosis alone is PASS or WARN (the findings and the suggestion)."""
        s, r = self.summary, self.result
        found = tuple(f.line() for f in (s.findings if s else ()) if f.status is not Status.INFO)
        if r is not None and r.ok:
            read_back = (f"{k}: {v}" for k, v in r.read_back.items())
            return _verdict(Status.PASS, (f"{r.action}: done and read back", *read_back), self.next_step())
        if r is not None:
            failed = (f"{x['step']}: {x['detail']}" for x in r.steps if x["status"] is Status.FAIL)
            why = r.error or "read-back did not pass"
            return _verdict(Status.FAIL, (f"{r.action} failed: {why}", *failed), self.next_step())
        if self.plan is not None:
            what = self.plan.noop or f"{self.plan.action} planned"
            hint = f'approve with approval="{self.plan.phrase}" and dry_run=False'
            return _verdict(Status.SKIPPED, (f"dry run: {what}; nothing was changed", *found), hint)
        if s is None or s.status is Status.PASS:
            return _verdict(Status.PASS, ("diagnostics found nothing abnormal",), self.next_step())
        return _verdict(Status.WARN, (*found, s.suggestion_text()), self.next_step())

    def facts(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "recovery": self.recovery or None,
            "traffic_before": self.traffic_before,
        }
        if (s := self.summary) is not None:
            out.update(diagnosis=str(s.status), findings=[f.line() for f in s.findings])
            out.update(suggestion=s.suggestion, candidates=list(s.candidates[:5]))
        if self.plan is not None:
            out["recovery_plan"] = {
                "action": self.plan.action,
                "revisions": list(self.plan.revisions),
                "phrase": self.plan.phrase,
                "noop": self.plan.noop or None,
            }
        if self.result is not None:
            out["recovery_ok"] = self.result.ok
            out["read_back"] = self.result.read_back
            try:
                out["traffic_after"] = {
                    w.revision_name: w.weight for w in self.env.app.get_traffic() if w.weight
                }
            except ApexopsError:
                pass
        out["emergency_verdict"] = str(self.verdict().status)
        out["next_step"] = self.next_step()
        return out
