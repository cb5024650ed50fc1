"""Procedure 50 as operators and CI run it: papermill through `apexops.runner`, against one real sandbox,
with the local canary policy and its synthetic users. Tests run in file order: each starts from whatever
revision serves 100% after the previous one (a promotion changes the baseline)."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from apexops.ledger import Ledger
from apexops.runner import run_procedure

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook, pytest.mark.slow]



@pytest.fixture(autouse=True)
def _chart_images_on(monkeypatch):
    """These tests are about the static images the rest of the suite leaves out (tests/conftest.py)."""
    monkeypatch.setenv("APEXOPS_CHART_IMAGES", "1")

def _baseline(env) -> str:
    serving = {t.revision_name: t.weight for t in env.app.get_traffic() if t.weight}
    assert len(serving) == 1 and next(iter(serving.values())) == 100, serving
    return next(iter(serving))


def _png_per_chart(result) -> list[bool]:
    """Per chart of the recorded notebook: does its output also carry a PNG (what GitHub shows)?"""
    outputs = [o for c in json.loads(result.notebook_path.read_text())["cells"] for o in c.get("outputs", [])]
    bundles = [o["data"] for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    return [base64.b64decode(b.get("image/png", ""))[:8] == b"\x89PNG\r\n\x1a\n" for b in bundles]


def test_a_good_revision_is_promoted_through_every_stage_then_the_old_one_is_deactivated(sandbox, tools):
    settings, env, outputs = sandbox
    base = _baseline(env)
    canary = tools.new_revision(env, settings, "v1.2.3", "good")
    smoke = run_procedure("40", parameters={"revision": canary}, outputs=outputs)
    assert smoke.ok, smoke.error

    result = run_procedure(
        "50",
        parameters={"dry_run": False, "approval": f"SHIFT TRAFFIC TO {canary} IN local"},
        outputs=outputs,
    )

    assert result.outcome == "succeeded", result.error
    facts = result.facts
    c = facts["canary"]
    assert (c["verdict"], c["revision"], c["baseline"]) == ("promoted", canary, base)
    assert [(s["weight"], s["verdict"]) for s in c["stages"]] == [
        (10, "PROMOTE"),
        (50, "PROMOTE"),
        (100, "PROMOTE"),
    ]
    assert all(s["canary_5xx"] == 0 and s["canary_requests"] > 0 for s in c["stages"])
    assert facts["traffic_moved"] is True and c["rolled_back"] is False
    # the complete list was written and read back: the old revision is still named, at 0
    assert {t["revision"]: t["weight"] for t in c["traffic_final"]} == {canary: 100, base: 0}
    assert tools.serving(env) == {canary: 100}
    # the synthetic users reached both revisions and saw no error
    load = c["load"]
    assert (
        load["by_revision"][canary] > 0
        and load["by_revision"][base] > 0
        and not load["errors_5xx_by_revision"]
    )
    text = tools.text(result)
    assert f"run {smoke.run_id} passed for {canary}" in text  # the smoke run found in the ledger
    assert "Per poll interval" in text and "Decision per stage" in text and "Evidence per stratum" in text
    # one live chart, updated in place: the notebook keeps exactly its final state
    charts = tools.plotly_outputs(result)
    assert len(charts) == 1
    assert _png_per_chart(result) == [True], result.ledger_line["problems"]  # GitHub shows the chart
    labels = [a.get("text") for a in charts[0]["layout"].get("annotations", [])]
    assert {"stage 1: 10%", "stage 2: 50%", "stage 3: 100%", "PROMOTE"} <= set(labels)
    names = {t["name"] for t in charts[0]["data"]}
    assert {
        "canary req/s · users",
        "canary req/s · probes",
        "baseline 5xx % · users",
        "e 5xx",
        "1/α",
        "SLO 5xx limit",
        "canary weight %",
    } <= names
    title = charts[0]["layout"]["title"]["text"]  # how far each stratum's data is complete
    assert "probes: data up to" in title and "users: data up to" in title
    assert env.app.get_revision(base).active  # the old revision stays: deactivation is its own step

    again = run_procedure(
        "50",
        parameters={"dry_run": False, "deactivate_old": True, "approval": f"DEACTIVATE {base} IN local"},
        outputs=outputs,
    )

    assert again.outcome == "succeeded", again.error
    assert again.facts["traffic_moved"] is False and again.facts["canary"]["verdict"] == "promoted"
    assert again.facts["old_revision_deactivated"] == base
    assert again.facts["stability"]["status"] == "PASS"
    assert not env.app.get_revision(base).active and tools.serving(env) == {canary: 100}
    assert "nothing to shift" in tools.text(again)


@pytest.mark.parametrize(
    ("tag", "words"),
    [("v1.2.4-errors10", "canary 5xx"), ("v1.2.4-slow", "canary slow >= 2000 ms")],
)
def test_a_faulty_revision_is_rolled_back_with_the_reason_and_the_evidence(sandbox, tools, tag, words):
    settings, env, outputs = sandbox
    base = _baseline(env)
    bad = tools.new_revision(env, settings, tag, tag.rsplit("-", 1)[-1])

    result = run_procedure(
        "50",
        parameters={
            "dry_run": False,
            "approval": f"SHIFT TRAFFIC TO {bad} IN local",
            "smoke_override": "rehearsal of a faulty image",
        },
        outputs=outputs,
    )

    assert result.outcome == "failed"
    assert "canary rolled back" in result.error and words in result.error
    assert re.search(r"e-value \S+ >= 1/α = \d+", result.error)  # α split across the policy's strata
    c = result.facts["canary"]
    assert (c["verdict"], c["rolled_back"], result.facts["traffic_moved"]) == ("rolled_back", True, True)
    assert c["stages"][-1]["verdict"] == "ROLLBACK" and words in c["reason"]
    assert tools.serving(env) == {base: 100}
    assert result.facts["smoke_override"] == {"revision": bad, "reason": "rehearsal of a faulty image"}
    decision = json.loads((result.evidence_dir / "canary-decision.json").read_text())
    assert decision["verdict"] == "ROLLBACK" and decision["outcome"] == "rolled_back"
    traffic = json.loads((result.evidence_dir / "canary-traffic.json").read_text())
    assert traffic["after"] == {base: 100} and traffic["before"][bad] > 0
    assert (result.evidence_dir / "failed-revision-logs.txt").stat().st_size > 0
    text = tools.text(result)
    assert words in text and "VERDICT: ROLLED BACK" in text and "canary rolled back: stage" in text
    assert f"WARN    no passing smoke run for {bad}" in text  # the override is shown as a warning
    pngs = _png_per_chart(result)  # every chart of the rolled-back run has its image for GitHub too
    assert pngs and all(pngs), result.ledger_line["problems"]


CHILD = """
import sys
from pathlib import Path
from apexops.runner import RunInterrupted, run_procedure
try:
    parameters = {"dry_run": False, "approval": sys.argv[2], "smoke_override": "interrupt test",
                  "synthetic_load_rps": 20.0}
    run_procedure("50", parameters=parameters, outputs=Path(sys.argv[1]))
