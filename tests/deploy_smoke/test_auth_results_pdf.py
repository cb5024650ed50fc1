"""Pure parts of the smoke suite: token diagnosis, result aggregation, the generated PDF."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from apexops.smoke.auth import diagnose_token, parse_www_authenticate, token_summary
from apexops.smoke.checks import pagination_problems
from apexops.smoke.pdf import minimal_pdf
from apexops.smoke.results import CheckResult, SmokeReport
from apexops.tokens import AccessToken

NOW = datetime(2024, 3, 19, 12, 0, tzinfo=UTC)
TENANT = "5a4d1d5e-0000-4000-8000-00000000a9e7"


def _jwt(**claims) -> AccessToken:
    def part(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return AccessToken(f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk")


def _claims(**over):
    base = {
        "aud": "api://apex-local-client",
        "iss": f"https://login.sandbox.local/{TENANT}/v2.0",
        "sub": "sandbox-operator",
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
    }
    base.update(over)
    return base


def test_parse_www_authenticate():
    header = (
        'Bearer error="invalid_token", error_description="the token expired at 2024-03-19T11:00:00+00:00."'
    )
    parsed = parse_www_authenticate(header)
    assert parsed["scheme"] == "Bearer"
    assert parsed["error"] == "invalid_token"
    assert parsed["error_description"].startswith("the token expired")
    assert parse_www_authenticate(None) == {}
    assert parse_www_authenticate("Bearer realm=apex")["realm"] == "apex"


def test_a_good_token_has_no_problems_and_its_value_never_shows():
    token = _jwt(**_claims())
    d = diagnose_token(token, expected_audience="api://apex-local-client", expected_tenant=TENANT, now=NOW)
    assert d.problems == ()
    assert any("matches" in f for f in d.findings)
    summary = token_summary(token, now=NOW)
    assert summary["audience"] == "api://apex-local-client"
    assert summary["expires_in"] == "in 60 min" and summary["expired"] is False
    raw = token.authorization_header()["Authorization"].split()[1]
    assert raw not in repr(summary) and raw not in d.text and raw not in d.hint


def test_wrong_audience_is_named_with_the_fix():
    token = _jwt(**_claims(aud="api://someone-else"))
    d = diagnose_token(token, expected_audience="api://apex-local-client", now=NOW)
    assert "audience 'api://someone-else' is not the API's 'api://apex-local-client'" in d.text
    assert "request the token for api://apex-local-client" in d.hint


def test_expired_token_says_when():
    token = _jwt(**_claims(exp=int((NOW - timedelta(minutes=90)).timestamp())))
    d = diagnose_token(
        token,
        expected_audience="api://apex-local-client",
        now=NOW,
        www_authenticate='Bearer error="invalid_token", error_description="the token expired."',
    )
    assert "expired at 2024-03-19T10:30:00+00:00 (90 min ago)" in d.text
    assert "server says: the token expired." in d.problems
    assert "fresh token" in d.hint


def test_wrong_tenant_issuer():
    token = _jwt(**_claims(iss="https://login.microsoftonline.com/other-tenant/v2.0"))
    d = diagnose_token(token, expected_audience="api://apex-local-client", expected_tenant=TENANT, now=NOW)
    assert "is not the tenant" in d.text and "--tenant" in d.hint


def test_a_401_for_a_token_that_looks_right_points_at_the_api_configuration():
    token = _jwt(**_claims())
    d = diagnose_token(
        token,
        expected_audience="api://apex-local-client",
        now=NOW,
        www_authenticate='Bearer error="invalid_token", error_description="bad signature"',
    )
    assert d.problems == ("server says: bad signature",)
    assert "az ad app show" in d.hint


def test_no_token():
    d = diagnose_token(None, expected_audience="api://x", now=NOW)
    assert "no token was sent" in d.text


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"items": [], "total": 0, "page": 1, "page_size": 10, "has_next": False, "has_prev": False}, None),
        (
            {
                "items": [{}] * 10,
                "total": 25,
                "page": 1,
                "page_size": 10,
                "has_next": True,
                "has_prev": False,
            },
            None,
        ),
        ({"items": [], "total": 0, "page": 1, "page_size": 10, "has_next": False}, "missing 'has_prev'"),
        (
            {"items": [], "total": "0", "page": 1, "page_size": 10, "has_next": False, "has_prev": False},
            "'total' is str",
        ),
        (
            {"items": [], "total": 25, "page": 1, "page_size": 10, "has_next": False, "has_prev": False},
            "has_next is False",
        ),
        (
            {
                "items": [{}] * 11,
                "total": 25,
                "page": 1,
                "page_size": 10,
                "has_next": True,
                "has_prev": False,
            },
            "11 items on a page of 10",
        ),
        (
            {"items": [], "total": 0, "page": 2, "page_size": 10, "has_next": False, "has_prev": False},
            "page is 2",
        ),
        ([], "expected a JSON object"),
    ],
)
def test_pagination_shape(body, problem):
    problems = pagination_problems(body, page=1, page_size=10)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_verdict_any_fail_fails_and_skips_do_not_count():
    ok = CheckResult("a", "PASS", 1.0, "")
    skip = CheckResult("b", "SKIPPED", 0.0, "not requested")
    inconclusive = CheckResult("c", "INCONCLUSIVE", 1.0, "too few")
    fail = CheckResult("d", "FAIL", 1.0, "HTTP 500", "look at the logs")
    assert SmokeReport("http://x", "rev", (ok, skip)).verdict == "PASS"
    assert SmokeReport("http://x", "rev", (ok, inconclusive)).verdict == "INCONCLUSIVE"
    assert SmokeReport("http://x", "rev", (ok, inconclusive, fail)).verdict == "FAIL"
    report = SmokeReport("http://x", "rev", (ok, fail), (CheckResult("cleanup", "PASS", 1.0, "done"),))
    assert report.verdict == "FAIL"
    assert report.reasons == ["d: FAIL — HTTP 500 HINT: look at the logs"]
    assert [r["check"] for r in report.rows()] == ["a", "d", "cleanup"]
    assert report.facts()["checks"] == {"a": "PASS", "d": "FAIL", "cleanup": "PASS"}
    # a failed cleanup fails the run: test data was left behind
    left = SmokeReport("http://x", None, (ok,), (CheckResult("cleanup: archive project", "FAIL", 1.0, "x"),))
    assert left.verdict == "FAIL"
    with pytest.raises(ValueError):
        CheckResult("x", "WARN", 0.0, "")  # type: ignore[arg-type]


def test_generated_pdf_has_a_correct_cross_reference_table():
    pdf = minimal_pdf("APEX smoke test (SMOKE-1)")
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))
    assert pdf[startxref:].startswith(b"xref\n0 6\n")
    entries = re.findall(rb"(\d{10}) 00000 n \n", pdf[startxref:])
    assert len(entries) == 5
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(f"{number} 0 obj".encode())
    length = int(re.search(rb"/Length (\d+)", pdf).group(1))
    body = pdf.split(b"stream\n", 1)[1].split(b"\nendstream", 1)[0]
    assert len(body) == length
