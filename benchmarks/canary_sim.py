"""The simulated request streams every canary judge in benchmarks/canary_judges.py is fed (issue 12).

One rollout = one stream over the longest horizon any judge may need. Every request carries its own
random numbers (routing, error, latency, sampling, ingestion lag), drawn once; a judge's stage schedule
only decides which revision each user request is routed to (canary if u_route < its route's share). So
all judges see the same requests and the same bad luck (common random numbers): differences in the table
come from the judges, not from the draws.

Three strata of evidence, as production delivers them (parameters/prod.yaml; issue 12):
  * users (Application Insights): Poisson arrivals at total rate R (time-of-day wave +-30% over a
    compressed 1 h day, random phase, which also moves both revisions' error probability), an endpoint mix
    (get 60%, list 30%, report 10%; report is the heavy endpoint: 10% of its requests take >= 2 s on both
    revisions), lognormal latency (median 250 ms, sigma 0.7), SAMPLING of the rows kept, and each row
    queryable LAG +- JITTER s after the request ended. The judge's users' stratum counts the sampled rows
    up to complete_until = now - (LAG + JITTER), the backend's lag bound;
  * platform (Container Apps metrics): per-revision request and 5xx counts of ALL user requests in
    1-minute buckets (random phase), each published 60-120 s after it closes; complete_until = the end of
    the last bucket published with all before it. Errors only; the stage's first bucket from its start;
  * probes: apexops' own requests to EACH revision at `rate` per second over health, list, get in turn,
    from `warmup` s before stage 1 moves traffic, known the moment they return (no lag). A probe fails
    with the error probability of the revision it hits at that moment; independent draws per revision.
Faults: a canary error rate, a latency regression (a share of canary requests +2 s, probes included), an
intermittent crash loop (100% canary errors for `length` s every `period` s; phase uniform over one
period, counted from the warm-up's start), a baseline whose errors rise during the rollout, traffic
ramping down, and an endpoint-mix imbalance (the canary receives a larger share of `report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DAY_S = 3600.0  # a compressed "day" so drift happens within one rollout
DRIFT = 0.3
LAT_MEDIAN_MS = 250.0
LAT_SIGMA = 0.7
SLOW_MS = 2000.0
USER_ROUTES = ("get", "list", "report")
USER_MIX = (0.6, 0.3, 0.1)
REPORT_SLOW = 0.10  # share of `report` requests that take >= 2 s (both revisions)
PROBE_ROUTES = ("health", "list", "get")
USERS_LAG_S, USERS_JITTER_S = 180.0, 60.0  # Application Insights: 180 +- 60 s
USERS_SAMPLING = 0.5  # share of user request rows kept (itemCount 2)
PLATFORM_GRAIN_S, PLATFORM_LAG_S = 60.0, (60.0, 120.0)  # 1-minute buckets published 60-120 s late
TODAY_LAG_S = 180.0  # today's judge: monitoring.ingestion_lag_s of prod.yaml


@dataclass(frozen=True)
class Scenario:
    name: str
    rate: float
    canary_error: float = 0.001
    baseline_error: float = 0.001
    #: share of canary requests that take 2 s longer (a P95 regression)
    canary_slow_frac: float = 0.0
    #: intermittent crash loop of the canary: (period s, length s) of 100% errors
    crash_loop: tuple[float, float] | None = None
    #: the user rate ramps linearly from `rate` to this over the first stage's 10 minutes
    ramp_to: float | None = None
    #: the baseline's error probability rises linearly to this over the first 10 minutes
    baseline_degrades_to: float | None = None
    #: odds factor of the canary's share of the `report` endpoint (1: routed at random like the rest)
    report_odds: float = 1.0
    #: True when the right answer is "roll back"
    bad: bool = False

    @property
    def healthy_canary(self) -> bool:
        return not self.bad


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("healthy 20 rps", 20.0),
    Scenario("healthy 5 rps", 5.0),
    Scenario("healthy 1 rps", 1.0),
    Scenario("healthy 0.1 rps", 0.1),
    Scenario("both 0.5% errors 20 rps", 20.0, canary_error=0.005, baseline_error=0.005),
    Scenario("ramp 20->5 rps", 20.0, ramp_to=5.0),
    Scenario("baseline degrades to 5%", 20.0, baseline_degrades_to=0.05),
    Scenario("endpoint-mix imbalance", 20.0, report_odds=4.5),
    Scenario("10% errors 20 rps", 20.0, canary_error=0.10, bad=True),
    Scenario("2% errors 20 rps", 20.0, canary_error=0.02, bad=True),
    Scenario("P95 regression 20 rps", 20.0, canary_slow_frac=0.20, bad=True),
    Scenario("10% errors 1 rps", 1.0, canary_error=0.10, bad=True),
    Scenario("crash loop 20 rps", 20.0, crash_loop=(120.0, 20.0), bad=True),
)


def _inside(t: np.ndarray, starts: np.ndarray, length: float) -> np.ndarray:
    hit = np.zeros(t.shape, dtype=bool)
    for a in starts:
        hit |= (t >= a) & (t < a + length)
    return hit


@dataclass
class Requests:
    """Requests of one kind (users, or probes to one revision): arrays sorted by arrival."""

    arrival: np.ndarray
    route: np.ndarray  # index into USER_ROUTES / PROBE_ROUTES
    err: np.ndarray
    lat: np.ndarray


@dataclass
class Stream:
    """One rollout: user requests (outcomes precomputed for either revision), probes, telemetry draws."""

    arrival: np.ndarray
    u_route: np.ndarray
    #: outcome if served by the canary / by the baseline
    err_canary: np.ndarray
    err_baseline: np.ndarray
    lat_canary: np.ndarray
    lat_baseline: np.ndarray
    horizon: float
    route: np.ndarray | None = None
    #: the canary's odds factor per route (imbalance)
    route_odds: tuple[float, ...] = (1.0, 1.0, 1.0)
    sampled: np.ndarray | None = None
    lag: np.ndarray | None = None
    probes_canary: Requests | None = None
    probes_baseline: Requests | None = None
    #: platform buckets: start of bucket 0 (<= -warmup) and each bucket's publish delay
    bucket0: float = 0.0
    bucket_lag: np.ndarray | None = None
    _served: dict = field(default_factory=dict, repr=False)

    def shares(self, weight: float) -> np.ndarray:
        """The canary's share of each user request's route at this weight."""
        odds = np.asarray(self.route_odds)[self.route] if self.route is not None else 1.0
        return weight * odds / (weight * odds + 1 - weight)

    def to_canary(self, schedule: list[tuple[float, int]]) -> np.ndarray:
        """True where the user request goes to the canary, for stages [(start_s, weight%), ...]."""
        share = np.zeros(self.arrival.shape)
        for start, weight in schedule:
            now = self.arrival >= start
            share[now] = np.broadcast_to(self.shares(weight / 100.0), self.arrival.shape)[now]
        return self.u_route < share


def _probes(rng, rate, warmup, horizon, p_of, slow_frac) -> Requests:
    t = np.arange(-warmup + 0.5 / rate, horizon, 1.0 / rate)
    lat = np.exp(np.log(LAT_MEDIAN_MS) + LAT_SIGMA * rng.standard_normal(len(t)))
    lat = lat + SLOW_MS * (rng.random(len(t)) < slow_frac)
    return Requests(t, np.arange(len(t)) % len(PROBE_ROUTES), rng.random(len(t)) < p_of(t), lat)


def simulate(
    scenario: Scenario,
    rng: np.random.Generator,
    horizon: float,
    *,
    probe_rate: float = 0.0,
    warmup: float = 0.0,
) -> Stream:
    phase = rng.uniform(0, 2 * np.pi)

    def wave(t: np.ndarray) -> np.ndarray:
        return 1 + DRIFT * np.sin(2 * np.pi * t / DAY_S + phase)

    def rate_at(t: np.ndarray) -> np.ndarray:
        if scenario.ramp_to is None:
            return np.full(t.shape, scenario.rate)
        return scenario.rate + (scenario.ramp_to - scenario.rate) * np.clip(t / 600.0, 0, 1)

    def p_base(t: np.ndarray) -> np.ndarray:
        base = np.full(t.shape, scenario.baseline_error)
        if scenario.baseline_degrades_to is not None:
            base = base + (scenario.baseline_degrades_to - base) * np.clip(t / 600.0, 0, 1)
        return np.minimum(base * wave(t), 1.0)

    crash = None
    if scenario.crash_loop:
        period, length = scenario.crash_loop
        crash = (-warmup + rng.uniform(0, period) + period * np.arange(-1, horizon / period + 2), length)

    def p_can(t: np.ndarray) -> np.ndarray:
        healthy = scenario.canary_error == scenario.baseline_error and scenario.baseline_degrades_to is None
        p = (
            np.minimum(scenario.baseline_error * wave(t), 1.0)
            if healthy
            else np.full(t.shape, scenario.canary_error)
        )
        if crash is not None:
            p = np.where(_inside(t, *crash), 1.0, p)
        return p

    peak = max(scenario.rate, scenario.ramp_to or 0.0) * (1 + DRIFT)
    n = rng.poisson(peak * horizon)
    t = np.sort(rng.uniform(0, horizon, n))
    t = t[rng.random(n) < rate_at(t) * wave(t) / peak]  # thinning: time-varying Poisson arrivals
    m = len(t)
    route = rng.choice(len(USER_ROUTES), size=m, p=USER_MIX)
    u_err = rng.random(m)
    base_lat = np.exp(np.log(LAT_MEDIAN_MS) + LAT_SIGMA * rng.standard_normal(m))
    base_lat = base_lat + SLOW_MS * ((route == 2) & (rng.random(m) < REPORT_SLOW))
    regress = rng.random(m) < scenario.canary_slow_frac
    odds = tuple(scenario.report_odds if r == "report" else 1.0 for r in USER_ROUTES)
    stream = Stream(
        arrival=t,
        u_route=rng.random(m),
        err_canary=u_err < p_can(t),
        err_baseline=u_err < p_base(t),
        lat_canary=base_lat + SLOW_MS * regress,
        lat_baseline=base_lat,
        horizon=horizon,
        route=route,
        route_odds=odds,
        sampled=rng.random(m) < USERS_SAMPLING,
        lag=USERS_LAG_S + rng.uniform(-USERS_JITTER_S, USERS_JITTER_S, m),
    )
    if probe_rate > 0:
        stream.probes_canary = _probes(rng, probe_rate, warmup, horizon, p_can, scenario.canary_slow_frac)
        stream.probes_baseline = _probes(rng, probe_rate, warmup, horizon, p_base, 0.0)
    stream.bucket0 = -warmup - rng.uniform(0, PLATFORM_GRAIN_S)
    stream.bucket_lag = rng.uniform(*PLATFORM_LAG_S, int((horizon - stream.bucket0) / PLATFORM_GRAIN_S) + 2)
    return stream


# ----------------------------------------------------------------------------- what telemetry shows


@dataclass
class Served:
    """The requests one revision served during one stage, as a telemetry source will show them."""

    arrival: np.ndarray
    visible: np.ndarray  # when the row is counted, sorted
    error: np.ndarray
    slow: np.ndarray
    latency: np.ndarray
    route: np.ndarray | None = None
    #: data-time delay of the baselines' windows: what they read at `tau` is [.. , tau - delay)
    delay: float = 0.0

    def counts_at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cumulative (requests, 5xx, slow) counted at each time."""
        idx = np.searchsorted(self.visible, times, side="right")
        ce = np.concatenate([[0], np.cumsum(self.error)])
        cs = np.concatenate([[0], np.cumsum(self.slow)])
        return idx, ce[idx], cs[idx]

    def window(self, since: float, until: float, visible_by: float) -> np.ndarray:
        """Mask of requests that arrived in [since, until) - delay and are visible by `visible_by`."""
        a = self.arrival
        return (a >= since - self.delay) & (a < until - self.delay) & (self.visible <= visible_by)

    def select(self, mask: np.ndarray) -> Served:
        route = self.route[mask] if self.route is not None else None
        return Served(
            self.arrival[mask],
            self.visible[mask],
            self.error[mask],
            self.slow[mask],
            self.latency[mask],
            route,
        )


