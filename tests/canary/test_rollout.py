"""The stage runner against in-memory ports, an injected clock and sleep: no process, no waiting.

The fake telemetry derives each revision's counts from the traffic weights the fake app actually had
over time, so what the judge sees follows what the runner wrote.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from apexops.canary.chart import RolloutChart
from apexops.canary.guard import read_journal
from apexops.canary.lock import DeploymentLock
from apexops.canary.rollout import Rollout
from apexops.errors import (
    ConfigError,
    LockHeldError,
    RolloutError,
    TargetError,
    TrafficError,
    VerificationError,
)
from apexops.models import CountsWindow, LogLine, Replica, RequestStats, Revision, RouteCounts, TrafficWeight
from apexops.settings import CanaryPolicy, CanaryStage, ProbeSettings

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NEW, OLD = "app--new", "app--old"


class Clock:
    def __init__(self) -> None:
        self.now = T0
        self.sleeps: list[float] = []
        self.interrupt_at: int | None = None

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.interrupt_at is not None and len(self.sleeps) >= self.interrupt_at:
            raise KeyboardInterrupt
        self.now += timedelta(seconds=seconds)


def revision(name: str, **kw) -> Revision:
    base = dict(
        name=name,
        active=True,
        traffic_weight=0,
        replicas=1,
        provisioning_state="Provisioned",
        health_state="Healthy",
        running_state="Running",
        created_time=None,
        fqdn="",
        url="",
        image="i",
    )
    return Revision(**{**base, **kw})


class FakeApp:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.revisions = {NEW: revision(NEW), OLD: revision(OLD)}
        self.traffic = [TrafficWeight(OLD, 100)]
        self.history = [(T0 - timedelta(hours=1), {OLD: 100})]
        self.writes: list[dict[str, int]] = []
        self.restarts = 0
        self.crash_when_split = 0
        self.fail_revision_after: int | None = None
        self.lie_on_readback = False
        self._revision_calls = 0

    def get_revision(self, name: str) -> Revision:
        self._revision_calls += 1
        if self.fail_revision_after is not None and self._revision_calls > self.fail_revision_after:
            self.fail_revision_after = None
            raise TargetError("the control plane went away")
        return self.revisions[name]

    def get_traffic(self) -> list[TrafficWeight]:
        if self.lie_on_readback and self.writes:  # the first read-back after a write shows the old list
            self.lie_on_readback = False
            return [TrafficWeight(OLD, 100)]
        return list(self.traffic)

    def set_traffic(self, weights, *, on_progress=None) -> list[TrafficWeight]:
        weights = list(weights)
        if sum(w.weight for w in weights) != 100:
            raise TrafficError("weights must sum to 100")
        self.traffic = weights
        split = {w.revision_name: w.weight for w in weights if w.weight}
        if split.get(NEW):
            self.restarts += self.crash_when_split
        self.writes.append(split)
        self.history.append((self.clock.now, split))
        return list(self.traffic)

    def list_replicas(self, name: str) -> list[Replica]:
        return [Replica(f"{name}-r1", name, "Running", None, self.restarts if name == NEW else 0, True)]


@dataclass
class Behaviour:
    rps: float = 100.0
    error: float = 0.001
    slow: float = 0.001


class FakeTelemetry:
    def __init__(self, app: FakeApp, rates: dict[str, Behaviour], lag_s: float = 1.0) -> None:
        self.app, self.rates, self.lag_s = app, rates, lag_s
        self.fail = False
        self.queries: list[tuple[datetime, datetime]] = []
        #: per revision: route -> share of its users' requests; per route: its slow share (both revisions)
        self.mix: dict[str, dict[str, float]] = {}
        self.route_slow: dict[str, float] = {}
        #: report every route as one ("*"): what a judge that ignores routes sees
        self.pooled = False

    def ingestion_lag_s(self) -> float:
        return self.lag_s

    def request_stats(self, since, until, *, revisions=None, slow_ms=2000.0):
        if self.fail:
            raise TargetError("Log Analytics timed out")
        self.queries.append((since, until))
        out = {}
        for name in revisions:
            seconds = 0.0
            for i, (start, weights) in enumerate(self.app.history):
                end = self.app.history[i + 1][0] if i + 1 < len(self.app.history) else until
                overlap = (min(end, until) - max(start, since)).total_seconds()
                if overlap > 0:
                    seconds += overlap * weights.get(name, 0) / 100
            b = self.rates[name]
            n = math.floor(b.rps * seconds)
            out[name] = RequestStats(name, n, math.floor(n * b.error), math.floor(n * b.slow), 100, 400, 900)
        return out

    def user_requests_by_route(self, since, now, *, revisions, slow_ms):
        """The same users per route ("list" 60%, "get" 40%), complete up to now minus the lag."""
        if self.fail:
            raise TargetError("Log Analytics timed out")
        until = now - timedelta(seconds=self.lag_s)  # before `since` while the stage is younger than the lag
        stats = self.request_stats(since, max(since, until), revisions=revisions, slow_ms=slow_ms)
        rows = []
        for name, st in stats.items():
            mix = self.mix.get(name, {"list": 0.6, "get": 0.4})
            for route, share in mix.items():
                n, e, slow = (math.floor(x * share) for x in (st.requests, st.errors_5xx, st.slow))
                if route in self.route_slow:  # this route's own slow share, the same on both revisions
                    slow = math.floor(n * self.route_slow[route])
                rows.append(RouteCounts(name, "*" if self.pooled else route, n, e, slow, float(n), float(e)))
        return CountsWindow(since, until, tuple(rows))

    def console_logs(self, revision=None, *, tail=100, level=None):
        return [LogLine(T0, revision, f"{revision}-r1", "stdout", "ERROR", "DatabaseTimeoutError")]


#: the users' stratum alone (no probes): the runner as it judged before strata, on the same telemetry
POLICY = CanaryPolicy(
    stages=[
        CanaryStage(weight=10, min_duration_s=60, max_duration_s=600),
        CanaryStage(weight=50, min_duration_s=30, max_duration_s=300),
        CanaryStage(weight=100, min_duration_s=10, max_duration_s=120),
    ],
    poll_interval_s=5,
    alpha=0.01,
    on_inconclusive="escalate",
    max_replica_restarts=1,
    strata=("users",),
)


@pytest.fixture
def world(tmp_path):
    clock = Clock()
    app = FakeApp(clock)
    telemetry = FakeTelemetry(app, {NEW: Behaviour(), OLD: Behaviour()})
    settings = SimpleNamespace(environment="test", app=SimpleNamespace(name="apex"), canary=POLICY)
    env = SimpleNamespace(app=app, telemetry=telemetry, settings=settings)

    def rollout(policy=POLICY, **kw):
        kw.setdefault("evidence_dir", tmp_path / "evidence")
        return Rollout(
            env,
            canary=NEW,
            baseline=OLD,
            policy=policy,
            clock=clock,
            sleep=clock.sleep,
            lock_dir=tmp_path / "locks",
            guard=False,
            **kw,
        )

    return SimpleNamespace(clock=clock, app=app, telemetry=telemetry, rollout=rollout, tmp=tmp_path)


def test_a_healthy_canary_is_promoted_through_every_stage(world):
    seen = []
    result = world.rollout(on_poll=seen.append).run()
    assert result.outcome == "promoted" and result.ok
    assert world.app.writes == [{NEW: 10, OLD: 90}, {NEW: 50, OLD: 50}, {NEW: 100}]
    assert {w.revision_name: w.weight for w in result.traffic} == {NEW: 100, OLD: 0}
    assert set(world.clock.sleeps) == {5}  # the policy's poll interval, never a real sleep
    assert seen == list(result.polls) and [p.stage_index for p in seen][-1] == 2
    assert "passed" in result.reason
    # telemetry is asked up to now minus the ingestion lag, from the stage's start
    since, until = world.telemetry.queries[0]
    assert until == T0 + timedelta(seconds=4) and since == T0
    result.raise_for_failure()


def test_a_faulty_canary_is_rolled_back_with_evidence(world):
    world.telemetry.rates[NEW] = Behaviour(error=0.10)
    result = world.rollout().run()
    assert result.outcome == "rolled_back" and result.stage_index == 0
    assert world.app.writes == [{NEW: 10, OLD: 90}, {OLD: 100}]
    assert result.polls[-1].elapsed_s <= 10
    assert "canary 5xx" in result.reason and ">= 1/α = 200" in result.reason
    names = sorted(p.name for p in result.evidence)
    assert names == [
        "canary-decision.json",
        "canary-polls.json",
        "canary-traffic.json",
        "failed-revision-logs.txt",
    ]
    decision = json.loads((world.tmp / "evidence" / "canary-decision.json").read_text())
    assert decision["verdict"] == "ROLLBACK" and decision["outcome"] == "rolled_back"
    traffic = json.loads((world.tmp / "evidence" / "canary-traffic.json").read_text())
    assert traffic == {"before": {NEW: 10, OLD: 90}, "after": {OLD: 100}}
    with pytest.raises(RolloutError, match="canary rolled back: stage 1"):
        result.raise_for_failure()


def test_slow_canary_is_rolled_back_on_latency(world):
    world.telemetry.rates[NEW] = Behaviour(slow=0.2)
    result = world.rollout().run()
    assert result.outcome == "rolled_back" and "slow >= 2000 ms" in result.reason


def test_replica_restarts_roll_back_at_once(world):
    world.app.crash_when_split = 2  # the canary's replica restarts twice once it takes traffic
    result = world.rollout().run()
    assert result.outcome == "rolled_back" and len(result.polls) == 1
    assert "2 replica restarts > limit 1" in result.reason


def test_an_exception_while_split_restores_the_baseline_and_propagates(world):
    world.app.fail_revision_after = 6  # two revisions at the start check, then mid-stage
    with pytest.raises(TargetError, match="control plane"):
        world.rollout().run()
    assert world.app.writes == [{NEW: 10, OLD: 90}, {OLD: 100}]


def test_an_interrupt_while_split_restores_the_baseline(world):
    world.clock.interrupt_at = 3
    with pytest.raises(KeyboardInterrupt):
        world.rollout().run()
    assert world.app.writes[-1] == {OLD: 100}
    assert read_journal(next((world.tmp / "locks").glob("traffic-guard-*.json")))["state"] == "done"


def test_a_wrong_read_back_is_a_verification_error_and_restores(world):
    world.app.lie_on_readback = True
    with pytest.raises(
        VerificationError, match="traffic read back as app--old=100, not app--new=10, app--old=90"
    ):
        world.rollout().run()
    assert world.app.writes == [{NEW: 10, OLD: 90}, {OLD: 100}]


def test_a_second_run_is_refused_while_the_lock_is_held(world):
    with (
        DeploymentLock(world.tmp / "locks", env="test", app="apex", run_id="run-one"),
        pytest.raises(LockHeldError, match="another run is shifting traffic for apex in test: run run-one"),
    ):
        world.rollout(run_id="run-two").run()
    assert world.app.writes == []


def test_refuses_to_start_unless_the_baseline_serves_everything(world):
    world.app.traffic = [TrafficWeight(OLD, 90), TrafficWeight(NEW, 10)]
    with pytest.raises(TrafficError, match="the rollout starts from the baseline only"):
        world.rollout().run()
    assert world.app.writes == []


def test_no_traffic_escalates_and_restores_the_baseline(world):
    world.telemetry.rates = {NEW: Behaviour(rps=0), OLD: Behaviour(rps=0)}
    result = world.rollout().run()
    assert result.outcome == "escalated"
    assert "max 600 s reached without evidence" in result.reason
    assert world.app.writes == [{NEW: 10, OLD: 90}, {OLD: 100}]
    assert len(result.polls) == 120  # 600 s at 5 s: held all along, never rolled back for lack of data
    with pytest.raises(RolloutError, match="stopped for a decision"):
        result.raise_for_failure()


def test_on_inconclusive_rollback_and_extend(world):
    world.telemetry.rates = {NEW: Behaviour(rps=0), OLD: Behaviour(rps=0)}
    rolled = world.rollout(policy=POLICY.model_copy(update={"on_inconclusive": "rollback"})).run()
    assert rolled.outcome == "rolled_back" and rolled.decision.action == "rollback"
    extended = world.rollout(policy=POLICY.model_copy(update={"on_inconclusive": "extend"})).run()
    assert extended.outcome == "escalated" and len(extended.polls) == 240  # one more max duration


def test_telemetry_failures_are_partial_data_not_crashes(world):
    world.telemetry.fail = True
    result = world.rollout(
        policy=POLICY.model_copy(
            update={
                "stages": [
                    CanaryStage(weight=10, min_duration_s=5, max_duration_s=20),
                    CanaryStage(weight=100, min_duration_s=0, max_duration_s=20),
                ]
            }
        )
    ).run()
    assert result.outcome == "escalated"
    assert all(
        p.error
        == "telemetry query failed: Log Analytics timed out; users query failed: Log Analytics timed out"
        for p in result.polls
    )
    assert all(p.stratum("users").partial and not p.stratum("users").routes for p in result.polls)
    assert "without evidence" in result.reason  # never a rollback, never a promotion on missing data


def test_resume_after_an_escalation_carries_the_evidence(world):
    world.telemetry.rates = {NEW: Behaviour(rps=0), OLD: Behaviour(rps=0)}
    first = world.rollout().run()
    world.telemetry.rates = {NEW: Behaviour(), OLD: Behaviour()}
    second = world.rollout().run(from_stage=0, state=first.state)
    assert second.outcome == "promoted"


def test_the_chart_draws_every_poll(world):
    chart = RolloutChart(live=False)
    world.telemetry.rates[NEW] = Behaviour(error=0.10)
    result = world.rollout(on_poll=chart.update).run()
    names = {t.name for t in chart.figure.data}
    assert {"canary req/s · users", "baseline 5xx % · users", "e 5xx", "1/α", "canary weight %"} <= names
    errors = next(t for t in chart.figure.data if t.name == "canary 5xx % · users")
    assert len(errors.x) == len(result.polls)


def test_bad_from_stage_is_refused(world):
    with pytest.raises(TrafficError, match="from_stage 5"):
        world.rollout().run(from_stage=5)


def test_manual_rollback_is_complete_and_verified(world):
    world.app.traffic = [TrafficWeight(NEW, 50), TrafficWeight(OLD, 50)]
    after = world.rollout().rollback("operator decision")
    assert {w.revision_name: w.weight for w in after} == {NEW: 0, OLD: 100}
    assert world.app.writes == [{OLD: 100}]


def test_guard_journal_is_armed_only_while_split(world):
    states = []
    path_holder = {}

    def spy(record):
        path = next((world.tmp / "locks").glob("traffic-guard-*.json"))
        path_holder["p"] = path
        states.append(read_journal(path)["state"])

    world.rollout(on_poll=spy).run()
    assert set(states) == {"armed"}
    journal = read_journal(path_holder["p"])
    assert journal["state"] == "done" and journal["safe"] == [
        {"revision_name": NEW, "weight": 0},
        {"revision_name": OLD, "weight": 100},
    ]


def test_restarts_before_the_rollout_do_not_count(world):
    world.app.restarts = 5  # restarted before the rollout began: the guard counts from the start
    assert world.rollout().run().outcome == "promoted"


def test_stage_results_are_replayable(world):
    result = world.rollout().run()
    rows = [p.row() for p in result.polls]
    assert rows[0]["stage"] == 1 and rows[0]["weight %"] == 10 and rows[-1]["verdict"] == "PROMOTE"
    assert replace(result.polls[0]).numbers == result.polls[0].numbers


def test_a_failed_restore_says_traffic_may_still_be_split(world):
    world.app.fail_revision_after = 6
    original = world.app.set_traffic

    def set_traffic(weights, *, on_progress=None):
        if {w.revision_name: w.weight for w in weights if w.weight} == {OLD: 100}:
            raise TargetError("ingress unreachable")
        return original(weights, on_progress=on_progress)

    world.app.set_traffic = set_traffic
    with pytest.raises(RolloutError, match="Traffic may still be split") as info:
        world.rollout().run()
    assert "run 60-rollback now" in str(info.value)
    assert isinstance(info.value.__cause__, TargetError)


# ---------------------------------------------------------------------------------------------- strata


class FakeProber:
    """Probes at `rps` per revision from start() on, over three routes, answered at once (no lag)."""

    def __init__(self, clock: Clock, targets, rps: float = 2.0) -> None:
        self.clock, self.targets, self.rps = clock, dict(targets), rps
        self.error: dict[str, float] = {}
        self.started_at: datetime | None = None
        self.stops = 0

    def start(self):
        self.started_at = self.clock.now
        return self

    def stop(self) -> None:
        self.stops += 1

    def _n(self, since: datetime, until: datetime) -> int:
        start = max(since, self.started_at)
        return max(0, math.floor(self.rps * (until - start).total_seconds()))

    def counts(self, since):
        rows = []
        for name in self.targets:
            n = self._n(since, self.clock.now)
            for route in ("health", "list", "get"):
                k = n // 3
                e = math.floor(k * self.error.get(name, 0.0))
                rows.append(RouteCounts(name, route, k, e, 0, float(k), float(e)))
        return CountsWindow(since, self.clock.now, tuple(rows))

    def per_minute(self, revision, since):
        out, minute = {}, since.replace(second=0, microsecond=0)
        while minute <= self.clock.now:
            n = self._n(max(since, minute), min(self.clock.now, minute + timedelta(minutes=1)))
            if n:
                out[minute] = (n, math.floor(n * self.error.get(revision, 0.0)))
            minute += timedelta(minutes=1)
        return out


class FakePlatform:
    """Per-revision counters of users AND probes, per published minute (published `lag_s` after its end)."""

    def __init__(self, telemetry: FakeTelemetry, lag_s: float = 60.0) -> None:
        self.telemetry, self.lag_s = telemetry, lag_s
        self.prober: FakeProber | None = None

    def request_counts(self, since, now, *, revisions):
        published = (now - timedelta(seconds=self.lag_s)).replace(second=0, microsecond=0)
        first = since.replace(second=0, microsecond=0)
        until = max(first, published)
        users = self.telemetry.request_stats(first, until, revisions=revisions)
        rows = []
        for name in revisions:
            probes = [
                v
                for m, v in (self.prober.per_minute(name, first) if self.prober else {}).items()
                if m < until
            ]
            n = users[name].requests + sum(p[0] for p in probes)
            e = users[name].errors_5xx + sum(p[1] for p in probes)
            rows.append(RouteCounts(name, "*", n, e, None, float(n), float(e)))
        return CountsWindow(since, until, tuple(rows))


#: production's lags need production's stage lengths: at 100% only users and probes show latency
STRATA = POLICY.model_copy(
    update={
        "strata": ("probes", "platform", "users"),
        "probes": ProbeSettings(rate_rps=2, warmup_s=30),
        "stages": [*POLICY.stages[:2], CanaryStage(weight=100, min_duration_s=10, max_duration_s=600)],
    }
)


@pytest.fixture
def strata_world(world):
    world.telemetry.lag_s = 180.0
    platform = FakePlatform(world.telemetry)
    probers: list[FakeProber] = []

    def make(targets):
        prober = FakeProber(world.clock, targets)
        platform.prober = prober
        probers.append(prober)
        return prober

    env_platform = platform

    def rollout(policy=STRATA, **kw):
        r = world.rollout(policy=policy, prober=make, **kw)
        r.env = SimpleNamespace(platform_metrics=env_platform, settings=r.env.settings)
        return r

    world.platform, world.probers, world.strata_rollout = platform, probers, rollout
    world.app.revisions = {
        NEW: revision(NEW, url="http://127.0.0.1:1/new"),
        OLD: revision(OLD, url="http://127.0.0.1:1/old"),
    }
    return world


def test_probes_warm_up_before_any_traffic_moves_then_every_stratum_is_judged(strata_world):
    w = strata_world
    result = w.strata_rollout().run()
    (prober,) = w.probers
    assert prober.targets == {NEW: "http://127.0.0.1:1/new", OLD: "http://127.0.0.1:1/old"}
    assert prober.started_at == T0 and w.clock.sleeps[0] == 30  # the warm-up, before the first write
    assert w.app.history[1][0] == T0 + timedelta(seconds=30)
    assert prober.stops == 1
    first = result.polls[0]
    assert [s.stratum for s in first.strata] == ["probes", "platform", "users"]
    probes, platform, users = first.strata
    # stage 1's probe evidence counts from the warm-up: 35 s at 2 req/s per revision
    assert probes.totals()[0].requests == 69 and probes.lag_s == 0
    # no platform minute is published yet (the first closes at 12:01, published a minute later)
    assert platform.complete_until is None and platform.routes == {}
    # once it is: the users only, the probes it counted subtracted
    later = next(p.stratum("platform") for p in result.polls if p.stratum("platform").complete_until)
    assert later.routes["*"][0].slow is None and later.totals()[0].requests == (
        w.telemetry.request_stats(T0, later.complete_until, revisions=[NEW])[NEW].requests
    )
    # the users' telemetry is 180 s late: nothing complete yet, which is not zero traffic
    assert users.complete_until is None and users.routes == {} and users.lag_s >= 180
    assert "users data" in first.row() and first.row()["users data"].startswith("no data complete yet")
    assert result.outcome == "promoted"


@pytest.mark.parametrize("ending", ["promoted", "rolled_back", "exception", "interrupt"])
def test_the_probes_stop_however_the_run_ends(strata_world, ending):
    w = strata_world
    if ending == "rolled_back":
        w.telemetry.rates[NEW] = Behaviour(error=0.2)
    if ending == "exception":
        w.app.fail_revision_after = 8
    if ending == "interrupt":
        w.clock.interrupt_at = 4
    try:
        result = w.strata_rollout().run()
    except (TargetError, KeyboardInterrupt):
        result = None
    assert (result.outcome if result else ending) == ending
    assert [p.stops for p in w.probers] == [1]
    assert w.app.writes[-1] in ({OLD: 100}, {NEW: 100})


def test_probes_off_sends_none_and_the_judge_gets_no_probe_stratum(strata_world):
    w = strata_world
    policy = STRATA.model_copy(update={"probes": ProbeSettings(rate_rps=0)})
    result = w.strata_rollout(policy).run()
    assert w.probers == [] and {s.stratum for s in result.polls[0].strata} == {"platform", "users"}
    assert w.clock.sleeps[0] == 5  # no warm-up without probes


def test_a_failed_source_is_a_partial_stratum_named_in_the_poll(strata_world):
    w = strata_world

    def down(*a, **k):
        raise TargetError("Azure Monitor metrics unavailable")

    w.platform.request_counts = down
    short = [
        CanaryStage(weight=10, min_duration_s=5, max_duration_s=20),
        CanaryStage(weight=100, min_duration_s=0, max_duration_s=20),
    ]
    policy = STRATA.model_copy(update={"stages": short})
    result = w.strata_rollout(policy).run()
    assert all(p.error == "platform query failed: Azure Monitor metrics unavailable" for p in result.polls)
    assert all(p.stratum("platform").partial for p in result.polls)


@pytest.mark.parametrize("pooled", [False, True])
def test_a_heavier_share_of_a_slow_route_inside_the_slo_is_not_harm(world, pooled):
    """Both revisions serve project reads 4% slow and lists 0.5% slow; the canary gets 90% reads, the
    baseline 10% (3.65% vs 0.85% slow overall, SLO 5%). Judged per route: promoted. The same requests with
    the routes pooled into one cell look like harm: rolled back (the test can fail)."""
    world.telemetry.mix = {NEW: {"get": 0.9, "list": 0.1}, OLD: {"get": 0.1, "list": 0.9}}
    world.telemetry.route_slow = {"get": 0.04, "list": 0.005}
    world.telemetry.pooled = pooled
    result = world.rollout().run()
    assert result.outcome == ("rolled_back" if pooled else "promoted"), result.reason
    if pooled:
        assert "slow >= 2000 ms" in result.reason


def test_the_chart_draws_each_stratum_where_its_data_is_complete(strata_world):
    w = strata_world
    w.telemetry.rates[NEW] = Behaviour(error=0.05)
    chart = RolloutChart(live=False)
    result = w.strata_rollout(on_poll=chart.update).run()
    assert result.outcome == "rolled_back"
    names = {t.name for t in chart.figure.data}
    assert {
        "canary 5xx % · probes",
        "canary 5xx % · platform",
        "canary slow % · probes",
        "e 5xx · probes",
    } <= names
    assert "canary slow % · platform" not in names  # the platform has no latency
    assert {"1/α · probes", "1/α · platform"} <= names  # each stratum against its share of the budget
    probes = next(t for t in chart.figure.data if t.name == "canary req/s · probes")
    assert list(probes.x) == [p.at for p in result.polls]  # live: one point per poll, at the poll
    platform = next(t for t in chart.figure.data if t.name == "canary 5xx % · platform")
    assert all(x.second == 0 and x <= result.polls[-1].at - timedelta(seconds=60) for x in platform.x)
    title = chart.figure.layout.title.text
    assert "probes: data up to" in title and "users: no data complete yet, lag 3 min" in title
    marker = next(a for a in chart.figure.layout.annotations if a.text == "ROLLBACK")
    assert marker.hovertext == result.reason


def test_a_policy_whose_strata_can_see_nothing_is_refused_before_anything_moves(strata_world):
    w = strata_world
    policy = STRATA.model_copy(update={"strata": ("probes",), "probes": ProbeSettings(rate_rps=0)})
    with pytest.raises(ConfigError, match=r"only 'probes' but canary\.probes\.rate_rps is 0"):
        w.strata_rollout(policy).run()
    assert w.app.writes == [] and w.probers == []