except RunInterrupted as exc:
    print("INTERRUPTED", exc.result.run_id, flush=True)
    sys.exit(130)
"""


def test_a_second_run_is_refused_and_an_interrupt_restores_the_baseline(sandbox, tools):
    settings, env, outputs = sandbox
    base = _baseline(env)
    canary = tools.new_revision(env, settings, "v1.2.3", "interrupted")
    approval = f"SHIFT TRAFFIC TO {canary} IN local"
    # at 20 req/s the 10% stage cannot gather its evidence for a while: the run holds traffic split
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(outputs), approval],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while tools.serving(env) != {canary: 10, base: 90}:
            assert child.poll() is None, "the first run ended early"
            assert time.monotonic() < deadline, "the first run never split the traffic"
            time.sleep(0.2)

        second = run_procedure(
            "50", parameters={"dry_run": False, "approval": approval, "smoke_override": "x"}, outputs=outputs
        )

        assert second.outcome == "failed"
        assert "another run is shifting traffic for apex-backend-local in local" in second.error
        assert tools.serving(env) == {canary: 10, base: 90}  # the refused run changed nothing
        assert second.facts["traffic_moved"] is False

        child.send_signal(signal.SIGINT)  # Ctrl-C of `apexops run`: the runner interrupts the kernel
        out, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(10)
    assert child.returncode == 130 and out.startswith("INTERRUPTED"), out
    run_id = out.split()[1]
    assert f"run {run_id}" in second.error  # the refusal named the run holding the lock
    assert tools.serving(env) == {base: 100}
    entry = Ledger(outputs).find(run_id)
    assert entry["outcome"] == "interrupted"
    c = entry["facts"]["canary"]
    assert (c["verdict"], c["rolled_back"], entry["facts"]["traffic_moved"]) == ("interrupted", True, True)
    assert {t["revision"]: t["weight"] for t in c["traffic_final"] if t["weight"]} == {base: 100}
    assert c["stages"] and c["stages"][0]["weight"] == 10


def test_an_escalation_waits_for_a_person_who_resumes_then_rolls_back(sandbox, tools, tmp_path):
    """The interactive path of step 6, driven in-process (papermill runs are headless): no users, so the
    judge has no evidence and escalates; the baseline is back at 100% while the person decides."""
    from apexops.canary.shift import TrafficShift
    from apexops.errors import ApprovalRequired, RolloutError
    from apexops.settings import CanaryStage

    settings, env, _ = sandbox
    base = _baseline(env)
    canary = tools.new_revision(env, settings, "v1.2.3", "escalated")
    recorded: dict = {}
    short = settings.canary.model_copy(
        update={
            "stages": [
                CanaryStage(weight=10, min_duration_s=1, max_duration_s=2),
                CanaryStage(weight=100, min_duration_s=1, max_duration_s=2),
            ]
        }
    )
    shift = TrafficShift(
        env, dry_run=False, synthetic_load_rps=0, smoke_override="escalation test", policy=short,
        outputs=tmp_path, evidence_dir=tmp_path / "evidence", record=recorded.__setitem__, run_id="esc",
    )  # fmt: skip
    shift.preconditions()
    shift.require()

    result = shift.run(live=False)

    assert result.outcome == "escalated" and "without evidence (escalate)" in result.reason
    assert tools.serving(env) == {base: 100} and recorded["canary"]["verdict"] == "escalated"
    decision = shift.escalation(headless=False)
    with pytest.raises(ApprovalRequired, match="no decision was made"):
        shift.resolve(decision, live=False)
    decision.choose("resume", via="test")
    again = shift.resolve(decision, live=False)
    assert again.outcome == "escalated" and again.stage_index == 0
    assert [p.stage_index for p in shift.polls].count(0) >= 4  # both attempts' polls are kept
    decision = shift.escalation(headless=False)
    decision.choose("rollback", via="test")
    final = shift.resolve(decision, live=False)
    assert final.outcome == "rolled_back" and "rolled back by" in final.reason
    c = recorded["canary"]
    assert (
        c["revision"] == canary
        and c["verdict"] == "rolled_back"
        and c["escalation"]["choice"] == "rollback"
        and c["rolled_back"]
    )
    assert tools.serving(env) == {base: 100}
    with pytest.raises(RolloutError, match="canary rolled back: escalation at stage 1"):
        shift.verdict().raise_for_failure()


def test_naming_the_revision_already_serving_is_refused_in_one_line_and_deactivates_nothing(sandbox, tools):
    """Issue 14 item 11: `revision` = the old revision (serving 100%) while a new one waits at 0%, with
    deactivate_old and both approvals: before the fix this ran no stage yet ended PASS, "promoted"."""
    settings, env, outputs = sandbox
    base = _baseline(env)
    waiting = tools.new_revision(env, settings, "v1.2.3", "waiting")
    approval = f"SHIFT TRAFFIC TO {base} IN local; DEACTIVATE {base} IN local"

    result = run_procedure(
        "50",
        parameters={"revision": base, "deactivate_old": True, "dry_run": False, "approval": approval},
        outputs=outputs,
    )

    assert result.outcome == "failed"
    assert f"revision {base} already serves 100%: nothing to shift" in result.error
    assert f"revision={waiting}" in result.error and "\n" not in result.error.strip()
    assert (result.facts.get("canary") or {}).get("verdict") != "promoted"
    assert not result.facts.get("old_revision_deactivated")
    assert tools.serving(env) == {base: 100}
    assert env.app.get_revision(base).active and env.app.get_revision(waiting).active
