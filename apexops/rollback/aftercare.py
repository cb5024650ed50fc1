"""Procedure 60 after the traffic is back (runbook steps 5-10): database, failed revision, smoke tests,
evidence and documents, and the rules of the rollback's verdict.

`Aftercare` is given what it needs when the procedure builds it (the environment, the run's facts and log,
the revisions, the options, how to start a child run). What the procedure learns later (whether the traffic
was rolled back, the telemetry it read) is passed to each step as an argument, so no step depends on state
another step set behind its back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from apexops.canary.approvals import NoGate, approval_for
from apexops.canary.triggers import TriggerReport
from apexops.errors import RolloutError, VerificationError
from apexops.gates import require_approval
from apexops.models import TelemetryBucket
from apexops.rollback.database import DowngradePreview, preview_downgrade
from apexops.rollback.evidence import (
    RollbackFacts,
    RollbackLog,
    UserImpact,
    save_logs,
    save_telemetry,
    snapshot,
)
from apexops.rollback.report import communication_draft, rca_template, timeline
from apexops.scrubbed import write_scrubbed
from apexops.status import Finding, Outcome, Status, Verdict, judge

__all__ = ["VERDICT_RULES", "Aftercare", "Aftermath", "rollback_verdict"]

#: a child run: (procedure id, parameters) -> the runner's RunResult
RunChild = Callable[[str, dict[str, Any]], Any]


@dataclass
class Aftercare:
    """Steps 5-10 of procedure 60 for one run (the notebook reaches them through `RollbackProcedure`)."""

    env: Any
    facts: RollbackFacts
    log: RollbackLog
    evidence: Path
    failed: str | None
    to: str | None
    dry_run: bool
    run_child: RunChild
    downgrade_to: str = ""
    backup_reference: str = ""
    acknowledge: str = ""
    run_smoke: bool = True
    preview: DowngradePreview | None = None

    # ------------------------------------------------------------------ 5. database (child run of 20)

    def downgrade_preview(self) -> DowngradePreview | None:
        """Procedure 20's own plan for the downgrade, read-only (state, SQL, lint, data at risk)."""
        if not self.downgrade_to:
            return None
        if self.preview is None:
            self.preview = preview_downgrade(
                self.env,
                self.downgrade_to,
                backup_reference=self.backup_reference,
                acknowledge=self.acknowledge,
            )
        return self.preview

    @property
    def downgrade_phrase(self) -> str:
        preview = self.downgrade_preview()
        return preview.phrase if preview else ""

    def _refused(self) -> str:
        preview = self.downgrade_preview()
        return (
            "procedure 20 would refuse: " + "; ".join(preview.blocked) if preview and not preview.ok else ""
        )

    def downgrade_skip_reason(self) -> str:
        if not self.downgrade_to:
            return "no database downgrade asked (downgrade_to is empty)"
        return self._refused() or (
            "dry run: the database was not changed" if self.dry_run else "traffic was not rolled back"
        )

    def downgrade_gate(self, approval: str, *, applied: bool) -> Any:
        """20's approval phrase, asked only when a downgrade was asked, the traffic was rolled back in this
        run (`applied`; or it is a dry run) and 20 would accept it."""
        if not self.downgrade_to:
            return NoGate("no database downgrade asked (downgrade_to is empty)")
        if not applied and not self.dry_run:
            return NoGate("the traffic was not rolled back in this run")
        if self._refused():
            return NoGate(self._refused())
        phrase = self.downgrade_phrase
        return require_approval(phrase, approval=approval_for(approval, phrase), dry_run=self.dry_run)

    def downgrade(self) -> Any:
        """Procedure 20 as a child run with the approved phrase; the result is recorded, not raised."""
        params = {
            "dry_run": False,
            "downgrade_to": self.downgrade_to,
            "approval": self.downgrade_phrase,
            "backup_reference": self.backup_reference,
            "acknowledge": self.acknowledge,
        }
        child = self.run_child("20", params)
        self.facts["db_downgraded"] = {
            "to": self.downgrade_to,
            "run_id": child.run_id,
            "ok": child.ok,
            "outcome": child.outcome,
        }
        self.log.write(f"database downgrade to {self.downgrade_to}: run {child.run_id} {child.outcome}")
        self.facts.save()
        return child

    # ------------------------------------------------------------------ 6-7. deactivate, smoke tests

    def deactivate_failed(self, *, rolled_back: bool) -> tuple[str, Status]:
        """Runbook step 6 (covered by the rollback's approval): (what happened, status)."""
        app = self.env.app
        if self.failed is None or not rolled_back:
            return (
                "dry run: nothing was deactivated" if self.dry_run else "nothing rolled back"
            ), Status.SKIPPED
        if not app.get_revision(self.failed).active:
            self.facts["deactivated"] = True
            self.facts.save()
            return f"{self.failed} is already inactive", Status.SKIPPED
        app.deactivate_revision(self.failed)
        if app.get_revision(self.failed).active:
            raise VerificationError(
                f"{self.failed} still reads back as active.", hint="deactivate it by hand."
            )
        self.facts["deactivated"] = True
        self.log.write(f"deactivated {self.failed} (read back inactive)")
        self.facts.save()
        return f"{self.failed} deactivated (read back inactive)", Status.PASS

    def smoke_skip_reason(self) -> str:
        if not self.run_smoke:
            return "run_smoke=False"
        return "dry run: no smoke tests" if self.dry_run else "traffic was not rolled back"

    def smoke(self, *, rolled_back: bool) -> Any:
        """Procedure 40 on the restored revision, as a child run (None when it does not apply)."""
        if not self.run_smoke or self.dry_run or self.to is None or not rolled_back:
            return None
        child = self.run_child("40", {"revision": self.to})
        self.facts["smoke"] = {"run_id": child.run_id, "outcome": child.outcome, "revision": self.to}
        self.log.write(f"smoke tests on {self.to}: run {child.run_id} {child.outcome}")
        self.facts.save()
        return child

    # ------------------------------------------------------------------ 8-10. evidence and documents

    def save_evidence(
        self,
        *,
        report: TriggerReport | None = None,
        impact: UserImpact | None = None,
        buckets: list[TelemetryBucket] | None = None,
    ) -> list[Path]:
        """Runbook step 9: the rollback log, the configuration snapshot, the failed revision's logs and the
        telemetry excerpt of the triggers' window (when step 1 read it)."""
        telemetry = self.env.telemetry
        saved = [self.log.path] if self.log.path else []
        saved.append(snapshot(self.env.app, self.evidence))
        if self.failed:
            logs = save_logs(telemetry, self.failed, self.evidence)
            saved += [logs] if logs else []
        if report is not None and impact is not None:
            saved.append(
                save_telemetry(
                    telemetry,
                    self.evidence,
                    since=impact.since,
                    until=impact.until,
                    buckets=buckets or [],
                    triggers=report.to_record(),
                    impact=impact,
                )
            )
        return saved

    def documents(self, *, env_name: str, run_id: str, at: datetime, entries: list[Any]) -> tuple[str, str]:
        """(communication draft, root-cause-analysis template) as markdown, also saved to the evidence."""
        comm = communication_draft(self.facts, env=env_name, at=at)
        history = timeline(entries, env=env_name, revision=self.failed or "")
        rca = rca_template(self.facts, env=env_name, run_id=run_id, log=self.log.lines, history=history)
        write_scrubbed(self.evidence / "communication-draft.md", comm + "\n")
        write_scrubbed(self.evidence / "root-cause-analysis.md", rca + "\n")
        return comm, rca


