"""Procedure 60 after the traffic is back: database, failed revision, smoke tests, evidence, documents.

Split from `apexops.rollback.procedure` (the mixin reads the procedure's state); see its docstring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexops.canary.approvals import NoGate, approval_for
from apexops.errors import RolloutError, VerificationError
from apexops.rollback.database import DowngradePreview, preview_downgrade
from apexops.rollback.evidence import save_logs, save_telemetry

__all__ = ["AfterRollback", "RollbackVerdict"]


@dataclass(frozen=True)
class RollbackVerdict:
    status: str
    reasons: tuple[str, ...]

    def raise_for_failure(self) -> None:
        if self.status == "FAIL":
            raise RolloutError(
                "rollback incomplete: " + "; ".join(self.reasons),
                hint="see the steps above and the rollback log in the evidence folder; traffic stays where "
                "the read-back says. HINT: run 70-emergency if the restored revision is unhealthy too.",
            )


class AfterRollback:
    """Steps 5-10 of procedure 60 (mixed into RollbackProcedure)."""

    # set by RollbackProcedure.__init__ (declared here for the reader)
    env: Any
    app: Any
    env_name: str
    run_id: str
    outputs: Path
    evidence: Path
    facts: dict[str, Any]
    failed: str | None
    to: str | None
    action: str
    applied: bool
    dry_run: bool
    downgrade_to: str
    backup_reference: str
    acknowledge: str
    run_smoke: bool
    preview: DowngradePreview | None = None

    # ------------------------------------------------------------------ 5. database (child run of 20)

    def downgrade_preview(self) -> DowngradePreview | None:
        """Procedure 20's own plan for the downgrade, read-only (state, SQL, lint, data at risk)."""
        if not self.downgrade_to:
            return None
        self.preview = preview_downgrade(
            self.env, self.downgrade_to, backup_reference=self.backup_reference, acknowledge=self.acknowledge
        )
        return self.preview

    @property
    def downgrade_phrase(self) -> str:
        preview = self.preview or self.downgrade_preview()
        return preview.phrase if preview else ""

    def downgrade_gate(self, approval: str) -> Any:
        from apexops.gates import require_approval

        if not self.downgrade_to:
            return NoGate("no database downgrade asked (downgrade_to is empty)")
        if not self.applied and not self.dry_run:
            return NoGate("the traffic was not rolled back in this run")
        preview = self.preview or self.downgrade_preview()
        if preview is not None and not preview.ok:
            return NoGate("procedure 20 would refuse: " + "; ".join(preview.blocked))
        return require_approval(
            self.downgrade_phrase,
            approval=approval_for(approval, self.downgrade_phrase),
            dry_run=self.dry_run,
        )

    def downgrade(self) -> Any:
        """Procedure 20 as a child run with the approved phrase; the result is recorded, not raised."""
        params = {
            "dry_run": False,
            "downgrade_to": self.downgrade_to,
            "approval": self.downgrade_phrase,
            "backup_reference": self.backup_reference,
            "acknowledge": self.acknowledge,
        }
        child = self._child("20", params)
        self.facts["db_downgraded"] = {
            "to": self.downgrade_to,
            "run_id": child.run_id,
            "ok": child.ok,
            "outcome": child.outcome,
        }
        self.log.write(f"database downgrade to {self.downgrade_to}: run {child.run_id} {child.outcome}")
        self._save_facts()
        return child

    def _child(self, procedure: str, parameters: Mapping[str, Any]) -> Any:
        if self._run_child is not None:
            return self._run_child(procedure, dict(parameters))
        from apexops.runner import run_procedure

        return run_procedure(
            procedure,
            env=self.env_name,
            parameters=dict(parameters),
            outputs=self.outputs,
            parent_run_id=self.run_id,
        )

    # ------------------------------------------------------------------ 6-7. deactivate, smoke tests

    @property
    def downgrade_skip_reason(self) -> str:
        if not self.downgrade_to:
            return "no database downgrade asked (downgrade_to is empty)"
        preview = self.preview or self.downgrade_preview()
        if preview is not None and not preview.ok:
            return "procedure 20 would refuse: " + "; ".join(preview.blocked)
        return "dry run: the database was not changed" if self.dry_run else "traffic was not rolled back"

    def deactivate_failed(self) -> tuple[str, str]:
        """Runbook step 6 (covered by the rollback's approval): (what happened, status)."""
        if self.failed is None or not (self.applied or (self.action == "none" and not self.dry_run)):
            return ("dry run: nothing was deactivated" if self.dry_run else "nothing rolled back"), "SKIPPED"
        if not self.app.get_revision(self.failed).active:
            self.facts["deactivated"] = True
            self._save_facts()
            return f"{self.failed} is already inactive", "SKIPPED"
        self.app.deactivate_revision(self.failed)
        if self.app.get_revision(self.failed).active:
            raise VerificationError(
                f"{self.failed} still reads back as active.", hint="deactivate it by hand."
            )
        self.facts["deactivated"] = True
        self.log.write(f"deactivated {self.failed} (read back inactive)")
        self._save_facts()
        return f"{self.failed} deactivated (read back inactive)", "PASS"

    @property
    def smoke_skip_reason(self) -> str:
        if not self.run_smoke:
            return "run_smoke=False"
        return "dry run: no smoke tests" if self.dry_run else "traffic was not rolled back"

    def smoke(self) -> Any:
        if (
            not self.run_smoke
            or self.dry_run
            or self.to is None
            or (not self.applied and self.action != "none")
        ):
            return None
        child = self._child("40", {"revision": self.to})
        self.facts["smoke"] = {"run_id": child.run_id, "outcome": child.outcome, "revision": self.to}
        self.log.write(f"smoke tests on {self.to}: run {child.run_id} {child.outcome}")
        self._save_facts()
        return child

    # ------------------------------------------------------------------ 8-10. evidence and documents

    def save_evidence(self) -> list[Path]:
        saved = [self.log.path] if self.log.path else []
        saved.append(self.snapshot())
        if self.failed:
            logs = save_logs(self.env.telemetry, self.failed, self.evidence)
            saved += [logs] if logs else []
        if self.report is not None and self.impact is not None:
            saved.append(
                save_telemetry(
                    self.env.telemetry,
                    self.evidence,
                    since=self.impact.since,
                    until=self.impact.until,
                    buckets=self.buckets,
                    triggers=self.report.to_record(),
                    impact=self.impact,
                )
            )
        return saved

    @staticmethod
    def evidence_rows(saved: list[Path]) -> list[dict[str, Any]]:
        return [{"file": f"{p.parent.name}/{p.name}", "bytes": p.stat().st_size} for p in saved]

    def snapshot(self) -> Path:
        """current-containerapp-config.json: the app as it was when the rollback began (taken once)."""
        from apexops.deploy.snapshot import SNAPSHOT_FILE, take_snapshot

        path = self.evidence / SNAPSHOT_FILE
        if not path.exists():
            take_snapshot(self.app.show(), list(self.app.list_revisions()), self.evidence)
        return path

    def documents(self) -> tuple[str, str]:
        """(communication draft, root-cause-analysis template) as markdown, also saved to the evidence."""
        from apexops.rollback.report import communication_draft, rca_template, timeline

        comm = communication_draft(self.facts, env=self.env_name, at=self.clock())
        history = timeline(self.entries, env=self.env_name, revision=self.failed or "")
        rca = rca_template(
            self.facts, env=self.env_name, run_id=self.run_id, log=self.log.lines, history=history
        )
        (self.evidence / "communication-draft.md").write_text(comm + "\n")
        (self.evidence / "root-cause-analysis.md").write_text(rca + "\n")
        return comm, rca

    def verdict(self) -> RollbackVerdict:
        self.facts["traffic_final"] = [
            {"revision": w.revision_name, "weight": w.weight} for w in self.app.get_traffic()
        ]
        files = sorted(p.name for p in self.evidence.iterdir() if p.is_file())
        self.facts["evidence"] = [f"{self.evidence.name}/{f}" for f in files]
        self._save_facts()
        if self.dry_run:
            return RollbackVerdict("SKIPPED", (f"dry run: {self.plan_message()[0]}",))
        problems = []
        if self.health is not None and not self.health.ok:
            problems.append("the restored revision did not pass the health check")
        if self.applied and not self.facts["deactivated"]:
            problems.append(f"{self.failed} was not deactivated")
        smoke = self.facts.get("smoke")
        if smoke and smoke["outcome"] != "succeeded":
            problems.append(f"smoke tests on {self.to}: {smoke['outcome']} (run {smoke['run_id']})")
        db = self.facts.get("db_downgraded")
        if self.downgrade_to and not (db and db.get("ok")):
            problems.append(
                f"database downgrade to {self.downgrade_to}: " + (db["outcome"] if db else "not done")
            )
        done = (
            f"{self.to} serves 100% (read back)"
            if self.applied or self.action == "none"
            else self.target.reason
        )
        return RollbackVerdict("FAIL" if problems else "PASS", (done, *problems))
