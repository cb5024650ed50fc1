"""Measure: what the judge sees at one poll of one stage, built from the ports' domain types.

The observation is the only input of the judge's evaluation, so a decision can be replayed, tested and
audited from it alone: cumulative per-revision counts since the stage started (up to now minus the
telemetry's ingestion lag), how long the stage has run, the weights, the revisions' states, the canary's
replica restarts, whether telemetry was partial, and the state of the sequential harm tests from the
previous poll (the judge returns it in every Decision; the runner passes it back with the next poll).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from apexops.models import Replica, RequestStats, Revision

__all__ = [
    "Counts",
    "HarmState",
    "Observation",
    "RevisionSnapshot",
    "Stratum",
    "StratumSnapshot",
    "measure",
    "restarts_since",
]

#: per (stratum, route) cell: cumulative canary (requests, 5xx, slow) and baseline (same) folded in so far
CellCounts = tuple[int, int, int, int, int, int]


class Stratum(StrEnum):
    """A kind of evidence, judged on its own (issue 12): apexops' own probes, the platform's per-revision
    counters (errors only), and the users' requests from Application Insights (per route, with latency)."""

    PROBES = "probes"
    PLATFORM = "platform"
    USERS = "users"


@dataclass(frozen=True)
class Counts:
    """One revision's counts in one cell; `slow` None when the source has no latency (platform metrics)."""

    requests: int = 0
    errors_5xx: int = 0
    slow: int | None = 0

    def __post_init__(self) -> None:
        slow = self.slow or 0
        if min(self.requests, self.errors_5xx, slow) < 0:
            raise ValueError(f"counts must not be negative (got {self})")
        if self.errors_5xx > self.requests or slow > self.requests:
            raise ValueError(f"5xx and slow cannot exceed requests (got {self})")


@dataclass(frozen=True)
class StratumSnapshot:
    """One stratum at one poll: per route (canary, baseline) counts, cumulative since the stage started
    (probes: since the warm-up started, for stage 1), complete up to `complete_until`."""

    stratum: Stratum
    #: route -> (canary, baseline)
    routes: Mapping[str, tuple[Counts, Counts]]
    #: None: nothing is complete yet, so the stratum says nothing (never read as zero)
    complete_until: datetime | None = None
    #: for display: how far behind now the data is
    lag_s: float = 0.0
    #: the backend returned only part of the data: not folded in, never promotes
    partial: bool = False

    @property
    def usable(self) -> bool:
        """Whether the judge may use it at all: something is complete and nothing is known missing."""
        return self.complete_until is not None and not self.partial

    @property
    def has_latency(self) -> bool:
        return bool(self.routes) and all(
            c.slow is not None and b.slow is not None for c, b in self.routes.values()
        )

    def totals(self) -> tuple[Counts, Counts]:
        """(canary, baseline) summed over routes; slow None when any route has no latency."""
        sums = []
        for side in (0, 1):
            cells = [pair[side] for pair in self.routes.values()]
            slow = None if any(c.slow is None for c in cells) else sum(c.slow or 0 for c in cells)
            sums.append(Counts(sum(c.requests for c in cells), sum(c.errors_5xx for c in cells), slow))
        return sums[0], sums[1]


@dataclass(frozen=True)
class HarmState:
    """The sequential harm tests' memory between polls (one per rollout, advanced poll by poll).

    The harm e-process multiplies one likelihood ratio per poll interval, each computed with that
    interval's own traffic split, so it needs the counts of the previous poll and what it accumulated.
    """

    stage_index: int
    #: log of the wealth riding on this stage, per harm check (restart weight + what earlier stages carried)
    log_wealth: Mapping[str, float]
    #: accumulated log likelihood ratio per mixture grid point, per harm check, this stage so far
    log_lr: Mapping[str, tuple[float, ...]]
    #: log Bayes factor of this stage so far, per harm check
    log_bf: Mapping[str, float]
    #: cumulative counts at the last poll folded in: canary (requests, 5xx, slow), baseline (same)
    counts: tuple[int, int, int, int, int, int] = (0, 0, 0, 0, 0, 0)
    #: with strata: stratum -> route -> the largest cumulative counts folded in so far (counts may grow for
    #: past times as late data arrives; the next increment is what goes beyond these)
    cells: Mapping[str, Mapping[str, CellCounts]] = field(default_factory=dict)


