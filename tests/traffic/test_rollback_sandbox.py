"""Procedure 60 end to end on a real sandbox: a faulty revision was promoted to 100% and served users long
enough for the runbook's error-rate trigger (compressed to 10 s locally) to fire; the rollback puts the
traffic back, deactivates the failed revision, smoke-tests the restored one as a linked child run, and leaves
the evidence bundle, the communication draft and the root-cause template."""

from __future__ import annotations

import json

import pytest

from apexops.ledger import Ledger
from apexops.models import TrafficWeight
from apexops.runner import run_procedure

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook, pytest.mark.slow]

BAD = "v1.2.5-errors30"


@pytest.fixture(scope="module")
def promoted_faulty(sandbox, tmp_path_factory, tools):
    """A 30%-error revision at 100% after ~13 s of user traffic; returns (bad, base)."""
    from apexops.sandbox import loadgen
    from apexops.sandbox.images import ImageCatalogue

    settings, env, _ = sandbox
    spec = tmp_path_factory.mktemp("tags") / "bad.yaml"
    spec.write_text(f"tags:\n  {BAD}:\n    description: 30% of API requests fail\n    error_rate: 0.3\n")
    ImageCatalogue(
        settings.sandbox_home(), settings.registry.server, settings.app.image_repository
    ).add_from_file(spec)
    base = next(t.revision_name for t in env.app.get_traffic() if t.weight == 100)
    bad = tools.new_revision(env, settings, BAD, "bad")
    env.app.set_traffic([TrafficWeight(bad, 100), TrafficWeight(base, 0)])
    gen = loadgen.for_sandbox(settings, rate=30, duration_s=13, seed=5).start()
    result = gen.wait(60)
    assert result.errors_5xx > 0
    return bad, base


def test_60_dry_run_shows_the_triggers_and_the_plan_and_changes_nothing(sandbox, promoted_faulty, tools):
    _, env, outputs = sandbox
    bad, base = promoted_faulty

    result = run_procedure("60", parameters={}, outputs=outputs)

    assert result.outcome == "succeeded", result.error
    facts = result.facts["rollback"]
    assert (facts["from"], facts["to"], facts["dry_run"]) == (bad, base, True)
    assert tools.serving(env) == {bad: 100} and env.app.get_revision(bad).active
    text = tools.text(result)
    assert f"--revision-weight {base}=100 {bad}=0" in text  # the complete list it would write
    assert "DRY RUN (nothing was rolled back)" in text and "VERDICT: SKIPPED" in text


def test_60_rolls_back_a_promoted_faulty_revision_end_to_end(sandbox, promoted_faulty, tools):
    settings, env, outputs = sandbox
    bad, base = promoted_faulty

    result = run_procedure(
        "60",
        parameters={"dry_run": False, "approval": f"ROLLBACK {settings.app.name} TO {base}"},
        outputs=outputs,
    )

    assert result.outcome == "succeeded", result.error
    facts = result.facts["rollback"]
    assert (facts["from"], facts["to"], facts["deactivated"], facts["health"]) == (bad, base, True, "PASS")
    assert {t["revision"]: t["weight"] for t in facts["traffic_final"]} == {base: 100, bad: 0}
    assert [t["name"] for t in facts["triggers"] if t["fired"]] == ["error_rate"]
    assert facts["reason"].startswith("rollback trigger fired: error rate above 10.0% for 10 s")
    assert facts["user_impact"]["errors_5xx"] > 0
    # the system: traffic back and read back, the failed revision cannot get traffic again by accident
    assert tools.serving(env) == {base: 100} and not env.app.get_revision(bad).active
    # smoke tests on the restored revision: a child run, linked to this one in the ledger
    child = Ledger(outputs).find(facts["smoke"]["run_id"])
    assert child["procedure"] == "40-smoke-tests" and child["parent_run_id"] == result.run_id
    assert child["outcome"] == "succeeded" and child["facts"]["smoke_verdict"] == {
        "revision": base,
        "verdict": "PASS",
    }
    # the evidence bundle
    bundle = next(result.evidence_dir.glob("rollback-evidence-*"))
    assert {f.split("/")[-1] for f in facts["evidence"]} >= {
        "failed-revision-logs.txt",
        "current-containerapp-config.json",
        "rollback-log.txt",
        "telemetry-excerpt.json",
        "communication-draft.md",
        "root-cause-analysis.md",
    }
    assert "ERROR the database did not answer" in (bundle / "failed-revision-logs.txt").read_text()
    config = json.loads((bundle / "current-containerapp-config.json").read_text())
    assert {t["revision"]: t["weight"] for t in config["traffic"]}[
        bad
    ] == 100  # as it was before the rollback
    log = (bundle / "rollback-log.txt").read_text()
    assert "ROLLBACK INITIATED" in log and f"traffic set and read back: {{'{base}': 100}}" in log
    assert f"deactivated {bad}" in log
    excerpt = json.loads((bundle / "telemetry-excerpt.json").read_text())
    assert excerpt["triggers"]["fired"] == ["error_rate"] and excerpt["buckets"]
    # the communication draft and the root-cause template, filled in, in the executed notebook
    text = tools.text(result)
    assert f"Deployment of version `{settings.image(BAD)}` (revision `{bad}`) has been rolled back." in text
    assert f"Running on previous revision (`{base}`)" in text and "Database: Not rolled back" in text
    assert f"User Impact: {facts['user_impact']['errors_5xx']} failed requests (5xx)" in text
    assert "**5 Whys**" in text and f"1. Why was `{bad}` rolled back? rollback trigger fired" in text
    assert "| 1 | Reproduce the failure of" in text and "VERDICT: PASS" in text
    charts = tools.plotly_outputs(result)
    assert len(charts) == 1 and charts[0]["layout"]["title"]["text"] == f"Rollback triggers: {bad}"