# --------------------------------------------------------------------------- the verdict


@dataclass(frozen=True)
class Aftermath:
    """What the rollback's verdict reads once every step ran: its facts, whether this run moved the
    traffic (`applied`), the downgrade asked for, and what happened to the traffic in words."""

    facts: Mapping[str, Any]
    applied: bool
    downgrade_to: str
    done: str


def unhealthy(a: Aftermath) -> Finding | None:
    if a.facts.get("health") == Status.FAIL:
        return Finding(Status.FAIL, "the restored revision did not pass the health check")
    return None


def not_deactivated(a: Aftermath) -> Finding | None:
    if a.applied and not a.facts.get("deactivated"):
        return Finding(Status.FAIL, f"{a.facts.get('from')} was not deactivated")
    return None


def smoke_failed(a: Aftermath) -> Finding | None:
    smoke = a.facts.get("smoke")
    if smoke and smoke["outcome"] != Outcome.SUCCEEDED:
        return Finding(
            Status.FAIL, f"smoke tests on {a.facts.get('to')}: {smoke['outcome']} (run {smoke['run_id']})"
        )
    return None


def downgrade_missing(a: Aftermath) -> Finding | None:
    db = a.facts.get("db_downgraded")
    if a.downgrade_to and not (db and db.get("ok")):
        return Finding(
            Status.FAIL, f"database downgrade to {a.downgrade_to}: " + (db["outcome"] if db else "not done")
        )
    return None


VERDICT_RULES = (unhealthy, not_deactivated, smoke_failed, downgrade_missing)

_HINT = (
    "see the steps above and the rollback log in the evidence folder; traffic stays where the read-back "
    "says. HINT: run 70-emergency if the restored revision is unhealthy too."
)


def rollback_verdict(aftermath: Aftermath | None, *, dry_run_plan: str = "") -> Verdict:
    """PASS when nothing is left to do, FAIL with every problem otherwise; SKIPPED for a dry run (None).

    A FAIL stops the run with `RolloutError("rollback incomplete: ...")`.
    """
    if aftermath is None:
        return Verdict(Status.SKIPPED, (f"dry run: {dry_run_plan}",))
    problems = judge(VERDICT_RULES, aftermath)
    return Verdict(
        problems.status,
        (aftermath.done, *problems.reasons),
        hint=_HINT,
        title="rollback incomplete",
        error=RolloutError,
    )
