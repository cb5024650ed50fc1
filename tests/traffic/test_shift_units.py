"""Procedure 50's library logic without a sandbox: which revisions, what to do, rates, approvals, records,
the stability step and the chart. Ports are small in-memory stand-ins where a call needs one."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from traffic_helpers import T0, rev

from apexops.canary.approvals import NoGate, approval_for, phrases
from apexops.canary.chart import RolloutChart
from apexops.canary.escalation import EscalationDecision
from apexops.canary.load import load_duration_s, resolve_load_rps
from apexops.canary.report import shift_verdict, stage_rows, verdict_for
from apexops.canary.resolve import find_promotion, resolve_shift
from apexops.canary.rollout import PollRecord
from apexops.canary.shift import TrafficShift
from apexops.canary.stability import check_stability
from apexops.canary.triggers import bucket_size_s
from apexops.errors import ApprovalRequired, ConfigError, NotSupportedError, RolloutError
from apexops.models import TelemetryBucket, TrafficWeight
from apexops.settings import RollbackTriggers, load_settings

APP = "app"


REVS = [rev("app--v1", minutes=0), rev("app--v2", minutes=1), rev("app--v3", minutes=2)]


def traffic(**weights: int) -> list[TrafficWeight]:
    return [TrafficWeight(f"app--{k}", w) for k, w in weights.items()]


# ----------------------------------------------------------------------------- resolve


def test_the_latest_revision_is_shifted_from_the_one_serving_everything():
    r = resolve_shift(app=APP, revisions=REVS, traffic=traffic(v2=100, v3=0), latest="app--v3")
    assert (r.canary, r.baseline, r.action) == ("app--v3", "app--v2", "shift")


def test_revisions_may_be_named_by_suffix_and_unknown_names_name_the_parameter():
    r = resolve_shift(
        app=APP,
        revisions=REVS,
        traffic=traffic(v1=100),
        latest="app--v3",
        revision="v2",
        baseline_revision="v1",
    )
    assert (r.canary, r.baseline, r.action) == ("app--v2", "app--v1", "shift")
    with pytest.raises(ConfigError, match="parameter baseline_revision"):
        resolve_shift(
            app=APP, revisions=REVS, traffic=traffic(v1=100), latest="app--v3", baseline_revision="v9"
        )


def test_a_canary_already_at_100_has_nothing_to_shift_and_remembers_its_old_revision():
    r = resolve_shift(
        app=APP, revisions=REVS, traffic=traffic(v3=100), latest="app--v3", previous_baseline="app--v2"
    )
    assert (r.action, r.baseline) == ("none", "app--v2")
    assert "already serves 100%" in r.reason


@pytest.mark.parametrize(
    ("weights", "kw", "words"),
    [
        ({"v1": 50, "v2": 50}, {}, "no single revision serves 100%"),
        ({"v3": 100}, {"revision": "v3"}, "already serves 100%"),
        ({"v1": 100}, {"revision": "v2", "baseline_revision": "v2"}, "same revision"),
        ({"v1": 90, "v3": 10}, {"baseline_revision": "v1"}, "stages start from the baseline only"),
    ],
)
def test_split_or_contradictory_states_are_refused_or_skipped(weights, kw, words):
    r = resolve_shift(app=APP, revisions=REVS, traffic=traffic(**weights), latest="app--v3", **kw)
    assert r.action in ("refuse", "none") and words in r.reason


def test_naming_the_revision_already_serving_while_a_newer_one_waits_is_refused_not_promoted():
    """Issue 14 item 11: `revision` = the old revision (serving 100%) while 30's new one waits at 0%."""
    for kw in ({"revision": "v2"}, {"revision": "app--v2", "baseline_revision": "v3"}):
        with pytest.raises(
            ConfigError,
            match=r"revision app--v2 already serves 100%: nothing to shift; "
            r"pass the new revision from 30's facts \(new_revision\), e.g. revision=app--v3",
        ):
            resolve_shift(app=APP, revisions=REVS, traffic=traffic(v2=100, v3=0), latest="app--v3", **kw)


