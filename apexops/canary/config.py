"""The canary policy as the judge reads it: every tolerance in one frozen object, none in the code."""

from __future__ import annotations

from dataclasses import dataclass

from apexops.canary import stats
from apexops.settings import CanaryPolicy, CanaryStage

__all__ = ["HARM_CHECKS", "JudgeConfig"]

#: the harm checks, each with its share of the false-rollback budget
HARM_CHECKS = ("harm_errors", "harm_latency")


@dataclass(frozen=True)
class JudgeConfig:
    """The policy as the judge needs it; every tolerance lives here, none in the code below."""

    stages: tuple[CanaryStage, ...]
    max_error_rate: float = 0.01
    latency_ms: float = 2000.0
    #: "P95 < latency_ms" is judged as "slow share < 1 - latency_quantile"
    latency_quantile: float = 0.95
    min_availability: float = 0.999
    #: the rollout's false-rollback budget, split over the harm checks
    alpha: float = 0.01
    #: confidence of the SLO evidence required to promote (and of the breach evidence that blocks it)
    promote_confidence: float = 0.95
    on_inconclusive: str = "escalate"
    max_replica_restarts: int = 1
    harm_prior: stats.BetaPrior = stats.HARM_PRIOR
    slo_prior: stats.BetaPrior = stats.SLO_PRIOR
    restart_reserve: float = stats.RESTART_RESERVE

    @classmethod
    def from_policy(cls, policy: CanaryPolicy) -> JudgeConfig:
        return cls(
            stages=tuple(policy.stages),
            max_error_rate=policy.slo.max_error_rate,
            latency_ms=policy.slo.latency_ms,
            latency_quantile=policy.slo.latency_quantile,
            min_availability=policy.slo.min_availability,
            alpha=policy.alpha,
            promote_confidence=policy.promote_confidence,
            on_inconclusive=policy.on_inconclusive,
            max_replica_restarts=policy.max_replica_restarts,
        )

    @property
    def max_slow_share(self) -> float:
        return 1.0 - self.latency_quantile

    @property
    def comparative_stages(self) -> tuple[int, ...]:
        """Indices of the stages that split traffic (weight < 100): the only ones a baseline runs beside."""
        return tuple(i for i, s in enumerate(self.stages) if s.weight < 100)

    def harm_alpha(self) -> dict[str, float]:
        return stats.alpha_split(self.alpha, HARM_CHECKS)
