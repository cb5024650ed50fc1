"""Procedure 80's pure logic: the log analyzer rules, levels, commands, output scrubbing, the App
Insights tables, the network rows and MANUAL on a target that cannot exec."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ops_helpers import T0, FakeApp, revision

from apexops.errors import ConfigError
from apexops.models import ExceptionRecord, LogLine, RequestStats
from apexops.settings import load_settings
from apexops.troubleshoot import insights
from apexops.troubleshoot.execs import run_in_app, scrub_output, split_command
from apexops.troubleshoot.logs import analyze, evidence_from, log_rows, normalise_level
from apexops.troubleshoot.probes import network_rows


def line(message, level="INFO", minute=0, rev="app--a"):
    return LogLine(T0 + timedelta(minutes=minute), rev, f"{rev}-r1", "stdout", level, message)


CASES = [
    (
        "Application startup failed: required environment variable AZURE_X is not set",
        "LOG-001",
        "30-application-deployment",
    ),
    ("Failed to pull image: ImagePullBackOff", "LOG-002", "30-application-deployment"),
    ("pull access denied: unauthorized: authentication required", "LOG-002", "30-application-deployment"),
    ("Lock timeout exceeded while altering table projects", "LOG-003", "20-database-migration"),
    ("sqlite3.OperationalError: database is locked", "LOG-003", "20-database-migration"),
    ("Cannot connect to database: login timeout", "LOG-004", "70-emergency"),
    ("DatabaseTimeoutError: query exceeded 30 s", "LOG-004", "70-emergency"),
    ("blob storage unavailable: AuthorizationPermissionMismatch", "LOG-005", "70-emergency"),
    ("Container killed: OOMKilled", "LOG-006", "30-application-deployment"),
    ("Readiness probe failed 3 times: HTTP 503", "LOG-007", "30-application-deployment"),
    ("GET /health/ready 503 2.10ms", "LOG-007", "30-application-deployment"),
    ("Container of replica r exited with code -9; restart #1", "LOG-008", "70-emergency"),
]


@pytest.mark.parametrize(("text", "rule", "procedure"), CASES)
def test_each_known_failure_text_points_to_its_next_procedure(text, rule, procedure):
    a = analyze(evidence_from([line("Replica started"), line(text, "ERROR")]))
    assert a.primary is not None and a.primary.rule.id == rule
    assert a.facts()["next_procedure"] == procedure


def test_root_cause_comes_before_the_crash_it_causes_and_counts_add_up():
    lines = [
        line("Replica r started", minute=0),
        line("Application startup failed: required environment variable X is not set", "ERROR", 1),
        line(
            "Container of replica r exited with code 1; restart #1 in 0.2 s. Last error: Application "
            "startup failed: required environment variable X is not set",
            "WARNING",
            2,
        ),
        line("Application startup failed: required environment variable X is not set", "ERROR", 3),
    ]
    a = analyze(evidence_from(lines))
    assert [f.rule.id for f in a.findings] == ["LOG-001", "LOG-008"]
    assert a.primary.count == 3 and a.findings[1].count == 1
    assert a.primary.first_seen == T0 + timedelta(minutes=1) and a.primary.last_seen == T0 + timedelta(
        minutes=3
    )
    assert a.summary().startswith("application startup failed (configuration) (3 match(es), LOG-001)")


def test_exceptions_and_provisioning_errors_are_evidence_and_clean_logs_pass():
    exc = ExceptionRecord(T0, "app--a", "r", "DatabaseTimeoutError", "query timed out", "p1")
    failed = revision("app--b", provisioning="Failed")
    from dataclasses import replace

    failed = replace(failed, provisioning_error="image pull failed: manifest unknown")
    a = analyze(evidence_from([], [exc], [failed]))
    assert [f.rule.id for f in a.findings] == ["LOG-002", "LOG-004"]
    assert a.findings[1].sources == {"exception"}
    clean = analyze(evidence_from([line("GET /api/v1/projects/ 200 3.1ms")]))
    assert clean.primary is None and clean.rows()[0]["status"] == "PASS"


def test_log_rows_fold_repeats_and_hide_secrets():
    rows = log_rows(
        [
            line("GET /health/ready 200 1.1ms"),
            line("GET /health/ready 200 2.3ms"),
            line("connecting to postgresql://apex:s3cretpw@db:5432/apex"),
        ]
    )
    assert rows[0]["repeated"] == 2 and len(rows) == 2
    assert "s3cretpw" not in rows[1]["message"]


def test_levels_commands_and_exec_output():
    assert normalise_level("") is None and normalise_level("warn") == "WARNING"
    with pytest.raises(ConfigError, match="level 'loud'"):
        normalise_level("loud")
    assert split_command("python3 --version") == ["python3", "--version"]
    assert split_command("printenv | grep AZURE") == ["sh", "-c", "printenv | grep AZURE"]
    with pytest.raises(ConfigError, match="command is empty"):
        split_command("  ")
    assert (
        scrub_output("DB_PASSWORD=hunter2\nAZURE_SQL_SERVER=sql")
        == "DB_PASSWORD=<hidden>\nAZURE_SQL_SERVER=sql"
    )


def test_exec_on_a_target_without_exec_is_manual_never_pass_or_fail():
    s = load_settings("prod")
    app = FakeApp([revision("app--a", weight=100)], exec_supported=False)
    out = run_in_app(app, s, ["python3", "--version"], check="version")
    assert (
        out.status == "MANUAL"
        and "az containerapp exec" in out.command
        and "--revision app--a" in out.command
    )
    rows = network_rows(out, s)
    # apexops did nothing (SKIPPED, never PASS nor FAIL); the operator runs the command (MANUAL)
    assert [(r["status"], r["run"]) for r in rows] == [("SKIPPED", "MANUAL")] * 3
    assert "nc -zv sql-apex-prod.database.windows.net 1433" in rows[0]["detail"]
    assert "nc -zv openai-apex-prod.openai.azure.com 443" in rows[2]["detail"]
    ok = run_in_app(FakeApp([revision("app--a", weight=100)]), s, ["printenv"], check="env")
    assert ok.status == "PASS" and "hunter2" not in ok.output


def test_network_rows_parse_the_probe_or_fail_clearly():
    s = load_settings("local")
    from apexops.troubleshoot.execs import ExecOutcome

    good = ExecOutcome(
        "network",
        "PASS",
        "app--a",
        "r",
        0,
        'APEXOPS-NETWORK [{"endpoint": "database", "target": "/x.db", "ok": true, '
        '"detail": "database file readable"}, {"endpoint": "blob storage", "target": "/b", "ok": false, '
        '"detail": "FileNotFoundError: /b"}, {"endpoint": "azure openai", "target": "", "ok": null, '
        '"detail": "not configured"}]',
        "az ...",
    )
    assert network_rows(good, s) == [
        {"status": "PASS", "endpoint": "database", "target": "/x.db", "detail": "database file readable"},
        {"status": "FAIL", "endpoint": "blob storage", "target": "/b", "detail": "FileNotFoundError: /b"},
        {"status": "SKIPPED", "endpoint": "azure openai", "target": "", "detail": "not configured"},
    ]
    broken = ExecOutcome("network", "FAIL", "app--a", "", None, "no running replica", "az ...", "scale it up")
    assert (
        network_rows(broken, s)[0]["status"] == "FAIL" and network_rows(broken, s)[0]["hint"] == "scale it up"
    )


def test_app_insights_tables():
    rows = insights.error_rate_rows(
        {
            "a": RequestStats("a", 100, 12, 0, 1, 2, 3),
            "b": RequestStats("b", 100, 2, 0, 1, 2, 3),
            "c": RequestStats("c", 0, 0, 0, None, None, None),
        },
        fail_pct=10,
    )
    assert [(r["revision"], r["status"], r["ErrorRate %"]) for r in rows] == [
        ("a", "FAIL", 12.0),
        ("b", "WARN", 2.0),
        ("c", "INFO", None),
        ("(all)", "WARN", 7.0),
    ]
    exc = [
        ExceptionRecord(T0 + timedelta(seconds=i), "a", "r", "KeyError", f"k{i}", "KeyError at x")
        for i in range(3)
    ] + [ExceptionRecord(T0, "b", "r", "ValueError", "v", "ValueError at y")]
    groups = insights.exception_groups(exc)
    assert groups[0] == {
        "problemId": "KeyError at x",
        "type": "KeyError",
        "count": 3,
        "revisions": "a",
        "last message": "k2",
    }
    assert insights.window_text(60) == "1h" and insights.window_text(15) == "15m"


def test_bad_parameters_name_the_parameter():
    from types import SimpleNamespace

    from apexops.troubleshoot import Troubleshooter

    app = FakeApp([revision("app--a", weight=100)])
    env = SimpleNamespace(settings=load_settings("local"), target="sandbox", app=app)
    with pytest.raises(ConfigError, match="tail 0"):
        Troubleshooter(env, tail=0)
    with pytest.raises(ConfigError, match="window_minutes"):
        Troubleshooter(env, window_minutes=-5)
    with pytest.raises(ConfigError, match="level 'loud'"):
        Troubleshooter(env, level="loud")
    with pytest.raises(ConfigError, match="revision 'app--nope' does not exist") as err:
        Troubleshooter(env, revision="app--nope")
    assert "app--a" in err.value.hint
    t = Troubleshooter(env, command="python3 --version")
    assert t.exec_phrase == "EXEC python3 --version IN app--a" and t.argv == ["python3", "--version"]


# ----------------------------------------------------------------------------- the verdict's rules


def subject(**facts):
    """What the verdict rules read of a Troubleshooter, nothing else set."""
    from types import SimpleNamespace

    base = dict(analysis=None, error_rates=[], network=[], db=[], exec_outcome=None, problems=[],
                window_minutes=60.0, command="")  # fmt: skip
    return SimpleNamespace(**{**base, **facts})


def test_rule_known_failures_names_the_next_procedure():
    from apexops.troubleshoot.procedure import known_failures

    analysis = analyze(evidence_from([line("Failed to pull image: ImagePullBackOff", "ERROR")], [], []))
    (finding,) = known_failures(subject(analysis=analysis))
    assert (
        finding.status == "WARN"
        and "LOG-002" in finding.reason
        and "30-application-deployment" in finding.reason
    )
    assert list(known_failures(subject())) == []


def test_rule_high_error_rates_skips_the_whole_app_row_and_passing_revisions():
    from apexops.troubleshoot.procedure import high_error_rates

    rows = insights.error_rate_rows(
        {"a": RequestStats("a", 100, 12, 0, 1, 2, 3), "b": RequestStats("b", 100, 0, 0, 1, 2, 3)}
    )
    (finding,) = high_error_rates(subject(error_rates=rows))
    assert finding.reason == "error rate 12.0% on a (12/100 in 60 min)"


def test_rule_unreachable_endpoints_tells_a_probe_that_did_not_run_from_an_endpoint_down():
    from apexops.troubleshoot.procedure import unreachable_endpoints

    rows = [
        {"status": "FAIL", "endpoint": "(probe)", "target": "", "detail": "no replica"},
        {"status": "FAIL", "endpoint": "database", "target": "db:1433", "detail": "refused"},
        {"status": "PASS", "endpoint": "blob storage", "target": "b", "detail": "ok"},
    ]
    assert [f.reason for f in unreachable_endpoints(subject(network=rows))] == [
        "network: the probe did not run in the app (no replica)",
        "network: database unreachable from the app (refused)",
    ]


def test_rule_blocking_sessions_points_to_kill_session():
    from apexops.migrations.diagnostics import Diagnostic
    from apexops.troubleshoot.procedure import blocking_sessions

    diag = Diagnostic("blocking", "mssql", True, ({"session_id": 3, "role": "blocker"},))
    (finding,) = blocking_sessions(subject(db=[diag]))
    assert finding.reason == "database: blocking session(s) 3 → 20-database-migration (kill_session)"
    assert list(blocking_sessions(subject(db=[Diagnostic("blocking", "sqlite", False, ())]))) == []


def test_rule_failed_exec_quotes_the_end_of_the_output():
    from apexops.troubleshoot.execs import ExecOutcome
    from apexops.troubleshoot.procedure import failed_exec

    out = ExecOutcome("c", "FAIL", "app--a", "r", 1, "boom\n", "az ...")
    (finding,) = failed_exec(subject(exec_outcome=out, command="false"))
    assert finding.reason == "exec 'false' failed in app--a: boom"
    assert list(failed_exec(subject(exec_outcome=ExecOutcome("c", "PASS", "a", "r", 0, "", "az")))) == []


def test_rule_unread_sources_are_findings_too():
    from apexops.troubleshoot.procedure import unread_sources

    assert [f.reason for f in unread_sources(subject(problems=["exceptions: denied"]))] == [
        "could not read exceptions: denied"
    ]


def test_the_verdict_is_a_status_verdict_pass_with_nothing_found_else_warn():
    from types import SimpleNamespace

    from apexops.status import Verdict
    from apexops.troubleshoot import Troubleshooter

    env = SimpleNamespace(
        settings=load_settings("local"), target="sandbox", app=FakeApp([revision("app--a")])
    )
    t = Troubleshooter(env)
    v = t.verdict()
    assert isinstance(v, Verdict) and v.status == "PASS" and v.reasons[0].startswith("nothing found for")
    t.problems.append("console logs: gone")
    assert t.verdict().status == "WARN" and t.facts()["troubleshoot_verdict"] == "WARN"


def test_manual_steps_are_skipped_rows_run_by_hand_worded_for_the_target():
    from apexops.ports import Traits
    from apexops.troubleshoot.manual import outage_manual_steps

    step = outage_manual_steps(load_settings("prod"))[0]
    sandbox = Traits(
        "sandbox", has_subscription=False, deployments_change_running_app=False, exec_is_local=True
    )
    azure = Traits("azure", has_subscription=True, deployments_change_running_app=True, exec_is_local=False)
    row = step.row(sandbox)
    assert (row["status"], row["run"]) == ("SKIPPED", "MANUAL")
    assert row["note"] == "not on the sandbox: it has no private endpoints"
    assert step.row(azure)["note"] == "private endpoints"