def test_the_revision_serving_100_may_be_named_when_the_newest_was_deactivated():
    revs = [*REVS[:2], rev("app--v3", minutes=2, active=False)]
    r = resolve_shift(app=APP, revisions=revs, traffic=traffic(v2=100), latest="app--v3", revision="v2")
    assert (r.canary, r.action) == ("app--v2", "none")


def test_a_canary_named_as_its_own_baseline_is_refused_even_at_100():
    r = resolve_shift(
        app=APP, revisions=REVS, traffic=traffic(v3=100), latest="app--v3", revision="v3",
        baseline_revision="app--v3", previous_baseline="app--v2",
    )  # fmt: skip
    assert (r.action, r.baseline) == ("refuse", "app--v3") and "same revision" in r.reason


class ServingApp:
    """An app whose newest revision already serves 100% (the stand-in for the port's reads)."""

    def __init__(self, weights: dict[str, int], revisions=REVS) -> None:
        self.weights = [TrafficWeight(k, w) for k, w in weights.items()]
        self.revisions = revisions

    def show(self):
        return SimpleNamespace(latest_revision_name="app--v3", traffic=self.weights)

    def list_revisions(self):
        return self.revisions

    def get_traffic(self):
        return self.weights

    def get_revision(self, name):
        return next(r for r in self.revisions if r.name == name)


def _serving_shift(tmp_path, recorded: dict, revisions=REVS, strata=None, **kw) -> TrafficShift:
    settings = load_settings("local")
    if strata is not None:
        canary = settings.canary.model_copy(update={"strata": strata})
        settings = settings.model_copy(update={"canary": canary})
    env = SimpleNamespace(settings=settings.model_copy(update={"app": settings.app.model_copy(
        update={"name": APP})}), app=ServingApp({"app--v3": 100, "app--v2": 0}, revisions),
        platform_metrics=SimpleNamespace(request_counts=lambda *a, **k: None))  # fmt: skip
    return TrafficShift(env, dry_run=False, synthetic_load_rps=0, outputs=tmp_path, run_id="r",
                        record=recorded.__setitem__, evidence_dir=tmp_path / "ev", **kw)  # fmt: skip


def test_a_canary_at_100_that_no_run_promoted_ends_unchanged_never_promoted_or_deactivated(tmp_path):
    recorded: dict = {}
    shift = _serving_shift(tmp_path, recorded, revision="v3", deactivate_old=True, baseline_revision="v2")
    shift.preconditions()
    shift.require()
    assert shift.action == "none" and shift.promoted_before is None
    stability = shift.stability()
    assert stability.status == "SKIPPED" and "no procedure-50 run promoted app--v3" in stability.reason
    assert isinstance(shift.deactivate_gate("DEACTIVATE app--v2 IN local"), NoGate)
    v = shift.verdict()
    assert v.status == "SKIPPED" and v.ok and not shift.deactivated
    assert v.reasons[0].startswith("canary unchanged: nothing to shift: app--v3 already serves 100%")
    assert recorded["canary"]["verdict"] == "unchanged" and recorded["traffic_moved"] is False


def test_an_unknown_or_inactive_revision_stops_before_any_gate(tmp_path):
    with pytest.raises(ConfigError, match="revision 'v9' \\(parameter revision\\) does not exist"):
        _serving_shift(tmp_path, {}, revision="v9")
    revs = [rev("app--v1", active=False), *REVS[1:]]
    shift = _serving_shift(tmp_path, {}, revisions=revs, revision="v1", smoke_override="test")
    assert shift.action == "shift"
    shift.preconditions()
    with pytest.raises(RolloutError, match="new revision: app--v1: not active"):
        shift.require()


