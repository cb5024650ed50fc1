"""Runbook step 4, Verify Rollback Success: the traffic list read back, and `curl -f .../health/ready`
through the app's own URL, several times, each answered by the revision traffic went back to (the sandbox
names the revision that served a request in `x-apex-revision`; where no such header exists, the answer's
status is what is checked)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from apexops.smoke.calls import make_client
from apexops.status import Status

__all__ = ["HealthResult", "check_health"]


@dataclass(frozen=True)
class HealthResult:
    ok: bool
    rows: tuple[dict[str, Any], ...]


def check_health(
    url: str,
    expected_revision: str,
    *,
    attempts: int = 5,
    timeout_s: float = 10.0,
    client_factory: Callable[..., Any] | None = None,
) -> HealthResult:
    rows = []
    factory = client_factory or make_client
    with factory(url, timeout_s=timeout_s) as client:
        for i in range(attempts):
            try:
                r = client.get("/health/ready")
            except httpx.HTTPError as exc:
                rows.append(
                    {"request": i + 1, "status": Status.FAIL, "detail": f"{type(exc).__name__}: {exc}"}
                )
                continue
            served = r.headers.get("x-apex-revision")
            problems = []
            if r.status_code != 200:
                problems.append(f"HTTP {r.status_code}")
            if served is not None and served != expected_revision:
                problems.append(f"served by {served}, not {expected_revision}")
            detail = "; ".join(problems) or f"HTTP {r.status_code} from {served or 'the app'}: {r.text[:80]}"
            status = Status.FAIL if problems else Status.PASS
            rows.append({"request": i + 1, "status": status, "detail": detail})
    return HealthResult(all(row["status"] is Status.PASS for row in rows), tuple(rows))
