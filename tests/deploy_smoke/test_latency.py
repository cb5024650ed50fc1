"""Latency statistics against known distributions: interval coverage, verdicts, projections, histogram."""

from __future__ import annotations

import math
import random

import pytest

from apexops.smoke.latency import (
    histogram,
    latency_baseline,
    order_statistic_ranks,
    point_quantile,
    quantile_ci,
    requests_needed,
)


def test_ranks_match_the_textbook_binomial_construction():
    # n=100, p95, 95%: the classic table gives x_(90) .. x_(100) (exact, distribution-free)
    lo, hi, coverage = order_statistic_ranks(100, 0.95, 0.95)
    assert (lo, hi) == (90, 100)
    assert 0.95 <= coverage < 1
    # the median of 100 at 95%: x_(40) .. x_(61)
    lo, hi, coverage = order_statistic_ranks(100, 0.5, 0.95)
    assert (lo, hi) == (40, 61)
    assert coverage == pytest.approx(0.9648, abs=1e-4)


def test_too_small_a_sample_leaves_the_upper_bound_open():
    lo, hi, coverage = order_statistic_ranks(20, 0.95, 0.95)
    assert hi is None  # 20 requests cannot bound a P95 from above at 95%
    assert lo is not None and coverage >= 0.975  # one-sided: only the lower tail is excluded
    assert order_statistic_ranks(0, 0.95, 0.95) == (None, None, 0.0)
    # the smallest n that bounds the P95 from above: 1 - 0.95^n >= 0.975  ->  n = 72
    assert order_statistic_ranks(71, 0.95, 0.95)[1] is None
    assert order_statistic_ranks(72, 0.95, 0.95)[1] == 72


def test_point_quantile_matches_linear_interpolation():
    data = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert point_quantile(data, 0.5) == 3.0
    assert point_quantile(data, 0.95) == pytest.approx(4.8)
    assert point_quantile([], 0.5) is None


@pytest.mark.parametrize(
    ("name", "draw", "true_q"),
    [
        # uniform(10, 110): the q-quantile is 10 + 100 q
        ("uniform", lambda r: r.uniform(10, 110), lambda q: 10 + 100 * q),
        # lognormal(mu=4, sigma=0.6): the q-quantile is exp(mu + sigma * z_q)
        ("lognormal", lambda r: r.lognormvariate(4.0, 0.6), lambda q: math.exp(4.0 + 0.6 * _z(q))),
    ],
)
@pytest.mark.parametrize(("n", "q"), [(100, 0.95), (60, 0.5), (400, 0.99)])
def test_interval_coverage_is_close_to_its_exact_value_in_repeated_sampling(name, draw, true_q, n, q):
    rng = random.Random(f"{name}-{n}-{q}")
    reps = 500
    truth = true_q(q)
    covered = bounded = 0
    expected = None
    for _ in range(reps):
        est = quantile_ci([draw(rng) for _ in range(n)], q, 0.95)
        expected = est.coverage
        lo = est.lower_ms if est.lower_ms is not None else -math.inf
        hi = est.upper_ms if est.upper_ms is not None else math.inf
        covered += lo <= truth <= hi
        bounded += est.upper_ms is not None
    rate = covered / reps
    se = math.sqrt(expected * (1 - expected) / reps)
    # the interval is exact: the empirical coverage must match the computed one within 4 SE
    assert abs(rate - expected) <= 4 * se + 1e-9, (name, n, q, rate, expected)
    # and the computed coverage honours the nominal level (or reports a side as open)
    if bounded == reps:
        assert expected >= 0.95


def _z(q: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(q))


def test_fast_service_passes_with_100_requests():
    rng = random.Random(1)
    base = latency_baseline([rng.lognormvariate(math.log(40), 0.4) for _ in range(100)], threshold_ms=500)
    assert base.verdict.status == "PASS"
    assert base.p95.upper_ms < 500
    assert "below 500 ms" in base.verdict.reasons[0]


def test_slow_service_fails_clearly():
    rng = random.Random(2)
    # 20% of requests take 2.5 s longer, like the sandbox's v1.2.4-slow image
    data = [rng.uniform(20, 60) + (2500 if rng.random() < 0.2 else 0) for _ in range(100)]
    base = latency_baseline(data, threshold_ms=500)
    assert base.verdict.status == "FAIL"
    assert base.p95.lower_ms >= 500


def test_tiny_samples_are_inconclusive_and_say_how_many_more_are_needed():
    base = latency_baseline([30.0, 35.0, 40.0, 32.0, 31.0], threshold_ms=500)
    assert base.verdict.status == "INCONCLUSIVE"
    assert base.p95.upper_ms is None
    # the smallest n with a one-sided 95% upper bound on the P95: 1 - 0.95^n >= 0.95  ->  n = 59
    assert base.verdict.facts["requests_needed"] == 59 - 5
    assert "54 more requests (n=59)" in base.verdict.reasons[0]