def test_a_stratum_that_can_never_answer_is_refused_in_one_line_before_anything_moves(tmp_path):
    """The policy wants probes and platform metrics: a canary without a URL of its own cannot be probed,
    a target without platform metrics cannot give that stratum; either would block every promotion."""
    revs = [*REVS[:2], rev("app--v3", minutes=2, url="")]
    shift = _serving_shift(
        tmp_path, {}, revisions=revs, revision="v1", smoke_override="test", strata=("probes", "platform")
    )

    def missing(*a, **k):
        raise NotSupportedError("platform metrics are not available on this target.", hint="use the portal.")

    shift.env.platform_metrics = SimpleNamespace(request_counts=missing)
    checks = {c.name: c for c in shift.preconditions()}
    assert checks["probes"].status == "FAIL" and checks["probes"].reason.startswith("canary.probes: ")
    assert checks["platform metrics"].status == "FAIL"
    assert "Remove it from canary.strata" in checks["platform metrics"].reason
    with pytest.raises(RolloutError, match=r"preconditions not met: .*probes: canary\.probes") as info:
        shift.require()
    assert "\n" not in str(info.value.message)


def test_a_rerun_after_a_recorded_promotion_still_reads_as_that_promotion(tmp_path, monkeypatch):
    monkeypatch.setattr(TrafficShift, "_ledger", lambda self: [
        {"procedure": "50-traffic-shifting", "environment": "local",
         "facts": {"canary": {"revision": "app--v3", "verdict": "promoted", "baseline": "app--v2",
                              "promoted_at": "2026-03-01T12:05:00+00:00"}}}])  # fmt: skip
    recorded: dict = {}
    shift = _serving_shift(tmp_path, recorded)
    assert (shift.baseline, shift.promoted_before) == ("app--v2", T0 + timedelta(minutes=5))
    v = shift.verdict()
    assert v.status == "PASS" and recorded["canary"]["verdict"] == "promoted"


def test_the_promotion_is_found_in_the_ledger_only_when_that_run_moved_the_traffic():
    entries = [
        {"procedure": "50-traffic-shifting", "environment": "local",
         "facts": {"canary": {"revision": "app--v3", "verdict": "promoted", "baseline": "app--v2",
                              "promoted_at": "2026-03-01T12:05:00+00:00"}}},
        {"procedure": "50-traffic-shifting", "environment": "local",  # a re-run: nothing moved
         "facts": {"canary": {"revision": "app--v3", "verdict": "promoted", "baseline": None}}},
        {"procedure": "50-traffic-shifting", "environment": "prod",
         "facts": {"canary": {"revision": "app--v3", "verdict": "promoted",
                              "promoted_at": "2026-03-02T00:00:00+00:00"}}},
    ]  # fmt: skip
    assert find_promotion(entries, env="local", revision="app--v3") == (T0 + timedelta(minutes=5), "app--v2")
    assert find_promotion(entries, env="local", revision="app--v2") == (None, None)


# ----------------------------------------------------------------------------- parameters


def test_the_synthetic_load_comes_from_the_policy_and_never_reaches_a_real_environment():
    local, prod = load_settings("local"), load_settings("prod")
    assert resolve_load_rps(local, -1) == local.canary.synthetic_load_rps > 0
    assert resolve_load_rps(local, 0) == 0 and resolve_load_rps(local, 42.5) == 42.5
    assert resolve_load_rps(prod, -1) == 0
    with pytest.raises(ConfigError, match="synthetic load is for the sandbox only"):
        resolve_load_rps(prod, 10)
    with pytest.raises(ConfigError, match="synthetic_load_rps"):
        resolve_load_rps(local, -5)
    with pytest.raises(ConfigError, match="synthetic_load_rps"):
        resolve_load_rps(local, 5000)


def test_the_load_outlasts_the_warm_up_and_every_stage_with_one_extension_but_never_an_hour():
    local, prod = load_settings("local").canary, load_settings("prod").canary
    stages = [s.max_duration_s for s in local.stages]
    warmup = local.probes.warmup_s if local.probes.rate_rps > 0 and "probes" in local.strata else 0
    assert load_duration_s(local) == sum(stages) + max(stages) + warmup + 30
    assert load_duration_s(local, from_stage=2) == 2 * stages[2] + warmup + 30
    no_probes = local.model_copy(update={"strata": ("users",)})
    assert load_duration_s(no_probes) == sum(stages) + max(stages) + 30
    assert load_duration_s(prod) == 3600


