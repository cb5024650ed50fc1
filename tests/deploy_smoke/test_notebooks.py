"""Procedures 30 and 40 as operators and CI run them: papermill through `apexops.runner`, on the sandbox.

One sandbox for the module; tests run in file order (30 deploys what 40 then tests). Each run's outcome,
ledger facts and executed notebook are checked, and the sandbox's traffic list is compared before/after.
"""

from __future__ import annotations

import json

import pytest
from executed import notebook_text

from apexops.deploy import Deployment
from apexops.deploy.apply import traffic_key
from apexops.runner import run_procedure

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook, pytest.mark.slow]

SLOW_TAG = "v1.2.5-slow-all"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from apexops.sandbox.images import ImageCatalogue
    from apexops.sandbox.testing import running_sandbox

    base = tmp_path_factory.mktemp("nb-sb")
    with running_sandbox(base / "home") as (settings, env):
        spec = base / "slow.yaml"
        spec.write_text(
            f"tags:\n  {SLOW_TAG}:\n    description: every API request takes 600 ms longer\n"
            "    latency_ms: 600\n"
        )
        ImageCatalogue(
            settings.sandbox_home(), settings.registry.server, settings.app.image_repository
        ).add_from_file(spec)
        yield settings, env, base / "outputs"


def _run(sandbox, procedure, **parameters):
    _, _, outputs = sandbox
    return run_procedure(procedure, env="local", parameters=parameters, outputs=outputs)


def _deploy(env, tag):
    d = Deployment(env, tag, poll_s=0.2, health_timeout_s=30)
    d.make_plan()
    d.apply()
    assert d.watch_health().ok
    return d.applied.name


def test_30_dry_run_by_default_changes_nothing(sandbox):
    _, env, _ = sandbox
    names = [r.name for r in env.app.list_revisions()]
    result = _run(sandbox, "30-application-deployment")
    assert result.outcome == "succeeded", result.error
    assert result.facts["deploy_verdict"] == "SKIPPED" and result.facts["plan_action"] == "create"
    assert result.facts["verdict"]["status"] == "SKIPPED"  # the index's headline
    assert "SKIPPED (dry run: nothing was changed)" in notebook_text(result)
    assert [r.name for r in env.app.list_revisions()] == names
    assert (result.evidence_dir / "current-containerapp-config.json").is_file()


def test_30_deploys_a_good_tag_as_a_healthy_revision_with_zero_traffic(sandbox):
    _, env, _ = sandbox
    traffic = env.app.get_traffic()
    old = [t.revision_name for t in traffic if t.weight > 0]
    result = _run(sandbox, "30", dry_run=False, image_tag="v1.2.3", approval="DEPLOY v1.2.3 TO local")
    assert result.outcome == "succeeded", result.error
    facts = result.ledger_line["facts"]
    new = facts["new_revision"]
    assert facts["old_revisions"] == old
    assert facts["image"] == "apexacr.sandbox.local/apex-backend:v1.2.3"
    assert facts["digest"].startswith("sha256:") and facts["deploy_verdict"] == "PASS"
    rev = env.app.get_revision(new)
    assert rev.healthy and rev.traffic_weight == 0 and rev.image.endswith(":v1.2.3")
    assert traffic_key(env.app.get_traffic()) == traffic_key(traffic)
    text = notebook_text(result)
    assert "healthy" in text and "VERDICT: PASS" in text
    # the live status table was updated in place: the saved notebook holds exactly one, its final state
    nb = json.loads(result.notebook_path.read_text())
    watch_tables = [
        o
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if "elapsed" in "".join(o.get("data", {}).get("text/plain", ""))
    ]
    assert len(watch_tables) == 1
    assert "now healthy" in "".join(watch_tables[0]["data"]["text/plain"])


def test_30_again_with_the_same_image_says_what_exists_and_creates_nothing(sandbox):
    _, env, _ = sandbox
    names = [r.name for r in env.app.list_revisions()]
    latest = env.app.show().latest_revision_name
    result = _run(sandbox, "30", dry_run=False, image_tag="v1.2.3", approval="DEPLOY v1.2.3 TO local")
    assert result.outcome == "succeeded", result.error
    assert result.facts["plan_action"] == "none" and result.facts["revision_created"] is False
    assert result.facts["new_revision"] == latest
    assert f"revision {latest} already runs image v1.2.3" in notebook_text(result)
    assert [r.name for r in env.app.list_revisions()] == names


