"""Procedure 50 when the canary's users are not a random sample: report-heavy clients pinned to the canary by
their affinity cookie (the sandbox ingress honours it while the canary receives traffic) give the canary about
three times the baseline's share of a slow route. Both releases answer every route alike (the same 6% of
project reads 2.5 s late), so the canary is as good as the baseline and inside the SLO: it must be promoted.

A real sandbox with production-like lag (users' telemetry 5 s +- 1.5 s late, platform counters per minute),
probes (40 req/s, so the later stages need only seconds), and a first stage long enough (18 s) for the
users' telemetry to cover most of it, so the judge sees the imbalance in the users' stratum. The users are
the test's own load generators (the policy's synthetic load is off): most of them random over the weights,
a few pinned to the canary; 42 requests a second in all, so the covered part of the first stage holds as
many users' requests as a 30-s stage with twice the lag and two thirds of the users did.
"""

from __future__ import annotations

import json

import pytest
import yaml

from apexops.models import TrafficWeight
from apexops.runner import run_procedure
from apexops.settings import project_root

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook, pytest.mark.slow]

LAG = {"lag_s": 5, "jitter_s": 1.5, "sampling_percentage": 100, "platform_grain_s": 60, "platform_lag_s": 10,
       "platform_jitter_s": 5}  # fmt: skip
POLICY = {
    "stages": [
        {"weight": 10, "min_duration_s": 18, "max_duration_s": 120},
        {"weight": 50, "min_duration_s": 4, "max_duration_s": 60},
        {"weight": 100, "min_duration_s": 2, "max_duration_s": 60},
    ],
    "poll_interval_s": 1,
    "promote_confidence": 0.8,
    "synthetic_load_rps": 0,
    "probes": {"rate_rps": 40, "warmup_s": 2.5, "routes": ["health", "list", "get"], "timeout_s": 5},
    "strata": ["probes", "platform", "users"],
    "min_canary_requests": 20,
}
GET = "/api/v1/projects/{project_id}"
FAULTS = f"""tags:
  v1.2.6-reportslow:
    description: 6% of the project reads take 2.5 s more
    latency_ms: 2500
    latency_share: 0.06
    latency_routes: ["{GET}"]
  v1.2.7-reportslow:
    description: the same slow project reads, one release later
    latency_ms: 2500
    latency_share: 0.06
    latency_routes: ["{GET}"]
"""
#: everyone: mostly lists, 15% project reads, routed by the weights
EVERYONE = {"list_projects": 0.85, "get_project": 0.15}
#: report-heavy sessions: 60% project reads, pinned to the canary by their cookie
REPORTS = {"list_projects": 0.4, "get_project": 0.6}


@pytest.fixture(scope="module")
def lagged(tmp_path_factory, tools):
    """(settings, env, outputs): a sandbox with production-like lag, the test policy, the slow images."""
    from apexops.sandbox.images import ImageCatalogue

    base = tmp_path_factory.mktemp("affinity")
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


def _stratum(poll: dict, name: str) -> dict:
    return next(s for s in poll["strata"] if s["stratum"] == name)


def _share(routes: dict, side: str) -> tuple[float, int]:
    """(share of the project reads among `side`'s requests, `side`'s requests) in a users' snapshot."""
    total = sum(pair[side]["requests"] for pair in routes.values())
    reads = routes.get(GET, {}).get(side, {}).get("requests", 0)
    return (reads / total if total else 0.0), total


def test_report_heavy_sessions_on_the_canary_are_not_harm_and_it_is_promoted(lagged, tools):
    from apexops.sandbox.loadgen import for_sandbox

    settings, env, outputs = lagged
    base = tools.new_revision(env, settings, "v1.2.6-reportslow", "reportslow-base")
    env.app.set_traffic([TrafficWeight(base, 100)])  # the slow release is what users have today
    canary = tools.new_revision(env, settings, "v1.2.7-reportslow", "reportslow-canary")
    url = env.app.show().url
    everyone = for_sandbox(
        settings, rate=36, duration_s=600, url=url, mix=EVERYONE, arrival="poisson", seed=1
    )
    reporters = for_sandbox(
        settings, rate=6, duration_s=600, url=url, mix=REPORTS, arrival="poisson", seed=2, affinity=canary
    )
    everyone.start()
    reporters.start()
    try:
        result = run_procedure(
            "50",
            parameters={
                "dry_run": False,
                "approval": f"SHIFT TRAFFIC TO {canary} IN local",
                "smoke_override": "affinity test",
                "synthetic_load_rps": 0,
            },
            outputs=outputs,
        )
    finally:
        everyone.stop()
        reporters.stop()

    polls = json.loads((result.evidence_dir / "canary-polls.json").read_text())
    covered = [p for p in polls if p["stage"] == 1 and _stratum(p, "users")["routes"]]
    assert covered, "the users' telemetry covered none of the first stage"
    routes = _stratum(covered[-1], "users")["routes"]  # cumulative over the stage, as far as complete
    (canary_share, canary_n), (base_share, base_n) = _share(routes, "canary"), _share(routes, "baseline")
    # the imbalance the judge saw: the canary's users read projects (the slow route) far more often
    assert canary_n >= 60 and base_n >= 200, routes
    assert canary_share >= 2 * base_share, (canary_share, base_share, routes)
    # ... and it is not harm: promoted at every stage, the canary serves everything
    assert result.outcome == "succeeded", result.error
    c = result.facts["canary"]
    assert [s["verdict"] for s in c["stages"]] == ["PROMOTE"] * 3, c["stages"]
    assert tools.serving(env) == {canary: 100}
    # the pinned sessions really were pinned: once the canary had traffic, they all went to it
    assert reporters.result.by_revision[canary] > reporters.result.by_revision[base]