def _served(arrival, key, err, lat, route, delay=0.0) -> Served:
    order = np.argsort(key, kind="stable")
    return Served(
        arrival[order], key[order], err[order], lat[order] >= SLOW_MS, lat[order], route[order], delay
    )


def users(stream: Stream, schedule: list[tuple[float, int]], canary: bool, view: str) -> Served:
    """User requests one revision served from the last stage's start on, as `view` shows them (cached):

    "users"     sampled rows, counted once complete: at max(arrival + LAG + JITTER, arrival + duration + lag)
    "today"     sampled rows as today's judge reads them: request_stats(stage start, now - 180 s)
    "platform"  all requests, counted when their 1-minute bucket and every one before it is published
    "lagged"    all rows, for the baseline judges: visible at arrival + duration + lag, their windows read
                LAG + JITTER s back (what a rule on Application Insights can see)
    "all"       all requests (failed user requests; no lag)
    """
    cache = (tuple(schedule), canary, view)
    if cache in stream._served:
        return stream._served[cache]
    to_canary = stream.to_canary(schedule)
    sel = (stream.arrival >= schedule[-1][0]) & (to_canary if canary else ~to_canary)
    if view in ("users", "today"):
        sel &= stream.sampled if stream.sampled is not None else True
    a = stream.arrival[sel]
    lat = (stream.lat_canary if canary else stream.lat_baseline)[sel]
    err = (stream.err_canary if canary else stream.err_baseline)[sel]
    route = stream.route[sel] if stream.route is not None else np.zeros(len(a), dtype=int)
    lag = stream.lag[sel] if stream.lag is not None else np.zeros(len(a))
    done = a + lat / 1000.0 + lag
    if view == "users":
        key = np.maximum(a + USERS_LAG_S + USERS_JITTER_S, done)
        out = _served(a, key, err, lat, route)
    elif view == "today":
        out = _served(a, np.maximum(a + TODAY_LAG_S, done), err, lat, route)
    elif view == "platform":
        assert stream.bucket_lag is not None
        bucket = np.floor((a - stream.bucket0) / PLATFORM_GRAIN_S).astype(int)
        published = (
            stream.bucket0 + PLATFORM_GRAIN_S * (np.arange(len(stream.bucket_lag)) + 1) + stream.bucket_lag
        )
        out = _served(a, np.maximum.accumulate(published)[bucket], err, lat, route)
    elif view == "lagged":
        out = _served(a, done, err, lat, route, delay=USERS_LAG_S + USERS_JITTER_S)
    else:
        out = _served(a, a + lat / 1000.0, err, lat, route)
    stream._served[cache] = out
    return out


