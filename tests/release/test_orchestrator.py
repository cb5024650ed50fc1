"""The Release loop with a fake runner: what runs, with which parameters, what is recorded, and interrupts."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from release_helpers import DEPLOYED, NEW, OLD, SMOKED, FakeRunner, make_plan

from apexops.errors import UnknownProcedureError
from apexops.models import TrafficWeight
from apexops.release.orchestrator import EVENTS_ENV, Release, ReleaseResult
from apexops.runner import RunInterrupted


class FakeApp:
    def __init__(self, weights: dict[str, int]) -> None:
        self.weights = weights

    def get_traffic(self):
        return [TrafficWeight(name, w) for name, w in self.weights.items()]

    def show(self):
        return SimpleNamespace(latest_revision_name=NEW)


def _release(tmp_path, script, *, plan=None, traffic=None, events=None):
    plan = plan or make_plan()
    runner = FakeRunner(tmp_path / "outputs", script)
    recorded: dict = {}
    release = Release(
        plan,
        plan.approvals(plan.approval_phrase) if not plan.dry_run else plan.approvals(""),
        env=SimpleNamespace(app=FakeApp(traffic if traffic is not None else {OLD: 100})),
        outputs=tmp_path / "outputs",
        parent_run_id="parent0001",
        runner=runner,
        record=lambda k, v: recorded.__setitem__(k, v),
        evidence_dir=tmp_path / "evidence",
        on_event=events.append if events is not None else None,
    )
    return release, runner, recorded


SHIFT_OK = ("succeeded", {"traffic_moved": True, "canary": {"verdict": "promoted"}})
SHIFT_ROLLED_BACK = (
    "failed",
    {"traffic_moved": True, "canary": {"verdict": "rolled_back", "reason": "5xx 5/18"}},
)


def test_the_happy_chain_runs_four_children_linked_to_the_parent_with_facts_forward(tmp_path):
    events: list = []
    script = {"30": ("succeeded", DEPLOYED), "40": ("succeeded", SMOKED), "50": SHIFT_OK}
    release, runner, recorded = _release(tmp_path, script, traffic={NEW: 100}, events=events)
    result = release.run()
    assert [c["procedure"][:2] for c in runner.calls] == ["20", "30", "40", "50"]
    assert all(c["parent_run_id"] == "parent0001" for c in runner.calls)
    assert all(
        c["interrupt_grace_s"] < 15 for c in runner.calls
    )  # children clean up before the parent gives up
    assert runner.calls[0]["parameters"]["approval"] == "MIGRATE apex-db TO 0003"
    assert runner.calls[2]["parameters"] == {"env": "local", "revision": NEW}
    assert runner.calls[3]["parameters"]["baseline_revision"] == OLD
    assert runner.calls[3]["parameters"]["approval"] == f"SHIFT TRAFFIC TO {NEW} IN local"
    assert result.outcome == "promoted"
    assert recorded["release_verdict"] == "promoted"
    assert recorded["new_revision"] == NEW and recorded["rolled_back"] is False
    assert recorded["child_run_ids"] == ["20aaaaaaaa", "30aaaaaaaa", "40aaaaaaaa", "50aaaaaaaa"]
    assert recorded["release"]["traffic_final"] == {NEW: 100}
    links = recorded["children"][1]["links"]
    assert links["notebook"].startswith("runs/2024-03-19/") and not links["notebook"].startswith("/")
    saved = json.loads((tmp_path / "evidence" / "release-timeline.json").read_text())
    assert [r["procedure"] for r in saved["rows"]][:4] == [c["procedure"] for c in runner.calls]
    kinds = [(e.kind, e.procedure[:2]) for e in events]
    assert kinds[0] == ("start", "20") and ("end", "50") in kinds and kinds[-1] == ("done", "90")
    assert any(e.kind == "step" and e.run_id == "30aaaaaaaa" for e in events)


def test_a_failure_stops_the_chain_and_later_children_are_shown_as_not_run(tmp_path):
    release, runner, recorded = _release(tmp_path, {"30": ("failed", DEPLOYED)})
    result = release.run()
    assert [c["procedure"][:2] for c in runner.calls] == ["20", "30"]
    assert [(r.procedure[:2], r.outcome) for r in result.records] == [
        ("20", "succeeded"),
        ("30", "failed"),
        ("40", "not_run"),
        ("50", "not_run"),
    ]
    assert result.outcome == "failed" and recorded["release"]["stopped_at"] == "30-application-deployment"


def test_a_failed_canary_after_traffic_moved_runs_60_with_derived_parameters(tmp_path):
    script = {"30": ("succeeded", DEPLOYED), "40": ("succeeded", SMOKED), "50": SHIFT_ROLLED_BACK}
    release, runner, recorded = _release(tmp_path, script, traffic={OLD: 100})
    result = release.run()
    assert [c["procedure"][:2] for c in runner.calls] == ["20", "30", "40", "50", "60"]
    assert runner.calls[-1]["parameters"]["approval"] == f"ROLLBACK apex-app TO {OLD}"
    assert runner.calls[-1]["parameters"]["failed_revision"] == NEW
    assert runner.calls[-1]["parent_run_id"] == "parent0001"
    assert result.outcome == "rolled_back" and recorded["rolled_back"] is True


def test_a_canary_that_failed_before_moving_traffic_does_not_run_60(tmp_path):
    script = {
        "30": ("succeeded", DEPLOYED),
        "40": ("succeeded", SMOKED),
        "50": ("failed", {"traffic_moved": False}),
    }
    release, runner, _ = _release(tmp_path, script)
    assert release.run().outcome == "failed"
    assert [c["procedure"][:2] for c in runner.calls] == ["20", "30", "40", "50"]


def test_an_interrupt_in_a_child_stops_the_chain_records_and_reraises(tmp_path):
    script = {
        "30": ("succeeded", DEPLOYED),
        "40": ("succeeded", SMOKED),
        "50": ("interrupted", {"traffic_moved": True}),
    }
    release, runner, recorded = _release(tmp_path, script, traffic={OLD: 100})
    with pytest.raises(RunInterrupted):
        release.run()
    assert [c["procedure"][:2] for c in runner.calls] == ["20", "30", "40", "50"]  # no 60 after an interrupt
    assert recorded["release_verdict"] == "interrupted"
    assert recorded["children"][-1]["outcome"] == "interrupted"
    assert any("verified at the baseline" in r for r in recorded["release"]["reasons"])
    assert isinstance(release.result, ReleaseResult)


def test_ctrl_c_between_children_is_recorded_too(tmp_path):
    release, _, recorded = _release(tmp_path, {"30": KeyboardInterrupt()})
    with pytest.raises(KeyboardInterrupt):
        release.run()
    assert recorded["release_verdict"] == "interrupted"


def test_a_child_that_cannot_start_stops_the_chain_with_its_error(tmp_path):
    script = {
        "30": ("succeeded", DEPLOYED),
        "40": ("succeeded", SMOKED),
        "50": SHIFT_ROLLED_BACK,
        "60": UnknownProcedureError("no procedure '60-rollback'.", hint="known procedures: ..."),
    }
    release, _, recorded = _release(tmp_path, script, traffic={OLD: 100})
    result = release.run()
    assert result.records[-1].outcome == "not_started" and "60-rollback" in (result.records[-1].error or "")
    # the canary put the baseline back itself; the verdict says 60 could not run
    assert result.outcome == "rolled_back"
    assert any("60-rollback not_started" in r for r in recorded["release"]["reasons"])


def test_a_dry_run_runs_only_20_and_30_dry_with_no_approvals(tmp_path):
    release, runner, _ = _release(tmp_path, {}, plan=make_plan(dry_run=True))
    result = release.run()
    assert [(c["procedure"][:2], c["parameters"]["dry_run"]) for c in runner.calls] == [
        ("20", True),
        ("30", True),
    ]
    assert all("approval" not in c["parameters"] for c in runner.calls)
    assert result.outcome == "dry_run" and [r.outcome for r in result.records][2:] == [
        "skipped",
        "skipped",
    ]


def test_events_also_go_to_the_file_named_by_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "events.jsonl"
    monkeypatch.setenv(EVENTS_ENV, str(path))
    release, _, _ = _release(tmp_path, {"30": ("failed", DEPLOYED)})
    release.run()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["kind"] == "start" and lines[-1]["kind"] == "done"
    assert {"kind": "end", "procedure": "30-application-deployment", "outcome": "failed"}.items() <= next(
        e for e in lines if e["kind"] == "end" and e["procedure"].startswith("30")
    ).items()


def test_approvals_must_match_the_plan(tmp_path):
    plan = make_plan()
    with pytest.raises(ValueError, match="approvals do not match"):
        Release(plan, make_plan(dry_run=True).approvals(""), outputs=tmp_path)


def test_an_already_released_tag_skips_smoke_and_canary(tmp_path):
    script = {"30": ("succeeded", {"new_revision": NEW, "old_revisions": [NEW], "plan_action": "none"})}
    release, runner, recorded = _release(tmp_path, script, traffic={NEW: 100})
    result = release.run()
    assert [c["procedure"][:2] for c in runner.calls] == ["20", "30"]
    assert [r.outcome for r in result.records][2:] == ["skipped", "skipped"]
    assert recorded["release_verdict"] == "already_released" and result.verdict.ok
