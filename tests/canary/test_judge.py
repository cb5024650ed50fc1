"""The judge on hand-built observations: verdicts, reasons that quote numbers, guards, data rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from apexops.canary import (
    Decision,
    JudgeConfig,
    Observation,
    RevisionSnapshot,
    accumulate,
    assess,
    evaluate,
    judge,
    measure,
    restarts_since,
)
from apexops.models import Replica, RequestStats, Revision
from apexops.settings import load_settings
from apexops.status import Status


def test_no_data_holds_and_is_never_a_pass_or_a_rollback(cfg, make_obs):
    for elapsed in (0, 30, 600, 1799):
        d = judge(make_obs(elapsed, (0, 0, 0), (0, 0, 0)), cfg)
        assert d.verdict is Decision.HOLD
        assert "no canary requests yet" in d.reason
        assert d.check("harm_errors").status is Status.INCONCLUSIVE


def test_no_data_at_max_duration_is_inconclusive_with_the_policy_action(cfg, make_obs):
    d = judge(make_obs(1800, (0, 0, 0), (500, 0, 0)), cfg)
    assert d.verdict is Decision.INCONCLUSIVE
    assert d.action == "escalate"
    assert "max 1800 s reached" in d.reason and "no canary requests yet (weight 10%)" in d.reason


def test_on_inconclusive_comes_from_the_policy(policy, make_obs):
    cfg = JudgeConfig.from_policy(policy.model_copy(update={"on_inconclusive": "extend"}))
    assert judge(make_obs(1800, (3, 0, 0), (30, 0, 0)), cfg).action == "extend"


def test_too_little_data_says_how_much_is_needed(cfg, make_obs):
    d = judge(make_obs(700, (60, 0, 0), (540, 0, 0)), cfg)
    assert d.verdict is Decision.HOLD
    assert (
        "too little data: 60 canary requests, at least 449 needed to show error rate < 1% at 95%" in d.reason
    )


def test_obvious_harm_rolls_back_with_numbers_and_threshold(cfg, make_obs):
    d = judge(make_obs(30, (112, 7, 0), (1020, 3, 0)), cfg)
    assert d.verdict is Decision.ROLLBACK and d.action == "rollback"
    assert d.reason.startswith("stage 1 (10%): canary 5xx 7/112 (6.2%) vs baseline 3/1020 (0.29%); e-value ")
    assert d.reason.endswith(">= 1/α = 200")
    harm = d.check("harm_errors")
    assert harm.status is Status.FAIL and harm.values["e_value"] >= harm.values["threshold"] == 200
    assert d.numbers["harm_errors_e_value"] == harm.values["e_value"]


def test_latency_harm_rolls_back_on_slow_requests(cfg, make_obs):
    d = judge(make_obs(20, (40, 0, 8), (360, 0, 0)), cfg)
    assert d.verdict is Decision.ROLLBACK
    assert "canary slow >= 2000 ms 8/40 (20%) vs baseline 0/360" in d.reason


def test_three_canary_errors_are_the_earliest_rollback_at_10_percent(cfg, make_obs):
    assert judge(make_obs(10, (20, 2, 0), (180, 0, 0)), cfg).verdict is Decision.HOLD
    assert judge(make_obs(15, (30, 3, 0), (270, 0, 0)), cfg).verdict is Decision.ROLLBACK


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("provisioning_state", "Failed", "provisioning state Failed"),
        ("health_state", "Unhealthy", "health state Unhealthy"),
        ("running_state", "Degraded", "running state Degraded"),
        ("running_state", "Failed", "running state Failed"),
        ("active", False, "not active"),
        ("restarts", 2, "2 replica restarts > limit 1"),
    ],
)
def test_hard_guards_roll_back_at_once_without_any_data(cfg, make_obs, field, value, text):
    d = judge(make_obs(0, (0, 0, 0), (0, 0, 0), **{field: value}), cfg)
    assert d.verdict is Decision.ROLLBACK
    assert d.reason == f"stage 1 (10%): canary app--new: {text}"


def test_restarts_at_the_limit_are_tolerated(cfg, make_obs):
    d = judge(make_obs(30, (60, 0, 0), (540, 0, 0), restarts=1), cfg)
    assert d.verdict is Decision.HOLD and d.check("canary_guard").status is Status.PASS


def test_unknown_health_is_a_warning_not_a_pass(cfg, make_obs):
    d = judge(make_obs(30, (60, 0, 0), (540, 0, 0), health_state="Unknown"), cfg)
    assert d.check("canary_guard").status is Status.WARN


def test_broken_baseline_escalates_instead_of_rolling_back_onto_it(cfg, make_obs):
    d = judge(make_obs(30, (60, 0, 0), (540, 0, 0), baseline_health_state="Unhealthy"), cfg)
    assert d.verdict is Decision.INCONCLUSIVE and d.action == "escalate"
    assert "baseline app--old: health state Unhealthy" in d.reason


def test_partial_telemetry_never_promotes_and_never_rolls_back(cfg, make_obs):
    good = judge(make_obs(700, (1500, 1, 1), (13500, 12, 10), partial=True), cfg)
    assert good.verdict is Decision.HOLD
    assert "telemetry partial for app--new: not counted as complete" in good.reason
    bad = judge(make_obs(30, (112, 30, 0), (1020, 1, 0), baseline_partial=True), cfg)
    assert bad.verdict is Decision.HOLD
    assert bad.check("harm_errors").status is Status.INCONCLUSIVE
    assert "telemetry partial" in bad.check("harm_errors").reason


def test_partial_poll_is_not_folded_into_the_harm_state(cfg, make_obs):
    first = judge(make_obs(10, (20, 0, 0), (180, 0, 0)), cfg)
    partial = judge(make_obs(12, (25, 9, 0), (200, 0, 0), partial=True, state=first.state), cfg)
    assert partial.state == first.state
    # the next complete poll catches up: the errors count then
    after = judge(make_obs(14, (30, 9, 0), (250, 0, 0), state=partial.state), cfg)
    assert after.verdict is Decision.ROLLBACK


def test_promotion_needs_the_minimum_duration(cfg, make_obs):
    early = judge(make_obs(599, (1200, 1, 1), (10800, 11, 12)), cfg)
    assert early.verdict is Decision.HOLD and "599 s of min 600 s" in early.reason
    on_time = judge(make_obs(600, (1200, 1, 1), (10800, 11, 12)), cfg)
    assert on_time.verdict is Decision.PROMOTE and on_time.action == "promote"
    assert "canary error rate <= 0.57% (95% anytime bound; 1/1200) < 1%" in on_time.reason


def test_promotion_needs_slo_evidence_not_just_time(cfg, make_obs):
    d = judge(make_obs(900, (1200, 9, 0), (10800, 81, 12)), cfg)  # 0.75% on both: no harm, no evidence
    assert d.verdict is Decision.HOLD
    assert d.check("harm_errors").status is Status.PASS
    assert "canary error rate bound" in d.reason and "not yet below 1%" in d.reason


def test_slow_share_above_the_slo_blocks_promotion(cfg, make_obs):
    d = judge(make_obs(900, (1200, 0, 120), (10800, 0, 1080)), cfg)
    assert d.verdict is Decision.HOLD
    assert d.check("slo_latency").status is Status.FAIL
    assert "baseline breaches too" in d.check("slo_latency").reason


def test_dependency_outage_on_both_is_not_blamed_on_the_canary(cfg, make_obs):
    """9% errors on both: no rollback; the SLO gate refuses; hold, then escalate at max duration."""
    during = judge(make_obs(400, (800, 72, 0), (7200, 650, 0)), cfg)
    assert during.verdict is Decision.HOLD
    assert during.check("harm_errors").status is Status.PASS
    assert "baseline breaches too (650/7200 (9%)): a shared cause, not the canary's" in during.reason
    end = judge(make_obs(1800, (3600, 108, 0), (32400, 990, 0)), cfg)
    assert end.verdict is Decision.INCONCLUSIVE and end.action == "escalate"


def test_availability_is_reported_not_gating(cfg, make_obs):
    d = judge(make_obs(900, (5000, 20, 0), (45000, 180, 0)), cfg)
    assert d.check("slo_availability").status is Status.WARN
    assert "canary availability 99.60% (20 5xx of 5000) below 99.9%" in d.check("slo_availability").reason
    assert d.verdict is Decision.PROMOTE  # error rate 0.4% is shown to be < 1%, and no harm vs baseline


def test_last_stage_has_no_harm_test_and_completes(cfg, make_obs):
    d = judge(make_obs(5, (600, 0, 0), (0, 0, 0), stage=2, weight=100), cfg)
    assert d.check("harm_errors").status is Status.SKIPPED
    assert d.check("baseline_guard").status is Status.SKIPPED
    assert d.verdict is Decision.PROMOTE and d.action == "complete"


def test_state_carries_evidence_into_the_next_stage(cfg, make_obs):
    """A suspicious but unproven 10% stage makes the 50% stage quicker to act than a fresh start."""
    stage1 = judge(make_obs(700, (1300, 3, 1), (11700, 2, 12)), cfg)
    assert stage1.verdict is Decision.PROMOTE
    carried = stage1.state.log_wealth["harm_errors"] + stage1.state.log_bf["harm_errors"]
    nxt = make_obs(20, (100, 6, 0), (100, 0, 0), stage=1, weight=50, state=stage1.state)
    fresh = make_obs(20, (100, 6, 0), (100, 0, 0), stage=1, weight=50)
    with_carry = judge(nxt, cfg).check("harm_errors").values["e_value"]
    without = judge(fresh, cfg).check("harm_errors").values["e_value"]
    assert carried > 0  # the first stage earned wealth ...
    assert with_carry > without  # ... which the second stage starts from


def test_polling_more_often_folds_the_same_evidence(cfg, make_obs):
    """Counts arrive in several polls or in one: with a constant share the e-value is the same."""
    one = judge(make_obs(20, (40, 3, 0), (360, 0, 0)), cfg)
    state = None
    for i, counts in enumerate(
        [((10, 1, 0), (90, 0, 0)), ((20, 2, 0), (180, 0, 0)), ((40, 3, 0), (360, 0, 0))]
    ):
        d = judge(make_obs(5 * (i + 1), *counts, state=state), cfg)
        state = d.state
    assert d.check("harm_errors").values["e_value"] == pytest.approx(
        one.check("harm_errors").values["e_value"]
    )


def test_steps_are_separate_pure_functions(cfg, make_obs):
    o = make_obs(30, (112, 7, 0), (1020, 3, 0))
    state = accumulate(o, cfg)
    checks = evaluate(o, cfg, state)
    assert [c.name for c in checks] == [
        "canary_guard",
        "baseline_guard",
        "data",
        "duration",
        "harm_errors",
        "harm_latency",
        "slo_errors",
        "slo_latency",
        "slo_availability",
    ]
    assert assess(o, checks, cfg, state) == judge(o, cfg)
    assert judge(o, cfg) == judge(o, cfg)  # no hidden clock or state


def test_decision_record_is_json(cfg, make_obs):
    record = judge(make_obs(30, (112, 7, 0), (1020, 3, 0)), cfg).to_record()
    text = json.dumps(record)
    assert '"verdict": "ROLLBACK"' in text and record["numbers"]["canary_5xx"] == 7


def test_bad_input_is_refused(cfg, make_obs):
    with pytest.raises(ValueError, match="cannot exceed requests"):
        RevisionSnapshot("x", 10, requests=3, errors_5xx=4)
    with pytest.raises(ValueError, match="must not be negative"):
        RevisionSnapshot("x", 10, requests=-1)
    with pytest.raises(ValueError, match="elapsed_s"):
        make_obs(-1, (0, 0, 0), (0, 0, 0))
    with pytest.raises(ValueError, match="outside the policy's 3 stages"):
        judge(make_obs(1, (0, 0, 0), (0, 0, 0), stage=3), cfg)


def _revision(name: str, weight: int, health: str = "Healthy") -> Revision:
    return Revision(
        name=name,
        active=True,
        traffic_weight=weight,
        replicas=1,
        provisioning_state="Provisioned",
        health_state=health,
        running_state="Running",
        created_time=None,
        fqdn="",
        url="",
        image="i",
    )


def test_measure_builds_the_observation_from_port_types(cfg):
    stats = {
        "app--new": RequestStats("app--new", 112, 7, 0, 120.0, 800.0, 1500.0),
        "app--old": RequestStats("app--old", 1020, 3, 0, 110.0, 700.0, 1400.0),
    }
    o = measure(
        stage_index=0,
        elapsed_s=30,
        canary=_revision("app--new", 10),
        baseline=_revision("app--old", 90),
        weights={"app--new": 10, "app--old": 90},
        stats=stats,
        canary_restarts=0,
        at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert o.canary.errors_5xx == 7 and o.baseline.weight == 90 and o.canary.p95_ms == 800.0
    assert judge(o, cfg).verdict is Decision.ROLLBACK


def test_measure_treats_a_missing_revision_row_as_partial(cfg):
    stats = {"app--old": RequestStats("app--old", 1020, 3, 0, None, None, None)}
    o = measure(
        stage_index=0,
        elapsed_s=700,
        canary=_revision("app--new", 10),
        baseline=_revision("app--old", 90),
        weights={"app--new": 10, "app--old": 90},
        stats=stats,
    )
    assert o.partial and judge(o, cfg).verdict is Decision.HOLD


def test_restarts_since_counts_only_new_restarts():
    replicas = [
        Replica("r1", "app--new", "Running", None, 3, True),
        Replica("r2", "app--new", "Running", None, 1, True),
    ]
    assert restarts_since(replicas, {"r1": 2}) == 2


def test_config_reads_the_environment_policies():
    for env in ("local", "staging", "prod"):
        cfg = JudgeConfig.from_policy(load_settings(env).canary)
        assert cfg.comparative_stages == (0, 1)
        assert cfg.harm_alpha() == {"harm_errors": 0.005, "harm_latency": 0.005}


def test_observation_exposes_share_and_counts():
    o = Observation(0, 1, RevisionSnapshot("a", 10, 10, 1, 2), RevisionSnapshot("b", 90, 90, 3, 4))
    assert o.canary_share == pytest.approx(0.1)
    assert o.counts() == (10, 1, 2, 90, 3, 4)


def test_overwhelming_evidence_does_not_overflow(cfg, make_obs):
    d = judge(make_obs(900, (20000, 20000, 20000), (180000, 0, 0)), cfg)
    assert d.verdict is Decision.ROLLBACK
    json_text = json.dumps(d.to_record())
    assert "canary availability 0.00%" in d.check("slo_availability").reason and "verdict" in json_text


@pytest.mark.parametrize(
    ("decision", "status"),
    [(Decision.PROMOTE, Status.PASS), (Decision.HOLD, Status.WARN),
     (Decision.INCONCLUSIVE, Status.INCONCLUSIVE), (Decision.ROLLBACK, Status.FAIL)],
)  # fmt: skip
def test_each_decision_reads_as_the_status_it_is_shown_with(decision, status):
    assert decision.status is status and Status.parse(decision) is status
