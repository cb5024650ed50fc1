"""The simulated request streams every canary judge in benchmarks/canary_judges.py is fed.

One rollout = one stream of requests over the longest horizon any judge may need. Each request carries
its own random numbers (routing, error, latency, regression), drawn once; a judge's stage schedule only
decides which revision each request is routed to (canary if u_route < weight). So all judges see the
same requests, the same coincidences and the same bad luck (common random numbers), and differences in
the table come from the judges, not from the draws.

Model (per DESIGN.md §8 and notes/canary_anchors.md "Benchmark metrics and harness"):
  * Poisson arrivals at total rate R, modulated by a time-of-day wave (+-30% over a compressed 1 h day,
    random phase) that also moves the baseline's error probability (busy hours fail more), and a healthy
    canary's with it; a faulty canary fails at its stated rate;
  * per-request 5xx with the revision's probability (baseline ~0.1%);
  * lognormal latency (median 250 ms, sigma 0.7: P95 ~ 0.8 s, ~0.15% of requests >= 2 s) for both;
  * optional: a latency regression (a share of canary requests +2 s), intermittent canary-only 5xx
    bursts, transient blips on both revisions, and a dependency outage on both revisions (errors and
    slow requests) while the canary is at 10%;
  * telemetry: a request becomes visible at arrival + duration + ingestion lag.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DAY_S = 3600.0  # a compressed "day" so drift happens within one rollout
DRIFT = 0.3
LAT_MEDIAN_MS = 250.0
LAT_SIGMA = 0.7
SLOW_MS = 2000.0


@dataclass(frozen=True)
class Scenario:
    name: str
    rate: float
    canary_error: float = 0.001
    baseline_error: float = 0.001
    #: share of canary requests that take 2 s longer (a P95 regression)
    canary_slow_frac: float = 0.0
    #: canary-only 5xx bursts: (mean gap s, length s, error probability during a burst)
    canary_bursts: tuple[float, float, float] | None = None
    #: short blips on both revisions: (mean gap s, length s, added error probability)
    shared_bursts: tuple[float, float, float] | None = None
    #: dependency outage on both revisions: (start s, length s, error probability, slow share)
    outage: tuple[float, float, float, float] | None = None
    #: True when the right answer is "roll back"
    bad: bool = False


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("healthy 0.1 rps", 0.1),
    Scenario("healthy 1 rps", 1.0),
    Scenario("healthy 20 rps", 20.0),
    Scenario("healthy 20 rps + blips", 20.0, shared_bursts=(600.0, 10.0, 0.1)),
    Scenario("dependency outage 20 rps", 20.0, outage=(120.0, 180.0, 0.3, 0.3)),
    Scenario("100% errors 20 rps", 20.0, canary_error=1.0, bad=True),
    Scenario("20% errors 20 rps", 20.0, canary_error=0.20, bad=True),
    Scenario("10% errors 20 rps", 20.0, canary_error=0.10, bad=True),
    Scenario("5% errors 20 rps", 20.0, canary_error=0.05, bad=True),
    Scenario("2% errors 20 rps", 20.0, canary_error=0.02, bad=True),
    Scenario("P95 regression 20 rps", 20.0, canary_slow_frac=0.20, bad=True),
    Scenario("canary 5xx bursts 20 rps", 20.0, canary_bursts=(180.0, 30.0, 0.3), bad=True),
    Scenario("10% errors 1 rps", 1.0, canary_error=0.10, bad=True),
)


def _episodes(rng: np.random.Generator, horizon: float, gap: float, length: float) -> np.ndarray:
    starts = np.cumsum(rng.exponential(gap, size=int(horizon / gap * 3) + 5))
    starts = starts[starts < horizon]
    return np.stack([starts, starts + length], axis=1) if len(starts) else np.zeros((0, 2))


def _inside(t: np.ndarray, windows: np.ndarray) -> np.ndarray:
    hit = np.zeros(t.shape, dtype=bool)
    for a, b in windows:
        hit |= (t >= a) & (t < b)
    return hit


@dataclass
class Stream:
    """One rollout's requests, sorted by arrival; per-revision outcomes are both precomputed."""

    arrival: np.ndarray
    u_route: np.ndarray
    #: outcome if served by the canary / by the baseline
    err_canary: np.ndarray
    err_baseline: np.ndarray
    lat_canary: np.ndarray
    lat_baseline: np.ndarray
    horizon: float
    _served: dict = field(default_factory=dict, repr=False)

    def route(self, schedule: list[tuple[float, int]]) -> np.ndarray:
        """True where the request goes to the canary, for stages [(start_s, weight%), ...]."""
        weights = np.zeros(self.arrival.shape)
        for start, weight in schedule:
            weights[self.arrival >= start] = weight / 100.0
        return self.u_route < weights


