"""The timeline model and chart, scenario expectations, rehearsal images and the warm-up fault field."""

from __future__ import annotations

import random

import pytest
import yaml
from release_helpers import DEPLOYED, NEW, OLD, SMOKED, rec

from apexops.errors import ConfigError
from apexops.release.scenarios import SCENARIOS, apex_revision, check_expectation, scenario
from apexops.release.timeline import compact_traffic, key_facts, timeline_figure, timeline_rows
from apexops.release.view import _link_root, timeline_html
from apexops.sandbox.images import FaultProfile, ImageCatalogue
from apexops.sandbox.rehearsal import SMOKE_FUNCTIONAL_REQUESTS, rehearsal_images
from apexops.sandbox.service.faults import FaultInjector

# --------------------------------------------------------------------------- timeline


def _records():
    shift = rec(
        "shift",
        "failed",
        at=9,
        took=4,
        traffic_moved=True,
        canary={
            "verdict": "rolled_back",
            "reason": "stage 1 (10%): canary 5xx 5/18",
            "stages": [
                {
                    "weight": 10,
                    "verdict": "ROLLBACK",
                    "elapsed_s": 2.2,
                    "canary_5xx": 5,
                    "canary_requests": 18,
                }
            ],
            "traffic_final": [{"revision": OLD, "weight": 100}, {"revision": NEW, "weight": 0}],
        },
    )
    return [
        rec("migrate", heads_before=["0002"], heads_after=["0003"], lint={"verdict": "PASS"}),
        rec("deploy", at=3, **DEPLOYED),
        rec("smoke", at=6, **SMOKED),
        shift,
        rec("rollback", at=14, rollback={"from": NEW, "to": OLD, "traffic_final": {OLD: 100}}),
    ]


def test_rows_give_offsets_durations_outcomes_and_the_story_in_key_facts():
    rows = timeline_rows(_records())
    assert [r["at s"] for r in rows] == [0.0, 3.0, 6.0, 9.0, 14.0]
    assert rows[3]["duration s"] == 4.0 and rows[3]["status"] == "FAIL"
    assert "database=0002 → 0003" in rows[0]["key facts"]
    assert "stages=10% ROLLBACK 2s 5/18 5xx" in rows[3]["key facts"]
    assert f"traffic={OLD}=100%" in rows[3]["key facts"]
    assert f"to={OLD}" in rows[4]["key facts"]


def test_key_facts_and_traffic_are_compact():
    assert (
        compact_traffic([{"revision": "a", "weight": 90}, {"revision": "b", "weight": 10}]) == "a=90%, b=10%"
    )
    assert compact_traffic({"a": 100, "b": 0}) == "a=100%"
    assert key_facts("40-smoke-tests", SMOKED) == {"revision": NEW, "verdict": "PASS"}
    promoted = key_facts("50-traffic-shifting", {"canary": {"verdict": "promoted", "reason": "long"}})
    assert "reason" not in promoted  # the reason matters when it did not promote


def test_the_chart_has_one_bar_per_run_coloured_by_outcome_in_chain_order():
    fig = timeline_figure(_records())
    by_outcome = {t.name: t for t in fig.data}
    assert set(by_outcome) == {"succeeded", "failed"}
    assert list(by_outcome["failed"].y) == ["50-traffic-shifting"]
    assert list(by_outcome["failed"].base) == [9.0] and list(by_outcome["failed"].x) == [4.0]
    assert by_outcome["succeeded"].marker.color != by_outcome["failed"].marker.color
    assert fig.layout.yaxis.categoryarray[-1] == "20-database-migration"  # first child on top


def test_the_table_links_each_childs_records_relative_to_the_90_run_folder(tmp_path):
    from release_helpers import FakeRunner

    from apexops.release.timeline import ChildRecord

    outputs = tmp_path / "outputs"
    result = FakeRunner(outputs, {})(procedure="30-application-deployment", progress=lambda m: None)
    record = ChildRecord.from_result("deploy", result, outputs)
    assert record.notebook == "runs/2024-03-19/x_30-application-deployment_succeeded_30/nb.ipynb"
    root = _link_root(outputs / "runs" / "2024-03-20" / "x_90-release_running_abc", outputs)
    assert root == "../../.."
    page = timeline_html([record], root)
    assert 'href="../../../runs/2024-03-19/x_30-application-deployment_succeeded_30/nb.html"' in page
    assert 'href="../../../runs/2024-03-19/x_30-application-deployment_succeeded_30/evidence/"' in page


# --------------------------------------------------------------------------- scenarios


