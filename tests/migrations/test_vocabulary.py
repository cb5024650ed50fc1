"""The migration results speak apexops' one status vocabulary; the verify checks and the procedure's
failure rules are rule lists, each tested alone here (no database needed)."""

from __future__ import annotations

import pytest

from apexops.migrations import RULES, Severity
from apexops.migrations.checks import CHECKS
from apexops.migrations.diagnostics import KillResult
from apexops.migrations.execute import ExecutionResult, StampResult
from apexops.migrations.lint import LintReport
from apexops.migrations.procedure import MigrationProcedure, Refusal
from apexops.migrations.rules import Disposition, Finding
from apexops.migrations.schema_map import SchemaComparison
from apexops.migrations.verify import (
    Observed,
    at_target,
    schema_matches_version,
    single_head,
    tables_exist,
    version_table_exists,
)
from apexops.status import Status


@pytest.mark.parametrize(
    ("severity", "status"),
    [
        (Severity.BLOCK, Status.FAIL),
        (Severity.ACKNOWLEDGE, Status.WARN),
        (Severity.WARN, Status.WARN),
        (Severity.INFO, Status.INFO),
    ],
)
def test_a_severity_is_shown_with_the_status_it_maps_to(severity, status):
    assert severity.status is status


def test_severities_rank_most_severe_first():
    ranks = [s.rank for s in (Severity.BLOCK, Severity.ACKNOWLEDGE, Severity.WARN, Severity.INFO)]
    assert ranks == [0, 1, 2, 3]


def test_a_warning_is_shown_but_never_blocks():
    finding = Finding("MIG-022", Severity.WARN, "0002", "x", "why", "instead", "op")
    assert finding.status is Disposition.WARN and finding.status.status is Status.WARN
    assert not finding.blocking


@pytest.mark.parametrize(
    ("disposition", "status"),
    [
        (Disposition.BLOCK, Status.FAIL),
        (Disposition.NEEDS_ACK, Status.WARN),
        (Disposition.ACKNOWLEDGED, Status.PASS),
        (Disposition.WAIVED, Status.PASS),
        (Disposition.WARN, Status.WARN),
        (Disposition.INFO, Status.INFO),
    ],
)
def test_a_finding_disposition_is_shown_with_its_status(disposition, status):
    assert disposition.status is status


def _finding(severity, **kw):
    return Finding(
        "MIG-012", severity, "0002", "CREATE INDEX ...", "why", "instead", "sql", "index t.i", **kw
    )


def test_a_lint_report_is_fail_while_a_finding_blocks_and_its_rows_carry_statuses():
    blocked = LintReport("upgrade", "postgresql", ("0002",), (_finding(Severity.ACKNOWLEDGE),))
    assert blocked.status is Status.FAIL and blocked.verdict == "BLOCKED"
    assert blocked.rows()[0]["verdict"] is Status.WARN and blocked.rows()[0]["status"] == "NEEDS ACK"
    acked = LintReport(
        "upgrade", "postgresql", ("0002",), (_finding(Severity.ACKNOWLEDGE, acknowledged=True),)
    )
    assert acked.status is Status.PASS and acked.verdict == "PASS"
    assert acked.facts() == {
        "verdict": "PASS",
        "findings": ["MIG-012@0002:ACKNOWLEDGED"],
        "acknowledged": ["MIG-012@0002"],
        "waived": [],
        "blocking": [],
    }


def test_every_rule_has_one_check_function_except_the_plan_wide_ones():
    assert set(RULES) - set(CHECKS) == {"MIG-024", "MIG-029", "MIG-031"}
    assert set(CHECKS) <= set(RULES)


# --------------------------------------------------------------------------- change results


def test_every_change_result_says_whether_it_did_what_it_was_asked():
    assert StampResult("0002", (), ("0002",)).ok
    assert KillResult(7, True, "ended").ok and not KillResult(7, False, "still there").ok
    assert not Refusal(("blocked",)).ok
    assert Refusal(("blocked",)).rows()[0]["verdict"] is Status.FAIL
    failed = ExecutionResult(
        "upgrade", False, False, ("0002",), "0003", (), (), (), 500, 1.0, "x", "lock_timeout"
    )
    assert failed.verdict is Status.FAIL and "diagnostics" in failed.hint


# --------------------------------------------------------------------------- verify's checks


def _seen(**kw):
    comparison = SchemaComparison(("0003",), (), ("0003",), (), ("users",))
    defaults = {
        "heads": ("0003",),
        "target": "0003",
        "current": ("0003",),
        "has_table": True,
        "expected": frozenset({"users"}),
        "present": frozenset({"users", "alembic_version"}),
        "comparison": comparison,
    }
    return Observed(**{**defaults, **kw})


def test_single_head_fails_only_on_several_heads():
    assert single_head(_seen()) is None
    assert single_head(_seen(heads=("a", "b"))).verdict is Status.FAIL


def test_at_target_compares_alembic_version_with_the_target():
    assert at_target(_seen()).verdict is Status.PASS
    behind = at_target(_seen(current=("0002",)))
    assert behind.verdict is Status.FAIL and behind.detail == "alembic_version = 0002; target = 0003"
    assert at_target(_seen(target="base", current=())).verdict is Status.PASS


def test_tables_exist_names_the_missing_tables():
    assert tables_exist(_seen()).detail == "1 tables present + alembic_version"
    missing = tables_exist(_seen(present=frozenset()))
    assert missing.verdict is Status.FAIL and missing.detail == "missing: users"


def test_version_table_is_required_except_at_base():
    assert version_table_exists(_seen()) is None
    assert version_table_exists(_seen(has_table=False)).verdict is Status.FAIL
    assert version_table_exists(_seen(has_table=False, target="base")) is None


def test_schema_that_cannot_be_compared_is_inconclusive_not_a_pass():
    assert schema_matches_version(_seen()).verdict is Status.PASS
    unknown = SchemaComparison(("0003",), (), (), ("0003",), ("users",))
    check = schema_matches_version(_seen(comparison=unknown))
    assert check.verdict is Status.INCONCLUSIVE and "could not be replayed" in check.detail


# --------------------------------------------------------------------------- the procedure's failure rules


class _Bare(MigrationProcedure):
    """A procedure without an environment: only the verdict's rules and their inputs."""

    def __init__(self) -> None:
        self._verification = None
        self._connectivity = None


def test_verify_failure_rule_fails_only_a_failed_verification():
    from types import SimpleNamespace

    proc = _Bare()
    assert proc._verify_failure() is None
    proc._verification = SimpleNamespace(verdict=Status.INCONCLUSIVE, reasons=lambda: ["x"])
    assert proc._verify_failure() is None
    proc._verification = SimpleNamespace(verdict=Status.FAIL, reasons=lambda: ["schema: partial"])
    assert proc._verify_failure().reasons == ["schema: partial"]


def test_app_failure_rule_skips_a_target_that_cannot_exec():
    from types import SimpleNamespace

    proc = _Bare()
    assert proc._app_failure() is None
    proc._connectivity = SimpleNamespace(failed=False)  # skipped (Azure) or passed
    assert proc._app_failure() is None
    proc._connectivity = SimpleNamespace(failed=True, output="OperationalError: refused\n")
    failure = proc._app_failure()
    assert failure.reasons == ["the app cannot reach the database: OperationalError: refused"]
    assert "70-emergency" in failure.hint
