"""Step 5 of procedure 30: watch the new revision until it is healthy, fails, or the time is up.

The runbook's `watch -n 5 az containerapp revision list` becomes a status model: each poll is reduced to
a phase (provisioning → running → healthy, or failed) with the replica count and restarts, and every
change of phase is kept as a row, so a notebook can render a table that updates in place and the saved
notebook shows the whole timeline. Clock and sleep are injected: the logic is tested without waiting.

Early failure, without waiting for the timeout: provisioning Failed, running state Failed, or replicas
restarting `crash_restarts` times (a crash loop never becomes healthy).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from apexops.errors import ApexopsError
from apexops.polling import poll_until

if TYPE_CHECKING:
    from apexops.models import Replica, Revision
    from apexops.ports import ContainerApp

__all__ = ["Phase", "RevisionStatus", "WatchResult", "phase_of", "watch_revision"]

Phase = Literal["provisioning", "running", "healthy", "failed"]
Outcome = Literal["healthy", "failed", "timed_out"]


@dataclass(frozen=True)
class RevisionStatus:
    """One observation of the revision, as the live table shows it."""

    elapsed_s: float
    phase: Phase
    provisioning_state: str
    running_state: str
    health_state: str
    replicas: int
    restarts: int
    note: str = ""
    ready: int | None = None  # replicas passing readiness, when the target reports it

    def row(self) -> dict[str, Any]:
        return {
            "t (s)": round(self.elapsed_s, 1),
            "phase": self.phase,
            "provisioning": self.provisioning_state,
            "running": self.running_state,
            "health": self.health_state,
            "replicas": self.replicas,
            "ready": "" if self.ready is None else self.ready,
            "restarts": self.restarts,
            "note": self.note,
        }

    def same_state(self, other: RevisionStatus) -> bool:
        """Equal in everything but time: the live table adds a row only when something changed."""
        return replace(self, elapsed_s=other.elapsed_s) == other


def phase_of(
    revision: Revision, replicas: list[Replica] | None, *, min_replicas: int, crash_restarts: int
) -> tuple[Phase, str]:
    """The phase of a revision and why; pure, so each rule is unit-tested."""
    restarts = sum(r.restart_count for r in replicas or [])
    if revision.provisioning_state == "Failed":
        return "failed", revision.provisioning_error or "provisioning failed"
    if revision.running_state == "Failed":
        return "failed", revision.provisioning_error or "running state Failed"
    if crash_restarts > 0 and restarts >= crash_restarts:
        return "failed", f"crash loop: replicas restarted {restarts} time(s)"
    if revision.provisioning_state in ("Provisioning", "Unknown", ""):
        return "provisioning", ""
    if revision.health_state == "Healthy":
        if revision.replicas >= min_replicas:
            return "healthy", ""
        return "running", f"{revision.replicas} of at least {min_replicas} replica(s)"
    if not revision.active:
        return "failed", "the revision is inactive"
    return "running", f"health {revision.health_state}"


@dataclass(frozen=True)
class WatchResult:
    """How the watch ended, the last observation of the revision, and the timeline of changes."""

    outcome: Outcome
    revision: Revision | None
    history: tuple[RevisionStatus, ...]
    reason: str
    elapsed_s: float

    @property
    def ok(self) -> bool:
        return self.outcome == "healthy"


def watch_revision(
    app: ContainerApp,
    name: str,
    *,
    min_replicas: int,
    timeout_s: float,
    poll_s: float = 1.0,
    crash_restarts: int = 2,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_status: Callable[[RevisionStatus, tuple[RevisionStatus, ...]], None] | None = None,
) -> WatchResult:
    """Poll `name` until healthy (and at least min_replicas), failed, or `timeout_s`.

    `on_status(current, history)` is called after every poll for a live display; `history` holds one
    entry per change of state (with the time it was first seen), `current` the latest poll.
    """
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive (got {timeout_s})")
    start = clock()
    history: list[RevisionStatus] = []
    last: list[Revision] = []  # the last revision read (a failed read keeps the one before)

    def look() -> RevisionStatus:
        status = _observe(app, name, clock() - start, last, min_replicas, crash_restarts)
        if not history or not history[-1].same_state(status):
            history.append(status)  # one row per change of state; its time is when it was first seen
        if on_status is not None:
            on_status(status, tuple(history))
        return status

    polled = poll_until(
        look,
        timeout_s,
        until=lambda s: s.phase in ("healthy", "failed"),
        interval_s=poll_s,
        clock=clock,
        sleep=sleep,
    )
    status, shown = polled.value, tuple(history)
    elapsed, revision = status.elapsed_s, last[0] if last else None
    if status.phase == "healthy":
        reason = f"{name} is Healthy with {status.replicas} replica(s) after {elapsed:.0f} s"
        return WatchResult("healthy", revision, shown, reason, elapsed)
    if status.phase == "failed":
        return WatchResult("failed", revision, shown, f"{name} failed: {status.note}", elapsed)
    note = f", {status.note}" if status.note else ""
    reason = f"{name} is not healthy after {timeout_s:g} s (last: {status.phase}{note})"
    return WatchResult("timed_out", revision, shown, reason, elapsed)


def _observe(
    app: ContainerApp, name: str, elapsed: float, last: list[Revision], min_replicas: int, crash_restarts: int
) -> RevisionStatus:
    """One poll of the revision and its replicas, as a status row (a failed read is shown, not fatal)."""
    note = ""
    try:
        last[:] = [app.get_revision(name)]
        replicas = app.list_replicas(name) if last[-1].active else []
    except ApexopsError as exc:
        replicas = None
        note = f"read failed: {exc.message}"
    if not last:
        return RevisionStatus(elapsed, "provisioning", "Unknown", "Unknown", "Unknown", 0, 0, note)
    revision = last[-1]
    phase, why = phase_of(revision, replicas, min_replicas=min_replicas, crash_restarts=crash_restarts)
    return RevisionStatus(
        elapsed,
        phase,
        revision.provisioning_state,
        revision.running_state,
        revision.health_state,
        revision.replicas,
        sum(r.restart_count for r in replicas or []),
        note or why,
        None if replicas is None else sum(1 for r in replicas if r.ready),
    )
