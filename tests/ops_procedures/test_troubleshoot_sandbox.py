"""Procedure 80 on one sandbox: a revision that crashes at start is analyzed to its configuration hint;
exec, network checks and telemetry tables run against the real replicas."""

from __future__ import annotations

import time

import pytest
from executed import notebook_text

from apexops.models import AppUpdate
from apexops.runner import run_procedure
from apexops.troubleshoot import Troubleshooter

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook, pytest.mark.slow]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from apexops.sandbox.testing import running_sandbox

    base = tmp_path_factory.mktemp("troubleshoot-sb")
    with running_sandbox(base / "home") as (settings, env):
        yield settings, env, base


def test_80_analyzes_a_crashing_revision_to_its_configuration_hint(sandbox):
    from apexops.sandbox.client import ControlClient

    settings, env, base = sandbox
    crash = env.app.update(AppUpdate(image=settings.image("v1.2.4-crash"))).latest_revision_name
    deadline = time.monotonic() + 30
    while env.app.get_revision(crash).provisioning_state == "Provisioning" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert env.app.get_revision(crash).provisioning_state == "Failed"
    ControlClient(settings.sandbox_home()).call("flush_telemetry")

    command = "python3 --version"
    result = run_procedure(
        "80",
        env="local",
        outputs=base / "outputs",
        parameters={
            "revision": crash,
            "level": "error",
            "command": command,
            "dry_run": False,
            "approval": f"EXEC {command} IN {crash}",
        },
    )
    assert result.outcome == "succeeded", result.error
    f = result.facts
    assert f["primary_finding"] == "LOG-001" and f["next_procedure"] == "30-application-deployment"
    assert [x["rule"] for x in f["log_findings"]] == ["LOG-001", "LOG-008"]
    assert f["troubleshoot_verdict"] == "WARN" and f["scope"] == crash
    # the crashed revision has no replica to exec into: shown as a failure with its hint, not hidden
    assert f["exec"] == {"command": command, "revision": crash, "status": "FAIL", "exit_code": None}
    text = notebook_text(result)
    assert "Application startup failed: required environment variable" in text
    assert "fix app.env in parameters/<env>.yaml" in text
    assert "has no running replica" in text
    logs_table = text.split("Console logs of", 1)[1].split("az containerapp logs show", 1)[0]
    assert "ERROR" in logs_table and "INFO " not in logs_table  # the level filter applied


def test_80_exec_network_and_telemetry_on_the_serving_revision(sandbox):
    from apexops.sandbox.loadgen import for_sandbox

    settings, env, _ = sandbox
    for_sandbox(settings, rate=20, duration_s=0.5).start().wait(30)
    ts = Troubleshooter(env, command="printenv | grep APEX_", dry_run=False, window_minutes=5)
    serving = ts.exec_revision
    assert (
        serving == env.app.show().latest_ready_revision_name or env.app.get_revision(serving).traffic_weight
    )
    assert ts.exec_phrase == f"EXEC printenv | grep APEX_ IN {serving}"
    out = ts.run_command()
    assert out.status == "PASS" and "APEX_DATABASE_URL=" in out.output and out.revision == serving
    network = {r["endpoint"]: r["status"] for r in ts.network_check()}
    assert network == {"database": "PASS", "blob storage": "PASS", "azure openai": "SKIPPED"}
    db = dict(ts.database())
    assert db["Blocking sessions"][0]["verdict"] == "SKIPPED"  # SQLite: not applicable, said so
    assert any(r["table"] == "projects" for r in db["Database size"])
    assert ts.analyze().primary is None or ts.analyze().primary.rule.id in ("LOG-001", "LOG-008")
