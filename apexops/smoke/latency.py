"""Latency baseline statistics: quantiles with distribution-free confidence intervals, and a verdict.

The runbook judges latency from ten sequential curls ("time_total < 0.5s for most requests"). Ten samples
cannot say anything about a P95, so this module answers the question properly: with the order-statistic
(binomial) method, the interval [x_(l), x_(u)] covers the true quantile with a probability that depends
only on n and the quantile, whatever the latency distribution. The coverage is exact (computed from the
binomial distribution, and at least the nominal confidence) for continuous data; ties only make it more
conservative. A bound that the sample is too small to give is reported as missing (None), never invented.

Verdict on the P95 against the threshold, a one-sided test at the confidence level (95%):
    PASS          the P95's upper confidence bound is below the threshold (P95 < 500 ms with 95% confidence)
    FAIL          its lower confidence bound is at or above the threshold
    INCONCLUSIVE  the bounds straddle the threshold; the verdict says how many more requests would be
                  needed if the share of slow requests stayed as observed.
Each bound is one-sided at the confidence level (the pair is the two-sided interval at 2c - 1), so a
revision whose true P95 sits exactly at the threshold passes at most 5% of the time; the tables also show
the descriptive two-sided 95% intervals of p50, p95 and p99.

The ranks come from `scipy.stats.binom` (its ppf and cdf), the sample quantiles and the histogram's
counts from numpy. Pure: no I/O, no clock.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from apexops.status import Status, Verdict

__all__ = [
    "Histogram",
    "LatencyBaseline",
    "QuantileEstimate",
    "histogram",
    "latency_baseline",
    "order_statistic_ranks",
    "point_quantile",
    "quantile_ci",
    "requests_needed",
]

#: beyond this many requests the projection gives up (the quantile sits on the threshold)
_PROJECTION_CAP = 1_000_000


def _binom() -> Any:
    # lazy: scipy.stats takes ~0.8 s to import, and only a latency verdict needs it
    from scipy.stats import binom

    return binom


def order_statistic_ranks(n: int, q: float, confidence: float) -> tuple[int | None, int | None, float]:
    """1-based ranks (l, u) of the order statistics bounding the q-quantile, and the exact coverage.

    With B ~ Binomial(n, q) the number of observations below the true quantile,
    P(x_(l) <= xi_q <= x_(u)) = P(l <= B <= u - 1). Each tail gets at most (1 - confidence) / 2.
    A rank outside 1..n means the sample cannot bound that side: it is returned as None and the
    coverage is computed with that side open.
    """
    if n < 0 or not 0 < q < 1 or not 0 < confidence < 1:
        raise ValueError(f"need n >= 0, 0 < q < 1, 0 < confidence < 1 (got {n}, {q}, {confidence})")
    if n == 0:
        return None, None, 0.0
    binom = _binom()
    tail = (1 - confidence) / 2
    # lower: the largest l with P(B <= l - 1) <= tail (ppf is the smallest k with P(B <= k) >= tail)
    k = int(binom.ppf(tail, n, q))
    lower = (k if binom.cdf(k, n, q) <= tail else k - 1) + 1
    # upper: the smallest u with P(B <= u - 1) >= 1 - tail
    upper = int(binom.ppf(1 - tail, n, q)) + 1
    lower_rank = lower if lower >= 1 else None
    upper_rank = upper if upper <= n else None
    below = float(binom.cdf(lower_rank - 1, n, q)) if lower_rank else 0.0
    above = float(binom.cdf(upper_rank - 1, n, q)) if upper_rank else 1.0
    return lower_rank, upper_rank, above - below


def point_quantile(sorted_values: Sequence[float], q: float) -> float | None:
    """The sample quantile with linear interpolation (Hyndman-Fan type 7, numpy's default)."""
    return float(np.quantile(sorted_values, q)) if len(sorted_values) else None


@dataclass(frozen=True)
class QuantileEstimate:
    """A quantile's point estimate with its distribution-free confidence interval (ms).

    `lower_ms`/`upper_ms` are None when the sample is too small to bound that side. `coverage` is the
    exact probability that the interval covers the true quantile (continuous data), >= `confidence`
    when both bounds exist.
    """

    quantile: float
    estimate_ms: float | None
    lower_ms: float | None
    upper_ms: float | None
    confidence: float
    coverage: float

    @property
    def label(self) -> str:
        pct = self.quantile * 100
        return f"p{pct:g}"

    def interval_text(self) -> str:
        lo = f"{self.lower_ms:.1f}" if self.lower_ms is not None else "−∞"
        hi = f"{self.upper_ms:.1f}" if self.upper_ms is not None else "+∞ (too few requests)"
        return f"[{lo}, {hi}]"


def quantile_ci(values: Sequence[float], q: float, confidence: float = 0.95) -> QuantileEstimate:
    """Point estimate and order-statistic confidence interval of the q-quantile of `values`."""
    data = sorted(float(v) for v in values)
    lower_rank, upper_rank, coverage = order_statistic_ranks(len(data), q, confidence)
    return QuantileEstimate(
        quantile=q,
        estimate_ms=point_quantile(data, q),
        lower_ms=data[lower_rank - 1] if lower_rank else None,
        upper_ms=data[upper_rank - 1] if upper_rank else None,
        confidence=confidence,
        coverage=coverage,
    )


# --------------------------------------------------------------------------- verdict


def requests_needed(n: int, slow: int, *, quantile: float = 0.95, confidence: float = 0.95) -> int | None:
    """How many requests in total would settle the verdict if the share of slow ones stayed slow / n.

    `confidence` is the one-sided level of the verdict's bounds.

    Returns None when no realistic sample settles it (the observed share sits on 1 - quantile, or the
    answer is beyond a million requests). A projection, not a promise: the next requests may differ.
    """
    # nothing observed: project the all-fast case (the optimistic minimum)
    slow_share = slow / n if n > 0 else 0.0
    allowed = 1 - quantile
    if math.isclose(slow_share, allowed, rel_tol=1e-9, abs_tol=1e-12):
        return None

    two_sided = 2 * confidence - 1

    def settled(m: int) -> bool:
        """With m - slow_m fast requests: the upper bound below the threshold (a PASS), or the lower
        bound at or above it (a FAIL), whichever the observed share heads for."""
        fast = m - round(slow_share * m)
        lower_rank, upper_rank, _ = order_statistic_ranks(m, quantile, two_sided)
        if slow_share < allowed:
            return upper_rank is not None and upper_rank <= fast
        return lower_rank is not None and lower_rank > fast

    lo, hi = max(n, 1), max(n, 1)
    while not settled(hi):
        lo, hi = hi, hi * 2
        if hi > _PROJECTION_CAP:
            return None
    # the smallest settling total between the last unsettled (lo) and the first settled (hi)
    return lo + bisect.bisect_left(range(lo, hi), True, key=settled)


def _latency_verdict(status: Status, reason: str, requests_needed: int | None = None) -> Verdict:
    return Verdict(status, (reason,), {"requests_needed": requests_needed})


def _verdict(p: QuantileEstimate, n: int, slow: int, threshold_ms: float, confidence: float) -> Verdict:
    """The one-sided test: `p` holds the bounds, each one-sided at `confidence`.

    The verdict's one reason quotes the numbers; `facts["requests_needed"]` is the projected number of
    extra requests when it is INCONCLUSIVE (None when no realistic number settles it).
    """
    name = p.label.upper()
    conf = f"{confidence:.0%}"
    counted = f"{slow} of {n} requests at or above {threshold_ms:g} ms"
    if n == 0:
        return _latency_verdict(
            Status.INCONCLUSIVE, "no latency samples.", requests_needed(0, 0, confidence=confidence)
        )
    if p.upper_ms is not None and p.upper_ms < threshold_ms:
        return _latency_verdict(
            Status.PASS,
            f"{name} {p.estimate_ms:.0f} ms; with {conf} confidence it is at most {p.upper_ms:.0f} ms, "
            f"below {threshold_ms:g} ms ({counted}).",
        )
    if p.lower_ms is not None and p.lower_ms >= threshold_ms:
        return _latency_verdict(
            Status.FAIL,
            f"{name} {p.estimate_ms:.0f} ms; with {conf} confidence it is at least {p.lower_ms:.0f} ms, "
            f"at or above {threshold_ms:g} ms ({counted}).",
        )
    total = requests_needed(n, slow, quantile=p.quantile, confidence=confidence)
    if total is None:
        more = "no realistic number of extra requests would settle it (the share of slow requests sits at "
        more += f"the {1 - p.quantile:.0%} limit)"
    else:
        more = f"about {total - n} more requests (n={total}) would settle it if the share of slow ones holds"
    return _latency_verdict(
        Status.INCONCLUSIVE,
        f"{name} {p.estimate_ms:.0f} ms; its {conf} bounds {p.interval_text()} ms straddle "
        f"{threshold_ms:g} ms ({counted}): {more}.",
        total - n if total is not None else None,
    )


# --------------------------------------------------------------------------- histogram


@dataclass(frozen=True)
class Histogram:
    """Counts per half-open bin [edges[i], edges[i+1]); the last bin also holds its right edge."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    threshold_ms: float | None = None

    @property
    def width(self) -> float:
        return self.edges[1] - self.edges[0] if len(self.edges) > 1 else 0.0

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"from_ms": lo, "to_ms": hi, "requests": c}
            for lo, hi, c in zip(self.edges, self.edges[1:], self.counts, strict=False)
        ]


def _nice(width: float) -> float:
    """Round a bin width up to 1, 2 or 5 times a power of ten, so axis labels read cleanly."""
    if width <= 0:
        return 1.0
    exp = math.floor(math.log10(width))
    for m in (1, 2, 5, 10):
        if m * 10**exp >= width:
            return float(m * 10**exp)
    return float(10 ** (exp + 1))  # pragma: no cover - the loop always returns


def histogram(values: Sequence[float], *, max_bins: int = 30, threshold_ms: float | None = None) -> Histogram:
    """Bins of a 'nice' width (Freedman-Diaconis, rounded), starting at a multiple of the width.

    The bins cover the data only; the threshold travels along so a chart can draw it as a line
    (stretching the bins to reach it would squash a fast sample into one bar).
    """
    data = np.sort(np.asarray(values, dtype=float))
    if not data.size:
        return Histogram((), (), threshold_ms)
    lo, hi, n = float(data[0]), float(data[-1]), data.size
    q1, q3 = np.percentile(data, [25, 75])
    iqr = float(q3 - q1)
    span = hi - lo
    fd = 2 * iqr / n ** (1 / 3) if iqr > 0 else span / max(1, min(max_bins, int(math.sqrt(n)) or 1))
    width = _nice(max(fd, span / max_bins, 1e-9) if span > 0 else max(abs(hi) * 0.1, 1.0))
    start = math.floor(lo / width) * width
    bins = max(1, math.ceil((hi - start) / width + 1e-9))
    if start + bins * width <= hi:
        bins += 1
    edges = start + width * np.arange(bins + 1)
    counts, _ = np.histogram(data, edges)
    return Histogram(tuple(float(e) for e in edges), tuple(int(c) for c in counts), threshold_ms)


# --------------------------------------------------------------------------- baseline


@dataclass(frozen=True)
class LatencyBaseline:
    """The whole latency picture of a sample: quantiles with intervals, histogram, verdict.

    p50/p95/p99 carry two-sided intervals at `confidence` (descriptive); `judged` carries the verdict's
    bounds on the judged quantile, each one-sided at `confidence`.
    """

    n: int
    threshold_ms: float
    confidence: float
    slow: int
    p50: QuantileEstimate
    p95: QuantileEstimate
    p99: QuantileEstimate
    judged: QuantileEstimate
    histogram: Histogram
    verdict: Verdict
    min_ms: float | None
    max_ms: float | None

    def rows(self) -> list[dict[str, Any]]:
        """One row per quantile (two-sided intervals), then the verdict's one-sided bounds."""

        def ms(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        def row(est: QuantileEstimate, quantile: str, interval: str) -> dict[str, Any]:
            return {
                "quantile": quantile,
                "estimate_ms": ms(est.estimate_ms),
                "lower_ms": ms(est.lower_ms),
                "upper_ms": ms(est.upper_ms),
                "interval": interval,
                "coverage": round(est.coverage, 4),
                "n": self.n,
            }

        two_sided = f"two-sided {self.confidence:.0%}"
        return [
            *(row(est, est.label, two_sided) for est in (self.p50, self.p95, self.p99)),
            row(self.judged, f"{self.judged.label} (verdict)", f"each bound one-sided {self.confidence:.0%}"),
        ]

    def facts(self) -> dict[str, Any]:
        """A compact, JSON-able summary for the ledger and the check's data."""
        return {
            "n": self.n,
            "threshold_ms": self.threshold_ms,
            "slow": self.slow,
            "p50_ms": self.p50.estimate_ms,
            "p95_ms": self.p95.estimate_ms,
            "p95_ci_ms": [self.p95.lower_ms, self.p95.upper_ms],
            "p95_bounds_ms": [self.judged.lower_ms, self.judged.upper_ms],
            "p99_ms": self.p99.estimate_ms,
            "verdict": self.verdict.status,
        }


def latency_baseline(
    durations_ms: Sequence[float],
    *,
    threshold_ms: float = 500.0,
    quantile: float = 0.95,
    confidence: float = 0.95,
) -> LatencyBaseline:
    """Statistics and verdict for a latency sample against "P<quantile> < threshold_ms"."""
    if threshold_ms <= 0:
        raise ValueError(f"threshold_ms must be positive (got {threshold_ms})")
    data = sorted(float(v) for v in durations_ms)
    if any(math.isnan(v) or v < 0 for v in data):
        raise ValueError("durations must be non-negative numbers")
    n = len(data)
    slow = sum(1 for v in data if v >= threshold_ms)
    p50, p95, p99 = (quantile_ci(data, q, confidence) for q in (0.5, 0.95, 0.99))
    # the verdict's bounds: each one-sided at `confidence`, i.e. the two-sided interval at 2c - 1
    judged = quantile_ci(data, quantile, 2 * confidence - 1)
    return LatencyBaseline(
        n=n,
        threshold_ms=threshold_ms,
        confidence=confidence,
        slow=slow,
        p50=p50,
        p95=p95,
        p99=p99,
        judged=judged,
        histogram=histogram(data, threshold_ms=threshold_ms),
        verdict=_verdict(judged, n, slow, threshold_ms, confidence),
        min_ms=data[0] if data else None,
        max_ms=data[-1] if data else None,
    )
