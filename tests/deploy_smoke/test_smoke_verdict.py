"""The smoke run's verdict and facts (what `apexops.finish(session)` records), without a service."""

from __future__ import annotations

import json

import pytest

from apexops.deploy.live import _badge
from apexops.errors import VerificationError
from apexops.smoke import SmokeSession
from apexops.smoke.results import CheckResult, SmokeReport
from apexops.status import Status, style

OK = CheckResult("a", "PASS", 1.0, "fine")
SKIP = CheckResult("b", "SKIPPED", 0.0, "not requested")
SLOW = CheckResult("c", "INCONCLUSIVE", 1.0, "P95 bounds straddle 500 ms", "re-run with latency_requests=300")
DOWN = CheckResult("d", "FAIL", 1.0, "HTTP 500", "look at the logs")


def test_check_statuses_are_the_vocabulary_and_a_smoke_check_cannot_warn():
    assert OK.status is Status.PASS and isinstance(SKIP.status, Status)
    with pytest.raises(ValueError, match="PASS, FAIL, SKIPPED, INCONCLUSIVE"):
        CheckResult("x", "WARN", 0.0, "")


def test_a_failed_check_fails_the_run_with_its_detail_first_and_its_hint():
    verdict = SmokeReport("http://x", "rev", (OK, SLOW, DOWN)).to_verdict()
    assert verdict.status is Status.FAIL and not verdict.ok
    assert verdict.reasons == ("d: HTTP 500", "c: P95 bounds straddle 500 ms")
    assert verdict.hint == "look at the logs" and verdict.facts["verdict"] == "FAIL"
    with pytest.raises(VerificationError, match=r"^smoke tests failed on rev: d: HTTP 500") as info:
        verdict.raise_for_failure()
    assert info.value.hint == "look at the logs"


def test_an_inconclusive_run_does_not_stop_and_says_what_would_settle_it():
    verdict = SmokeReport("http://x", None, (OK, SLOW)).to_verdict()
    assert verdict.status is Status.INCONCLUSIVE and verdict.ok
    assert verdict.hint == "re-run with latency_requests=300"
    verdict.raise_for_failure()


def test_skipped_checks_do_not_count_and_a_clean_run_passes():
    verdict = SmokeReport("http://x", "rev", (OK, SKIP), (OK,)).to_verdict()
    assert verdict.status is Status.PASS and verdict.reasons == ("2 checks passed, 1 skipped",)
    assert not verdict.hint


def test_the_session_gives_its_verdict_and_json_safe_facts():
    session = SmokeSession("http://127.0.0.1:9", acquire_token=lambda: None, expected_audience="api://x")
    session.results.extend([OK, DOWN])
    session.cleanup()
    session.close()
    assert session.verdict().status is Status.FAIL
    facts = json.loads(json.dumps(session.facts()))
    assert facts["smoke_verdict"] == {"revision": None, "verdict": "FAIL"}
    assert facts["smoke"]["checks"] == {"a": "PASS", "d": "FAIL", "cleanup": "SKIPPED"}


def test_finish_stops_the_session_with_the_same_error_as_the_reports_verdict():
    """Notebook 40 closes with `apexops.finish(session)`: the error must be the report's, word for word."""
    session = SmokeSession("http://127.0.0.1:9", acquire_token=lambda: None, expected_audience="api://x")
    session.results.extend([OK, SLOW, DOWN])
    session.cleanup()
    session.close()
    with pytest.raises(VerificationError) as info:
        session.report().to_verdict().raise_for_failure()
    failure = session.verdict().failure()
    assert type(failure) is type(info.value)
    assert (str(failure), failure.hint) == (str(info.value), info.value.hint)


@pytest.mark.parametrize(
    ("phase", "status"),
    [("healthy", Status.PASS), ("running", Status.WARN), ("failed", Status.FAIL),
     ("timed_out", Status.FAIL), ("provisioning", Status.INFO)],
)  # fmt: skip
def test_revision_phases_are_shown_in_the_status_colours_they_mean(phase, status):
    badge = _badge(phase)
    assert style(status).bg in badge and f">{phase}<" in badge
