"""Procedure 50 after the stages: what the judge said, an escalation, the old revision, as a mixin of
`apexops.canary.shift.TrafficShift` (split from it to keep each module small; see its docstring)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apexops.canary.approvals import NoGate, approval_for
from apexops.canary.escalation import EscalationDecision
from apexops.canary.load import LoadSummary
from apexops.canary.report import stage_rows
from apexops.canary.resolve import Resolution, find_promotion
from apexops.canary.rollout import PollRecord, RolloutResult
from apexops.canary.stability import StabilityCheck, check_stability, deactivate
from apexops.settings import CanaryPolicy

__all__ = ["AfterStages"]


class AfterStages:
    """Steps 5-7 of procedure 50."""

    # set by TrafficShift.__init__ (declared here for the reader)
    env: Any
    app: Any
    env_name: str
    policy: CanaryPolicy
    resolution: Resolution
    action: str
    canary: str
    baseline: str | None
    dry_run: bool
    deactivate_old: bool
    polls: list[PollRecord]
    result: RolloutResult | None
    load: LoadSummary | None
    promoted_at: datetime | None
    decision: EscalationDecision | None
    stability_check: StabilityCheck | None
    deactivated: bool
    clock: Callable[[], datetime]

    # ------------------------------------------------------------------ step 5: what the judge said

    def poll_rows(self) -> list[dict[str, Any]]:
        return [p.row() for p in self.polls]

    def decision_rows(self) -> list[dict[str, Any]]:
        return stage_rows(self.polls)

    def check_rows(self) -> list[dict[str, Any]]:
        decision = self.result.decision if self.result else None
        if decision is None:
            return []
        return [{"check": c.name, "status": c.status.value, "reason": c.reason} for c in decision.checks]

    def load_rows(self) -> list[dict[str, Any]]:
        if self.load is None:
            return []
        rows = [
            {"revision": r, "requests": n, "5xx": self.load.errors_5xx_by_revision.get(r, 0)}
            for r, n in self.load.by_revision.items()
        ]
        return rows

    # ------------------------------------------------------------------ step 6: escalation

    @property
    def escalated(self) -> bool:
        return self.result is not None and self.result.outcome == "escalated"

    def escalation(self, *, headless: bool | None = None) -> EscalationDecision | None:
        """The decision cell: None when nothing escalated; headless, the parameter already decided."""

        from apexops.display import show_message, step_skipped

        if not self.escalated:
            step_skipped("no escalation: the judge decided every stage" if self.polls else "no stage ran")
            return None
        assert self.result is not None
        if headless is None:
            headless = os.environ.get("APEXOPS_HEADLESS") == "1"
        self.decision = EscalationDecision(
            stage_index=self.result.stage_index, reason=self.result.reason, headless=headless
        )
        if headless:
            show_message(
                f"headless, on_inconclusive={self.policy.on_inconclusive}: no one to ask; the run stops "
                f"with traffic at {self.baseline}=100 ({self.result.reason})",
                "INCONCLUSIVE",
            )
        else:
            self.decision.show()
        return self.decision

    def resolve(self, decision: EscalationDecision | None, *, live: bool = True) -> RolloutResult | None:
        """Act on the person's choice (next cell): resume the stage, or roll back. Headless: nothing."""
        from apexops.display import step_skipped

        if decision is None or decision.headless or self.result is None:
            step_skipped("no decision to act on")
            return None
        choice = decision.require()
        if choice == "resume":
            return self.run(live=live, from_stage=self.result.stage_index, state=self.result.state)
        stage = decision.stage_index + 1
        reason = f"escalation at stage {stage}: rolled back by {decision.by} ({self.result.reason})"
        self._rollout(lambda _: None).rollback(reason)
        self.result = RolloutResult(
            "rolled_back",
            reason,
            self.result.stage_index,
            self.result.decision,
            self.result.polls,
            tuple(self.app.get_traffic()),
            self.result.evidence,
            self.result.state,
        )
        self._record_canary("rolled_back", reason)
        return self.result

    # ------------------------------------------------------------------ step 7: old revision

    def stability(self) -> StabilityCheck:
        promoted_at = self.promoted_at
        if promoted_at is None and self.action == "none":
            promoted_at, _ = find_promotion(self._ledger(), env=self.env_name, revision=self.canary)
        promoted = self.action == "none" or (self.result is not None and self.result.outcome == "promoted")
        if not promoted:
            self.stability_check = StabilityCheck(
                self.canary,
                self.baseline,
                self.policy.stability_window_s,
                None,
                "SKIPPED",
                "the canary was not promoted in this run",
            )
        else:
            self.stability_check = check_stability(
                self.env,
                canary=self.canary,
                old=self.baseline,
                promoted_at=promoted_at,
                requested=self.deactivate_old,
                now=self.clock(),
            )
        return self.stability_check

    @property
    def deactivate_phrase(self) -> str:
        return f"DEACTIVATE {self.baseline} IN {self.env_name}"

    def deactivate_gate(self, approval: str) -> Any:
        from apexops.gates import require_approval

        check = self.stability_check or self.stability()
        if not check.ready:
            return NoGate(check.reason)
        return require_approval(
            self.deactivate_phrase,
            approval=approval_for(approval, self.deactivate_phrase),
            dry_run=self.dry_run,
        )

    @property
    def deactivate_skip_reason(self) -> str:
        check = self.stability_check or self.stability()
        if check.ready and self.dry_run:
            return f"dry run: {self.baseline} stays active"
        return check.reason

    def deactivate_old_revision(self) -> None:
        assert self.baseline is not None
        deactivate(self.app, self.baseline)
        self.deactivated = True
        self._record("old_revision_deactivated", self.baseline)
