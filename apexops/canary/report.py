"""What procedure 50 shows and records about a rollout: per-stage decisions, the per-interval table, the
facts for the ledger and the verdict. Pure functions of the rollout's records.

Facts (the contract the release procedure builds on):

    canary         {revision, baseline, verdict, reason, stages: [...], traffic_final: [...], rolled_back,
                    promoted_at?, load?}
                   verdict: promoted | rolled_back | escalated | dry_run | interrupted | error
    traffic_moved  True once any weight went to the canary (recorded before the first write)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apexops.canary.rollout import PollRecord
from apexops.errors import RolloutError
from apexops.models import TrafficWeight

__all__ = ["ShiftVerdict", "stage_rows", "traffic_rows", "verdict_for"]

_STATUS = {
    "promoted": "PASS",
    "dry_run": "SKIPPED",
    "rolled_back": "ROLLBACK",
    "escalated": "INCONCLUSIVE",
    "interrupted": "FAIL",
    "error": "FAIL",
}

_STAGE_NUMBERS = (
    "canary_requests",
    "canary_5xx",
    "canary_slow",
    "baseline_requests",
    "baseline_5xx",
    "baseline_slow",
    "harm_errors_e_value",
    "harm_latency_e_value",
    "slo_errors_upper",
    "slo_latency_upper",
)


def traffic_rows(weights: Iterable[TrafficWeight]) -> list[dict[str, Any]]:
    """The traffic list as written/read back: every entry, zero weights included (the full list)."""
    return [{"revision": w.revision_name, "weight": w.weight} for w in weights]


def stage_rows(polls: Sequence[PollRecord]) -> list[dict[str, Any]]:
    """One row per stage: its last poll's decision, reason and the numbers behind it."""
    last: dict[int, PollRecord] = {}
    count: dict[int, int] = {}
    for p in polls:
        last[p.stage_index] = p
        count[p.stage_index] = count.get(p.stage_index, 0) + 1
    rows = []
    for index in sorted(last):
        p = last[index]
        row: dict[str, Any] = {
            "stage": index + 1,
            "weight": p.weight,
            "polls": count[index],
            "elapsed_s": round(p.elapsed_s, 1),
            "verdict": p.verdict,
            "reason": p.reason,
        }
        row.update({k: p.numbers.get(k) for k in _STAGE_NUMBERS})
        rows.append(row)
    return rows


@dataclass(frozen=True)
class ShiftVerdict:
    """The run's verdict: status for the banner, the contract's verdict word, and why."""

    verdict: str
    reason: str
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        return _STATUS.get(self.verdict, "FAIL")

    @property
    def ok(self) -> bool:
        return self.verdict in ("promoted", "dry_run")

    def raise_for_failure(self) -> None:
        """The run fails unless the canary was promoted (or this was a dry run)."""
        if self.ok:
            return
        if self.verdict == "rolled_back":
            hint = (
                "traffic is back at the baseline (read back); the evidence folder holds the decision, the "
                "polls and the canary's logs. Run 60-rollback for the database, the failed revision and "
                "the communication."
            )
        elif self.verdict == "escalated":
            hint = (
                "traffic is at the baseline; decide: re-run with on_inconclusive='extend' or more load, "
                "or roll back with 60-rollback."
            )
        else:
            hint = "traffic was restored to the baseline (read back); see the evidence folder."
        raise RolloutError(f"canary {self.verdict.replace('_', ' ')}: {self.reason}", hint=hint)


def verdict_for(facts: Mapping[str, Any], extra: Sequence[str] = ()) -> ShiftVerdict:
    canary = facts.get("canary") or {}
    verdict, reason = str(canary.get("verdict", "error")), str(canary.get("reason", ""))
    reasons = [reason] if reason else []
    final = canary.get("traffic_final")
    if final:
        reasons.append("traffic now: " + ", ".join(f"{t['revision']}={t['weight']}" for t in final))
    return ShiftVerdict(verdict, reason, tuple([*reasons, *extra]))
