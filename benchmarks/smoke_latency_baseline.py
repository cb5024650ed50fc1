"""The smoke tests' latency verdict side by side: the runbook's ten curls vs apexops' interval-based baseline.

    python benchmarks/smoke_latency_baseline.py            # 2000 simulated smoke runs per scenario
    python benchmarks/smoke_latency_baseline.py --quick    # 300 per scenario

The runbook measures 10 sequential requests and expects "time_total < 0.5s for most requests" (read here
as: at least 8 of 10 under 500 ms), with "P95 < 500ms" as the recorded criterion. apexops sends N requests
(default 100) and judges the P95 with distribution-free bounds, each one-sided at 95%: PASS when the upper
bound is below 500 ms, FAIL when the lower bound is at or above it, INCONCLUSIVE otherwise. Each scenario
draws response times from a lognormal whose true P95 is known; the table shows how often each rule passes a
revision whose P95 really is above the threshold (a false PASS lets a slow release through) or fails one
that is fine.

Also printed: the empirical coverage of the P95 interval against its exact (binomial) coverage.
Measured, printed, never asserted.
"""

from __future__ import annotations

import math
import random
import sys
import time

from scipy.stats import norm

from apexops.smoke.latency import latency_baseline, quantile_ci
from apexops.status import Status

SIGMA = 0.5  # lognormal shape: a typical API latency spread (P95 is ~2.3x the median)
THRESHOLD = 500.0
JUDGED = (Status.PASS, Status.FAIL, Status.INCONCLUSIVE)


def draw(rng: random.Random, true_p95: float) -> float:
    mu = math.log(true_p95) - SIGMA * norm.ppf(0.95)
    return rng.lognormvariate(mu, SIGMA)


def runbook_rule(sample: list[float]) -> Status:
    return Status.PASS if sum(1 for x in sample if x < THRESHOLD) >= 8 else Status.FAIL


def main() -> None:
    reps = 300 if "--quick" in sys.argv else 2000
    rng = random.Random(20240319)
    scenarios = [150.0, 350.0, 450.0, 550.0, 700.0, 1200.0]
    print(f"{reps} simulated smoke runs per scenario; lognormal sigma={SIGMA}; threshold {THRESHOLD:g} ms\n")
    print(f"{'true P95':>9} | {'runbook 10 curls':^18} | {'apexops n=100 (PASS/FAIL/INCONCL.)':^36}"
          f" | {'apexops n=300':^24}")
    t0 = time.perf_counter()
    for p95 in scenarios:
        rb = dict.fromkeys(JUDGED[:2], 0)
        ours = {n: dict.fromkeys(JUDGED, 0) for n in (100, 300)}
        for _ in range(reps):
            rb[runbook_rule([draw(rng, p95) for _ in range(10)])] += 1
            for n in (100, 300):
                ours[n][latency_baseline([draw(rng, p95) for _ in range(n)]).verdict.status] += 1
        good = p95 < THRESHOLD

        def pct(d: dict[Status, int], k: Status) -> str:
            return f"{100 * d[k] / reps:5.1f}%"

        def trio(counts: dict[Status, int]) -> str:
            return " / ".join(pct(counts, k) for k in JUDGED)

        runbook = ("PASS " if good else "PASS!") + pct(rb, Status.PASS)
        print(f"{p95:>7.0f}ms | {runbook:^18} | {trio(ours[100]):^36} | {trio(ours[300])}")
    print("\n(PASS! = a revision whose true P95 is above 500 ms was passed)")

    print("\nP95 interval coverage (95% nominal): empirical vs exact binomial")
    for n in (30, 100, 300, 1000):
        covered, exact, open_upper = 0, 0.0, 0
        for _ in range(reps):
            est = quantile_ci([draw(rng, 400.0) for _ in range(n)], 0.95, 0.95)
            lo = est.lower_ms if est.lower_ms is not None else -math.inf
            hi = est.upper_ms if est.upper_ms is not None else math.inf
            covered += lo <= 400.0 <= hi
            exact = est.coverage
            open_upper += est.upper_ms is None
        note = " (upper bound open: too few requests)" if open_upper else ""
        print(f"  n={n:>5}: empirical {covered / reps:.3f}, exact {exact:.3f}{note}")
    print(f"\nelapsed {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
