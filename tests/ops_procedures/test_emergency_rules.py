"""Procedure 70's diagnosis rules and recovery suggestion, one rule at a time; the procedure's verdict."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ops_helpers import SANDBOX_TRAITS, T0, app_state, revision

from apexops.emergency import diagnose as dg
from apexops.emergency.diagnose import Diagnostics, Finding, Seen, suggest
from apexops.emergency.recovery import RecoveryPlan, RecoveryResult
from apexops.errors import VerificationError
from apexops.models import BlobContainerInfo, ExceptionRecord, Replica, RequestStats, ResourceInfo
from apexops.settings import load_settings
from apexops.smoke.results import CheckResult
from apexops.status import Status, Verdict
from apexops.troubleshoot.execs import ExecOutcome

S = load_settings("local")
SERVING = (revision("app--a", weight=100),)


def seen(**kw):
    kw.setdefault("app", app_state({"app--a": 100}))
    kw.setdefault("revisions", SERVING)
    return Seen(Diagnostics("outage", **kw))


def found(rule, s):
    return [(f.status, f.area, f.reason) for f in rule(s)]


def test_unreadable_sources_warn():
    assert found(dg.unreadable_sources, seen(unavailable={"exceptions": "403"})) == [
        (Status.WARN, "exceptions", "could not read exceptions: 403")
    ]


def test_app_not_running_fails_and_points_to_the_replicas():
    (f,) = dg.app_not_running(seen(app=app_state({"app--a": 100}, running="Stopped")))
    assert (f.status, f.points_to) == (Status.FAIL, "replicas")
    assert not list(dg.app_not_running(seen()))


def test_app_not_provisioned_warns():
    app = app_state({"app--a": 100})
    object.__setattr__(app, "provisioning_state", "Updating")
    assert found(dg.app_not_provisioned, seen(app=app)) == [
        (Status.WARN, "app", "provisioning state is Updating")
    ]


def test_no_traffic_fails_only_when_the_app_was_read():
    assert found(dg.no_traffic, seen(app=app_state({}))) == [
        (Status.FAIL, "traffic", "no revision takes traffic")
    ]
    assert not list(dg.no_traffic(seen(app=None)))


def test_a_serving_revision_that_is_inactive_or_unhealthy_points_to_another_revision():
    inactive = revision("app--a", active=False, weight=100)
    (f,) = dg.serving_revision_failing(seen(revisions=(inactive,)))
    assert f.reason == "app--a has 100% of the traffic but is inactive"
    assert (f.points_to, f.subject) == ("revision", "app--a")
    degraded = revision("app--a", weight=100, health="Unhealthy", running="Degraded")
    (f,) = dg.serving_revision_failing(seen(revisions=(degraded,)))
    assert f.reason == "app--a has 100% of the traffic and is Unhealthy (running Degraded)"
    assert not list(dg.serving_revision_failing(seen()))


def test_a_serving_revision_without_replica_fails():
    (f,) = dg.serving_revision_without_replica(seen(revisions=(revision("app--a", weight=100, replicas=0),)))
    assert (f.status, f.points_to) == (Status.FAIL, "replicas") and "no running replica" in f.reason


def test_restarted_replicas_warn_and_point_to_the_replicas():
    replicas = {"app--a": (Replica("r1", "app--a", "Running", None, 2, True),)}
    (f,) = dg.replicas_restarted(seen(replicas=replicas))
    assert (f.status, f.points_to, f.reason) == (
        Status.WARN,
        "replicas",
        "app--a: replicas restarted 2 time(s)",
    )


def test_failing_health_probes_fail():
    checks = (CheckResult("live", "FAIL", 1.0, "503"), CheckResult("ready", "PASS", 1.0, "ok"))
    assert found(dg.health_probes_failing, seen(health=checks)) == [
        (Status.FAIL, "health", "live through the app URL: 503")
    ]


def test_error_rate_of_serving_revisions_against_both_thresholds():
    stats = {
        "app--a": RequestStats("app--a", 100, 20, 0, 1.0, 2.0, 3.0),
        "app--old": RequestStats("app--old", 100, 90, 0, 1.0, 2.0, 3.0),  # no traffic: not judged
    }
    (f,) = dg.error_rate(seen(stats=stats))
    assert (f.status, f.points_to, f.subject) == (Status.FAIL, "revision", "app--a")
    warn = {"app--a": RequestStats("app--a", 100, 2, 0, 1.0, 2.0, 3.0)}
    assert [x.status for x in dg.error_rate(seen(stats=warn))] == [Status.WARN]
    assert not list(dg.error_rate(Seen(seen(stats=warn).d, error_rate_warn=0.05)))


def test_exceptions_warn_with_their_types():
    exc = ExceptionRecord(T0, "app--a", "r1", "KeyError", "boom")
    assert found(dg.exceptions_seen, seen(exceptions=(exc, exc))) == [
        (Status.WARN, "exceptions", "2 exception(s): KeyError")
    ]


def test_resources_not_succeeded():
    resources = (
        ResourceInfo("ok", "t", provisioning_state="Succeeded"),
        ResourceInfo("bad", "t", provisioning_state="Failed"),
        ResourceInfo("slow", "t", provisioning_state="Updating"),
    )
    assert [f.status for f in dg.resources_not_succeeded(seen(resources=resources))] == [
        Status.FAIL,
        Status.WARN,
    ]


def test_dependency_checks_fail_or_inform():
    failed = ExecOutcome("db", "FAIL", "app--a", "r", 1, "timeout", "az ...")
    manual = ExecOutcome("blob", "MANUAL", "app--a", "", None, "", "az ...")
    (f, m) = dg.dependency_checks(seen(dependencies=(failed, manual)))
    assert (f.status, f.points_to, f.subject) == (Status.FAIL, "dependency", "db")
    assert m.status is Status.INFO


def test_suggest_first_row_that_applies():
    dep = Finding(Status.FAIL, "db: timeout", "dependency", "dependency", "db")
    bad = Finding(Status.FAIL, "5xx", "telemetry", "revision", "app--bad")
    crash = Finding(Status.WARN, "restarted", "replicas", "replicas")
    other = Finding(Status.FAIL, "x is Failed", "resources")
    assert suggest([bad, dep], ["app--good"])[0] == "manual"
    assert suggest([bad], ["app--good"]) == (
        "activate_last_good",
        "app--bad serves traffic and fails; app--good is the newest revision that was provisioned",
    )
    assert suggest([bad], [])[0] == "restart" and suggest([crash], ["app--good"])[0] == "restart"
    assert suggest([other], [])[1].startswith("failures found that no recovery option addresses")
    assert suggest([], [])[1].startswith("no recovery needed")


# ------------------------------------------------------------------ the procedure's verdict


def _proc(**state):
    from apexops.emergency import EmergencyProcedure

    proc = EmergencyProcedure(SimpleNamespace(settings=S, traits=SANDBOX_TRAITS, app=None))
    for k, v in state.items():
        setattr(proc, k, v)
    return proc


def test_verdict_is_a_status_verdict_that_fails_with_the_recovery_error():
    result = RecoveryResult("restart", ok=False, error="timed out", hint="look at the logs")
    result.add("read back app--a", Status.FAIL, "0/1 replica(s) ready")
    v = _proc(result=result).verdict()
    assert isinstance(v, Verdict) and v.status is Status.FAIL and v.hint == "look at the logs"
    assert v.reasons == ("restart failed: timed out", "read back app--a: 0/1 replica(s) ready")
    try:
        v.raise_for_failure()
    except VerificationError as exc:
        assert (
            exc.message
            == "recovery failed: restart failed: timed out; read back app--a: 0/1 replica(s) ready"
        )
    else:
        raise AssertionError("a failed recovery must raise")


def test_verdict_of_a_read_back_recovery_a_dry_run_plan_and_a_diagnosis():
    done = RecoveryResult("restart", ok=True, read_back={"app--a": "1/1 replica(s) ready"})
    assert _proc(result=done).verdict().reasons == (
        "restart: done and read back",
        "app--a: 1/1 replica(s) ready",
    )
    plan = RecoveryPlan("restart", "apex", "RESTART apex", ("restart",), "az ...")
    dry = _proc(plan=plan).verdict()
    assert (
        dry.status is Status.SKIPPED and dry.hint == 'approve with approval="RESTART apex" and dry_run=False'
    )
    assert _proc().verdict().status is Status.PASS  # nothing diagnosed yet
    warn = dg.summarize(Diagnostics("outage", app=app_state({}), revisions=SERVING))
    v = _proc(summary=warn).verdict()
    assert v.status is Status.WARN and v.reasons[0] == "FAIL traffic: no revision takes traffic"


def test_facts_are_json_safe():
    import json

    summary = dg.summarize(Diagnostics("blob", app=app_state({"app--a": 100}), revisions=SERVING))
    facts = _proc(summary=summary).facts()
    assert json.loads(json.dumps(facts))["emergency_verdict"] == "PASS"
    assert type(facts["diagnosis"]) is str and facts["suggestion"] == "none"


def test_containers_from_here_names_the_missing_container():
    d = Diagnostics("blob", containers=(BlobContainerInfo("uploads", 3),))
    row = _proc(diagnostics=d)._containers_from_here()
    assert row["status"] is Status.FAIL and "MISSING" in row["output"]


def test_manual_rows_follow_the_targets_traits_and_are_never_a_pass():
    rows = _proc().manual_rows()
    assert rows and all(r["status"] != "PASS" for r in rows)
    assert all(r["note"].startswith("not on the sandbox") for r in rows)


def test_check_choice_names_the_parameter():
    from apexops.emergency.recovery import check_choice
    from apexops.errors import ConfigError

    check_choice("activate_last_good", "app--a")
    with pytest.raises(ConfigError, match="recovery 'reboot' is not a recovery option"):
        check_choice("reboot")
    with pytest.raises(ConfigError, match="only applies"):
        check_choice("restart", "app--a")


def test_each_scenario_runs_its_checks_from_the_app_side_and_shows_their_commands():
    from ops_helpers import FakeApp

    from apexops.emergency import EmergencyProcedure

    app = FakeApp([revision("app--a", weight=100)])
    env = SimpleNamespace(settings=S, traits=SANDBOX_TRAITS, app=app)
    outage = EmergencyProcedure(env, scenario="outage")
    outage.diagnostics = Diagnostics("outage", app=app.show(), revisions=SERVING)
    checks = [r["check"] for r in outage.dependencies()]
    assert checks == ["database: SELECT 1 from the app", "blob: list + write probe from the app"]
    assert len(outage.diagnostics.dependencies) == 2
    assert outage.dependency_commands().count("az containerapp exec") == 2
    blob = EmergencyProcedure(env, scenario="blob")
    blob.diagnostics = Diagnostics("blob", app=app.show(), unavailable={"blob containers": "403"})
    rows = blob.dependencies()
    assert rows[0] == {"status": Status.FAIL, "check": "blob containers (from here)", "output": "403"}
    assert blob.dependency_commands().count("az containerapp exec") == 1
