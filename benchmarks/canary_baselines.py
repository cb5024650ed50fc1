"""The judges apexops is compared with, implemented from their documented rules (notes/canary_anchors.md).

All of them run the runbook's fixed schedule (10% for 10 min, then 50% for 5 min, then 100%) and read the
users' telemetry (Application Insights) as production delivers it: `lag=None` (issue 12) makes every
window they read end LAG + JITTER s before the moment they judge (the backend's lag bound), all rows
(unsampled). A number instead gives the old fixed lag (hand-built streams in the tests). Each returns
an Outcome: rollback / promote / inconclusive, and when.

  runbook          judged once at the end of each window: error rate < 1%, P95 < 2 s, no 5xx from the new
                   revision, availability >= 99.9%. No request at all: inconclusive (a person decides).
  runbook-watched  the same criteria watched every minute on the data so far; rollback at the first breach.
  argo             background AnalysisRun, interval 1m, one measurement per minute over the last minute:
                   successCondition "error rate < 0.01 && P95 < 2 s"; NaN (no requests) fails the
                   condition (docs "Handling Metric Results"); abort when failed > failureLimit.
  flagger          every 1m: request-success-rate >= 99% and request-duration P95 <= 2 s over the last
                   minute; "no values found" is a failed check; rollback when the cumulative failed checks
                   reach `threshold`.
  kayenta          per-minute buckets of error rate and P95 for canary and baseline; Mann-Whitney U with a
                   98% CI and a tolerance of 0.25 x |Hodges-Lehmann estimate|, effect size (mean ratio) >=
                   1.0; score = % of metrics Pass; Nodata on >= 50% of metrics scores 0. Judgements every
                   5 min on the stage so far: an intermediate score <= marginal (75) fails fast, the last
                   one of a stage must reach pass (90).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from canary_sim import SLOW_MS, Served, Stream, served, users

STAGES = ((10, 600.0), (50, 300.0))
MINUTE = 60.0
Z_98 = 2.3263478740408408  # two-sided 98% normal quantile


@dataclass(frozen=True)
class Outcome:
    kind: str  # rollback | promote | inconclusive
    at: float
    #: the routing schedule in force until `at`, to count failed user requests
    schedule: tuple[tuple[float, int], ...]


def _p95(lat: np.ndarray) -> float:
    return float(np.percentile(lat, 95)) if len(lat) else math.nan


def _window(s: Served, since: float, until: float, visible_by: float) -> tuple[int, int, float]:
    mask = s.window(since, until, visible_by)
    return int(mask.sum()), int(s.error[mask].sum()), _p95(s.latency[mask])


def _view(stream: Stream, schedule: list[tuple[float, int]], canary: bool, lag: float | None) -> Served:
    """A fixed lag (hand-built streams), or None: the users' telemetry as production delivers it."""
    if lag is None:
        return users(stream, schedule, canary, "lagged")
    return served(stream, schedule, canary, lag)


def _fixed_schedule(
    stream: Stream,
    lag: float | None,
    stage_fn: Callable[[int, Served, Served, float, float], tuple[str, float]],
) -> Outcome:
    """Run the runbook's stages; stage_fn returns ("pass"|"rollback"|"inconclusive", decision time)."""
    t0, schedule = 0.0, []
    for index, (weight, duration) in enumerate(STAGES):
        schedule.append((t0, weight))
        canary = _view(stream, schedule, True, lag)
        baseline = _view(stream, schedule, False, lag)
        verdict, at = stage_fn(index, canary, baseline, t0, duration)
        if verdict != "pass":
            return Outcome(verdict, at, tuple(schedule))
        t0 += duration
    return Outcome("promote", t0, tuple(schedule))


def _checks(t0: float, d: float, delay: float) -> np.ndarray:
    """The minutes a watched rule checks: from the first whose (delayed) window lies inside the stage, as
    an operator sets an initial delay when the metrics come late (else every stage opens with empty,
    failing windows)."""
    taus = t0 + MINUTE * np.arange(1, int(d / MINUTE) + 1)
    return taus[taus - delay - MINUTE >= t0 - 1e-9]


def _runbook_ok(n: int, e: int, p95: float) -> bool:
    return n > 0 and e == 0 and e / n < 0.01 and p95 < SLOW_MS and 1 - e / n >= 0.999


def runbook(stream: Stream, lag: float | None) -> Outcome:
    def stage(_: int, c: Served, __: Served, t0: float, d: float) -> tuple[str, float]:
        n, e, p95 = _window(c, t0, t0 + d, t0 + d)
        if n == 0:
            return "inconclusive", t0 + d
        return ("pass" if _runbook_ok(n, e, p95) else "rollback"), t0 + d

    return _fixed_schedule(stream, lag, stage)