@dataclass(frozen=True)
class RevisionSnapshot:
    """One revision at one poll: counts since the stage started, and its states."""

    name: str
    #: traffic weight (percent) the ingress list gives it during this stage
    weight: int
    requests: int = 0
    errors_5xx: int = 0
    #: requests at or above the SLO's latency threshold
    slow: int = 0
    p95_ms: float | None = None
    #: the telemetry backend returned only part of the data for this revision
    partial: bool = False
    provisioning_state: str = "Provisioned"
    health_state: str = "Healthy"
    running_state: str = "Running"
    active: bool = True
    #: container restarts of its replicas since the rollout began
    restarts: int = 0

    def __post_init__(self) -> None:
        if min(self.requests, self.errors_5xx, self.slow, self.restarts) < 0:
            raise ValueError(f"counts of {self.name} must not be negative")
        if self.errors_5xx > self.requests or self.slow > self.requests:
            raise ValueError(
                f"{self.name}: 5xx ({self.errors_5xx}) and slow ({self.slow}) cannot exceed "
                f"requests ({self.requests})"
            )


@dataclass(frozen=True)
class Observation:
    """Everything one judgement is made from (time is passed in, never read)."""

    #: 0-based index of the stage in the policy
    stage_index: int
    #: seconds since the stage's traffic list was written and read back
    elapsed_s: float
    canary: RevisionSnapshot
    baseline: RevisionSnapshot
    #: the previous poll's Decision.state. None starts the harm tests afresh, which is always valid
    #: (it only forgets evidence) but slower to detect harm.
    state: HarmState | None = None
    #: when the observation was taken (for records only; the judge never uses the wall clock)
    at: datetime | None = None
    #: the strata of evidence (issue 12). Empty: the judge uses `canary`/`baseline` counts as one users'
    #: stratum, exactly as before. Given: the judge uses ONLY the strata's counts (the snapshots' counts
    #: are ignored; their weight, states and restarts still count).
    strata: tuple[StratumSnapshot, ...] = ()

    def __post_init__(self) -> None:
        if self.elapsed_s < 0:
            raise ValueError(f"elapsed_s must be >= 0 (got {self.elapsed_s})")
        names = [s.stratum for s in self.strata]
        if len(set(names)) != len(names):
            raise ValueError(f"each stratum at most once per observation (got {[str(n) for n in names]})")

    def stratum(self, which: Stratum | str) -> StratumSnapshot | None:
        """The snapshot of one stratum, None when the observation has none for it."""
        return next((s for s in self.strata if s.stratum == which), None)

    @property
    def partial(self) -> bool:
        return self.canary.partial or self.baseline.partial

    def counts(self) -> tuple[int, int, int, int, int, int]:
        c, b = self.canary, self.baseline
        return (c.requests, c.errors_5xx, c.slow, b.requests, b.errors_5xx, b.slow)

    @property
    def canary_share(self) -> float | None:
        """The canary's observed share of requests; None before any request was seen."""
        total = self.canary.requests + self.baseline.requests
        return self.canary.requests / total if total else None


def _snapshot(
    revision: Revision | None,
    name: str,
    weight: int,
    stats: RequestStats | None,
    restarts: int,
) -> RevisionSnapshot:
    return RevisionSnapshot(
        name=name,
        weight=weight,
        requests=stats.requests if stats else 0,
        errors_5xx=stats.errors_5xx if stats else 0,
        slow=stats.slow if stats else 0,
        p95_ms=stats.p95_ms if stats else None,
        # the port lists every named revision (zero counts included): no row at all is missing data
        partial=stats.partial if stats else True,
        provisioning_state=revision.provisioning_state if revision else "Unknown",
        health_state=revision.health_state if revision else "Unknown",
        running_state=revision.running_state if revision else "Unknown",
        active=revision.active if revision else False,
        restarts=restarts,
    )


def restarts_since(replicas: Iterable[Replica], at_start: Mapping[str, int]) -> int:
    """Container restarts of these replicas since `at_start` (replica name -> restart count then)."""
    return sum(max(0, r.restart_count - at_start.get(r.name, 0)) for r in replicas)


def measure(
    *,
    stage_index: int,
    elapsed_s: float,
    canary: Revision,
    baseline: Revision,
    weights: Mapping[str, int],
    stats: Mapping[str, RequestStats],
    canary_restarts: int = 0,
    state: HarmState | None = None,
    at: datetime | None = None,
    strata: tuple[StratumSnapshot, ...] = (),
) -> Observation:
    """Build an Observation from the ports' answers for one poll.

    `stats` is `Telemetry.request_stats(stage_start, now - lag, revisions=[canary, baseline],
    slow_ms=slo.latency_ms)`; `weights` the traffic list read back at the stage start. With `strata`
    (issue 12) the judge uses only the strata's counts; `stats` may then be empty (the snapshots'
    counts are zero and, having no row, marked partial, which the judge ignores with strata).
    """
    return Observation(
        stage_index=stage_index,
        elapsed_s=elapsed_s,
        canary=_snapshot(
            canary, canary.name, weights.get(canary.name, 0), stats.get(canary.name), canary_restarts
        ),
        baseline=_snapshot(
            baseline, baseline.name, weights.get(baseline.name, 0), stats.get(baseline.name), 0
        ),
        state=state,
        at=at,
        strata=strata,
    )
