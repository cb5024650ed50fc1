"""Procedure 70's pure logic: the diagnosis summary, last-good candidates, recovery plans (bad input
refused before anything changes) and the recovery read-back on an in-memory app with a fake clock."""

from __future__ import annotations

import pytest
from ops_helpers import SANDBOX_TRAITS, FakeApp, app_state, revision

from apexops.emergency.diagnose import Diagnostics, last_good_candidates, summarize
from apexops.emergency.recovery import apply_recovery, plan_recovery
from apexops.errors import ConfigError
from apexops.models import Replica, RequestStats
from apexops.settings import load_settings
from apexops.troubleshoot.execs import ExecOutcome

S = load_settings("local")


def stats(name, requests, errors):
    return RequestStats(name, requests, errors, 0, 10.0, 20.0, 30.0)


def test_a_failing_revision_with_traffic_points_to_the_newest_good_one():
    revs = (
        revision("app--old", active=False, health="None", minutes=0),
        revision("app--good", minutes=10),
        revision("app--failed", provisioning="Failed", health="Unhealthy", running="Failed", minutes=15),
        revision("app--bad", weight=100, minutes=20),
    )
    d = Diagnostics(
        "outage",
        app=app_state({"app--bad": 100}),
        revisions=revs,
        stats={"app--bad": stats("app--bad", 200, 60)},
    )
    s = summarize(d)
    assert s.status == "FAIL" and s.suggestion == "activate_last_good"
    assert s.candidates == ("app--good", "app--old")  # healthy active first, the failed one never
    assert 'recovery="activate_last_good" last_good_revision="app--good"' in s.suggestion_text()
    assert any("30.0% 5xx (60/200)" in f.reason for f in s.findings)
    assert last_good_candidates(revs, {"app--good": 100})[0] == "app--bad"


def test_crashing_replicas_without_a_good_revision_suggest_a_restart():
    revs = (revision("app--only", weight=100),)
    d = Diagnostics(
        "outage",
        app=app_state({"app--only": 100}),
        revisions=revs,
        replicas={"app--only": (Replica("r1", "app--only", "Running", None, 3, True),)},
    )
    s = summarize(d)
    assert s.suggestion == "restart" and s.status == "WARN"
    assert "restarted 3 time(s)" in s.rows()[0]["finding"]


def test_a_dependency_failing_from_the_app_is_not_a_restart_problem_and_manual_is_not_a_pass():
    revs = (revision("app--a", weight=100),)
    failed = ExecOutcome(
        "database: SELECT 1 from the app",
        "FAIL",
        "app--a",
        "r",
        1,
        "Database connection failed: OperationalError timeout",
        "az ...",
    )
    manual = ExecOutcome("blob", "MANUAL", "app--a", "", None, "run it yourself", "az ...")
    s = summarize(
        Diagnostics("database", app=app_state({"app--a": 100}), revisions=revs, dependencies=(failed, manual))
    )
    assert s.suggestion == "manual" and "a restart will not fix it" in s.reason
    assert {(f.status, f.area) for f in s.findings} == {("FAIL", "dependency"), ("INFO", "dependency")}
    healthy = summarize(
        Diagnostics("blob", app=app_state({"app--a": 100}), revisions=revs, dependencies=(manual,))
    )
    assert healthy.status == "PASS" and healthy.suggestion == "none"  # MANUAL is information, not a failure


def test_unreadable_sources_and_stopped_apps_are_findings():
    d = Diagnostics("outage", app=app_state({}, running="Stopped"), unavailable={"resources": "403"})
    s = summarize(d)
    texts = [f.reason for f in s.findings]
    assert "running status is Stopped" in texts and "no revision takes traffic" in texts
    assert "could not read resources: 403" in texts


# ------------------------------------------------------------------ plans


def test_plans_validate_the_choice_and_bind_the_phrase_to_action_and_app():
    revs = [revision("app--good", active=False, health="None"), revision("app--bad", weight=100)]
    app = app_state({"app--bad": 100})
    assert plan_recovery(S, "", app=app, revisions=revs) is None
    restart = plan_recovery(S, "restart", app=app, revisions=revs)
    assert restart.phrase == "RESTART apex-backend-local" and restart.revisions == ("app--bad",)
    assert "az containerapp revision restart" in restart.az
    scale = plan_recovery(S, "scale_to_zero_and_back", app=app, revisions=revs, scale_pause_s=5)
    assert scale.phrase == "SCALE apex-backend-local TO ZERO AND BACK" and scale.bounds == {
        "app--bad": (1, 2)
    }
    act = plan_recovery(S, "activate_last_good", app=app, revisions=revs, last_good_revision="app--good")
    assert act.phrase == "ACTIVATE app--good AT 100% ON apex-backend-local"
    assert "app--good=100 app--bad=0" in act.az and "revision activate" in act.az
    with pytest.raises(ConfigError, match="last_good_revision is required") as err:
        plan_recovery(S, "activate_last_good", app=app, revisions=revs, candidates=["app--good"])
    assert "app--good" in err.value.hint
    with pytest.raises(ConfigError, match="does not exist"):
        plan_recovery(S, "activate_last_good", app=app, revisions=revs, last_good_revision="app--nope")
    with pytest.raises(ConfigError, match="only applies"):
        plan_recovery(S, "restart", app=app, revisions=revs, last_good_revision="app--good")
    with pytest.raises(ConfigError, match="not a recovery option"):
        plan_recovery(S, "reboot", app=app, revisions=revs)
    failed = [revision("app--f", provisioning="Failed"), *revs]
    with pytest.raises(ConfigError, match="failed to provision"):
        plan_recovery(S, "activate_last_good", app=app, revisions=failed, last_good_revision="app--f")
    serving = plan_recovery(S, "activate_last_good", app=app, revisions=revs, last_good_revision="app--bad")
    assert serving.noop.startswith("already")


