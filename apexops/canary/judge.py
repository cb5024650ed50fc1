"""Evaluate and assess: one Observation -> per-check results -> one Judgement, all pure data with reasons.

The shape follows Argo Rollouts' analysis (measure -> evaluate -> assess as separate steps, one status
vocabulary, worst wins, reasons built from the numbers), with the statistics of `apexops.canary.stats`:

    checks    canary_guard, baseline_guard   revision states and replica restarts (hard guards)
              data                           telemetry complete, enough requests to ever pass the SLO gate
              duration                       the stage's minimum duration
              harm_errors, harm_latency      anytime-valid canary-vs-baseline tests (fast rollback)
              slo_errors, slo_latency        anytime-valid evidence the canary meets the absolute SLOs
              slo_availability               reported (WARN), not gating (see apexops.canary.checks)

    decision  ROLLBACK      a canary guard failed, or a harm test reached 1/alpha (and data is complete)
              INCONCLUSIVE  the baseline itself is broken (escalate at once), or the stage reached its
                            max duration without a decision (then the policy's on_inconclusive applies)
              PROMOTE       min duration reached AND complete data AND every SLO check passed
              HOLD          otherwise: keep observing; the reason lists what is still missing

No data is never a pass (the SLO gate needs evidence) and never a rollback (an e-value without bad
events stays at or below 1). A dependency outage that hits both revisions does not move the harm tests
(they compare against the concurrent baseline) but fails the SLO gate, so the stage holds, turns
INCONCLUSIVE at its max duration and escalates per policy; the reason says the baseline breaches too.
At the 100% stage there is no concurrent baseline: the harm tests are SKIPPED and only guards and the
SLO gate decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from apexops.canary.checks import CheckResult, evaluate, pooled
from apexops.canary.config import HARM_CHECKS, JudgeConfig
from apexops.canary.evidence import accumulate
from apexops.canary.observation import HarmState, Observation
from apexops.status import Status

__all__ = ["CheckResult", "Decision", "JudgeConfig", "Judgement", "accumulate", "assess", "evaluate", "judge"]


class Decision(StrEnum):
    """What the judge decides at one poll (a decision, not a status: `.status` is how it is shown)."""

    PROMOTE = "PROMOTE"
    HOLD = "HOLD"
    INCONCLUSIVE = Status.INCONCLUSIVE.value
    ROLLBACK = "ROLLBACK"

    @property
    def status(self) -> Status:
        """PROMOTE reads PASS, HOLD WARN, ROLLBACK FAIL (`Status.parse` knows the words)."""
        return Status.parse(self.value)


@dataclass(frozen=True)
class Judgement:
    """The judgement of one poll: the decision, what to do, why, and every number behind it."""

    #: the decision (named `verdict` in the records: the evidence files and the poll tables use that key)
    verdict: Decision
    reason: str
    #: what the runner does: rollback | promote | complete | continue | escalate | extend | promote_never
    action: str
    stage_index: int
    elapsed_s: float
    checks: tuple[CheckResult, ...]
    #: flat numbers for charts, per-interval tables and the ledger
    numbers: Mapping[str, Any]
    #: the harm tests' state after this poll: pass it as Observation.state with the next poll
    state: HarmState | None = None

    def check(self, name: str) -> CheckResult:
        return next(c for c in self.checks if c.name == name)

    def to_record(self) -> dict[str, Any]:
        """JSON-able form for the ledger and the evidence folder."""
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "action": self.action,
            "stage_index": self.stage_index,
            "elapsed_s": self.elapsed_s,
            "checks": [
                {"name": c.name, "status": c.status, "reason": c.reason, "values": dict(c.values)}
                for c in self.checks
            ],
            "numbers": dict(self.numbers),
        }


# ----------------------------------------------------------------------------------- assess


def _strata_numbers(obs: Observation, checks: tuple[CheckResult, ...]) -> dict[str, Any]:
    """Per-stratum keys: <s>_canary_requests/_5xx/_slow, <s>_baseline_requests/_5xx/_slow,
    <s>_complete_until (ISO text or None), <s>_lag_s, <s>_partial, and per harm check
    <check>_<s>_e_value/_threshold/_status (s = probes | platform | users)."""
    out: dict[str, Any] = {}
    for snap in obs.strata:
        s = snap.stratum.value
        c, b = snap.totals()
        out.update(
            {
                f"{s}_canary_requests": c.requests,
                f"{s}_canary_5xx": c.errors_5xx,
                f"{s}_canary_slow": c.slow,
                f"{s}_baseline_requests": b.requests,
                f"{s}_baseline_5xx": b.errors_5xx,
                f"{s}_baseline_slow": b.slow,
                f"{s}_complete_until": snap.complete_until.isoformat() if snap.complete_until else None,
                f"{s}_lag_s": snap.lag_s,
                f"{s}_partial": snap.partial,
            }
        )
    for check in checks:
        for s, v in check.values.get("strata", {}).items():
            out.update(
                {
                    f"{check.name}_{s}_e_value": v["e_value"],
                    f"{check.name}_{s}_threshold": v["threshold"],
                    f"{check.name}_{s}_status": v["status"],
                }
            )
    users = obs.stratum("users") or obs.stratum("platform")
    if users is not None and users.complete_until is not None:
        c, b = users.totals()
        out["canary_share"] = c.requests / (c.requests + b.requests) if c.requests + b.requests else None
    return out


def _numbers(obs: Observation, checks: tuple[CheckResult, ...], cfg: JudgeConfig) -> dict[str, Any]:
    """Flat numbers; with strata, canary_*/baseline_* are the SLO pools' counts (requests and 5xx: probes +
    platform; slow: probes + users), harm_*_e_value/_threshold those of the stratum nearest its threshold."""
    counted = pooled(obs, cfg, "errors") if obs.strata else obs
    out: dict[str, Any] = {
        "stage_index": obs.stage_index,
        "elapsed_s": obs.elapsed_s,
        "canary_weight": obs.canary.weight,
        "canary_share": obs.canary_share,
        "partial": counted.partial,
    }
    slow = pooled(obs, cfg, "latency") if obs.strata else obs
    for role, rev, slow_rev in (
        ("canary", counted.canary, slow.canary),
        ("baseline", counted.baseline, slow.baseline),
    ):
        out.update(
            {
                f"{role}_requests": rev.requests,
                f"{role}_5xx": rev.errors_5xx,
                f"{role}_slow": slow_rev.slow,
                f"{role}_p95_ms": rev.p95_ms,
            }
        )
    keys = {
        "harm_errors": ("e_value", "threshold"),
        "harm_latency": ("e_value", "threshold"),
        "slo_errors": ("upper", "limit"),
        "slo_latency": ("upper", "limit"),
        "slo_availability": ("breach_e",),
    }
    for c in checks:
        out[f"{c.name}_status"] = c.status
        for key in keys.get(c.name, ()):
            if key in c.values:
                out[f"{c.name}_{key}"] = c.values[key]
    if obs.strata:
        out.update(_strata_numbers(obs, checks))
    return out


def assess(
    obs: Observation, checks: tuple[CheckResult, ...], cfg: JudgeConfig, state: HarmState | None = None
) -> Judgement:
    """The decision from the checks (worst wins), with the reason that decided it."""
    by = {c.name: c for c in checks}
    stage = cfg.stages[obs.stage_index]
    last = obs.stage_index == len(cfg.stages) - 1
    where = f"stage {obs.stage_index + 1} ({stage.weight}%)"

    def decide(decision: Decision, action: str, reason: str) -> Judgement:
        return Judgement(
            decision,
            f"{where}: {reason}",
            action,
            obs.stage_index,
            obs.elapsed_s,
            checks,
            _numbers(obs, checks, cfg),
            state,
        )

    if by["canary_guard"].status is Status.FAIL:
        return decide(Decision.ROLLBACK, "rollback", by["canary_guard"].reason)
    harmful = [by[n].reason for n in HARM_CHECKS if by[n].status is Status.FAIL]
    if harmful:
        return decide(Decision.ROLLBACK, "rollback", "; ".join(harmful))
    if by["baseline_guard"].status is Status.FAIL:
        return decide(
            Decision.INCONCLUSIVE,
            "escalate",
            f"{by['baseline_guard'].reason}: rolling back onto it is not safe, a person decides",
        )
    gate = ("data", "duration", "slo_errors", "slo_latency")
    missing = [by[n] for n in gate if by[n].status is not Status.PASS]
    if not missing:
        passed = "; ".join(by[n].reason for n in ("duration", "slo_errors", "slo_latency"))
        return decide(Decision.PROMOTE, "complete" if last else "promote", f"passed: {passed}")
    blockers = "; ".join(c.reason for c in missing)
    if obs.elapsed_s >= stage.max_duration_s:
        return decide(
            Decision.INCONCLUSIVE,
            cfg.on_inconclusive,
            f"max {stage.max_duration_s:.0f} s reached without evidence ({cfg.on_inconclusive}): {blockers}",
        )
    return decide(Decision.HOLD, "continue", f"holding: {blockers}")


def judge(obs: Observation, cfg: JudgeConfig) -> Judgement:
    """accumulate, evaluate, assess: the one call a runner makes per poll (then passes Judgement.state on)."""
    state = accumulate(obs, cfg)
    return assess(obs, evaluate(obs, cfg, state), cfg, state)