def simulate(scenario: Scenario, rng: np.random.Generator, horizon: float) -> Stream:
    phase = rng.uniform(0, 2 * np.pi)
    peak = scenario.rate * (1 + DRIFT)
    n = rng.poisson(peak * horizon)
    t = np.sort(rng.uniform(0, horizon, n))
    wave = 1 + DRIFT * np.sin(2 * np.pi * t / DAY_S + phase)
    t = t[rng.random(n) < scenario.rate * wave / peak]  # thinning: time-varying Poisson arrivals
    wave = 1 + DRIFT * np.sin(2 * np.pi * t / DAY_S + phase)
    m = len(t)
    u_err = rng.random(m)
    p_base = np.minimum(scenario.baseline_error * wave, 1.0)
    # a healthy canary drifts with the baseline; a faulty one fails at its own stated rate
    healthy = scenario.canary_error == scenario.baseline_error
    p_can = p_base.copy() if healthy else np.full(m, scenario.canary_error)
    extra_slow = np.zeros(m, dtype=bool)
    if scenario.shared_bursts:
        gap, length, add = scenario.shared_bursts
        blip = _inside(t, _episodes(rng, horizon, gap, length))
        p_base, p_can = p_base + add * blip, p_can + add * blip
    if scenario.outage:
        start, length, p_out, slow_out = scenario.outage
        down = (t >= start) & (t < start + length)
        p_base = np.where(down, np.maximum(p_base, p_out), p_base)
        p_can = np.where(down, np.maximum(p_can, p_out), p_can)
        extra_slow = down & (rng.random(m) < slow_out)
    if scenario.canary_bursts:
        gap, length, p_burst = scenario.canary_bursts
        p_can = np.where(_inside(t, _episodes(rng, horizon, gap, length)), np.maximum(p_can, p_burst), p_can)
    base_lat = np.exp(np.log(LAT_MEDIAN_MS) + LAT_SIGMA * rng.standard_normal(m)) + SLOW_MS * extra_slow
    regress = rng.random(m) < scenario.canary_slow_frac
    return Stream(
        arrival=t,
        u_route=rng.random(m),
        err_canary=u_err < p_can,
        err_baseline=u_err < p_base,
        lat_canary=base_lat + SLOW_MS * regress,
        lat_baseline=base_lat,
        horizon=horizon,
    )


@dataclass
class Served:
    """The requests one revision served during one stage, as telemetry will show them."""

    arrival: np.ndarray
    visible: np.ndarray  # arrival + duration + lag, sorted
    error: np.ndarray
    slow: np.ndarray
    latency: np.ndarray

    def counts_at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cumulative (requests, 5xx, slow) visible at each time."""
        idx = np.searchsorted(self.visible, times, side="right")
        ce = np.concatenate([[0], np.cumsum(self.error)])
        cs = np.concatenate([[0], np.cumsum(self.slow)])
        return idx, ce[idx], cs[idx]

    def window(self, since: float, until: float, visible_by: float) -> np.ndarray:
        """Mask of requests that arrived in [since, until) and are visible by `visible_by`."""
        return (self.arrival >= since) & (self.arrival < until) & (self.visible <= visible_by)


def served(stream: Stream, schedule: list[tuple[float, int]], canary: bool, lag: float) -> Served:
    """What one revision served from the last stage's start on, under `schedule` (cached per stream)."""
    key = (tuple(schedule), canary)
    if key not in stream._served:
        to_canary = stream.route(schedule)
        sel = (stream.arrival >= schedule[-1][0]) & (to_canary if canary else ~to_canary)
        lat = (stream.lat_canary if canary else stream.lat_baseline)[sel]
        err = (stream.err_canary if canary else stream.err_baseline)[sel]
        arrival = stream.arrival[sel]
        order = np.argsort(arrival + lat / 1000.0, kind="stable")
        stream._served[key] = Served(
            arrival[order],
            arrival[order] + lat[order] / 1000.0,
            err[order],
            lat[order] >= SLOW_MS,
            lat[order],
        )
    s = stream._served[key]
    return Served(s.arrival, s.visible + lag, s.error, s.slow, s.latency)


def canary_failures_before(stream: Stream, schedule: list[tuple[float, int]], until: float) -> int:
    """Failed user requests: canary 5xx that arrived before the decision took effect."""
    to_canary = stream.route(schedule)
    return int(np.sum(to_canary & stream.err_canary & (stream.arrival < until)))