# ------------------------------------------------------------------ apply with read-back


def test_restart_reads_back_new_ready_replicas(clock):
    app = FakeApp([revision("app--a", weight=100, replicas=2)], ready_after=3)
    plan = plan_recovery(S, "restart", app=app.show(), revisions=app.list_revisions())
    old = {r.name for r in app.list_replicas("app--a")}
    result = apply_recovery(app, plan, timeout_s=10, poll_s=1, clock=clock, sleep=clock.sleep)
    assert result.ok and app.calls == ["restart"]
    assert not old & {r.name for r in app.list_replicas("app--a")}
    assert result.read_back["app--a"] == "2/2 replica(s) ready, health Healthy"
    assert clock.t == 2.0  # two polls before the new replicas were ready


def test_restart_that_never_gets_healthy_fails_with_a_hint(clock):
    app = FakeApp([revision("app--a", weight=100)], unhealthy=["app--a"])
    plan = plan_recovery(S, "restart", app=app.show(), revisions=app.list_revisions())
    result = apply_recovery(app, plan, timeout_s=5, poll_s=1, clock=clock, sleep=clock.sleep)
    assert not result.ok and result.steps[-1]["status"] == "FAIL" and "80-troubleshooting" in result.hint


def test_activation_never_moves_traffic_to_a_revision_that_is_not_healthy(clock):
    app = FakeApp(
        [revision("app--good", active=False, health="None"), revision("app--bad", weight=100)],
        unhealthy=["app--good"],
    )
    plan = plan_recovery(
        S,
        "activate_last_good",
        app=app.show(),
        revisions=app.list_revisions(),
        last_good_revision="app--good",
    )
    result = apply_recovery(app, plan, timeout_s=3, poll_s=1, clock=clock, sleep=clock.sleep)
    assert not result.ok and "NOT changed" in result.error
    assert app.calls == ["activate app--good"]  # no set_traffic
    assert [(w.revision_name, w.weight) for w in app.get_traffic()] == [("app--bad", 100)]


def test_activation_writes_the_full_list_and_reads_it_back(clock):
    app = FakeApp(
        [revision("app--good", active=False, health="None"), revision("app--bad", weight=100)], ready_after=2
    )
    plan = plan_recovery(
        S,
        "activate_last_good",
        app=app.show(),
        revisions=app.list_revisions(),
        last_good_revision="app--good",
    )
    result = apply_recovery(app, plan, timeout_s=10, poll_s=1, clock=clock, sleep=clock.sleep)
    assert result.ok, result.steps
    assert app.calls == ["activate app--good", "set_traffic app--good=100"]
    assert result.read_back["traffic"] == {"app--good": 100}


def test_scaling_in_place_not_supported_by_the_target_fails_with_the_targets_manual_route(clock):
    app = FakeApp([revision("app--a", weight=100)])  # its scale_revision raises NotSupportedError
    plan = plan_recovery(S, "scale_to_zero_and_back", app=app.show(), revisions=app.list_revisions())
    result = apply_recovery(app, plan, clock=clock, sleep=clock.sleep)
    assert not result.ok and "not available on this target" in result.error
    assert "creates a new revision" in result.hint and app.calls == []
    assert [s["status"] for s in result.steps] == ["FAIL"]  # nothing scaled, so nothing restored


def test_scale_restores_the_previous_bounds_even_when_zero_is_never_reached(clock):
    app = FakeApp([revision("app--a", weight=100, min_replicas=2, max_replicas=5, replicas=2)])
    scaled: list[tuple] = []
    app.scale_revision = lambda name, lo, hi=None: scaled.append((name, lo, hi))  # replicas never go away
    plan = plan_recovery(
        S, "scale_to_zero_and_back", app=app.show(), revisions=app.list_revisions(), scale_pause_s=1
    )
    result = apply_recovery(app, plan, timeout_s=3, poll_s=1, scale_pause_s=1, clock=clock, sleep=clock.sleep)
    assert scaled == [("app--a", 0, None), ("app--a", 2, 5)]
    assert not result.ok and "requests keep a replica warm" in result.steps[0]["detail"]


def test_bad_parameters_are_refused_before_anything_is_contacted():
    from types import SimpleNamespace

    from apexops.emergency import EmergencyProcedure

    env = SimpleNamespace(settings=S, traits=SANDBOX_TRAITS, app=None)  # any call would fail
    with pytest.raises(ConfigError, match="scenario 'meltdown'"):
        EmergencyProcedure(env, scenario="meltdown")
    with pytest.raises(ConfigError, match="recovery 'reboot'"):
        EmergencyProcedure(env, recovery="reboot")
    with pytest.raises(ConfigError, match="last_good_revision only applies"):
        EmergencyProcedure(env, recovery="restart", last_good_revision="app--a")
    with pytest.raises(ConfigError, match="window_minutes"):
        EmergencyProcedure(env, window_minutes=0)
    proc = EmergencyProcedure(env)
    assert proc.verify_timeout_s == S.app.health_timeout_s  # 0 means the parameters file's timeout