def test_40_passes_on_the_good_revision_and_cleans_up(sandbox):
    _settings, env, _ = sandbox
    latest = env.app.show().latest_revision_name
    result = _run(sandbox, "40-smoke-tests", latency_requests=80, latency_concurrency=2)
    assert result.outcome == "succeeded", result.error
    assert result.facts["smoke_verdict"] == {"revision": latest, "verdict": "PASS"}
    checks = result.facts["smoke"]["checks"]
    assert checks["cleanup: delete document"] == "PASS" and checks["cleanup: archive project"] == "PASS"
    assert _no_live_smoke_projects(env)
    samples = (result.evidence_dir / "latency-samples.csv").read_text().splitlines()
    assert len(samples) == 1 + 80 and samples[0].startswith("index,started_s,duration_ms,status")
    saved = json.loads((result.evidence_dir / "smoke-report.json").read_text())
    assert saved["verdict"] == "PASS" and saved["latency"]["n"] == 80
    nb = json.loads(result.notebook_path.read_text())
    charts = [
        o
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if "application/vnd.plotly.v1+json" in o.get("data", {})
    ]
    assert len(charts) == 1


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"api_audience": "api://someone-else"}, "token audience 'api://someone-else' is not the API's"),
        ({"rehearse_auth_failure": "expired"}, "token expired at"),
    ],
)
def test_40_diagnoses_a_token_the_api_refuses(sandbox, parameters, expected):
    result = _run(sandbox, "40", **parameters)
    assert result.outcome == "failed"
    assert result.facts["smoke_verdict"]["verdict"] == "FAIL"
    text = notebook_text(result)
    assert "HTTP 401 Unauthorized" in text and expected in text and "server says:" in text
    assert result.facts["smoke"]["checks"]["crud: create project"] == "SKIPPED"


def test_40_fails_on_a_revision_that_returns_errors_and_still_cleans_up(sandbox):
    _, env, _ = sandbox
    bad = _deploy(env, "v1.2.4-errors10")
    result = _run(sandbox, "40", revision=bad, latency_requests=100, latency_concurrency=8)
    assert result.outcome == "failed"
    assert "VerificationError: smoke tests failed on " + bad in result.error
    assert result.facts["smoke_verdict"] == {"revision": bad, "verdict": "FAIL"}
    assert result.facts["verdict"]["status"] == "FAIL" and result.facts["verdict"]["reasons"]
    checks = result.facts["smoke"]["checks"]
    assert checks["performance: latency baseline"] == "FAIL"
    assert "HTTP 500" in notebook_text(result)
    cleanup = {k: v for k, v in checks.items() if k.startswith("cleanup")}
    assert (cleanup and all(v == "PASS" for v in cleanup.values())) or cleanup == {"cleanup": "SKIPPED"}
    assert _no_live_smoke_projects(env)


def test_40_fails_the_latency_baseline_on_a_slow_revision(sandbox):
    _, env, _ = sandbox
    slow = _deploy(env, SLOW_TAG)
    result = _run(sandbox, "40", revision=slow, latency_requests=20, latency_concurrency=10)
    assert result.outcome == "failed"
    checks = result.facts["smoke"]["checks"]
    assert checks["performance: latency baseline"] == "FAIL"
    assert checks["crud: create project"] == "PASS"
    assert "with 95% confidence it is at least" in notebook_text(result)
    assert _no_live_smoke_projects(env)


@pytest.mark.parametrize(
    ("tag", "timeout", "expected"),
    [
        ("v1.2.4-crash", 0.0, "AZURE_OPENAI_DEPLOYMENT_VERSION is not set"),
        ("v1.2.4-notready", 5.0, "readiness probe failing"),
    ],
)
def test_30_stops_on_a_revision_that_never_gets_healthy(sandbox, tag, timeout, expected):
    _, env, _ = sandbox
    traffic = env.app.get_traffic()
    result = _run(
        sandbox,
        "30",
        dry_run=False,
        image_tag=tag,
        approval=f"DEPLOY {tag} TO local",
        health_timeout_s=timeout,
    )
    assert result.outcome == "failed"
    assert result.error.startswith("VerificationError: deployment failed")
    assert "no traffic was moved" in result.error
    assert result.facts["deploy_verdict"] == "FAIL" and result.facts["traffic_unchanged"] is True
    text = notebook_text(result)
    assert expected in text and "Recent console logs of" in text and "VERDICT: FAIL" in text
    assert traffic_key(env.app.get_traffic()) == traffic_key(traffic)


def test_30_stops_at_once_on_a_missing_tag(sandbox):
    _, env, _ = sandbox
    names = [r.name for r in env.app.list_revisions()]
    result = _run(sandbox, "30", dry_run=False, image_tag="v9.9.9", approval="DEPLOY v9.9.9 TO local")
    assert result.outcome == "failed"
    assert result.error.startswith("NotFoundError: image tag 'v9.9.9' is not in")
    assert "known tags (newest first):" in result.error and "v1.2.3" in result.error
    assert [r.name for r in env.app.list_revisions()] == names


def _no_live_smoke_projects(env) -> bool:
    """No smoke-test project is left outside ARCHIVED (the cleanup ran)."""
    import sqlalchemy as sa

    engine = env.database.engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT status FROM projects WHERE project_number LIKE 'SMOKE-TEST-%'")
            ).all()
    finally:
        engine.dispose()
    return bool(rows) and all(r[0] == "ARCHIVED" for r in rows)
