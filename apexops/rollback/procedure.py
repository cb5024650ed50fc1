"""Procedure 60, Emergency Rollback to Previous Revision: the steps the notebook's thin cells call.

    rb = RollbackProcedure(env, failed_revision="", rollback_to="", reason="", dry_run=True)
    rb.triggers()               # 1  the runbook's triggers over the failed revision's telemetry
    rb.deployment_status()      # 2  an infrastructure deployment still running ("main")?
    rb.require()                #    refuse (before anything changes) without a target or a reason
    gate = rb.gate(approval)    # 3  "ROLLBACK <app> TO <revision>"
    rb.apply(gate)              #    cancel the deployment, traffic 100% back (complete list, read back)
    rb.verify()                 # 4  traffic read back, /health/ready answered by the restored revision
    rb.downgrade(...)           # 5  optional: procedure 20 as a gated child run, previewed first
    rb.deactivate_failed()      # 6  the failed revision cannot get traffic by accident
    rb.smoke()                  # 7  procedure 40 on the restored revision, as a child run
    rb.save_evidence()          # 9  logs, configuration snapshot, rollback log, telemetry excerpt
    rb.documents()              # 8, 10  the communication and the root-cause template, from the facts
    rb.verdict(), rb.facts()    #    what `apexops.finish(rb)` shows, records and gates on

Steps 1-4 are here; steps 5-10 are `apexops.rollback.aftercare.Aftercare`, an object this procedure holds
and hands what each step learned (whether the traffic was rolled back, the telemetry read in step 1).
Every change is written to the rollback log as it happens; facts are recorded as they become known, so
an interrupted rollback still says what it did.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apexops import azcli, kernel
from apexops.canary.approvals import NoGate, approval_for
from apexops.canary.lock import lock_for
from apexops.canary.traffic import effective, write_traffic
from apexops.canary.triggers import TriggerReport, bucket_size_s, evaluate_triggers
from apexops.errors import ApexopsError, ConfigError, VerificationError
from apexops.gates import operator_name, require_approval
from apexops.ledger import Ledger
from apexops.models import TelemetryBucket, TrafficWeight
from apexops.polling import poll_until
from apexops.rollback.aftercare import Aftercare, Aftermath, rollback_verdict
from apexops.rollback.database import DowngradePreview
from apexops.rollback.evidence import (
    RollbackFacts,
    RollbackLog,
    UserImpact,
    bundle_folder,
    snapshot,
    user_impact,
)
from apexops.rollback.health import HealthResult, check_health
from apexops.rollback.target import resolve_rollback
from apexops.runner import run_procedure
from apexops.status import Status, Verdict

__all__ = ["RollbackProcedure"]

_DONE = {"Succeeded", "Failed", "Canceled", "Cancelled"}


class RollbackProcedure:
    """One run of procedure 60 (see the module docstring)."""

    def __init__(
        self,
        env: Any,
        *,
        failed_revision: str = "",
        rollback_to: str = "",
        reason: str = "",
        downgrade_to: str = "",
        backup_reference: str = "",
        acknowledge: str = "",
        cancel_infra: bool = True,
        run_smoke: bool = True,
        dry_run: bool = True,
        outputs: Path | None = None,
        lock_dir: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        record: Callable[[str, Any], None] | None = None,
        evidence_dir: Path | None = None,
        run_id: str = "",
        run_child: Callable[..., Any] | None = None,
    ) -> None:
        self.env, self.settings, self.app = env, env.settings, env.app
        self.env_name, self.app_name = self.settings.environment, self.settings.app.name
        self.reason, self.downgrade_to = reason.strip(), downgrade_to.strip()
        self.cancel_infra, self.run_smoke = cancel_infra, run_smoke
        self.dry_run, self.clock, self.sleep = dry_run, clock, sleep
        self.outputs = Path(outputs) if outputs else kernel.outputs_root()
        self.lock_dir = Path(lock_dir) if lock_dir else self.outputs / "locks"
        self.run_id = run_id or kernel.run_context().run_id
        self.entries = self._ledger()
        state = self.app.show()
        self.revisions = {r.name: r for r in self.app.list_revisions()}
        self.target = resolve_rollback(
            app=self.app_name,
            env=self.env_name,
            revisions=list(self.revisions.values()),
            traffic=state.traffic,
            latest=state.latest_revision_name,
            entries=self.entries,
            failed_revision=failed_revision,
            rollback_to=rollback_to,
        )
        self.failed, self.to, self.action = self.target.failed, self.target.to, self.target.action
        self.started = clock()
        self.evidence = bundle_folder(evidence_dir or kernel.evidence(), self.started)
        self.log = RollbackLog(clock)
        self.log.attach(self.evidence)
        self.report: TriggerReport | None = None
        self.buckets: list[TelemetryBucket] = []
        self.impact: UserImpact | None = None
        self.deployment: Any = None
        self.applied = False
        self.health: HealthResult | None = None
        #: the rollback fact: a dict (the notebook records it) that `rb.facts()` also returns for finish()
        self.facts = RollbackFacts(
            record or kernel.record,
            **{
                "from": self.failed,
                "to": self.to,
                "reason": self.reason,
                "image": self.revisions[self.failed].image if self.failed in self.revisions else None,
                "dry_run": dry_run,
                "triggers": [],
                "traffic_final": [],
                "deactivated": False,
                "db_downgraded": None,
                "evidence": [],
            },
        )
        self.facts.save()
        self.aftercare = Aftercare(
            env,
            self.facts,
            self.log,
            self.evidence,
            self.failed,
            self.to,
            dry_run,
            run_child or self._child,
            downgrade_to=self.downgrade_to,
            backup_reference=backup_reference,
            acknowledge=acknowledge,
            run_smoke=run_smoke,
        )

    def _ledger(self) -> list[dict[str, Any]]:
        try:
            return Ledger(self.outputs).entries()
        except (ApexopsError, OSError):
            return []

    def _child(self, procedure: str, parameters: dict[str, Any]) -> Any:
        """A child run of procedure 20 or 40, linked to this run in the ledger."""
        return run_procedure(
            procedure,
            env=self.env_name,
            parameters=parameters,
            outputs=self.outputs,
            parent_run_id=self.run_id,
        )

    @property
    def rolled_back(self) -> bool:
        """The traffic is back on the target: moved in this run, or already there (a real re-run)."""
        return self.applied or (self.action == "none" and not self.dry_run)

    def summary_rows(self) -> list[dict[str, Any]]:
        return [
            {"item": "failed revision", "value": self.failed or "(none)"},
            {"item": "image", "value": self.facts["image"] or ""},
            {"item": "roll back to", "value": f"{self.to or '(none)'}  [{self.target.source or '-'}]"},
            {"item": "action", "value": f"{self.action}: {self.target.reason}"},
            {"item": "database downgrade", "value": self.downgrade_to or "no"},
            {"item": "cancel infrastructure deployment", "value": self.cancel_infra},
            {"item": "smoke tests afterwards", "value": self.run_smoke},
        ]

    # ------------------------------------------------------------------ 1. triggers

    def triggers(self) -> TriggerReport | None:
        """The runbook's triggers over the failed revision's recent telemetry (compressed windows locally)."""
        if self.failed is None:
            return None
        t = self.settings.rollback_triggers
        bucket = bucket_size_s(t)
        until = self.clock()
        created = self.revisions[self.failed].created_time or until - timedelta(hours=1)
        lookback = timedelta(seconds=30 * max(t.error_window_s, t.p95_window_s))
        since = max(created, until - lookback) - timedelta(seconds=bucket)
        names = [n for n in (self.failed, self.to) if n]
        self.buckets = self.env.telemetry.request_buckets(
            since, until, bucket_s=bucket, revisions=names, slow_ms=t.p95_ms
        )
        self.report = evaluate_triggers(self.buckets, t, bucket_s=bucket, revision=self.failed)
        self.impact = user_impact(
            self.buckets, self.failed, since, until, self.settings.canary.slo.latency_ms
        )
        self.facts["triggers"] = [
            {"name": r.name, "fired": r.fired, "reason": r.reason} for r in self.report.results
        ]
        self.facts["user_impact"] = {**self.impact.to_record(), "sentence": self.impact.sentence()}
        self.log.write(
            f"triggers on {self.failed}: " + ("; ".join(r.reason for r in self.report.fired) or "none fired")
        )
        if not self.reason and self.report.fired:
            fired = "; ".join(r.reason.removeprefix("FIRED: ") for r in self.report.fired)
            self.reason = f"rollback trigger fired: {fired}"
            self.facts["reason"] = self.reason
        self.facts.save()
        return self.report

    def trigger_rows(self) -> list[dict[str, Any]]:
        if self.report is None:
            return []
        return [
            {"trigger": r.name, "status": "FIRED" if r.fired else Status.PASS, "detail": r.reason}
            for r in self.report.results
        ]

    # ------------------------------------------------------------------ 2. stop deployment activities

    def deployment_status(self) -> list[dict[str, Any]]:
        try:
            self.deployment = self.env.deployments.get("main")
        except ApexopsError as exc:
            return [
                {"deployment": "main", "status": Status.WARN, "detail": f"could not read it: {exc.message}"}
            ]
        if self.deployment is None:
            return [{"deployment": "main", "status": Status.PASS, "detail": "no infrastructure deployment"}]
        state = self.deployment.provisioning_state
        if state in _DONE:
            return [{"deployment": "main", "status": Status.PASS, "detail": state}]
        what = "will be cancelled" if self.cancel_infra else "left running (cancel_infra=False)"
        return [{"deployment": "main", "status": Status.WARN, "detail": f"{state} {what}"}]

    @property
    def infra_running(self) -> bool:
        return self.deployment is not None and self.deployment.provisioning_state not in _DONE

    # ------------------------------------------------------------------ plan and gate

    def require(self) -> None:
        """Refuse before anything changes (a dry run only reports)."""
        if self.dry_run or self.action == "none":
            return
        if self.action == "refuse":
            raise ConfigError(
                f"cannot roll back: {self.target.reason}.",
                hint="name the revisions with failed_revision and rollback_to; nothing was changed.",
            )
        if not self.reason:
            raise ConfigError(
                "reason is empty and no rollback trigger fired.",
                hint="say why in the reason parameter (it goes into the communication), e.g. "
                'reason="critical bug in estimates"; nothing was changed.',
            )

    def planned_traffic(self) -> list[TrafficWeight]:
        """The complete list: the target at 100, every other revision that had weight at 0."""
        assert self.to is not None
        names = [self.to, *(n for n in self.target.traffic if n != self.to)]
        if self.failed and self.failed not in names:
            names.append(self.failed)
        return [TrafficWeight(n, 100 if n == self.to else 0) for n in names]

    def plan_rows(self) -> list[dict[str, Any]]:
        if self.action != "rollback" or self.to is None:
            return []
        rows = []
        if self.infra_running:
            change = "cancel deployment main" if self.cancel_infra else "none"
            rows.append({"step": "stop deployments", "change": change})
        if not self.revisions[self.to].active:
            rows.append({"step": "activate", "change": f"activate {self.to} and wait until healthy"})
        listed = ", ".join(f"{w.revision_name}={w.weight}" for w in self.planned_traffic())
        rows += [
            {"step": "traffic", "change": f"{listed} (read back)"},
            {"step": "verify", "change": "/health/ready through the app URL, served by " + self.to},
        ]
        if self.downgrade_to:
            rows.append(
                {"step": "database", "change": f"procedure 20 downgrade to {self.downgrade_to} (own gate)"}
            )
        rows.append({"step": "deactivate", "change": f"deactivate {self.failed}"})
        if self.run_smoke:
            rows.append({"step": "smoke tests", "change": f"procedure 40 on {self.to} (child run)"})
        return rows

    def plan_message(self) -> tuple[str, Status]:
        """What this run will do, in one line (written to the rollback log the first time)."""
        if self.action == "rollback":
            text = f"roll back {self.target.reason}; reason: {self.reason or '(none given)'}"
            status = Status.INFO
        elif self.action == "none":
            text, status = self.target.reason, Status.SKIPPED
        else:
            text, status = f"a real run refuses: {self.target.reason}", Status.FAIL
        if not self._planned:
            self._planned = True
            self.log.write(("DRY RUN plan: " if self.dry_run else "plan: ") + text)
        return text, status

    _planned = False

    def az_commands(self) -> str:
        s = self.settings
        if self.action != "rollback" or self.to is None:
            return azcli.ingress_traffic_show(s)
        parts = [azcli.deployment_group_cancel(s)] if self.infra_running and self.cancel_infra else []
        parts += [azcli.ingress_traffic_set(s, self.planned_traffic()), azcli.ingress_traffic_show(s)]
        parts.append(azcli.revision_deactivate(s, self.failed or ""))
        return "\n\n".join(parts)

    @property
    def approval_phrase(self) -> str:
        return f"ROLLBACK {self.app_name} TO {self.to}"

    def gate(self, approval: str) -> Any:
        if self.action != "rollback":
            return NoGate(self.target.reason)
        return require_approval(
            self.approval_phrase, approval=approval_for(approval, self.approval_phrase), dry_run=self.dry_run
        )

    @property
    def skip_reason(self) -> str:
        return "dry run: nothing was changed" if self.dry_run else self.target.reason

    # ------------------------------------------------------------------ 3. apply

    def apply(self, *, on_progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
        """Behind the gate: stop deployments, (activate,) write the complete list, read it back."""
        assert self.to is not None and self.failed is not None
        say = on_progress or (lambda _m: None)
        say(
            self.log.write(
                f"ROLLBACK INITIATED by {operator_name()}: {self.failed} -> {self.to}; reason: {self.reason}"
            )
        )
        rows = []
        snapshot(self.app, self.evidence)  # the configuration as it was, before the first change
        with lock_for(self.env, procedure="60-rollback", lock_dir=self.lock_dir, run_id=self.run_id):
            if self.infra_running and self.cancel_infra:
                cancelled = self.env.deployments.cancel("main")
                said = "cancelled" if cancelled else "was no longer running"
                say(self.log.write(f"deployment main: {said}"))
                result = "cancelled" if cancelled else "not running"
                rows.append({"action": "cancel deployment main", "result": result})
                self.facts["infra_cancelled"] = cancelled
            if not self.app.get_revision(self.to).active:
                self._activate(self.to, say)
                rows.append({"action": f"activate {self.to}", "result": "active and healthy"})
            before = effective(self.app.get_traffic())
            say(self.log.write(f"traffic before: {before}"))
            after = write_traffic(self.app, self.planned_traffic())
            self.applied = True
            self.facts["traffic_final"] = [{"revision": w.revision_name, "weight": w.weight} for w in after]
            say(self.log.write(f"traffic set and read back: {effective(after)}"))
            rows.append({"action": "traffic", "result": f"read back {effective(after)}"})
        self.facts.save()
        return rows

    def _activate(self, name: str, say: Callable[[str], None]) -> None:
        self.app.activate_revision(name)
        say(self.log.write(f"activated {name}; waiting until healthy"))
        timeout_s = self.settings.app.health_timeout_s
        if not poll_until(
            lambda: self.app.get_revision(name).healthy, timeout_s, interval_s=0.2, sleep=self.sleep
        ):
            raise VerificationError(
                f"{name} was activated but is not healthy after {timeout_s:g} s.",
                hint="traffic was not moved; choose another rollback_to, or run 70-emergency.",
            )

    # ------------------------------------------------------------------ 4. verify

    def verify(self) -> HealthResult | None:
        if not self.rolled_back or self.to is None:
            return None
        traffic = effective(self.app.get_traffic())
        served = traffic == {self.to: 100}
        row = {
            "request": "traffic",
            "status": Status.PASS if served else Status.FAIL,
            "detail": f"read back {traffic}",
        }
        health = check_health(self.app.show().url, self.to, timeout_s=self.settings.smoke.request_timeout_s)
        self.health = HealthResult(health.ok and served, (row, *health.rows))
        status = Status.PASS if self.health.ok else Status.FAIL
        self.log.write(f"verify: {status} (traffic {traffic}, /health/ready)")
        self.facts["health"] = status
        self.facts.save()
        return self.health

    # ------------------------------------------------------------------ 5-10. after the traffic is back

    def downgrade_preview(self) -> DowngradePreview | None:
        return self.aftercare.downgrade_preview()

    @property
    def downgrade_skip_reason(self) -> str:
        return self.aftercare.downgrade_skip_reason()

    def downgrade_gate(self, approval: str) -> Any:
        return self.aftercare.downgrade_gate(approval, applied=self.applied)

    def downgrade(self) -> Any:
        return self.aftercare.downgrade()

    def deactivate_failed(self) -> tuple[str, Status]:
        return self.aftercare.deactivate_failed(rolled_back=self.rolled_back)

    @property
    def smoke_skip_reason(self) -> str:
        return self.aftercare.smoke_skip_reason()

    def smoke(self) -> Any:
        return self.aftercare.smoke(rolled_back=self.rolled_back)

    def save_evidence(self) -> list[Path]:
        return self.aftercare.save_evidence(report=self.report, impact=self.impact, buckets=self.buckets)

    @staticmethod
    def evidence_rows(saved: list[Path]) -> list[dict[str, Any]]:
        return [{"file": f"{p.parent.name}/{p.name}", "bytes": p.stat().st_size} for p in saved]

    def documents(self) -> tuple[str, str]:
        """(communication draft, root-cause-analysis template) as markdown, also saved to the evidence."""
        return self.aftercare.documents(
            env_name=self.env_name, run_id=self.run_id, at=self.clock(), entries=self.entries
        )

    def verdict(self) -> Verdict:
        """The traffic as it ends and the evidence files go into the facts; then the verdict's rules."""
        self.facts["traffic_final"] = [
            {"revision": w.revision_name, "weight": w.weight} for w in self.app.get_traffic()
        ]
        files = sorted(p.name for p in self.evidence.iterdir() if p.is_file())
        self.facts["evidence"] = [f"{self.evidence.name}/{f}" for f in files]
        self.facts.save()
        if self.dry_run:
            return rollback_verdict(None, dry_run_plan=self.plan_message()[0])
        done = (
            f"{self.to} serves 100% (read back)"
            if self.applied or self.action == "none"
            else self.target.reason
        )
        return rollback_verdict(Aftermath(self.facts, self.applied, self.downgrade_to, done))
