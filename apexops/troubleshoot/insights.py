"""The runbook's three Application Insights queries (error rate, slowest requests, exceptions) as tables.

They go through the Telemetry port, so the sandbox's telemetry store and Application Insights answer the
same questions; the KQL the runbook types is shown next to each table (`manual.app_insights_query`).
Error counts are 5xx responses per revision (App Insights' `success == false` also counts 4xx, which are
client errors and not what an outage or a bad release is judged on).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from apexops.status import Status
from apexops.troubleshoot.execs import scrub as scrub_text

if TYPE_CHECKING:
    from apexops.models import ExceptionRecord, RequestRecord, RequestStats

__all__ = ["error_rate_rows", "exception_groups", "exception_rows", "slowest_rows", "window_text"]


def window_text(minutes: float) -> str:
    """KQL's ago() argument for a window in minutes: 60 -> 1h, 15 -> 15m, 90 -> 90m."""
    m = float(minutes)
    return f"{m / 60:g}h" if m >= 60 and m % 60 == 0 else f"{m:g}m"


def _pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 2) if d else None


def _judge(rate: float | None, warn_pct: float, fail_pct: float) -> Status:
    if rate is None:
        return Status.INFO
    return Status.FAIL if rate >= fail_pct else Status.WARN if rate >= warn_pct else Status.PASS


def error_rate_rows(
    stats: Mapping[str, RequestStats], *, warn_pct: float = 1.0, fail_pct: float = 10.0
) -> list[dict[str, Any]]:
    """ErrorCount / TotalCount / ErrorRate per revision and for the whole app, judged against thresholds."""
    rows = []
    total = errors = 0
    for name in sorted(stats):
        s = stats[name]
        total += s.requests
        errors += s.errors_5xx
        rate = _pct(s.errors_5xx, s.requests)
        rows.append(
            {
                "status": _judge(rate, warn_pct, fail_pct),
                "revision": name,
                "TotalCount": s.requests,
                "ErrorCount (5xx)": s.errors_5xx,
                "ErrorRate %": rate,
                "p95 ms": s.p95_ms,
                "partial": s.partial or None,
            }
        )
    rate = _pct(errors, total)
    rows.append(
        {
            "status": _judge(rate, warn_pct, fail_pct),
            "revision": "(all)",
            "TotalCount": total,
            "ErrorCount (5xx)": errors,
            "ErrorRate %": rate,
            "p95 ms": None,
            "partial": None,
        }
    )
    return rows


def slowest_rows(records: Sequence[RequestRecord]) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": r.timestamp.isoformat(timespec="seconds"),
            "revision": r.revision,
            "name": r.route,
            "duration ms": round(r.duration_ms, 1),
            "resultCode": r.status,
            "url": scrub_text(r.url),
        }
        for r in records
    ]


def exception_rows(records: Sequence[ExceptionRecord], *, limit: int = 20) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": e.timestamp.isoformat(timespec="seconds"),
            "revision": e.revision,
            "type": e.type,
            "outerMessage": scrub_text(e.message)[:200],
            "problemId": e.problem_id,
        }
        for e in records[:limit]
    ]


def exception_groups(records: Sequence[ExceptionRecord]) -> list[dict[str, Any]]:
    """Exceptions grouped by problem id (App Insights' Failures blade), most frequent first."""
    counts = Counter((e.problem_id or e.type, e.type) for e in records)
    latest: dict[tuple[str, str], ExceptionRecord] = {}
    for e in records:
        key = (e.problem_id or e.type, e.type)
        if key not in latest or e.timestamp > latest[key].timestamp:
            latest[key] = e
    return [
        {
            "problemId": k[0],
            "type": k[1],
            "count": n,
            "revisions": ", ".join(
                sorted({e.revision for e in records if (e.problem_id or e.type, e.type) == k})
            ),
            "last message": scrub_text(latest[k].message)[:160],
        }
        for k, n in counts.most_common()
    ]