def test_borderline_sample_is_inconclusive_not_pass():
    # 4 of 100 requests slow: the point P95 is below 500 ms but the data cannot show P95 < 500 ms
    data = [50.0] * 96 + [900.0] * 4
    base = latency_baseline(data, threshold_ms=500)
    assert base.p95.estimate_ms < 500
    assert base.verdict.status == "INCONCLUSIVE"
    more = base.verdict.facts["requests_needed"]
    assert more is not None and more > 0
    # the projection is what it claims: at that size and the same slow share, the interval clears 500 ms
    total = 100 + more
    slow = round(0.04 * total)
    assert (
        latency_baseline([50.0] * (total - slow) + [900.0] * slow, threshold_ms=500).verdict.status == "PASS"
    )
    slow_short = round(0.04 * (total - 1))
    short = latency_baseline([50.0] * (total - 1 - slow_short) + [900.0] * slow_short, threshold_ms=500)
    assert short.verdict.status == "INCONCLUSIVE"


def test_share_exactly_at_the_limit_cannot_be_settled():
    assert requests_needed(100, 5, quantile=0.95, confidence=0.95) is None
    base = latency_baseline([50.0] * 95 + [900.0] * 5, threshold_ms=500)
    assert base.verdict.status == "INCONCLUSIVE"
    assert base.verdict.facts["requests_needed"] is None
    assert "no realistic number" in base.verdict.reasons[0]


def test_failing_side_projection():
    # 10% slow with only 20 requests: not enough to fail yet, a few more would be
    total = requests_needed(20, 2, quantile=0.95, confidence=0.95)
    assert total is not None and total > 20
    slow = round(0.1 * total)
    assert latency_baseline([50.0] * (total - slow) + [900.0] * slow).verdict.status == "FAIL"


def test_no_samples():
    base = latency_baseline([])
    assert base.n == 0 and base.verdict.status == "INCONCLUSIVE"
    assert base.histogram.counts == ()


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        latency_baseline([1.0, -2.0])
    with pytest.raises(ValueError):
        latency_baseline([1.0], threshold_ms=0)


def test_histogram_bins_hold_every_value_with_nice_widths():
    rng = random.Random(3)
    data = [rng.lognormvariate(4, 0.5) for _ in range(250)]
    h = histogram(data, threshold_ms=500)
    assert sum(h.counts) == len(data)
    assert h.edges[0] <= min(data) and h.edges[-1] >= max(data)
    mantissa = h.width / 10 ** math.floor(math.log10(h.width))
    assert round(mantissa, 9) in (1, 2, 5)
    assert len(h.counts) <= 31
    assert h.threshold_ms == 500
    assert [r["requests"] for r in h.rows()] == list(h.counts)


def test_histogram_of_identical_values():
    h = histogram([42.0] * 10)
    assert sum(h.counts) == 10 and len(h.counts) >= 1


def test_rows_and_facts_are_table_ready():
    base = latency_baseline([float(i) for i in range(1, 101)], threshold_ms=500)
    rows = base.rows()
    assert [r["quantile"] for r in rows] == ["p50", "p95", "p99", "p95 (verdict)"]
    assert rows[1]["lower_ms"] == 90.0 and rows[1]["upper_ms"] == 100.0  # two-sided 95%: x_(90)..x_(100)
    assert rows[3]["lower_ms"] == 91.0 and rows[3]["upper_ms"] == 99.0  # one-sided 95% each: x_(91), x_(99)
    assert base.facts()["verdict"] == "PASS" and base.facts()["p95_bounds_ms"] == [91.0, 99.0]


def test_one_slow_request_in_a_hundred_still_passes_but_two_do_not():
    assert latency_baseline([50.0] * 99 + [900.0], threshold_ms=500).verdict.status == "PASS"
    assert latency_baseline([50.0] * 98 + [900.0] * 2, threshold_ms=500).verdict.status == "INCONCLUSIVE"


def test_a_revision_exactly_at_the_threshold_passes_at_most_five_percent_of_the_time():
    # true P95 = 500 ms exactly; the exact PASS probability is P(Binomial(100, 0.95) >= 99) = 0.0371
    rng = random.Random("at-threshold")
    mu = math.log(500.0) - 0.5 * _z(0.95)
    reps = 600
    passed = sum(
        latency_baseline([rng.lognormvariate(mu, 0.5) for _ in range(100)], threshold_ms=500).verdict.status
        == "PASS"
        for _ in range(reps)
    )
    exact = 0.95**100 + 100 * 0.95**99 * 0.05
    assert abs(passed / reps - exact) <= 4 * math.sqrt(exact * (1 - exact) / reps)
    assert exact <= 0.05
