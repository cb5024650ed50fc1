"""The stratified judge (issue 12): probes, platform and users judged each on its own, per route, with the
false-rollback budget split over them, the SLO gate on probes + users, never a rollback for lack of data."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from apexops.canary import Decision, JudgeConfig, Observation, RevisionSnapshot, judge, measure
from apexops.canary.evidence import accumulate, harm_evidence
from apexops.canary.observation import Counts, Stratum, StratumSnapshot
from apexops.settings import ProbeSettings
from apexops.status import Status

NOW = datetime(2026, 12, 5, 14, 5, tzinfo=UTC)
CLEAN = {"get": ((0, 0, 0), (0, 0, 0))}


def snap(stratum, routes, *, complete=NOW, partial=False, lag=0.0):
    """routes: route -> ((requests, 5xx, slow), (requests, 5xx, slow)); slow None for platform."""
    return StratumSnapshot(
        Stratum(stratum),
        {r: (Counts(*c), Counts(*b)) for r, (c, b) in routes.items()},
        complete_until=complete,
        lag_s=lag,
        partial=partial,
    )


def obs(*strata, elapsed=30.0, stage=0, weight=10, state=None):
    return Observation(
        stage_index=stage,
        elapsed_s=elapsed,
        canary=RevisionSnapshot("app--new", weight),
        baseline=RevisionSnapshot("app--old", 100 - weight),
        state=state,
        strata=tuple(strata),
    )


def test_config_reads_strata_floor_and_probes_from_the_policy(policy):
    cfg = JudgeConfig.from_policy(
        policy.model_copy(
            update={
                "strata": ("users", "probes"),
                "min_canary_requests": 50,
                "probes": ProbeSettings(rate_rps=3),
            }
        )
    )
    assert (cfg.strata, cfg.min_canary_requests, cfg.probe_rate_rps) == (("users", "probes"), 50, 3)


def test_alpha_is_split_over_the_enabled_strata_that_measure_each_check(cfg):
    split = cfg.strata_alpha()
    for check in ("harm_errors", "harm_latency"):
        assert sum(a for k, a in split.items() if k.startswith(check)) == pytest.approx(0.005)
    assert "harm_latency_platform" not in split  # platform metrics have no latency
    assert split["harm_errors_probes"] == pytest.approx(0.005 * 0.6)
    assert split["harm_latency_probes"] == pytest.approx(0.005 * 0.6 / 0.85)


def test_probes_at_rate_zero_are_not_a_stratum(policy):
    cfg = JudgeConfig.from_policy(policy.model_copy(update={"probes": ProbeSettings(rate_rps=0)}))
    assert cfg.enabled_strata == ("platform", "users")
    assert not any(k.endswith("_probes") for k in cfg.strata_alpha())


def test_slo_pool_is_probes_and_one_users_source_never_platform_with_users(cfg, policy):
    assert cfg.slo_pool("errors") == ("probes", "platform")
    assert cfg.slo_pool("latency") == ("probes", "users")
    no_platform = JudgeConfig.from_policy(policy.model_copy(update={"strata": ("probes", "users")}))
    assert no_platform.slo_pool("errors") == ("probes", "users") == no_platform.slo_pool("latency")
    no_users = JudgeConfig.from_policy(policy.model_copy(update={"strata": ("probes", "platform")}))
    assert no_users.slo_pool("latency") == ("probes",)


def test_errors_on_canary_probes_roll_back_at_the_first_poll(cfg):
    d = judge(obs(snap("probes", {"get": ((240, 14, 0), (240, 0, 0))})), cfg)
    assert d.verdict is Decision.ROLLBACK
    assert "probes: canary 5xx 14/240" in d.reason and "1/α = " in d.reason
    assert d.numbers["harm_errors_probes_status"] is Status.FAIL


def test_a_different_endpoint_mix_is_not_harm_where_todays_judge_rolls_back(cfg, make_obs):
    # the canary gets half of the slow `report` endpoint (10% slow on both revisions), 5% of `get`
    per_route = {"report": ((500, 0, 50), (500, 0, 50)), "get": ((100, 0, 0), (1900, 0, 0))}
    d = judge(obs(snap("users", per_route)), cfg)
    assert d.check("harm_latency").status is Status.PASS
    assert d.numbers["harm_latency_users_e_value"] < 1
    assert judge(make_obs(30, (600, 0, 50), (2400, 0, 50)), cfg).verdict is Decision.ROLLBACK


def test_harm_on_a_single_route_still_rolls_back(cfg):
    routes = {"get": ((200, 12, 0), (1800, 2, 0)), "list": ((200, 0, 0), (1800, 0, 0))}
    d = judge(obs(snap("users", routes)), cfg)
    assert d.verdict is Decision.ROLLBACK and "users: canary 5xx 12/400" in d.reason


def test_never_a_rollback_for_lack_of_data(cfg):
    """Overwhelming e-value, but the canary has fewer requests in that stratum than the floor (20)."""
    d = judge(obs(snap("users", {"get": ((15, 15, 0), (1000, 0, 0))})), cfg)
    assert d.verdict is Decision.HOLD
    harm = d.check("harm_errors")
    assert harm.values["strata"]["users"]["e_value"] >= harm.values["strata"]["users"]["threshold"]
    assert "only 15 canary requests < 20: never a rollback for lack of data" in harm.reason
    assert judge(obs(snap("users", {"get": ((20, 20, 0), (1000, 0, 0))})), cfg).verdict is Decision.ROLLBACK


def test_late_data_is_folded_once_when_it_arrives(cfg):
    """Counts grow for past times between polls; repeating or shrinking counts adds nothing."""
    first = accumulate(obs(snap("users", {"get": ((50, 1, 0), (450, 1, 0))})), cfg)
    grown = accumulate(obs(snap("users", {"get": ((100, 3, 0), (900, 1, 0))}), state=first), cfg)
    again = accumulate(obs(snap("users", {"get": ((100, 3, 0), (900, 1, 0))}), state=grown), cfg)
    assert again.log_lr == grown.log_lr
    shrunk = accumulate(obs(snap("users", {"get": ((80, 2, 0), (700, 1, 0))}), state=again), cfg)
    back = accumulate(obs(snap("users", {"get": ((100, 3, 0), (900, 1, 0))}), state=shrunk), cfg)
    assert back.log_lr == grown.log_lr
    assert back.cells["users"]["get"] == (100, 3, 0, 900, 1, 0)
    assert grown.log_bf["harm_errors_users"] != first.log_bf["harm_errors_users"]


def test_strata_without_complete_data_contribute_nothing(cfg):
    """complete_until None: its counts are neither folded nor pooled (not-yet-ingested is not zero)."""
    users = snap("users", {"get": ((5000, 0, 0), (45000, 0, 0))}, complete=None)
    d = judge(obs(users, elapsed=900), cfg)
    assert d.verdict is Decision.HOLD and "no canary requests yet" in d.reason
    assert d.state.cells == {}
    assert d.numbers["users_complete_until"] is None
    assert "users: no complete data yet" in d.check("harm_errors").reason


def test_missing_strata_contribute_nothing_either(cfg):
    d = judge(obs(snap("probes", {"get": ((2400, 1, 0), (2400, 1, 0))}), elapsed=630), cfg)
    assert d.verdict is Decision.PROMOTE  # probes alone can show the SLO; absent users are not zeros
    assert "users_canary_requests" not in d.numbers


def test_slo_gate_pools_probes_with_platform_errors_and_users_latency(cfg):
    probes = snap("probes", {"get": ((200, 0, 0), (200, 0, 0))})
    users = snap("users", {"get": ((5000, 0, 0), (45000, 0, 0))})
    held = judge(obs(probes, users, elapsed=700), cfg)
    assert held.verdict is Decision.HOLD and "too little data: 200 canary requests" in held.reason
    platform = snap("platform", {"*": ((300, 0, None), (2700, 0, None))})
    d = judge(obs(probes, users, platform, elapsed=700), cfg)
    assert d.verdict is Decision.PROMOTE
    assert d.numbers["canary_requests"] == 500  # errors: probes + platform, never platform + users
    assert "0/5200" in d.check("slo_latency").reason  # latency: probes + users


def test_a_partial_pooled_stratum_never_promotes_and_is_not_folded(cfg):
    users = snap("users", {"get": ((300, 30, 0), (2700, 0, 0))}, partial=True)
    probes = snap("probes", {"get": ((2400, 0, 0), (2400, 0, 0))})
    d = judge(obs(probes, users, elapsed=700), cfg)
    assert d.verdict is Decision.HOLD and "partial" in d.reason
    assert "users" not in d.state.cells
    platform = snap("platform", {"*": ((300, 0, None), (2700, 0, None))}, partial=True)
    assert "telemetry partial" in judge(obs(probes, platform, elapsed=700), cfg).reason


def test_a_stratum_the_policy_leaves_out_is_ignored(policy):
    cfg = JudgeConfig.from_policy(policy.model_copy(update={"strata": ("users",)}))
    d = judge(obs(snap("probes", {"get": ((240, 40, 0), (240, 0, 0))})), cfg)
    assert d.verdict is Decision.HOLD
    assert set(d.check("harm_errors").values["strata"]) == {"users"}


def test_evidence_carries_into_the_next_stage_per_stratum(cfg):
    first = judge(obs(snap("probes", {"get": ((2400, 2, 0), (2400, 0, 0))}), elapsed=630), cfg)
    assert first.verdict is Decision.PROMOTE
    second = accumulate(obs(snap("probes", CLEAN), stage=1, weight=50, elapsed=0, state=first.state), cfg)
    ev = harm_evidence(second, cfg)["harm_errors_probes"]
    expected = math.log(0.95 * math.exp(first.state.log_bf["harm_errors_probes"]) + 0.05)
    assert ev.log_wealth == pytest.approx(expected)


def test_numbers_name_every_stratum_and_the_record_is_json(cfg):
    d = judge(
        obs(
            snap("probes", {"get": ((120, 0, 0), (120, 0, 0))}),
            snap("platform", {"*": ((60, 0, None), (540, 0, None))}, lag=95.0),
            snap("users", {"get": ((40, 0, 1), (360, 0, 2))}, lag=240.0),
        ),
        cfg,
    )
    n = d.numbers
    for s in ("probes", "platform", "users"):
        for key in (
            "canary_requests",
            "canary_5xx",
            "baseline_requests",
            "baseline_5xx",
            "complete_until",
            "lag_s",
        ):
            assert f"{s}_{key}" in n
        assert f"harm_errors_{s}_e_value" in n and f"harm_errors_{s}_threshold" in n
    assert n["platform_canary_slow"] is None and "harm_latency_platform_e_value" not in n
    assert n["users_complete_until"] == NOW.isoformat() and n["users_lag_s"] == 240.0
    json.dumps(d.to_record(), default=str)


def test_each_stratum_at_most_once():
    with pytest.raises(ValueError, match="each stratum at most once"):
        obs(snap("users", CLEAN), snap("users", CLEAN))
    with pytest.raises(ValueError, match="cannot exceed requests"):
        Counts(1, 2, 0)


def _revision(name, weight):
    from tests.canary.test_judge import _revision as revision  # the judge tests' builder

    return revision(name, weight)


def test_measure_passes_the_strata_through(cfg):
    new, old = (_revision(n, w) for n, w in (("app--new", 10), ("app--old", 90)))
    probes = snap("probes", {"get": ((240, 14, 0), (240, 0, 0))})
    o = measure(
        stage_index=0,
        elapsed_s=30,
        canary=new,
        baseline=old,
        weights={"app--new": 10},
        stats={},
        strata=(probes,),
    )
    assert o.strata == (probes,)
    assert judge(o, cfg).verdict is Decision.ROLLBACK  # no request_stats rows: ignored with strata
