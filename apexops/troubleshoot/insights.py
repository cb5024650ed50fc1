"""The runbook's three Application Insights queries (error rate, slowest requests, exceptions) as tables.

They go through the Telemetry port, so the sandbox's telemetry store and Application Insights answer the
same questions; the KQL the runbook types is shown next to each table (`manual.app_insights_query`).
Error counts are 5xx responses per revision (App Insights' `success == false` also counts 4xx, which are
client errors and not what an outage or a bad release is judged on).
"""

from __future__ import annotations

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

    def row(revision: str, total: int, errors: int, p95: float | None, partial: bool) -> dict[str, Any]:
        rate = _pct(errors, total)
        return {"status": _judge(rate, warn_pct, fail_pct), "revision": revision, "TotalCount": total,
                "ErrorCount (5xx)": errors, "ErrorRate %": rate, "p95 ms": p95, "partial": partial or None}

    rows = [row(n, s.requests, s.errors_5xx, s.p95_ms, s.partial) for n, s in sorted(stats.items())]
    total, errors = sum(s.requests for s in stats.values()), sum(s.errors_5xx for s in stats.values())
    return [*rows, row("(all)", total, errors, None, False)]


def slowest_rows(records: Sequence[RequestRecord]) -> list[dict[str, Any]]:
    return [{"timestamp": r.timestamp.isoformat(timespec="seconds"), "revision": r.revision, "name": r.route,
             "duration ms": round(r.duration_ms, 1), "resultCode": r.status, "url": scrub_text(r.url)}
            for r in records]  # fmt: skip


def exception_rows(records: Sequence[ExceptionRecord], *, limit: int = 20) -> list[dict[str, Any]]:
    return [{"timestamp": e.timestamp.isoformat(timespec="seconds"), "revision": e.revision, "type": e.type,
             "outerMessage": scrub_text(e.message)[:200], "problemId": e.problem_id}
            for e in records[:limit]]  # fmt: skip


def exception_groups(records: Sequence[ExceptionRecord]) -> list[dict[str, Any]]:
    """Exceptions grouped by problem id (App Insights' Failures blade), most frequent first."""
    groups: dict[tuple[str, str], list[ExceptionRecord]] = {}
    for e in records:
        groups.setdefault((e.problem_id or e.type, e.type), []).append(e)
    return [
        {
            "problemId": problem,
            "type": kind,
            "count": len(group),
            "revisions": ", ".join(sorted({e.revision for e in group})),
            "last message": scrub_text(max(group, key=lambda e: e.timestamp).message)[:160],
        }
        for (problem, kind), group in sorted(groups.items(), key=lambda kv: -len(kv[1]))
    ]
