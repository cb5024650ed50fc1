"""The statistics of the canary judge: anytime-valid e-values and confidence bounds for count data.

Why these and not p-values: the judge looks at the data every poll interval, for as long as a stage lasts.
A fixed-sample test checked that often rolls back healthy canaries far more often than its nominal level
(naive peeking). Every quantity here is a *test supermartingale* under its null hypothesis: its
expectation never exceeds 1, whenever it is looked at, so by Ville's inequality the chance that it EVER
reaches 1/alpha is at most alpha (Robbins' mixture method; Johari et al. "Always valid inference";
Lindon & Malek, "Anytime-valid inference for multinomial count data", used by Netflix for canaries).

Two questions, two tools:

* **Harm** (fast rollback): is the canary producing bad events (5xx, or slow requests) at a higher rate than
  the baseline serving traffic at the same time? Conditional on the number of bad events seen on both
  revisions in a poll interval, each one came from the canary with probability rho = the canary's traffic
  share, if the canary is no worse (H0) — the conditional binomial/multinomial counting-process test
  (Lindon & Malek; `savvi`'s InhomogeneousPoissonProcess). The alternative is mixed over the canary's
  share of bad events theta ~ Beta restricted to (weight, 1] (one-sided: only *worse* counts), expressed
  as odds ratios so the share may be updated between intervals; the per-interval likelihood ratios
  multiply. Comparing against the concurrent baseline is what keeps a
  dependency outage that hits both revisions, time-of-day drift, and bursts from being blamed on the
  canary; only bad events carry information, so the request rate cancels out.
* **SLO** (promotion gate): has the canary shown that its own rate is below an absolute limit (error rate
  < 1%, slow share < 5% for "P95 < 2 s")? Same mixture idea on the canary's binomial counts, prior
  truncated to [0, limit): evidence *for* the SLO, and its mirror image, evidence of a breach. The
  confidence bounds shown to people are the inverted tests, so they are anytime-valid too.

Everything accepts numpy arrays as well as scalars, so the benchmark can evaluate a whole stream of polls
with the very functions the judge uses. No I/O, no clock.

Written here rather than taken from a library: scipy.stats offers fixed-sample tests only (the peeking
problem above), and an e-value package (`savvi`) would be a new dependency for a few closed-form
mixtures over scipy.special's incomplete beta functions; `tests/canary/test_stats.py` checks their
expectations and mixture integrals numerically.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import betainc, betaincc, betaincinv, betaln

__all__ = [
    "BetaPrior",
    "alpha_split",
    "harm_grid",
    "harm_log_lr",
    "log_wealth_after_stage",
    "mixture_log_evalue",
    "requests_needed",
    "restart_weights",
    "slo_breach_log_evalue",
    "slo_meet_log_evalue",
    "slo_upper_bound",
    "stage_log_threshold",
]

ArrayLike = float | int | np.ndarray


@dataclass(frozen=True)
class BetaPrior:
    """Shape of the Beta mixing distribution (before truncation to the alternative)."""

    a: float = 1.0
    b: float = 1.0


#: The harm detector's mixture: theta (the canary's share of bad events) with density rising linearly
#: from its request share to 1. Tuned with benchmarks/canary_judges.py (issue 7's run: poll 2 s, lag 2 s;
#: `--harm-prior` compares priors; issue 12's strata keep it, laid out from each stratum's share): at 10%
#: weight three canary errors with none on the baseline must be enough for 1/alpha = 200 (any prior
#: with a >= 1 gives that); leaning towards theta = 1 acts a poll or two sooner on clear faults (10%
#: errors: median 18 s vs 20 s for the uniform prior) at no cost in false rollbacks or on mild (2%) faults.
HARM_PRIOR = BetaPrior(2.0, 1.0)
#: The SLO gate's mixture: uniform over [0, limit) (or (limit, 1] for a breach).
SLO_PRIOR = BetaPrior(1.0, 1.0)
#: Share of the false-rollback budget kept for restarting the harm e-process at later comparative
#: stages, so a canary that looked *better* than the baseline at 10% (e-value far below 1) can still be
#: caught quickly at 50% (see `restart_weights`).
RESTART_RESERVE = 0.05

_TINY = 1e-12


def _log(x: ArrayLike) -> np.ndarray:
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.log(np.asarray(x, dtype=float))
    return out


def _scalar(x: np.ndarray) -> float | np.ndarray:
    return float(x) if np.ndim(x) == 0 else x


@functools.lru_cache(maxsize=32)
def harm_grid(
    weight: float, *, prior: BetaPrior = HARM_PRIOR, points: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """The harm mixture as (log odds ratios, log weights): theta ~ Beta(a, b) restricted to (weight, 1).

    theta is the canary's share of bad events under the alternative, when its share of requests is the
    stage's `weight`; it is mapped to the odds ratio psi = theta (1-w) / (w (1-theta)) (how many times
    likelier a canary request is to be bad), which stays meaningful when the observed share moves from
    one poll interval to the next. Equal-weight quantile midpoints of the truncated prior.
    """
    w = min(max(weight, _TINY), 1 - _TINY)
    lo = float(betainc(prior.a, prior.b, w))
    u = lo + (1 - lo) * (np.arange(points) + 0.5) / points
    theta = np.minimum(betaincinv(prior.a, prior.b, u), 1 - _TINY)
    log_psi = np.maximum(np.log(theta) - np.log1p(-theta) + math.log1p(-w) - math.log(w), 0.0)
    log_w = np.full(points, -math.log(points))
    log_psi.flags.writeable = log_w.flags.writeable = False  # cached: shared by every caller
    return log_psi, log_w


def harm_log_lr(
    log_psi: np.ndarray, canary_bad: ArrayLike, baseline_bad: ArrayLike, share: ArrayLike
) -> np.ndarray:
    """Log likelihood ratio of each grid point for the bad events of one poll interval (or many).

    Requests are routed at random, so when the canary is no worse (H0) each bad event is the canary's
    with probability equal to its traffic share rho, however the error rate of both revisions moves
    (outage, burst, time of day): given the interval's bad events K, the canary's count k is
    Binomial(K, rho). Under odds ratio psi it is Binomial(K, rho psi / (1 - rho + rho psi)), so the ratio
    is  psi^k / (1 + rho (psi - 1))^K  with H0 expectation exactly 1. A `share` at or above the true one
    keeps the expectation at or below 1 (only power is lost), which is why the judge uses
    max(configured weight, observed share so far). Arrays give one row per interval.
    """
    k = np.asarray(canary_bad, dtype=float)[..., None]
    total = k + np.asarray(baseline_bad, dtype=float)[..., None]
    rho = np.asarray(share, dtype=float)[..., None]
    out: np.ndarray = k * log_psi - total * np.log1p(rho * np.expm1(log_psi))
    return out


def mixture_log_evalue(log_lr: np.ndarray, log_weights: np.ndarray) -> float | np.ndarray:
    """log of the mixture e-value sum_g w_g exp(log_lr_g) (over the last axis)."""
    x = np.asarray(log_lr, dtype=float) + log_weights
    top = np.max(x, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return _scalar(np.squeeze(top, -1) + np.log(np.sum(np.exp(x - top), axis=-1)))


def slo_meet_log_evalue(
    bad: ArrayLike, requests: ArrayLike, limit: float, *, prior: BetaPrior = SLO_PRIOR
) -> float | np.ndarray:
    """log e-value of "the canary's rate is below `limit`" (H0: rate >= limit) from its own counts.

    Mixture over theta ~ Beta(a, b) restricted to [0, limit). By monotone likelihood ratio the e-value is
    valid for every rate at or above the limit, so reaching 1/delta is evidence the SLO is met.
    """
    k = np.asarray(bad, dtype=float)
    n = np.asarray(requests, dtype=float)
    f = np.maximum(n - k, 0.0)
    num = betaln(prior.a + k, prior.b + f) + _log(betainc(prior.a + k, prior.b + f, limit))
    den = betaln(prior.a, prior.b) + _log(betainc(prior.a, prior.b, limit))
    return _scalar(num - den - k * math.log(limit) - f * math.log1p(-limit))


def slo_breach_log_evalue(
    bad: ArrayLike, requests: ArrayLike, limit: float, *, prior: BetaPrior = SLO_PRIOR
) -> float | np.ndarray:
    """log e-value of "the canary's rate is above `limit`" (H0: rate <= limit): evidence of an SLO breach."""
    k = np.asarray(bad, dtype=float)
    n = np.asarray(requests, dtype=float)
    f = np.maximum(n - k, 0.0)
    num = betaln(prior.a + k, prior.b + f) + _log(betaincc(prior.a + k, prior.b + f, limit))
    den = betaln(prior.a, prior.b) + _log(betaincc(prior.a, prior.b, limit))
    return _scalar(num - den - k * math.log(limit) - f * math.log1p(-limit))


def _meet_scalar(k: float, f: float, limit: float, prior: BetaPrior) -> float:
    """`slo_meet_log_evalue` for plain floats (the bound's bisection calls it many times per poll)."""
    tail = float(betainc(prior.a + k, prior.b + f, limit))
    if tail <= 0.0:
        return -math.inf
    num = float(betaln(prior.a + k, prior.b + f)) + math.log(tail)
    den = float(betaln(prior.a, prior.b)) + math.log(float(betainc(prior.a, prior.b, limit)))
    return num - den - k * math.log(limit) - f * math.log1p(-limit)


def slo_upper_bound(bad: int, requests: int, confidence: float, *, prior: BetaPrior = SLO_PRIOR) -> float:
    """Anytime-valid upper confidence bound on a rate: the smallest limit the SLO e-value already clears.

    It is the inversion of `slo_meet_log_evalue` (for every p above the bound, "rate >= p" is rejected at
    level 1 - confidence), so it may be recomputed at every poll. 1.0 when there are no requests.
    Precision: 0.1% relative, far below what is displayed.
    """
    if requests <= 0:
        return 1.0
    target = math.log(1.0 / (1.0 - confidence))
    k, f = float(bad), float(max(requests - bad, 0))
    lo, hi = max(bad / requests, 0.1 / requests), 1.0 - _TINY
    if _meet_scalar(k, f, hi, prior) < target:
        return 1.0
    if _meet_scalar(k, f, lo, prior) >= target:
        return lo
    while hi / lo > 1.001:  # bisection on the log scale
        mid = math.sqrt(lo * hi)
        if _meet_scalar(k, f, mid, prior) >= target:
            hi = mid
        else:
            lo = mid
    return hi


@functools.lru_cache(maxsize=64)
def requests_needed(limit: float, confidence: float, *, prior: BetaPrior = SLO_PRIOR) -> int:
    """Fewest requests that can show "rate < limit" at `confidence`, if none of them is bad.

    This is what "too little data" means in numbers (e.g. 459 requests for an error rate below 1% at 95%),
    so a low-traffic stage can say how long it would need instead of guessing.
    """
    target = math.log(1.0 / (1.0 - confidence))
    hi = 1
    while slo_meet_log_evalue(0, hi, limit, prior=prior) < target:
        hi *= 2
        if hi > 1 << 40:  # pragma: no cover - unreachable for limits in (0, 1)
            raise ValueError(f"limit {limit} cannot be shown at confidence {confidence}")
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if slo_meet_log_evalue(0, mid, limit, prior=prior) >= target:
            hi = mid
        else:
            lo = mid
    return hi


# ----------------------------------------------------------------------------- the false-rollback budget


def alpha_split(alpha: float, checks: tuple[str, ...]) -> dict[str, float]:
    """Bonferroni split of the rollout's false-rollback budget over the harm checks (errors, latency).

    Stages are NOT a further split: each check runs one e-process across all comparative stages
    (see `restart_weights`), so the budget is spent once per check per rollout.
    """
    if not checks:
        return {}
    return {c: alpha / len(checks) for c in checks}


def restart_weights(comparative_stages: int, reserve: float = RESTART_RESERVE) -> tuple[float, ...]:
    """Initial weights of the e-processes that start betting at stage 1, 2, ... (they sum to 1).

    The harm e-value of a rollout is  E = sum_s w_s * (product of the stage Bayes factors from stage s on).
    Each term is a test supermartingale starting at w_s, so E is one too and Ville's inequality holds for
    the whole rollout with no split over stages. Most weight bets from stage 1 (fast detection where the
    blast radius is small); the reserve lets a later stage start afresh instead of inheriting a tiny
    e-value from an earlier stage where the canary looked better than the baseline.
    """
    if comparative_stages <= 0:
        return ()
    if comparative_stages == 1:
        return (1.0,)
    later = reserve / (comparative_stages - 1)
    return (1.0 - reserve, *([later] * (comparative_stages - 1)))


def stage_log_threshold(alpha: float, log_wealth: float, reserve_after: float) -> float:
    """The stage Bayes factor (log) at which the rollout e-value E = wealth * BF + reserve reaches 1/alpha.

    `log_wealth` is what the rollout has riding on this stage (its restart weight plus what earlier stages
    carried in); `reserve_after` the weights of restarts not begun yet (they count at value 1).
    """
    need = 1.0 / alpha - reserve_after
    return math.log(need) - log_wealth


def log_wealth_after_stage(log_wealth: float, stage_log_bf: float, next_restart_weight: float) -> float:
    """Wealth carried into the next comparative stage: wealth * BF(stage end) + the next restart's weight."""
    return float(np.logaddexp(log_wealth + stage_log_bf, math.log(next_restart_weight)))
