"""The canary policy as the judge reads it: every tolerance in one frozen object, none in the code."""

from __future__ import annotations

from dataclasses import dataclass

from apexops.canary import stats
from apexops.settings import CanaryPolicy, CanaryStage

__all__ = ["HARM_CHECKS", "STRATUM_WEIGHTS", "JudgeConfig", "strata_key"]

#: the harm checks, each with its share of the false-rollback budget
HARM_CHECKS = ("harm_errors", "harm_latency")

#: Bonferroni weights of each harm check's alpha over the strata (issue 12), renormalised over the enabled
#: strata that measure the check (platform metrics have no latency, so harm_latency is split 0.6 : 0.25
#: between probes and users). Bonferroni because it holds under any dependence: platform and users count
#: the same requests. Probes get most of it: they are the only lag-free evidence, and the fast targets
#: (10% errors rolled back within 45 s, 2% within 180 s, under a 3-4 minute users' lag) rest on them;
#: users (routes, latency) next; platform (errors only, 1-minute grain, 1-2 minutes late) last. Measured
#: in benchmarks/canary_judges.py.
STRATUM_WEIGHTS: tuple[tuple[str, float], ...] = (("probes", 0.6), ("users", 0.25), ("platform", 0.15))
_NO_LATENCY = frozenset({"platform"})


def strata_key(check: str, stratum: str) -> str:
    """The name of one harm check on one stratum, e.g. harm_errors_probes (state, numbers)."""
    return f"{check}_{stratum}"


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
    #: the strata the judge combines (used only when an Observation carries strata)
    strata: tuple[str, ...] = ("probes", "platform", "users")
    #: a stratum's comparison may roll back only once its canary has this many requests
    min_canary_requests: int = 20
    #: probes per second to each revision; 0 turns the probes' stratum off
    probe_rate_rps: float = 2.0
    stratum_weights: tuple[tuple[str, float], ...] = STRATUM_WEIGHTS

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
            strata=tuple(policy.strata),
            min_canary_requests=policy.min_canary_requests,
            probe_rate_rps=policy.probes.rate_rps,
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

    @property
    def enabled_strata(self) -> tuple[str, ...]:
        """The strata in use: the policy's, without probes when their rate is 0."""
        return tuple(s for s in self.strata if not (s == "probes" and self.probe_rate_rps <= 0))

    def strata_alpha(self) -> dict[str, float]:
        """Each (harm check, stratum) test's alpha: the check's alpha split over the enabled strata that
        measure it, in proportion to `stratum_weights` (Bonferroni: valid under any dependence)."""
        weights = dict(self.stratum_weights)
        out: dict[str, float] = {}
        for check, alpha in self.harm_alpha().items():
            measured = [s for s in self.enabled_strata if not (check == "harm_latency" and s in _NO_LATENCY)]
            total = sum(weights.get(s, 0.0) for s in measured)
            for s in measured:
                if weights.get(s, 0.0) > 0:
                    out[strata_key(check, s)] = alpha * weights[s] / total
        return out

    def slo_pool(self, metric: str) -> tuple[str, ...]:
        """The strata whose canary counts are pooled for the SLO gate on `metric` ("errors" | "latency").

        Probes plus ONE source of the users' requests, never platform + users (the same requests twice).
        Errors: the platform's counters when enabled (every user request, complete 1-3 minutes after it,
        where Application Insights may keep a sample and is 3-4 minutes late; with both revisions at 0.5%
        errors this halves the stages that run out of time: benchmarks/canary_judges.py), else users.
        Latency: users (the platform has none). Fixed by the policy, not by what a poll happens to have.
        """
        enabled = self.enabled_strata
        users = "platform" if metric == "errors" and "platform" in enabled else "users"
        return tuple(s for s in ("probes", users) if s in enabled)
