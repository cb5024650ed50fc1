"""Which revision failed, and which one traffic goes back to (runbook step 3: "$OLD_REVISION").

    failed       the `failed_revision` parameter, else the newest revision that has traffic or is the latest
    rollback_to  the `rollback_to` parameter, else the previous revision from the ledger (procedure 50's
                 baseline for the failed revision, else procedure 30's serving `old_revisions` when it
                 created it), else the newest healthy revision older than the failed one

Each choice says where it came from, so the plan shows why that revision. The action is `rollback`,
`none` (the target already serves 100% and the failed revision is inactive: a re-run), or `refuse` (no
revision to go back to, or the same revision twice) with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apexops.canary.resolve import resolve_name
from apexops.canary.traffic import effective
from apexops.models import Revision, TrafficWeight

__all__ = ["RollbackTarget", "previous_from_ledger", "resolve_rollback"]

_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RollbackTarget:
    failed: str | None
    to: str | None
    #: where `to` came from: parameter | ledger (run id) | revisions
    source: str
    #: rollback | none | refuse
    action: str
    reason: str
    traffic: Mapping[str, int]


def _created(rev: Revision) -> datetime:
    return rev.created_time or _EPOCH


def previous_from_ledger(
    entries: Iterable[Mapping[str, Any]], *, env: str, failed: str
) -> tuple[str, str] | None:
    """(revision, run id) the ledger says served before `failed`: the newest procedure-50 run's baseline
    for it, or the newest procedure-30 run that created it (its most-weighted serving old revision)."""
    found: tuple[str, str] | None = None
    for entry in entries:
        if entry.get("environment") != env:
            continue
        facts = entry.get("facts") or {}
        procedure = str(entry.get("procedure", ""))
        run_id = str(entry.get("run_id", ""))
        canary = facts.get("canary") or {}
        if procedure.startswith("50-") and canary.get("revision") == failed and canary.get("baseline"):
            found = (str(canary["baseline"]), run_id)
        elif procedure.startswith("30-") and facts.get("new_revision") == failed:
            old = dict(facts.get("old_traffic") or {})
            old.pop(failed, None)
            serving = [r for r in facts.get("old_revisions") or [] if r != failed]
            best = max(old, key=lambda r: old[r]) if old else (serving[0] if serving else None)
            if best and best != "(latest)":
                found = (best, run_id)
    return found


def resolve_rollback(
    *,
    app: str,
    env: str,
    revisions: Sequence[Revision],
    traffic: Iterable[TrafficWeight],
    latest: str | None,
    entries: Iterable[Mapping[str, Any]] = (),
    failed_revision: str = "",
    rollback_to: str = "",
) -> RollbackTarget:
    weights = effective(traffic)
    by_name = {r.name: r for r in revisions}
    if failed_revision:
        failed: str | None = resolve_name(revisions, failed_revision, app=app, parameter="failed_revision")
    else:
        candidates = [r for r in revisions if weights.get(r.name) or r.name == latest]
        failed = max(candidates, key=_created).name if candidates else None
    to: str | None = None
    source = ""
    if rollback_to:
        to = resolve_name(revisions, rollback_to, app=app, parameter="rollback_to")
        source = "parameter rollback_to"
    elif failed is not None:
        previous = previous_from_ledger(entries, env=env, failed=failed)
        if previous and previous[0] in by_name:
            to, source = previous[0], f"ledger (run {previous[1]})"
        else:
            limit = _created(by_name[failed])
            older = [
                r
                for r in revisions
                if r.name != failed
                and _created(r) <= limit
                and r.provisioning_state != "Failed"
                and r.health_state != "Unhealthy"
            ]
            if older:
                to, source = max(older, key=_created).name, "revisions (newest healthy older revision)"

    def decide(action: str, reason: str) -> RollbackTarget:
        return RollbackTarget(failed, to, source, action, reason, weights)

    if failed is None:
        return decide("refuse", f"{app} has no revision to roll back")
    if to is None:
        return decide(
            "refuse",
            f"no revision to roll back to: nothing older than {failed} in the ledger or the revisions",
        )
    if to == failed:
        return decide("refuse", f"failed_revision and rollback_to are the same ({failed})")
    if weights == {to: 100} and not by_name[failed].active:
        return decide("none", f"already rolled back: {to} serves 100% and {failed} is inactive")
    return decide("rollback", f"{failed} → {to} (from {source})")