def test_a_wrong_on_inconclusive_is_refused_before_anything_is_read():
    env = SimpleNamespace(settings=load_settings("local"), app=None)
    with pytest.raises(ConfigError, match="on_inconclusive 'later' is not known"):
        TrafficShift(env, on_inconclusive="later", record=lambda *_: None)


def test_the_synthetic_load_is_asked_of_the_shifts_own_environment_not_a_second_one():
    class NoLoad:
        def ensure_available(self) -> None:
            raise NotSupportedError("this environment's own answer", hint="its own hint")

    env = SimpleNamespace(settings=load_settings("prod"), app=None, load=NoLoad())
    with pytest.raises(ConfigError, match="synthetic_load_rps 10: this environment's own answer"):
        TrafficShift(env, synthetic_load_rps=10, record=lambda *_: None)


def test_each_gate_takes_only_its_own_phrase():
    given = "SHIFT TRAFFIC TO a IN local ;  DEACTIVATE b IN local"
    assert phrases(given) == ["SHIFT TRAFFIC TO a IN local", "DEACTIVATE b IN local"]
    assert approval_for(given, "DEACTIVATE b IN local") == "DEACTIVATE b IN local"
    assert (
        approval_for(given, "DEACTIVATE c IN local") == "SHIFT TRAFFIC TO a IN local; DEACTIVATE b IN local"
    )
    assert approval_for("", "X") == "" and NoGate("nothing").check() is False


# ----------------------------------------------------------------------------- records and verdict


def poll(stage: int, weight: int, verdict: str, elapsed: float, **numbers) -> PollRecord:
    return PollRecord(
        T0 + timedelta(seconds=elapsed), stage, weight, elapsed, verdict, f"{verdict} why", numbers
    )


def test_each_stage_is_summarised_by_its_last_poll():
    rows = stage_rows(
        [poll(0, 10, "HOLD", 1, canary_requests=5), poll(0, 10, "PROMOTE", 2, canary_requests=9),
         poll(1, 50, "ROLLBACK", 1, canary_requests=4, canary_5xx=3)]
    )  # fmt: skip
    assert [(r["stage"], r["weight"], r["polls"], r["verdict"]) for r in rows] == [
        (1, 10, 2, "PROMOTE"),
        (2, 50, 1, "ROLLBACK"),
    ]
    assert rows[0]["canary_requests"] == 9 and rows[1]["canary_5xx"] == 3


@pytest.mark.parametrize(
    ("verdict", "status", "raises"),
    [("promoted", "PASS", False), ("dry_run", "SKIPPED", False), ("unchanged", "SKIPPED", False),
     ("rolled_back", "FAIL", True),
     ("escalated", "FAIL", True), ("interrupted", "FAIL", True)],
)  # fmt: skip
def test_only_a_promotion_or_a_dry_run_lets_the_run_succeed(verdict, status, raises):
    v = verdict_for({"canary": {"verdict": verdict, "reason": "r", "traffic_final": [
        {"revision": "app--v1", "weight": 100}, {"revision": "app--v2", "weight": 0}]}})  # fmt: skip
    assert v.status == status and "traffic now: app--v1=100, app--v2=0" in v.reasons
    assert v.reasons[0] == f"canary {verdict.replace('_', ' ')}: r"
    assert v.facts == {"verdict": verdict} and v.ok is not raises
    if raises:
        with pytest.raises(RolloutError, match=f"canary {verdict.replace('_', ' ')}: r") as info:
            v.raise_for_failure()
        assert info.value.hint and ("60-rollback" in info.value.hint) is (verdict != "interrupted")
    else:
        v.raise_for_failure()
    assert shift_verdict("promoted", ["x"]).ok


