"""The statistics against known distributions: exact H0 expectations, closed forms, simulated validity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import logsumexp
from scipy.stats import beta as beta_dist
from scipy.stats import binom

from apexops.canary import stats
from apexops.canary.evidence import harm_share


def mixture_lr(k, m, share, weight):
    log_psi, log_w = stats.harm_grid(weight)
    return math.exp(stats.mixture_log_evalue(stats.harm_log_lr(log_psi, k, m, share), log_w))


def test_grid_is_a_one_sided_mixture_with_unit_weight():
    log_psi, log_w = stats.harm_grid(0.1)
    assert np.all(log_psi >= 0) and np.all(np.diff(log_psi) > 0)
    assert math.isclose(float(np.exp(log_w).sum()), 1.0)
    # theta = 1 (every bad event from the canary) is approached: odds ratios up to hundreds
    assert math.exp(log_psi[-1]) > 500


@pytest.mark.parametrize("share", [0.1, 0.5, 0.02])
@pytest.mark.parametrize("total", [1, 3, 10, 40])
def test_harm_ratio_has_expectation_one_under_h0(share, total):
    """E[LR] = 1 exactly when each bad event is the canary's with probability = its share."""
    k = np.arange(total + 1)
    expectation = sum(binom.pmf(i, total, share) * mixture_lr(i, total - i, share, share) for i in k)
    assert expectation == pytest.approx(1.0, rel=1e-9)


def test_harm_ratio_is_conservative_when_the_share_used_is_too_high():
    """max(weight, observed share) may overstate the true share: then E[LR] < 1 (valid, less power)."""
    total, true_share = 20, 0.08
    e = sum(binom.pmf(i, total, true_share) * mixture_lr(i, total - i, 0.1, 0.1) for i in range(total + 1))
    assert e < 1.0


@pytest.mark.parametrize(("k", "m"), [(3, 0), (4, 1), (5, 2), (0, 10), (12, 100)])
def test_grid_mixture_matches_the_beta_mixture_integral(k, m):
    """The odds-ratio grid is a faithful discretisation of theta ~ Beta(a, b) restricted to (w, 1)."""
    w, prior = 0.1, stats.HARM_PRIOR
    mass = beta_dist.sf(w, prior.a, prior.b)

    def integrand(t):
        return (t / w) ** k * ((1 - t) / (1 - w)) ** m * beta_dist.pdf(t, prior.a, prior.b) / mass

    exact, _ = integrate.quad(integrand, w, 1)
    assert mixture_lr(k, m, w, w) == pytest.approx(exact, rel=0.03)


def test_three_canary_errors_and_none_on_baseline_pass_1_over_200_at_10_percent():
    """The tuning target: at 10% weight the third canary error alone is enough evidence (>= 200/0.95)."""
    assert mixture_lr(3, 0, 0.1, 0.1) > 200 / 0.95
    assert mixture_lr(2, 0, 0.1, 0.1) < 100  # two errors can never be: at most 10 x 10


@pytest.mark.parametrize("n", [10, 100, 459, 2000])
@pytest.mark.parametrize("limit", [0.01, 0.05])
def test_slo_evalues_have_expectation_at_most_one_at_the_limit(n, limit):
    k = np.arange(n + 1)
    log_pmf = binom.logpmf(k, n, limit)
    for log_e in (stats.slo_meet_log_evalue(k, n, limit), stats.slo_breach_log_evalue(k, n, limit)):
        assert float(logsumexp(log_pmf + log_e)) <= 1e-9


def test_requests_needed_is_the_smallest_clean_sample_that_shows_the_slo():
    needed = stats.requests_needed(0.01, 0.95)
    assert 299 < needed < 600  # more than fixed-sample Clopper-Pearson's 299: the price of peeking
    assert stats.slo_meet_log_evalue(0, needed, 0.01) >= math.log(20)
    assert stats.slo_meet_log_evalue(0, needed - 1, 0.01) < math.log(20)


@pytest.mark.parametrize(("k", "n"), [(0, 500), (1, 1180), (3, 100), (20, 1000)])
def test_anytime_upper_bound_is_wider_than_clopper_pearson_and_consistent(k, n):
    upper = stats.slo_upper_bound(k, n, 0.95)
    clopper_pearson = beta_dist.ppf(0.95, k + 1, n - k)
    assert upper >= clopper_pearson
    assert upper < 1
    # the bound is where the SLO e-value reaches 1/delta
    assert stats.slo_meet_log_evalue(k, n, upper * 1.01) >= math.log(20)
    assert stats.slo_meet_log_evalue(k, n, upper * 0.99) < math.log(20)


def test_upper_bound_without_requests_is_one():
    assert stats.slo_upper_bound(0, 0, 0.95) == 1.0


