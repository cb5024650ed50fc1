"""HTTP plumbing shared by the smoke checks: the client, timing, and turning responses into results.

A check calls `guarded(...)` so that a transport error or an unexpected exception becomes a FAIL with the
detail, never a raise; `unexpected`/`unauthorized` turn a wrong status into a FAIL that says where it came
from (the x-apex-revision/x-apex-replica headers) and what to do next. The token only ever goes into the
Authorization header of a request (`call`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from apexops.smoke.auth import diagnose_token
from apexops.smoke.results import CheckResult
from apexops.status import Status

if TYPE_CHECKING:
    import httpx

    from apexops.tokens import AccessToken

__all__ = [
    "PROJECTS_PATH",
    "Timer",
    "call",
    "guarded",
    "make_client",
    "short_body",
    "transport_failure",
    "unauthorized",
    "unexpected",
    "where",
]

PROJECTS_PATH = "/api/v1/projects/"


def make_client(base_url: str, *, timeout_s: float, transport: Any = None) -> httpx.Client:
    """An httpx client for the API; proxies from the environment are ignored for loopback targets."""
    import httpx  # lazy: httpx loads only when a request is made

    host = urlsplit(base_url).hostname or ""
    loopback = host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        timeout=timeout_s,
        trust_env=not loopback,
        transport=transport,
        follow_redirects=False,
    )


class Timer:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._start = clock()

    @property
    def ms(self) -> float:
        return (self._clock() - self._start) * 1000.0


def short_body(response: httpx.Response, limit: int = 200) -> str:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().replace("\n", " ")
        return text[:limit] + ("…" if len(text) > limit else "")
    if isinstance(body, dict):
        for key in ("detail", "message", "error", "title"):
            if key in body:
                value = body[key]
                text = (value if isinstance(value, str) else str(value))[:limit]
                if body.get("problem_id"):
                    text += f" (problem_id {body['problem_id']})"
                return text
    text = str(body)
    return text[:limit] + ("…" if len(text) > limit else "")


def where(response: httpx.Response) -> str:
    rev = response.headers.get("x-apex-revision")
    replica = response.headers.get("x-apex-replica")
    parts = [p for p in (rev and f"revision {rev}", replica and f"replica {replica}") if p]
    return f" (from {', '.join(parts)})" if parts else ""


def unexpected(name: str, response: httpx.Response, ms: float, expected: str) -> CheckResult:
    request = response.request
    status = response.status_code
    hint = (
        "the service answered with a server error: look at the revision's logs and exceptions "
        "(run 80-troubleshooting, logs section)"
        if status >= 500
        else "compare the request with the API contract; check the revision's logs (80-troubleshooting)"
    )
    return CheckResult(
        name,
        Status.FAIL,
        ms,
        f"{request.method} {request.url.path} → HTTP {status}, expected {expected}: "
        f"{short_body(response)}{where(response)}",
        hint,
        {"status": status},
    )


def unauthorized(
    name: str,
    response: httpx.Response,
    ms: float,
    token: AccessToken | None,
    expected_audience: str,
    expected_tenant: str | None,
    now: datetime,
) -> CheckResult:
    diagnosis = diagnose_token(
        token,
        expected_audience=expected_audience,
        expected_tenant=expected_tenant,
        www_authenticate=response.headers.get("www-authenticate"),
        now=now,
    )
    request = response.request
    return CheckResult(
        name,
        Status.FAIL,
        ms,
        f"{request.method} {request.url.path} → HTTP 401 Unauthorized: {diagnosis.text}",
        diagnosis.hint,
        {"status": 401, "findings": list(diagnosis.findings), "problems": list(diagnosis.problems)},
    )


def transport_failure(name: str, exc: Exception, ms: float, what: str) -> CheckResult:
    return CheckResult(
        name,
        Status.FAIL,
        ms,
        f"{what}: {type(exc).__name__}: {exc}".rstrip(": "),
        "the target did not answer: check the URL and that the revision is running "
        "(30-application-deployment shows its state; 80-troubleshooting its logs)",
    )


def call(
    client: httpx.Client, method: str, path: str, *, token: AccessToken | None = None, **kwargs: Any
) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}) or {})
    if token is not None:
        headers.update(token.authorization_header())
    return client.request(method, path, headers=headers, **kwargs)


def guarded(
    name: str, clock: Callable[[], float], what: str, body: Callable[[Timer], CheckResult]
) -> CheckResult:
    """Run one check; a transport error or an unexpected exception becomes a FAIL, never a raise."""
    import httpx  # lazy: as in make_client

    timer = Timer(clock)
    try:
        return body(timer)
    except httpx.HTTPError as exc:
        return transport_failure(name, exc, timer.ms, what)
    except Exception as exc:  # a smoke check reports every failure as data
        return CheckResult(
            name,
            Status.FAIL,
            timer.ms,
            f"{what}: {type(exc).__name__}: {exc}",
            "unexpected failure in the check itself; see the traceback in the logs",
        )
