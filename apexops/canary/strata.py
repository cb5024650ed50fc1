"""From a source's counts to what the judge compares: one `StratumSnapshot` per stratum of evidence.

The three sources answer in the same shape (`CountsWindow`: per revision and route, complete up to a point
in time) but mean different things, so the judge compares canary and baseline within each stratum:

    probes    apexops' own requests to each revision's URL (`Prober.counts`): no lag, complete up to now
    platform  the platform's per-revision counters (route "*", no latency); they INCLUDE the probes, so
              the prober's own per-minute counts are subtracted (clipped at 0: a probe counted by the
              prober but not yet by the platform must not make users' counts negative)
    users     the users' requests in Application Insights, per route, with latency, late by the
              ingestion lag: `complete_until` says up to when; what is after it is not in the counts and
              is never read as zero

Pure functions: the rollout calls them at every poll, the tests call them with hand-made windows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from apexops.canary.observation import Counts, Stratum, StratumSnapshot
from apexops.models import CountsWindow, RouteCounts

__all__ = [
    "PerMinute",
    "completeness",
    "counts_text",
    "lag_text",
    "stratum_from_window",
    "subtracted_probes",
    "totals",
]

#: per revision: minute (bucket start) -> (requests, 5xx) the prober sent to it in that minute
PerMinute = Mapping[str, Mapping[datetime, tuple[int, int]]]


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def subtracted_probes(window: CountsWindow, subtract: PerMinute, revision: str) -> tuple[int, int]:
    """The probes of `revision` the platform counted in `window`: the minutes whose bucket starts in
    [floor(since), complete_until) — the buckets the platform has published for this window."""
    start, end = _minute(window.since), window.complete_until
    requests = errors = 0
    for minute, (n, e) in subtract.get(revision, {}).items():
        if start <= minute < end:
            requests, errors = requests + n, errors + e
    return requests, errors


def _add(a: Counts, row: RouteCounts) -> Counts:
    slow = None if a.slow is None or row.slow is None else a.slow + row.slow
    return Counts(a.requests + row.requests, a.errors_5xx + row.errors_5xx, slow)


def _minus(c: Counts, probes: tuple[int, int]) -> Counts:
    requests = max(0, c.requests - probes[0])
    errors = min(requests, max(0, c.errors_5xx - probes[1]))
    return Counts(requests, errors, c.slow)


def stratum_from_window(
    stratum: Stratum | str,
    window: CountsWindow,
    canary: str,
    baseline: str,
    now: datetime,
    subtract: PerMinute | None = None,
) -> StratumSnapshot:
    """The stratum's snapshot for one poll: per route (canary, baseline) counts, how complete, how late.

    Rows of other revisions are ignored. A route only one revision has is kept with zeros for the other
    (the judge reads that cell as "no comparison yet", never as zero errors of a revision that served).
    `subtract` (platform only) is the prober's per-minute counts, removed per revision from route "*".
    `complete_until` is None when the source has nothing complete since the window began (a users'
    window younger than the ingestion lag): its counts are then empty, not zero traffic.
    """
    stratum = Stratum(stratum)
    slow_default: int | None = None if stratum is Stratum.PLATFORM else 0
    start = Counts(0, 0, slow_default)
    routes: dict[str, list[Counts]] = {}
    for row in window.rows:
        if row.revision not in (canary, baseline):
            continue
        pair = routes.setdefault(row.route, [start, start])
        i = 0 if row.revision == canary else 1
        pair[i] = _add(pair[i], row)
    if subtract:
        for i, name in enumerate((canary, baseline)):
            probes = subtracted_probes(window, subtract, name)
            if probes != (0, 0) and "*" in routes:
                routes["*"][i] = _minus(routes["*"][i], probes)
    complete = window.complete_until if window.complete_until > window.since else None
    if complete is None:
        routes = {}  # nothing is complete: no counts at all, rather than zeros that look like data
    lag = max(0.0, (now - window.complete_until).total_seconds())
    return StratumSnapshot(
        stratum=stratum,
        routes={route: (pair[0], pair[1]) for route, pair in sorted(routes.items())},
        complete_until=complete,
        lag_s=lag,
        partial=window.partial,
    )


def totals(snapshot: StratumSnapshot) -> tuple[Counts, Counts]:
    """(canary, baseline) counts of a stratum summed over its routes (for display; the judge never pools
    routes for a comparison)."""
    return snapshot.totals()


def counts_text(c: Counts) -> str:
    """'1200 · 3 5xx · 7 slow' (slow left out where the source has no latency)."""
    slow = "" if c.slow is None else f" · {c.slow} slow"
    return f"{c.requests} · {c.errors_5xx} 5xx{slow}"


def lag_text(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def completeness(snapshot: StratumSnapshot) -> str:
    """How far the stratum's data is complete, as the chart and the tables say it:
    'data up to 14:02:10, lag 3 min' (or 'no data complete yet, lag 20 s'); '(partial)' when the
    backend answered only in part."""
    part = " (partial)" if snapshot.partial else ""
    lag = lag_text(snapshot.lag_s)
    if snapshot.complete_until is None:
        return f"no data complete yet, lag {lag}{part}"
    return f"data up to {snapshot.complete_until:%H:%M:%S}, lag {lag}{part}"