def test_an_escalation_waits_for_a_person_and_records_who_decided():
    d = EscalationDecision(stage_index=0, reason="stage 1 (10%): max 45 s reached", headless=False)
    with pytest.raises(ApprovalRequired, match="no decision was made"):
        d.require()
    with pytest.raises(ValueError):
        d.choose("promote", via="code")
    d.choose("rollback", via="code")
    assert d.require() == "rollback" and d.to_record()["choice"] == "rollback" and d.to_record()["by"]


# ----------------------------------------------------------------------------- stability step


class StabilityEnv:
    def __init__(self, weights: dict[str, int], *, window_s: float = 3600, buckets=()) -> None:
        settings = load_settings("local")
        canary = settings.canary.model_copy(update={"stability_window_s": window_s})
        self.settings = settings.model_copy(update={"canary": canary})
        self.weights, self.buckets = weights, list(buckets)
        self.app = SimpleNamespace(
            get_traffic=lambda: [TrafficWeight(k, v) for k, v in self.weights.items()],
            get_revision=lambda name: rev(name),
        )
        self.telemetry = SimpleNamespace(request_buckets=lambda *a, **k: self.buckets)


def test_the_old_revision_waits_for_the_window_and_for_a_quiet_canary():
    now = T0 + timedelta(hours=2)
    env = StabilityEnv({"app--v3": 100, "app--v2": 0})
    kw = {"canary": "app--v3", "old": "app--v2", "now": now}
    assert check_stability(env, promoted_at=T0, requested=False, **kw).status == "SKIPPED"
    assert check_stability(env, promoted_at=None, requested=True, **kw).status == "FAIL"
    early = check_stability(env, promoted_at=now - timedelta(minutes=10), requested=True, **kw)
    assert early.status == "SKIPPED" and "3000 s left" in early.reason
    assert check_stability(env, promoted_at=T0, requested=True, **kw).ready
    bad = [TelemetryBucket("app--v3", T0 + timedelta(seconds=2 * i), 10, 5, 0, 100.0) for i in range(7)]
    noisy = StabilityEnv({"app--v3": 100, "app--v2": 0}, buckets=bad)
    fired = check_stability(noisy, promoted_at=T0, requested=True, **kw)
    assert fired.status == "FAIL" and "error_rate" in fired.reason
    split = StabilityEnv({"app--v3": 50, "app--v2": 50})
    assert check_stability(split, promoted_at=T0, requested=True, **kw).status == "FAIL"


def test_trigger_buckets_are_a_fifth_of_the_window_between_1_and_60_s():
    assert bucket_size_s(RollbackTriggers(error_window_s=300, p95_window_s=300)) == 60
    assert bucket_size_s(RollbackTriggers(error_window_s=10, p95_window_s=10)) == 2
    assert bucket_size_s(RollbackTriggers(error_window_s=2, p95_window_s=300)) == 1


# ----------------------------------------------------------------------------- the live chart


def test_the_chart_marks_every_stage_from_its_first_poll_and_the_decision():
    chart = RolloutChart(live=False)
    numbers = {"canary_requests": 10, "canary_5xx": 0, "baseline_requests": 90, "slo_errors_limit": 0.01,
               "slo_errors_upper": 0.3, "harm_errors_e_value": 0.5,
               "harm_errors_threshold": 200.0}  # fmt: skip
    chart.update(poll(0, 10, "HOLD", 1.0, **numbers))
    chart.update(poll(0, 10, "PROMOTE", 2.0, **numbers))
    chart.update(poll(1, 50, "ROLLBACK", 1.0, **numbers))
    fig = chart.figure.to_plotly_json()
    labels = [a["text"] for a in fig["layout"]["annotations"]]
    assert {"stage 1: 10%", "stage 2: 50%", "PROMOTE", "ROLLBACK"} <= set(labels)
    stage_lines = [s for s in fig["layout"]["shapes"] if s.get("line", {}).get("dash") == "dot"]
    assert min(s["x0"] for s in stage_lines) == T0  # drawn at the stage start, not at its first poll
    names = {t["name"] for t in fig["data"]}
    assert {"canary req/s", "SLO 5xx limit", "canary 5xx bound", "1/α", "canary weight %"} <= names
