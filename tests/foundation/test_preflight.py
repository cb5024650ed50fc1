"""Procedure 00-preflight: the committed notebook through the runner on `local`, and its checks."""

from __future__ import annotations

import socket

import pytest

from apexops.preflight import Preflight, PreflightFailed
from apexops.runner import run_procedure
from apexops.settings import load_settings

pytestmark = pytest.mark.notebook


def statuses(result) -> dict[str, str]:
    return result.facts["preflight"]["checks"]


def test_preflight_on_local_without_a_running_sandbox_warns_but_succeeds(tmp_path):
    r = run_procedure("00", env="local", outputs=tmp_path / "out")
    assert r.outcome == "succeeded", r.error
    checks = statuses(r)
    assert r.facts["preflight"]["verdict"] == "WARN"
    assert checks["sandbox"] == "WARN"  # not running, but it can start
    assert checks["python"] == checks["packages"] == checks["notebook kernel"] == "PASS"
    assert checks["identity"] == "SKIPPED" and checks["database settings"] == "PASS"
    html = r.html_path.read_text()
    assert "apexops sandbox up" in html and "VERDICT: WARN" in html


def test_require_sandbox_turns_a_stopped_sandbox_into_a_failed_run(tmp_path):
    r = run_procedure("00", env="local", parameters={"require_sandbox": True}, outputs=tmp_path / "out")
    assert r.outcome == "failed"
    # the notebook stops with the procedure's own error, naming the failed check (finish)
    assert r.error.startswith("PreflightFailed: 1 required check(s) failed") and "sandbox" in r.error
    assert "apexops sandbox up" in r.error
    assert statuses(r)["sandbox"] == "FAIL"


@pytest.mark.sandbox
def test_preflight_against_a_running_sandbox_passes(tmp_path):
    testing = pytest.importorskip("apexops.sandbox.testing")
    with testing.running_sandbox(tmp_path / "sandbox") as (settings, _env):
        r = run_procedure("00", env="local", parameters={"require_sandbox": True}, outputs=tmp_path / "out")
        assert r.outcome == "succeeded", r.error
        checks = statuses(r)
        assert checks["sandbox"] == checks["identity"] == checks["database reachable"] == "PASS"
        # the database check read the alembic revision the sandbox was seeded with
        assert f"alembic revision {settings.sandbox.baseline_migration}" in r.html_path.read_text()


def test_a_sandbox_port_taken_by_another_program_is_a_failure(monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        monkeypatch.setenv("APEXOPS_SANDBOX_PORT", str(busy.getsockname()[1]))
        checks = Preflight(load_settings("local"))
        (sandbox,) = checks.target()
    assert sandbox.status == "FAIL" and "is in use by another program" in sandbox.detail
    assert sandbox.required and checks.verdict().status == "FAIL"


def test_azure_prerequisites_fail_with_the_fix(monkeypatch):
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    checks = Preflight(load_settings("staging"), which=lambda _cmd: None)
    tools = {c.name: c for c in checks.tools()}
    assert tools["az CLI"].status == "WARN" and not tools["az CLI"].required
    assert "install" in tools["az CLI"].hint
    subscription, group = checks.target()
    assert subscription.status == "FAIL" and "$AZURE_SUBSCRIPTION_ID is not set" in subscription.detail
    assert "az account show" in subscription.hint
    assert group.status == "SKIPPED"
    verdict = checks.verdict()
    assert verdict.status == "FAIL" and verdict.reasons[0] == "1 required check(s) failed"
    with pytest.raises(PreflightFailed) as err:
        verdict.raise_for_failure()
    assert "subscription" in str(err.value) and "\n" not in str(err.value)


def test_tools_found_pass(monkeypatch):
    checks = Preflight(load_settings("staging"), which=lambda cmd: f"/usr/bin/{cmd}")
    tools = {c.name: c for c in checks.tools()}
    assert tools["az CLI"].status == "PASS" and tools["sqlcmd"].detail == "/usr/bin/sqlcmd"


def test_a_stopped_sandbox_skips_what_needs_it_and_says_how_to_start_it(tmp_path, monkeypatch):
    monkeypatch.setenv("APEXOPS_SANDBOX_HOME", str(tmp_path / "home"))
    checks = Preflight(load_settings("local"))
    (identity,) = checks.identity()
    settings, reachable = checks.database()
    assert (
        identity.status == "SKIPPED" and identity.detail == "the sandbox identity is available once it runs"
    )
    assert settings.name == "database settings" and settings.status == "PASS"
    assert (reachable.status, reachable.detail, reachable.hint) == (
        "SKIPPED",
        "the sandbox is not running",
        "apexops sandbox up",
    )
    assert not reachable.required  # required only with require_sandbox


def test_the_verdict_and_facts_speak_the_vocabulary(monkeypatch):
    import json

    from apexops.status import Status, Verdict

    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    checks = Preflight(load_settings("staging"), which=lambda _cmd: None)
    checks.tools()
    checks.target()
    verdict = checks.verdict()
    assert isinstance(verdict, Verdict) and verdict.status is Status.FAIL
    failure = verdict.failure()
    assert isinstance(failure, PreflightFailed) and "az account show" in failure.hint
    facts = json.loads(json.dumps(checks.facts()))
    assert facts["preflight"]["verdict"] == "FAIL" and facts["preflight"]["checks"]["subscription"] == "FAIL"
    assert facts["preflight"]["checks"]["az CLI"] == "WARN"


def _azure_env(stats_of_last_hour):
    """An always-on target whose telemetry answers the given per-revision request counts."""
    from types import SimpleNamespace

    from apexops.models import RequestStats
    from apexops.ports import Traits

    calls: list[tuple] = []

    def request_stats(since, until, **kw):
        calls.append((since, until, kw))
        return {rev: RequestStats(rev, n, 0, 0, None, None, None) for rev, n in stats_of_last_hour.items()}

    env = SimpleNamespace(
        traits=Traits("azure", True, True, False),
        deployments=SimpleNamespace(list_resources=lambda: []),
        telemetry=SimpleNamespace(request_stats=request_stats),
    )
    return env, calls


@pytest.mark.parametrize(
    ("stats", "status", "in_detail"),
    [
        ({"apex-backend-staging--r1": 120}, "PASS", "attributed to 1 revision(s): apex-backend-staging--r1"),
        ({"apex-backend-staging--r1": 90, "": 10}, "WARN", "10 of 100 request(s)"),
        ({"": 50}, "FAIL", "50 of 50 request(s)"),
        ({}, "WARN", "cannot be checked"),
    ],
)
def test_preflight_on_azure_checks_that_recent_requests_carry_their_revision(
    monkeypatch, stats, status, in_detail
):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "00000000-1111-2222-3333-444444444444")
    env, calls = _azure_env(stats)
    checks = Preflight(load_settings("staging"), environment=env)
    subscription, group, revisions = checks.target()
    assert subscription.status == "PASS" and group.name == "resource group"
    (since, until, kw) = calls[0]
    assert until - since == __import__("datetime").timedelta(hours=1) and kw == {}
    assert revisions.name == "telemetry revisions" and revisions.status == status
    assert in_detail in revisions.detail and not revisions.required
    if status != "PASS":
        assert "cloud_RoleName" in revisions.hint and "'revision'" in revisions.hint
