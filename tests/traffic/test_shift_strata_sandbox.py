"""Procedure 50 on production's terms: a real sandbox whose users' telemetry arrives 10 s +- 2.5 s late (a
scaled-down Application Insights lag: 10x the 1-s poll interval and longer than the time a stage needs, so
the users' data is truly late) and whose platform counters are published per minute, 10 s +- 5 s after it
ends; the judge also sees the probes apexops sends itself to both revisions' URLs. The lag, the policy
(short stages, 1-s polls, probes at 40 req/s after a 2.5-s warm-up: the lag and the stages scaled down
together, the judge's confidence and SLO unchanged) and the faulty images come from a parameters folder of
the test's own (APEXOPS_PARAMETERS), so the papermill kernels load exactly what is tested.

Tests run in file order against one sandbox: a promotion makes the canary the next test's baseline.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import httpx
import psutil
import pytest
import yaml

from apexops.models import TrafficWeight
from apexops.runner import run_procedure
from apexops.settings import project_root

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook, pytest.mark.slow]

LAG = {"lag_s": 10, "jitter_s": 2.5, "sampling_percentage": 100, "platform_grain_s": 60, "platform_lag_s": 10,
       "platform_jitter_s": 5}  # fmt: skip
#: the earliest a user's request can be in the telemetry (lag minus jitter)
EARLIEST_S = LAG["lag_s"] - LAG["jitter_s"]
POLICY = {
    "stages": [
        {"weight": 10, "min_duration_s": 5, "max_duration_s": 60},
        {"weight": 50, "min_duration_s": 4, "max_duration_s": 40},
        {"weight": 100, "min_duration_s": 2, "max_duration_s": 40},
    ],
    "poll_interval_s": 1,
    "promote_confidence": 0.8,
    "synthetic_load_rps": 20,
    "probes": {"rate_rps": 40, "warmup_s": 2.5, "routes": ["health", "list", "get"], "timeout_s": 5},
    "strata": ["probes", "platform", "users"],
    "min_canary_requests": 20,
}
GET = "/api/v1/projects/{project_id}"
FAULTS = f"""tags:
  v1.2.6-geterrors:
    description: 30% of the project reads answer 500; every other route is fine
    error_rate: 0.3
    error_routes: ["{GET}"]
  v1.2.6-getslow:
    description: 6% of the project reads take 2.5 s more (2.4% of a 60/40 list/get mix; SLO 5%)
    latency_ms: 2500
    latency_share: 0.06
    latency_routes: ["{GET}"]
  v1.2.7-getslow:
    description: the same slow project reads, one release later
    latency_ms: 2500
    latency_share: 0.06
    latency_routes: ["{GET}"]
"""


@pytest.fixture(scope="module")
def lagged(tmp_path_factory, tools):
    """(settings, env, outputs): a sandbox with production-like lag, the test policy, the faulty images."""
    from apexops.sandbox.images import ImageCatalogue

    base = tmp_path_factory.mktemp("strata")
    folder = base / "parameters"
    folder.mkdir()
    for path in (project_root() / "parameters").glob("*.yaml"):
        (folder / path.name).write_text(path.read_text())
    local = yaml.safe_load((folder / "local.yaml").read_text())
    local["canary"] = {**local["canary"], **POLICY}
    local["sandbox"]["telemetry"] = LAG
    (folder / "local.yaml").write_text(yaml.safe_dump(local, sort_keys=False))
    with tools.isolated_sandbox(base, parameters=folder) as (settings, env, outputs):
        faults = base / "faults.yaml"
        faults.write_text(FAULTS)
        ImageCatalogue(settings.sandbox_home(), settings.registry.server).add_from_file(faults)
        yield settings, env, outputs


def _baseline(env) -> str:
    serving = {t.revision_name: t.weight for t in env.app.get_traffic() if t.weight}
    assert len(serving) == 1, serving
    return next(iter(serving))


def _shift(outputs, canary: str, **parameters):
    return run_procedure(
        "50",
        parameters={
            "dry_run": False,
            "approval": f"SHIFT TRAFFIC TO {canary} IN local",
            "smoke_override": "strata test",
            **parameters,
        },
        outputs=outputs,
    )


def _polls(result) -> list[dict]:
    return json.loads((result.evidence_dir / "canary-polls.json").read_text())


def _stratum(poll: dict, name: str) -> dict | None:
    return next((s for s in poll["strata"] if s["stratum"] == name), None)


def _probe_projects(settings, env) -> list[str]:
    """Probe projects still live (not deleted) in the app's database."""
    auth = env.identity.api_token(settings.api_audience).authorization_header()
    url = f"{env.app.show().url}/api/v1/projects/?page_size=100"
    items = httpx.get(url, headers=auth, timeout=10).json()["items"]
    return [p["project_number"] for p in items if str(p["project_number"]).startswith("PROBE-")]