def runbook_watched(stream: Stream, lag: float | None) -> Outcome:
    def stage(_: int, c: Served, __: Served, t0: float, d: float) -> tuple[str, float]:
        n = 0
        for tau in _checks(t0, d, c.delay):
            n, e, p95 = _window(c, t0, tau, tau)
            if e > 0 or (n > 0 and not _runbook_ok(n, e, p95)):
                return "rollback", float(tau)
        return ("pass" if n else "inconclusive"), t0 + d

    return _fixed_schedule(stream, lag, stage)


def _minute_checks(
    stream: Stream, lag: float | None, ok: Callable[[int, int, float], bool], limit: Callable[[int], bool]
) -> Outcome:
    failed = [0]  # one analysis across both stages (Argo background analysis; Flagger's failedChecks)

    def stage(_: int, c: Served, __: Served, t0: float, d: float) -> tuple[str, float]:
        for tau in _checks(t0, d, c.delay):
            if not ok(*_window(c, tau - MINUTE, tau, tau)):
                failed[0] += 1
                if limit(failed[0]):
                    return "rollback", float(tau)
        return "pass", t0 + d

    return _fixed_schedule(stream, lag, stage)


def argo(stream: Stream, lag: float | None, failure_limit: int = 0) -> Outcome:
    # NaN < 0.01 is false: a minute without requests is a Failed measurement
    return _minute_checks(
        stream,
        lag,
        lambda n, e, p95: n > 0 and e / n < 0.01 and p95 < SLOW_MS,
        lambda failed: failed > failure_limit,
    )


def flagger(stream: Stream, lag: float | None, threshold: int = 5) -> Outcome:
    return _minute_checks(
        stream,
        lag,
        lambda n, e, p95: n > 0 and 1 - e / n >= 0.99 and p95 <= SLOW_MS,
        lambda failed: failed >= threshold,
    )


def mann_whitney_classify(experiment: np.ndarray, control: np.ndarray, tolerance: float = 0.25) -> str:
    """Kayenta's MannWhitneyClassifier (direction: increase): Pass | High | Nodata."""
    if len(experiment) == 0 or len(control) == 0:
        return "Nodata"
    if len(experiment) == len(control) and np.array_equal(experiment, control):
        return "Pass"
    diffs = np.sort((experiment[:, None] - control[None, :]).ravel())
    m, n = len(experiment), len(control)
    k = math.floor(m * n / 2 - Z_98 * math.sqrt(m * n * (m + n + 1) / 12))
    k = max(k, 0)
    lower = diffs[k]
    estimate = float(np.median(diffs))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.mean(experiment) / np.mean(control)
    effect_ok = bool(np.isnan(ratio) or ratio >= 1.0)
    if lower > tolerance * abs(estimate) and effect_ok:
        return "High"
    return "Pass"


def _buckets(s: Served, t0: float, minutes: int, visible_by: float) -> tuple[np.ndarray, np.ndarray]:
    rates, p95s = [], []
    for j in range(minutes):
        n, e, p95 = _window(s, t0 + MINUTE * j, t0 + MINUTE * (j + 1), visible_by)
        if n:  # nanStrategy remove
            rates.append(e / n)
            p95s.append(p95)
    return np.array(rates), np.array(p95s)


def kayenta(
    stream: Stream, lag: float | None, interval_s: float = 300.0, pass_score: float = 90, marginal: float = 75
) -> Outcome:
    def stage(_: int, c: Served, b: Served, t0: float, d: float) -> tuple[str, float]:
        judgements = t0 + interval_s * np.arange(1, int(d / interval_s) + 1)
        for i, tau in enumerate(judgements):
            minutes = int((tau - t0 - c.delay) / MINUTE)  # data-time minutes of the stage seen so far
            start = t0 + c.delay
            (cr, cp), (br, bp) = _buckets(c, start, minutes, tau), _buckets(b, start, minutes, tau)
            results = [mann_whitney_classify(cr, br), mann_whitney_classify(cp, bp)]
            scored = [r for r in results if r != "Nodata"]
            nodata = len(results) - len(scored)
            score = 0.0 if nodata * 2 >= len(results) else 100.0 * scored.count("Pass") / len(scored)
            last = i == len(judgements) - 1
            if (not last and score <= marginal) or (last and score < pass_score):
                return "rollback", float(tau)
        return "pass", t0 + d

    return _fixed_schedule(stream, lag, stage)


JUDGES: dict[str, Callable[[Stream, float | None], Outcome]] = {
    "runbook (end of window)": runbook,
    "runbook (watched each min)": runbook_watched,
    "argo (1m, failureLimit 0)": argo,
    "argo (1m, failureLimit 3)": lambda s, lag: argo(s, lag, failure_limit=3),
    "flagger (1m, threshold 5)": flagger,
    "kayenta (MWU 98%, 5m)": kayenta,
}
