"""Step 8 of the smoke tests: remove what the suite created, retrying idempotent calls on server errors.

A faulty revision (the very thing smoke tests exist to catch) answers some requests with 500; the cleanup
must still remove the test data, so DELETE and the read-back are retried a few times before the step
reports FAIL with the manual command.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from apexops.smoke.calls import PROJECTS_PATH, Timer, call, guarded, unexpected
from apexops.smoke.results import CheckResult
from apexops.status import Status

if TYPE_CHECKING:
    import httpx

    from apexops.tokens import AccessToken

__all__ = ["cleanup_document", "cleanup_project"]


# --------------------------------------------------------------------------- step 8: cleanup


def _with_retries(
    send: Callable[[], httpx.Response], *, attempts: int, sleep: Callable[[float], None]
) -> tuple[httpx.Response, int]:
    """Send an idempotent request again on a 5xx/429 or a transport error (a faulty revision's cleanup)."""
    import httpx

    for attempt in range(1, attempts + 1):
        try:
            response = send()
        except httpx.TransportError:
            if attempt == attempts:
                raise
        else:
            if (response.status_code < 500 and response.status_code != 429) or attempt == attempts:
                return response, attempt
        sleep(0.2 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _tries(n: int) -> str:
    return f" (after {n} attempts)" if n > 1 else ""


def _left_behind(name: str, r: httpx.Response, ms: float, n: int, hint: str) -> CheckResult:
    """A DELETE that still failed after `n` attempts: FAIL with the manual step (test data left behind)."""
    return CheckResult(name, Status.FAIL, ms, unexpected(name, r, ms, "204").detail + _tries(n), hint)


def cleanup_document(
    client: httpx.Client,
    token: AccessToken | None,
    document_id: str,
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.perf_counter,
) -> CheckResult:
    """DELETE /api/v1/documents/{id} (retried on server errors); already deleted (404) counts as clean."""
    name = "cleanup: delete document"
    path = f"/api/v1/documents/{document_id}"

    def body(timer: Timer) -> CheckResult:
        r, n = _with_retries(
            lambda: call(client, "DELETE", path, token=token), attempts=attempts, sleep=sleep
        )
        if r.status_code in (200, 202, 204):
            return CheckResult(name, Status.PASS, timer.ms, f"document {document_id} deleted{_tries(n)}")
        if r.status_code == 404:
            return CheckResult(name, Status.PASS, timer.ms, f"document {document_id} already gone{_tries(n)}")
        return _left_behind(name, r, timer.ms, n, f"delete it by hand: DELETE {path} (test data left behind)")

    return guarded(name, clock, f"DELETE {path}", body)


def cleanup_project(
    client: httpx.Client,
    token: AccessToken | None,
    project_id: str,
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.perf_counter,
) -> CheckResult:
    """DELETE /api/v1/projects/{id} (a soft delete, retried on server errors) and read back ARCHIVED."""
    name = "cleanup: archive project"
    path = f"{PROJECTS_PATH}{project_id}"

    def body(timer: Timer) -> CheckResult:
        r, n = _with_retries(
            lambda: call(client, "DELETE", path, token=token), attempts=attempts, sleep=sleep
        )
        if r.status_code not in (200, 202, 204, 404):
            hint = f"archive it by hand: DELETE {path} (test data left behind)"
            return _left_behind(name, r, timer.ms, n, hint)
        back, _ = _with_retries(
            lambda: call(client, "GET", path, token=token), attempts=attempts, sleep=sleep
        )
        state = back.json().get("status") if back.status_code == 200 else f"HTTP {back.status_code}"
        if back.status_code == 200 and str(state).upper() != "ARCHIVED":
            return CheckResult(
                name,
                Status.FAIL,
                timer.ms,
                f"project {project_id} is still {state!r} after DELETE",
                f"archive it by hand: DELETE {path}",
            )
        return CheckResult(
            name, Status.PASS, timer.ms, f"project {project_id} soft-deleted ({state}){_tries(n)}"
        )

    return guarded(name, clock, f"DELETE {path}", body)