def test_errors_on_one_route_only_are_rolled_back(lagged, tools):
    settings, env, outputs = lagged
    base = _baseline(env)
    bad = tools.new_revision(env, settings, "v1.2.6-geterrors", "geterrors")

    result = _shift(outputs, bad)

    assert result.outcome == "failed", result.error
    c = result.facts["canary"]
    assert (c["verdict"], c["rolled_back"]) == ("rolled_back", True) and "canary rolled back" in result.error
    assert c["stages"][-1]["verdict"] == "ROLLBACK" and tools.serving(env) == {base: 100}
    last = _polls(result)[-1]
    # the harm is where the fault is: only the project reads of the canary failed, in each stratum that
    # has routes (probes name them by probe route, users by the app's route template; the platform has none)
    for stratum, read in (("probes", "get"), ("users", GET)):
        routes = _stratum(last, stratum)["routes"]
        failed = {route for route, pair in routes.items() if pair["canary"]["errors_5xx"]}
        assert failed <= {read}, (stratum, routes)
        assert not any(pair["baseline"]["errors_5xx"] for pair in routes.values()), (stratum, routes)
    assert _stratum(last, "probes")["routes"]["get"]["canary"]["errors_5xx"] > 0
    assert "Evidence per stratum" in tools.text(result)


def test_a_quiet_canary_with_the_baselines_slow_route_is_promoted_on_probes_and_late_data_is_never_zero(
    lagged, tools
):
    """Both releases have the same slow project reads (2.4% of requests, SLO 5%): a route's latency that is
    no worse than the baseline's on that route is not harm. The users are quiet (1 request a second), so
    the probes carry the evidence: every stage is promoted on them within its window. Along the way, the
    users' telemetry is late: the recorded polls show it as not complete (no counts at all), never as
    zeros. (One run for both: what each asserts is independent of the other.)"""
    settings, env, outputs = lagged
    slow_base = tools.new_revision(env, settings, "v1.2.6-getslow", "getslow-base")
    env.app.set_traffic([TrafficWeight(slow_base, 100)])  # the slow release is what users have today
    canary = tools.new_revision(env, settings, "v1.2.7-getslow", "getslow-canary")

    result = _shift(outputs, canary, synthetic_load_rps=1.0)

    assert result.outcome == "succeeded", result.error
    c = result.facts["canary"]
    assert c["baseline"] == slow_base and tools.serving(env) == {canary: 100}
    maxima = [s["max_duration_s"] for s in POLICY["stages"]]
    assert [s["verdict"] for s in c["stages"]] == ["PROMOTE"] * 3
    assert all(s["elapsed_s"] < limit for s, limit in zip(c["stages"], maxima, strict=True))
    polls = _polls(result)
    # the canary's slow reads were seen (by the probes at least: the users' data may still be in flight)
    # and did not roll it back
    slow = [
        s["routes"]["get"]["canary"]["slow"] for p in polls if "get" in (s := _stratum(p, "probes"))["routes"]
    ]
    assert slow and max(slow) > 0
    # what carried it: at each stage's decision the probes had far more canary requests than the users
    for row in c["strata"]:
        if row["stratum"] == "probes":
            assert int(row["canary"].split(" · ")[0]) >= 100, row
    users = [r for r in c["strata"] if r["stratum"] == "users"]
    assert all(r["canary"] == "not in yet" or int(r["canary"].split(" · ")[0]) < 40 for r in users), users
    assert c["probes"] and c["probes_left_behind"] == []
    assert _probe_projects(settings, env) == []
    _never_zero_filled(polls)


def _never_zero_filled(polls: list[dict]) -> None:
    early = [p for p in polls if p["elapsed s"] < EARLIEST_S - 1]
    assert early, "the first stage had no early polls"
    for p in early:  # younger than the lag: nothing complete, and no counts that would read as zeros
        users = _stratum(p, "users")
        assert users["complete_until"] is None and users["routes"] == {}, users
        assert p["users canary"] == "not in yet" and p["users data"].startswith("no data complete yet")
    for p in polls:
        users = _stratum(p, "users")
        if users["complete_until"] is not None:  # complete only up to where the lag allows
            lag = datetime.fromisoformat(p["at"]) - datetime.fromisoformat(users["complete_until"])
            assert lag >= timedelta(seconds=EARLIEST_S - 1), (p["at"], users["complete_until"])
            assert users["lag_s"] >= EARLIEST_S - 1 and "data up to" in p["users data"]


