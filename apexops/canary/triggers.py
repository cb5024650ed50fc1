"""Procedure 60's rollback triggers, evaluated from telemetry buckets instead of by eye.

The runbook rolls back on "error rate > 10% for > 5 minutes" and "P95 response time > 5 s for > 5
minutes". "For 5 minutes" is read literally: a run of consecutive telemetry buckets, each above the
threshold, covering at least the window. A bucket with no requests has no error rate and no P95, and a
missing bucket is a gap: either one ends the run (silence is not evidence of errors). Thresholds and
windows come from `settings.rollback_triggers`, so the sandbox can compress 5 minutes into seconds.

Pure: buckets in, a report out, with the series for the chart and the numbers for the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apexops.models import TelemetryBucket
from apexops.settings import RollbackTriggers

__all__ = ["TriggerReport", "TriggerResult", "bucket_size_s", "evaluate_triggers"]


@dataclass(frozen=True)
class TriggerResult:
    #: error_rate | p95
    name: str
    fired: bool
    threshold: float
    window_s: float
    #: start of the sustained run that fired (or of the longest run, when it did not)
    since: datetime | None
    #: when the run had lasted the full window: the moment the runbook says "roll back"
    fired_at: datetime | None
    #: longest run above the threshold, in seconds
    longest_s: float
    #: worst bucket value seen (a rate, or milliseconds)
    peak: float | None
    reason: str
    #: (bucket start, value or None) for the chart
    series: tuple[tuple[datetime, float | None], ...]


@dataclass(frozen=True)
class TriggerReport:
    scope: str
    bucket_s: float
    results: tuple[TriggerResult, ...]

    @property
    def fired(self) -> tuple[TriggerResult, ...]:
        return tuple(r for r in self.results if r.fired)

    def to_record(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "bucket_s": self.bucket_s,
            "fired": [r.name for r in self.fired],
            "results": [
                {
                    "name": r.name,
                    "fired": r.fired,
                    "threshold": r.threshold,
                    "window_s": r.window_s,
                    "since": r.since.isoformat() if r.since else None,
                    "fired_at": r.fired_at.isoformat() if r.fired_at else None,
                    "longest_s": r.longest_s,
                    "peak": r.peak,
                    "reason": r.reason,
                }
                for r in self.results
            ],
        }


def _aggregate(
    buckets: Sequence[TelemetryBucket], revision: str | None
) -> list[tuple[datetime, int, int, float | None]]:
    """(start, requests, 5xx, p95) per bucket start, for one revision or the whole app.

    The app's P95 cannot be rebuilt from per-revision P95s; the largest P95 among revisions that served
    requests stands in for it. A mixture's quantile never exceeds its components' largest, so this is an
    upper bound of the app's P95: it errs towards firing, which is the runbook's intent for a trigger.
    """
    rows: dict[datetime, list[Any]] = {}
    for b in buckets:
        if revision is not None and b.revision != revision:
            continue
        row = rows.setdefault(b.start, [0, 0, None])
        row[0] += b.requests
        row[1] += b.errors_5xx
        if b.requests and b.p95_ms is not None:
            row[2] = b.p95_ms if row[2] is None else max(row[2], b.p95_ms)
    return [(start, r[0], r[1], r[2]) for start, r in sorted(rows.items())]


def _sustained(
    name: str,
    points: list[tuple[datetime, float | None]],
    threshold: float,
    window_s: float,
    bucket: timedelta,
    show: Any,
) -> TriggerResult:
    run_start: datetime | None = None
    prev: datetime | None = None
    best: tuple[float, datetime | None] = (0.0, None)
    fired_at = fired_since = None
    values = [v for _, v in points if v is not None]
    peak = max(values) if values else None
    for start, value in points:
        above = value is not None and value > threshold
        if not above or (prev is not None and start - prev != bucket):
            run_start = None
        if above:
            run_start = run_start or start
            length = (start + bucket - run_start).total_seconds()
            if length > best[0]:
                best = (length, run_start)
            if fired_at is None and length >= window_s:
                fired_at, fired_since = run_start + timedelta(seconds=window_s), run_start
        prev = start
    what = f"{name.replace('_', ' ')} above {show(threshold)} for {window_s:.0f} s"
    peak_text = f"peak {show(peak)}" if peak is not None else "no data"
    if fired_at is not None:
        reason = f"FIRED: {what} (from {fired_since:%H:%M:%S}, at {fired_at:%H:%M:%S}); {peak_text}"
    else:
        reason = f"not fired: {what} needed, longest run {best[0]:.0f} s; {peak_text}"
    return TriggerResult(
        name,
        fired_at is not None,
        threshold,
        window_s,
        fired_since or best[1],
        fired_at,
        best[0],
        peak,
        reason,
        tuple(points),
    )


def evaluate_triggers(
    buckets: Sequence[TelemetryBucket],
    triggers: RollbackTriggers,
    *,
    bucket_s: float,
    revision: str | None = None,
) -> TriggerReport:
    """Which of the runbook's rollback triggers fired over these buckets, when, and by how much.

    `buckets` come from `Telemetry.request_buckets(..., bucket_s=bucket_s)`; `revision` limits the
    evaluation to one revision (None: the whole app, as the runbook's dashboard shows it).
    """
    if bucket_s <= 0:
        raise ValueError(f"bucket_s must be > 0 (got {bucket_s})")
    rows = _aggregate(buckets, revision)
    step = timedelta(seconds=bucket_s)
    errors = [(start, e / n if n else None) for start, n, e, _ in rows]
    p95 = [(start, p if n else None) for start, n, _, p in rows]
    return TriggerReport(
        scope=revision or "app",
        bucket_s=bucket_s,
        results=(
            _sustained(
                "error_rate", errors, triggers.error_rate, triggers.error_window_s, step, lambda x: f"{x:.1%}"
            ),
            _sustained("p95", p95, triggers.p95_ms, triggers.p95_window_s, step, lambda x: f"{x:.0f} ms"),
        ),
    )


def bucket_size_s(triggers: RollbackTriggers) -> float:
    """The bucket size to evaluate the triggers with: five buckets per window, between 1 s and 60 s.

    Fine enough to see where a sustained run starts and ends (production's 5-minute windows get App
    Insights' PT1M buckets), coarse enough for a day of telemetry in one chart.
    """
    window = min(triggers.error_window_s, triggers.p95_window_s)
    return float(max(1.0, min(60.0, window / 5.0)))