def test_every_scenario_expects_a_chain_that_stops_where_its_fault_is():
    assert set(SCENARIOS) == {"none", "migration-lint", "crash", "smoke", "canary-errors", "canary-latency"}
    for sc in SCENARIOS.values():
        procedures = [p for p, _ in sc.expect_children]
        assert procedures == sorted(procedures) and procedures[0] == "20-database-migration"
        failed = [p for p, o in sc.expect_children if o == "failed"]
        assert len(failed) == (0 if sc.name == "none" else 1)
        assert sc.rolls_back == ("60-rollback" in procedures)
    with pytest.raises(ConfigError, match="--scenario 'typo'"):
        scenario("typo")


def test_expectation_checks_compare_the_children_and_the_verdict():
    sc = SCENARIOS["canary-errors"]
    facts = {
        "children": [{"procedure": p, "outcome": o} for p, o in sc.expect_children],
        "release": {"verdict": "rolled_back", "rolled_back": True},
    }
    assert all(ok for _, ok, _ in check_expectation(sc, facts))
    facts["children"] = [*facts["children"][:-1], {"procedure": "60-rollback", "outcome": "not_started"}]
    checks = dict((name, ok) for name, ok, _ in check_expectation(sc, facts))
    assert checks == {"children": False, "release verdict": True, "rolled back": True}
    skipped = {
        "children": [{"procedure": "40-smoke-tests", "outcome": "not_run"}],
        "release": {"verdict": "x"},
    }
    assert check_expectation(SCENARIOS["none"], skipped)[0][2] == "none ran"


def test_the_rehearsal_images_load_into_the_sandbox_registry(tmp_path):
    path = tmp_path / "images.yaml"
    path.write_text(yaml.safe_dump(rehearsal_images(100)))
    specs = {s.tag: s for s in ImageCatalogue(tmp_path).add_from_file(path)}
    assert specs["v1.2.5-errors-under-load"].profile.faults_after_requests == 100 + SMOKE_FUNCTIONAL_REQUESTS
    assert specs["v1.2.5-errors-under-load"].profile.error_rate == 0.30
    assert specs["v1.2.5-slow-under-load"].profile.latency_ms == 2500
    assert specs["v1.2.5-uploads-broken"].profile.error_routes == ("/api/v1/documents/upload",)
    used = {sc.image_tag for sc in SCENARIOS.values() if sc.image_tag.startswith("v1.2.5")}
    assert used == set(specs)


def test_the_rehearsal_history_reuses_the_apex_revisions():
    revision, down, *_rest, upgrade, downgrade = apex_revision("0002")
    assert (revision, down) == ("0002", "0001") and callable(upgrade) and callable(downgrade)
    with pytest.raises(ConfigError, match="9999"):
        apex_revision("9999")


# --------------------------------------------------------------------------- FaultProfile warm-up


def test_warm_up_serves_the_first_requests_clean_then_applies_the_faults():
    profile = FaultProfile(error_rate=1.0, latency_ms=500, faults_after_requests=3)
    inj = FaultInjector(profile, "replica-1", rng=random.Random(1))
    first = [inj.decide("/api/v1/projects/", "/api/v1/projects/") for _ in range(3)]
    assert all(not d.error and d.delay_s == 0 for d in first)
    assert inj.decide("/health/live", "/health/live").error is False  # unmatched routes do not count
    after = inj.decide("/api/v1/projects/", "/api/v1/projects/")
    assert after.error and after.delay_s == 0.5


def test_warm_up_is_per_replica_and_draws_like_any_profile():
    profile = FaultProfile(error_rate=0.5, faults_after_requests=2, seed=7)
    a, b = FaultInjector(profile, "r-a"), FaultInjector(profile, "r-a")
    plain = FaultInjector(FaultProfile(error_rate=0.5, seed=7), "r-a")
    decisions = [a.decide("/api/x", "/api/x").error for _ in range(50)]
    assert decisions == [b.decide("/api/x", "/api/x").error for _ in range(50)]  # reproducible
    expected = [plain.decide("/api/x", "/api/x").error for _ in range(50)]
    assert decisions[2:] == expected[2:] and decisions[:2] == [False, False]


def test_the_field_validates_serialises_and_describes_itself():
    profile = FaultProfile.from_dict({"error_rate": 0.3, "faults_after_requests": 110})
    assert FaultProfile.from_json(profile.to_json()) == profile
    assert "only after the first 110 requests of each replica" in profile.effects()
    assert FaultProfile(faults_after_requests=5).is_healthy  # a warm-up alone changes nothing
    for bad in (-1, 1.5, True, "10"):
        with pytest.raises(ConfigError, match="faults_after_requests must be a whole number"):
            FaultProfile.from_dict({"faults_after_requests": bad})
