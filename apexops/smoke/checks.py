"""The runbook's smoke checks as functions that return data (CheckResult), never raise on a failure.

Each function makes the runbook's curl call with httpx against a base URL (a revision URL or the main
ingress), checks what the runbook's "Expected:" comment says, and returns PASS/FAIL with the detail and a
hint. A 401 is explained from the token's claims (audience, expiry, issuer) and the server's
WWW-Authenticate description. The bearer token goes only into request headers; it is never in a result.

Steps 1-3 and 7 live here; 4-6 in `crud`, 8 in `cleanup`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apexops.smoke.auth import diagnose_token, token_summary
from apexops.smoke.calls import (
    PROJECTS_PATH,
    Timer,
    call,
    guarded,
    make_client,
    unauthorized,
    unexpected,
    where,
)
from apexops.smoke.latency import latency_baseline
from apexops.smoke.load import error_summary, run_requests
from apexops.smoke.results import CheckResult
from apexops.status import Status

if TYPE_CHECKING:
    import httpx

    from apexops.tokens import AccessToken

__all__ = [
    "PROJECTS_PATH",
    "check_latency",
    "check_live",
    "check_projects_list",
    "check_ready",
    "check_token",
    "make_client",
    "pagination_problems",
]

_LIST_PARAMS = {"page": 1, "page_size": 10}

#: readiness check name -> what the runbook says to verify, and where to go next
_READY_HINTS = {
    "database": "Database unhealthy → verify the Private Endpoint connection "
    "(run 70-emergency, database section)",
    "blob_storage": "Blob Storage unhealthy → verify the Managed Identity RBAC "
    "(run 70-emergency, blob section)",
}


# --------------------------------------------------------------------------- step 1: token


def check_token(
    acquire: Callable[[], AccessToken],
    *,
    expected_audience: str,
    expected_tenant: str | None = None,
    now: datetime | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[CheckResult, AccessToken | None]:
    """Acquire a token (never shown) and judge what it says: audience, expiry, issuer."""
    name = "auth: token"
    timer = Timer(clock)
    try:
        token = acquire()
    except Exception as exc:
        hint = getattr(exc, "hint", None) or "check the identity: run 00-preflight"
        msg = getattr(exc, "message", None) or str(exc)
        return CheckResult(name, Status.FAIL, timer.ms, f"no token: {type(exc).__name__}: {msg}", hint), None
    now = now or datetime.now(UTC)
    summary = token_summary(token, now=now)
    diagnosis = diagnose_token(
        token, expected_audience=expected_audience, expected_tenant=expected_tenant, now=now
    )
    shown = f"audience {summary['audience']}, expires {summary['expires']} ({summary['expires_in']})"
    if diagnosis.problems:
        return (
            CheckResult(name, Status.FAIL, timer.ms, f"{shown}: {diagnosis.text}", diagnosis.hint, summary),
            token,
        )
    return CheckResult(name, Status.PASS, timer.ms, shown, "", summary), token


# --------------------------------------------------------------------------- step 2: health


def check_live(client: httpx.Client, *, clock: Callable[[], float] = time.perf_counter) -> CheckResult:
    """GET /health/live → 200 {"status": "alive", ...} (no authentication)."""
    name = "health: live"

    def body(timer: Timer) -> CheckResult:
        r = call(client, "GET", "/health/live")
        if r.status_code != 200:
            return unexpected(name, r, timer.ms, '200 {"status": "alive"}')
        status = r.json().get("status")
        if status != "alive":
            return CheckResult(
                name,
                Status.FAIL,
                timer.ms,
                f"status {status!r}, expected 'alive'{where(r)}",
                "the process answers but reports itself not alive: check its logs",
            )
        return CheckResult(name, Status.PASS, timer.ms, f"alive{where(r)}", "", {"status": 200})

    return guarded(name, clock, "GET /health/live", body)


def check_ready(client: httpx.Client, *, clock: Callable[[], float] = time.perf_counter) -> CheckResult:
    """GET /health/ready → 200 {"status": "ready", "checks": {...}}, showing each dependency's check."""
    name = "health: ready"

    def body(timer: Timer) -> CheckResult:
        r = call(client, "GET", "/health/ready")
        try:
            payload = r.json()
        except ValueError:
            payload = {}
        checks = payload.get("checks") if isinstance(payload, dict) else None
        checks = checks if isinstance(checks, dict) else {}
        shown = ", ".join(f"{k}={_check_state(v)}" for k, v in checks.items()) or "no checks reported"
        unhealthy = [k for k, v in checks.items() if _check_state(v) != "healthy"]
        data = {"status": r.status_code, "checks": {k: _check_state(v) for k, v in checks.items()}}
        if r.status_code == 200 and payload.get("status") == "ready" and not unhealthy:
            return CheckResult(name, Status.PASS, timer.ms, f"ready: {shown}{where(r)}", "", data)
        hint = "; ".join(_READY_HINTS.get(k, f"{k} unhealthy → check its configuration") for k in unhealthy)
        return CheckResult(
            name,
            Status.FAIL,
            timer.ms,
            f"HTTP {r.status_code}, status {payload.get('status')!r}: {shown}{where(r)}",
            hint or "the revision is not ready: check its logs (80-troubleshooting)",
            data,
        )

    return guarded(name, clock, "GET /health/ready", body)


