"""Procedure 30's library against the real sandbox (real replica processes, real HTTP), no notebook.

One sandbox for the module; the tests run in file order and each states what it expects of the app.
"""

from __future__ import annotations

import json

import httpx
import pytest

from apexops.deploy import Deployment
from apexops.deploy.apply import traffic_key
from apexops.errors import ConflictError, NotFoundError, VerificationError
from apexops.models import AppUpdate
from apexops.smoke import SmokeSession
from apexops.smoke.target import resolve_target

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from apexops.sandbox.testing import running_sandbox

    with running_sandbox(tmp_path_factory.mktemp("deploy-sb")) as (settings, env):
        yield settings, env


def _deployment(env, tag, **kw):
    kw.setdefault("poll_s", 0.2)
    return Deployment(env, tag, **kw)


def test_a_good_tag_becomes_a_healthy_revision_with_no_traffic(sandbox, tmp_path):
    _settings, env = sandbox
    before = env.app.list_revisions()
    traffic_before = env.app.get_traffic()
    d = _deployment(env, "v1.2.3")
    image = d.check_image()
    assert image.image == "apexacr.sandbox.local/apex-backend:v1.2.3" and image.digest.startswith("sha256:")
    snap = d.take_snapshot(tmp_path / "evidence")
    saved = json.loads(snap.path.read_text())
    assert saved["latestRevisionName"] == before[-1].name
    assert snap.facts()["old_revisions"] == [r.name for r in before if r.traffic_weight > 0]
    plan = d.make_plan()
    assert plan.action == "create"
    assert {r.setting for r in plan.changes} >= {"image", "env APP_VERSION"}
    seen = []
    applied = d.apply()
    watch = d.watch_health(on_status=lambda cur, hist: seen.append(cur.phase))
    assert applied.created and applied.name not in {r.name for r in before}
    assert applied.image == image.image
    assert watch.ok, watch.reason
    assert seen[-1] == "healthy" and watch.history[-1].phase == "healthy"
    checks = d.verify()
    assert {c.name: c.status for c in checks} == {
        "revision: health state": "PASS",
        "revision: replicas": "PASS",
        "health: live": "PASS",
        "health: ready": "PASS",
        "traffic: unchanged": "PASS",
    }
    assert traffic_key(env.app.get_traffic()) == traffic_key(traffic_before)
    assert env.app.get_revision(applied.name).traffic_weight == 0
    # its own URL reaches exactly that revision
    rev = env.app.get_revision(applied.name)
    r = httpx.get(f"{rev.url}/health/live", trust_env=False, timeout=10)
    assert r.headers["x-apex-revision"] == applied.name
    assert d.troubleshoot() is None
    verdict = d.verdict()
    assert verdict.status == "PASS"
    verdict.raise_for_failure()
    facts = d.facts()
    assert facts["new_revision"] == applied.name and facts["digest"] == image.digest
    assert facts["old_revisions"] == snap.facts()["old_revisions"] and facts["traffic_unchanged"] is True
    assert json.loads(json.dumps(facts))["deploy_verdict"] == "PASS"  # JSON-safe: what finish() records


def test_smoke_tests_pass_on_the_new_revision_by_default(sandbox, run_smoke):
    _settings, env = sandbox
    target = resolve_target(env.app)
    assert target.kind == "revision" and target.revision == env.app.show().latest_revision_name
    with SmokeSession.for_environment(env, target, latency_requests=80, latency_concurrency=2) as session:
        report = run_smoke(session)
    assert report.verdict == "PASS", report.rows()
    assert report.revision == target.revision


def test_the_same_image_again_creates_no_duplicate_unless_forced(sandbox):
    settings, env = sandbox
    count = len(env.app.list_revisions())
    latest = env.app.show().latest_revision_name
    d = _deployment(env, "v1.2.3")
    plan = d.make_plan()
    assert plan.action == "none" and plan.existing == latest
    assert f"revision {latest} already runs image v1.2.3 (Healthy, 0% traffic" in plan.reason
    applied = d.apply()
    assert applied.created is False and applied.name == latest
    assert len(env.app.list_revisions()) == count
    forced = _deployment(env, "v1.2.3", force_new_revision=True)
    plan = forced.make_plan()
    assert plan.action == "create" and plan.forced and plan.update.revision_suffix
    applied = forced.apply()
    assert applied.created and applied.name == f"{settings.app.name}--{plan.update.revision_suffix}"
    assert len(env.app.list_revisions()) == count + 1
    assert forced.watch_health().ok


def test_a_tag_that_crashes_at_start_fails_with_its_logs_and_no_traffic_change(sandbox):
    _settings, env = sandbox
    traffic_before = env.app.get_traffic()
    d = _deployment(env, "v1.2.4-crash", health_timeout_s=30)
    d.make_plan()
    d.apply()
    watch = d.watch_health()
    assert watch.outcome == "failed"
    d.verify()
    trouble = d.troubleshoot()
    assert trouble is not None
    assert any("AZURE_OPENAI_DEPLOYMENT_VERSION is not set" in e.message for e in trouble.errors)
    assert any(f.startswith("startup error: Application startup failed") for f in trouble.findings)
    titles = [t for t, _ in trouble.tables()]
    assert "Registry credentials (properties.configuration.registries)" in titles
    verdict = d.verdict()
    assert verdict.status == "FAIL" and "no traffic was moved" in verdict.hint
    with pytest.raises(VerificationError, match="deployment failed"):
        verdict.raise_for_failure()
    assert traffic_key(env.app.get_traffic()) == traffic_key(traffic_before)


def test_a_tag_that_never_gets_ready_times_out_with_the_readiness_finding(sandbox):
    _settings, env = sandbox
    traffic_before = env.app.get_traffic()
    d = _deployment(env, "v1.2.4-notready", health_timeout_s=4)
    d.make_plan()
    d.apply()
    watch = d.watch_health()
    assert watch.outcome in ("timed_out", "failed")
    assert not watch.ok
    d.verify()
    trouble = d.troubleshoot()
    assert any(f.startswith("readiness probe failing: /health/ready answered 503") for f in trouble.findings)
    # the repeated probe lines are folded into one row with a count
    assert max(row["repeated"] for row in trouble.log_rows()) > 1
    assert d.verdict().status == "FAIL"
    assert traffic_key(env.app.get_traffic()) == traffic_key(traffic_before)


def test_a_missing_tag_stops_before_anything_changes(sandbox):
    _settings, env = sandbox
    names = [r.name for r in env.app.list_revisions()]
    d = _deployment(env, "v9.9.9")
    with pytest.raises(NotFoundError, match=r"'v9\.9\.9' is not in .* nothing was changed") as err:
        d.make_plan()
    assert "v1.2.3" in err.value.hint and "v1.2.2" in err.value.hint
    assert [r.name for r in env.app.list_revisions()] == names


def test_apply_refuses_a_plan_made_against_an_older_state(sandbox):
    settings, env = sandbox
    d = _deployment(env, "v1.2.1")
    d.make_plan()
    env.app.update(AppUpdate(image=settings.image("v1.2.0")))  # someone else deploys in between
    names = [r.name for r in env.app.list_revisions()]
    with pytest.raises(ConflictError, match="changed since the plan was made"):
        d.apply()
    assert [r.name for r in env.app.list_revisions()] == names
