"""Procedure 70 on one sandbox: an outage diagnosed then restarted with read-back; a bad revision that
took the traffic replaced by the last good one; the database and blob scenarios' checks from the app."""

from __future__ import annotations

import time

import pytest
from executed import notebook_text

from apexops.emergency import EmergencyProcedure
from apexops.models import AppUpdate, TrafficWeight
from apexops.runner import run_procedure

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook, pytest.mark.slow]

BAD_TAG = "v1.2.5-errors50"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from apexops.sandbox.images import ImageCatalogue
    from apexops.sandbox.testing import running_sandbox

    base = tmp_path_factory.mktemp("emergency-sb")
    with running_sandbox(base / "home") as (settings, env):
        spec = base / "bad.yaml"
        spec.write_text(
            f"tags:\n  {BAD_TAG}:\n    description: half of the API requests fail\n    error_rate: 0.5\n"
        )
        ImageCatalogue(
            settings.sandbox_home(), settings.registry.server, settings.app.image_repository
        ).add_from_file(spec)
        yield settings, env, base


def _run(sandbox, **parameters):
    return run_procedure("70", env="local", parameters=parameters, outputs=sandbox[2] / "outputs")


def _flush(settings):
    from apexops.sandbox.client import ControlClient

    ControlClient(settings.sandbox_home()).call("flush_telemetry")


def test_70_outage_diagnostics_then_a_restart_read_back(sandbox):
    settings, env, _ = sandbox
    serving = env.app.show().latest_ready_revision_name
    env.app.kill_replica(serving)  # a container crash: the supervisor restarts it, the count stays
    deadline = time.monotonic() + 20
    while not all(r.ready for r in env.app.list_replicas(serving)) and time.monotonic() < deadline:
        time.sleep(0.1)
    before = {r.name for r in env.app.list_replicas(serving)}
    result = _run(sandbox, recovery="restart", dry_run=False, approval=f"RESTART {settings.app.name}")
    assert result.outcome == "succeeded", result.error
    f = result.facts
    assert f["diagnosis"] == "WARN" and f["suggestion"] == "restart"
    assert any("restarted 1 time(s)" in x for x in f["findings"])
    assert f["recovery_plan"]["phrase"] == f"RESTART {settings.app.name}" and f["recovery_ok"] is True
    assert "ready, health Healthy" in f["read_back"][serving]
    assert f["traffic_before"] == f["traffic_after"] == {serving: 100}
    after = env.app.list_replicas(serving)
    assert after and not before & {r.name for r in after} and all(r.ready for r in after)
    text = notebook_text(result)
    assert "MANUAL" in text and "az network private-endpoint show" in text  # never a fake pass
    assert "Database connection successful" in text and "Blob write probe successful" in text
    assert "VERDICT: PASS" in text


def test_70_activates_the_last_good_revision_after_a_bad_one_took_the_traffic(sandbox):
    from apexops.sandbox.loadgen import for_sandbox

    settings, env, _ = sandbox
    good = env.app.show().latest_ready_revision_name
    bad = env.app.update(AppUpdate(image=settings.image(BAD_TAG))).latest_revision_name
    deadline = time.monotonic() + 30
    while not env.app.get_revision(bad).healthy and time.monotonic() < deadline:
        time.sleep(0.1)
    env.app.set_traffic([TrafficWeight(bad, 100)])
    env.app.deactivate_revision(good)
    for_sandbox(settings, rate=40, duration_s=1.0).start().wait(30)
    _flush(settings)

    phrase = f"ACTIVATE {good} AT 100% ON {settings.app.name}"
    result = _run(
        sandbox, recovery="activate_last_good", last_good_revision=good, dry_run=False, approval=phrase
    )
    assert result.outcome == "succeeded", result.error
    f = result.facts
    assert f["diagnosis"] == "FAIL" and f["suggestion"] == "activate_last_good" and f["candidates"][0] == good
    assert any(bad in x and "5xx" in x for x in f["findings"])
    assert f["traffic_before"] == {bad: 100} and f["traffic_after"] == {good: 100}
    assert f["recovery_ok"] is True and "60-rollback" in f["next_step"]
    rev = env.app.get_revision(good)
    assert rev.active and rev.healthy and rev.traffic_weight == 100
    assert "az containerapp ingress traffic set" in notebook_text(result)


def test_70_database_and_blob_scenarios_check_from_the_app_side(sandbox):
    _, env, _ = sandbox
    db = EmergencyProcedure(env, scenario="database")
    db.diagnose()
    rows = {r["check"]: r for r in db.dependencies()}
    assert rows["database: SELECT 1 from the app"]["status"] == "PASS"
    assert rows["database: SELECT 1 from here"]["status"] == "PASS"
    assert "SQL DB Contributor" in db.manual_commands() and "nslookup" in db.manual_commands()
    blob = EmergencyProcedure(env, scenario="blob")
    blob.diagnose()
    rows = {r["check"]: r for r in blob.dependencies()}
    assert rows["blob containers (from here)"]["status"] == "PASS"
    assert rows["blob: list + write probe from the app"]["status"] == "PASS"
    assert "uploads" in rows["blob: list + write probe from the app"]["output"]
    assert {(r["status"], r["run"]) for r in blob.manual_rows()} == {("SKIPPED", "MANUAL")}  # never a pass
    assert "Storage Blob Data Contributor" in blob.manual_commands()