def _check_state(value: Any) -> str:
    """A readiness check may be 'healthy' or {'status': 'healthy', ...}; normalise to the word."""
    if isinstance(value, Mapping):
        value = value.get("status", value)
    return str(value).lower()


# --------------------------------------------------------------------------- step 3: authentication


def pagination_problems(body: Any, *, page: int, page_size: int) -> list[str]:
    """What is wrong with a page of the projects list, per the runbook's expected shape (empty = fine)."""
    if not isinstance(body, dict):
        return [f"expected a JSON object, got {type(body).__name__}"]
    problems = []
    types = {"items": list, "total": int, "page": int, "page_size": int, "has_next": bool, "has_prev": bool}
    for key, kind in types.items():
        if key not in body:
            problems.append(f"missing {key!r}")
        elif not isinstance(body[key], kind) or (kind is int and isinstance(body[key], bool)):
            problems.append(f"{key!r} is {type(body[key]).__name__}, expected {kind.__name__}")
    if problems:
        return problems
    if body["page"] != page:
        problems.append(f"page is {body['page']}, asked for {page}")
    if body["page_size"] != page_size:
        problems.append(f"page_size is {body['page_size']}, asked for {page_size}")
    if len(body["items"]) > page_size:
        problems.append(f"{len(body['items'])} items on a page of {page_size}")
    if body["total"] < len(body["items"]):
        problems.append(f"total {body['total']} is below the {len(body['items'])} items returned")
    if body["has_prev"] != (page > 1):
        problems.append(f"has_prev is {body['has_prev']} on page {page}")
    if body["has_next"] != (body["total"] > page * page_size):
        problems.append(
            f"has_next is {body['has_next']} with total {body['total']} and page_size {page_size}"
        )
    return problems


def check_projects_list(
    client: httpx.Client,
    token: AccessToken | None,
    *,
    expected_audience: str,
    expected_tenant: str | None = None,
    now: datetime | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> CheckResult:
    """GET /api/v1/projects/?page=1&page_size=10 with the token; the pagination shape is checked."""
    name = "auth: list projects"

    def body(timer: Timer) -> CheckResult:
        r = call(client, "GET", PROJECTS_PATH, token=token, params=_LIST_PARAMS)
        if r.status_code == 401:
            return unauthorized(
                name, r, timer.ms, token, expected_audience, expected_tenant, now or datetime.now(UTC)
            )
        if r.status_code != 200:
            return unexpected(name, r, timer.ms, "200 with a page of projects")
        payload = r.json()
        problems = pagination_problems(payload, **_LIST_PARAMS)
        if problems:
            return CheckResult(
                name,
                Status.FAIL,
                timer.ms,
                "pagination shape: " + "; ".join(problems),
                "the API contract changed or the revision runs an unexpected image",
            )
        return CheckResult(
            name,
            Status.PASS,
            timer.ms,
            f"{len(payload['items'])} of {payload['total']} projects, page 1, has_next={payload['has_next']}",
            "",
            {"total": payload["total"]},
        )

    return guarded(name, clock, f"GET {PROJECTS_PATH}", body)


# --------------------------------------------------------------------------- step 7: latency


def check_latency(
    client: httpx.Client,
    token: AccessToken | None,
    *,
    requests: int,
    concurrency: int,
    threshold_ms: float,
    confidence: float,
    clock: Callable[[], float] = time.perf_counter,
) -> CheckResult:
    """The runbook's performance baseline, done with statistics: P95 < threshold with confidence.

    Every request must also return 2xx (the runbook's "http_code: 200"); errors fail the check whatever
    the latency says. `data` holds the LatencyBaseline and the samples for charts.
    """
    name = "performance: latency baseline"
    timer = Timer(clock)
    headers = token.authorization_header() if token is not None else {}
    path = f"{PROJECTS_PATH}?page=1&page_size=10"
    samples = run_requests(client, path, n=requests, concurrency=concurrency, headers=headers, clock=clock)
    baseline = latency_baseline(
        [s.duration_ms for s in samples], threshold_ms=threshold_ms, confidence=confidence
    )
    data = {"baseline": baseline, "samples": samples, "facts": baseline.facts()}
    errors = error_summary(samples)
    verdict = baseline.verdict
    status, detail, hint = verdict.status, verdict.reasons[0], ""
    if errors:
        status = Status.FAIL
        detail = f"{errors}; {detail}"
        hint = "the revision returns errors under light load: look at its exceptions (80-troubleshooting)"
    elif status is Status.FAIL:
        hint = (
            f"the P95 exceeds {threshold_ms:g} ms: compare with the previous revision's latency "
            "(80-troubleshooting, slowest requests) before any traffic shift"
        )
    elif status is Status.INCONCLUSIVE:
        more = verdict.facts["requests_needed"]
        hint = (
            f"re-run with latency_requests={requests + more}"
            if more
            else "the P95 sits at the threshold: treat as a regression until shown otherwise"
        )
    return CheckResult(name, status, timer.ms, detail, hint, data)