def test_budget_split():
    assert sum(stats.alpha_split(0.01, ("a", "b")).values()) == pytest.approx(0.01)
    assert sum(stats.restart_weights(3)) == pytest.approx(1.0)
    assert stats.restart_weights(1) == (1.0,)
    assert stats.restart_weights(0) == ()


# --------------------------------------------------------------------------- sequential behaviour


def _crossings(
    rng,
    *,
    rate,
    poll,
    weight=0.1,
    true_share=None,
    bad=0.02,
    duration=1800,
    runs=1500,
    threshold=200 / 0.95,
    naive=False,
    weight_only=False,
):
    """Share of simulated H0 stages whose harm e-process ever reaches `threshold`, polled every `poll`.

    Both revisions fail alike (drifting error probability with shared bursts), routing is random at
    `true_share`; the e-process is the library's: per-interval ratios, share = max(weight, observed).
    """
    true_share = weight if true_share is None else true_share
    polls = int(duration / poll)
    t = poll * np.arange(1, polls + 1)
    p = bad * (1 + 0.5 * np.sin(2 * np.pi * t / 900)) + 0.2 * ((t % 600) < 20)  # drift + bursts
    log_psi, log_w = stats.harm_grid(weight)
    hits = 0
    for _ in range(runs // 100):
        n = rng.poisson(rate * poll, size=(100, polls))
        nc = rng.binomial(n, true_share)
        nb = n - nc
        kc, kb = rng.binomial(nc, p), rng.binomial(nb, p)
        cc, cb = np.cumsum(nc, axis=1), np.cumsum(nb, axis=1)
        if naive:  # a fixed-sample one-sided z-test of the canary's share of bad events, checked every poll
            k, total = np.cumsum(kc, axis=1), np.cumsum(kc + kb, axis=1)
            z = (k - total * weight) / np.sqrt(np.maximum(total * weight * (1 - weight), 1e-9))
            hits += int(np.sum(np.any((z > 2.576) & (total > 0), axis=1)))
            continue
        share = (
            weight
            if weight_only
            else harm_share(
                weight,
                np.concatenate([np.zeros((100, 1)), cc[:, :-1]], axis=1),
                np.concatenate([np.zeros((100, 1)), cb[:, :-1]], axis=1),
            )
        )
        path = np.cumsum(stats.harm_log_lr(log_psi, kc, kb, share), axis=1)
        evalues = stats.mixture_log_evalue(path, log_w)
        hits += int(np.sum(np.any(evalues >= math.log(threshold), axis=1)))
    return hits / runs


@pytest.mark.parametrize(("rate", "poll"), [(1.0, 2.0), (20.0, 2.0), (20.0, 30.0), (100.0, 5.0)])
def test_false_rollback_rate_under_h0_stays_below_alpha(rate, poll):
    """Anytime validity: polled every 2-30 s at 1-100 req/s, with drift and bursts on both revisions,
    a healthy canary is flagged in at most alpha_i = 0.5% of stages (tolerance: 3 binomial sd)."""
    rate_found = _crossings(np.random.default_rng(int(rate * 100 + poll)), rate=rate, poll=poll)
    assert rate_found <= 0.005 + 3 * math.sqrt(0.005 / 1500)


def test_a_split_above_the_weight_is_not_taken_for_harm():
    """The ingress sends the canary 13% instead of 10%: the observed share takes over from the weight."""
    found = _crossings(np.random.default_rng(5), rate=50.0, poll=5.0, true_share=0.13)
    assert found <= 0.005 + 3 * math.sqrt(0.005 / 1500)
    # control: judged at the configured weight alone, most of these healthy canaries would roll back
    assert (
        _crossings(np.random.default_rng(5), rate=50.0, poll=5.0, true_share=0.13, weight_only=True, runs=200)
        > 0.3
    )


def test_the_simulation_can_see_peeking_inflation():
    """Control: a fixed-sample test at the 0.5% level, checked at every poll, fails far more often."""
    assert _crossings(np.random.default_rng(9), rate=20.0, poll=2.0, naive=True, runs=500) > 0.02


def test_obvious_harm_is_detected_quickly():
    """10% errors on a 10% canary vs 0.1% on the baseline at 20 req/s: rolled back within a minute."""
    rng = np.random.default_rng(3)
    log_psi, log_w = stats.harm_grid(0.1)
    poll, polls = 2.0, 30
    n = rng.poisson(20 * poll, size=(400, polls))
    nc = rng.binomial(n, 0.1)
    kc, kb = rng.binomial(nc, 0.10), rng.binomial(n - nc, 0.001)
    path = np.cumsum(stats.harm_log_lr(log_psi, kc, kb, 0.1), axis=1)
    detected = np.any(stats.mixture_log_evalue(path, log_w) >= math.log(200 / 0.95), axis=1)
    assert detected.mean() > 0.95