# ----------------------------------------------------------------- probes leave nothing behind (in-process)


class _Stop(Exception):
    pass


@pytest.mark.parametrize("ending", ["ends", "fails", "interrupted"])
def test_probes_stop_and_leave_nothing_behind_however_the_run_ends(lagged, tools, tmp_path, ending):
    """The runner in this process (so its threads can be seen), with the create+delete probe route: no probe
    thread, no child process and no probe project is left, and the baseline serves everything again."""
    from apexops.canary.rollout import Rollout
    from apexops.settings import CanaryStage, ProbeSettings

    settings, env, _ = lagged
    base = _baseline(env)
    canary = tools.new_revision(env, settings, "v1.2.3", f"probes-{ending}")
    policy = settings.canary.model_copy(
        update={
            "stages": [
                CanaryStage(weight=50, min_duration_s=2, max_duration_s=30),
                CanaryStage(weight=100, min_duration_s=1, max_duration_s=30),
            ],
            "promote_confidence": 0.6,
            "probes": ProbeSettings(
                rate_rps=40, warmup_s=1, routes=("health", "list", "get", "create_delete")
            ),
        }
    )
    polls = []

    def on_poll(record):
        polls.append(record)
        if len(polls) == 3 and ending == "fails":
            raise _Stop("a failure in the middle of a stage")
        if len(polls) == 3 and ending == "interrupted":
            raise KeyboardInterrupt

    children = {p.pid for p in psutil.Process().children(recursive=True)}
    rollout = Rollout(
        env, canary=canary, baseline=base, policy=policy, on_poll=on_poll, lock_dir=tmp_path, guard=False,
        run_id=f"probes-{ending}",
    )  # fmt: skip
    if ending == "ends":
        assert rollout.run().outcome == "promoted"
        assert tools.serving(env) == {canary: 100}
    else:
        with pytest.raises(_Stop if ending == "fails" else KeyboardInterrupt):
            rollout.run()
        assert tools.serving(env) == {base: 100}
    assert polls and polls[0].stratum("probes").totals()[0].requests > 0  # probes did run
    assert [t.name for t in threading.enumerate() if t.name.startswith("apexops-probe")] == []
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= children
    assert rollout.probes_left_behind == () and _probe_projects(settings, env) == []
    sent = {row["revision"]: row["sent"] for row in rollout.probe_summary}
    assert sent[canary] > 0 and sent[base] > 0


def test_with_users_only_nothing_is_decided_before_their_telemetry_is_in(lagged, tools, tmp_path):
    """The users' stratum alone (no probes, no platform), 10 s +- 2.5 s late: every poll before the telemetry
    covers the stage holds (an empty window is not a clean one), and the promotion rests on complete data
    only."""
    from apexops.canary.load import synthetic_load
    from apexops.canary.rollout import Rollout
    from apexops.settings import CanaryStage

    settings, env, _ = lagged
    base = _baseline(env)
    canary = tools.new_revision(env, settings, "v1.2.3", "users-only")
    stages = [CanaryStage(weight=100, min_duration_s=2, max_duration_s=60)]  # one stage: the SLO gate alone
    policy = settings.canary.model_copy(update={"stages": stages, "strata": ("users",)})
    with synthetic_load(settings, 60.0, 150.0, env=env):
        result = Rollout(
            env, canary=canary, baseline=base, policy=policy, lock_dir=tmp_path, guard=False
        ).run()

    assert result.outcome == "promoted", result.reason
    for poll in result.polls:
        users = poll.stratum("users")
        assert [s.stratum for s in poll.strata] == ["users"]
        if users.complete_until is None:
            assert users.routes == {} and poll.verdict == "HOLD", poll.row()
        else:
            assert poll.at - users.complete_until >= timedelta(seconds=EARLIEST_S - 1)
    decisions = [p for p in result.polls if p.verdict == "PROMOTE"]
    # it held through the lag (a poll a second), then decided
    assert len(decisions) == 1 and len(result.polls) > EARLIEST_S
    for poll in decisions:
        users = poll.stratum("users")
        assert users.complete_until is not None and users.totals()[0].requests >= 100
        assert poll.elapsed_s >= EARLIEST_S  # not before the lag let any of the stage's requests in