def platform_complete_until(stream: Stream, t: np.ndarray) -> np.ndarray:
    """End of the last bucket published (with all before it) at each time t (-inf before the first)."""
    assert stream.bucket_lag is not None
    ends = stream.bucket0 + PLATFORM_GRAIN_S * (np.arange(len(stream.bucket_lag)) + 1)
    published = np.maximum.accumulate(ends + stream.bucket_lag)
    idx = np.searchsorted(published, t, side="right")
    return np.where(idx > 0, ends[np.maximum(idx - 1, 0)], -np.inf)


def probes(stream: Stream, since: float, canary: bool) -> Served:
    """Probes to one revision sent from `since` on, counted the moment they return."""
    p = stream.probes_canary if canary else stream.probes_baseline
    assert p is not None
    sel = p.arrival >= since
    a = p.arrival[sel]
    return _served(a, a + p.lat[sel] / 1000.0, p.err[sel], p.lat[sel], p.route[sel])


def served(stream: Stream, schedule: list[tuple[float, int]], canary: bool, lag: float) -> Served:
    """Backward compatible view for the baseline judges: all rows visible at arrival + duration + lag."""
    cache = (tuple(schedule), canary, "fixed", lag)
    if cache not in stream._served:
        to_canary = stream.to_canary(schedule)
        sel = (stream.arrival >= schedule[-1][0]) & (to_canary if canary else ~to_canary)
        a = stream.arrival[sel]
        lat = (stream.lat_canary if canary else stream.lat_baseline)[sel]
        err = (stream.err_canary if canary else stream.err_baseline)[sel]
        stream._served[cache] = _served(a, a + lat / 1000.0 + lag, err, lat, np.zeros(len(a), dtype=int))
    return stream._served[cache]


def canary_failures_before(stream: Stream, schedule: list[tuple[float, int]], until: float) -> int:
    """Failed USER requests: canary 5xx served to users that arrived before the decision took effect."""
    to_canary = stream.to_canary(schedule)
    return int(np.sum(to_canary & stream.err_canary & (stream.arrival < until)))
