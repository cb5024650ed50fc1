"""Procedure 50, before anything: which revision is the canary, which is the baseline, and is there work.

    canary    the `revision` parameter, else the app's latest revision (what 30 just created)
    baseline  the `baseline_revision` parameter, else the revision serving 100% now

and what the run will do about it:

    shift     the baseline serves 100%, the canary is another revision: run the stages
    none      the canary already serves 100% (a re-run after a promotion): nothing to shift
    refuse    the traffic is split, there is no baseline, or canary and baseline are one revision

Revisions may be named in full ("apex-backend-prod--v1-2-3") or by suffix ("v1-2-3"). An unknown name is
a ConfigError naming the parameter, before anything is read twice or changed; so is naming the revision
that already serves 100% while a newer active one waits at 0% (the old revision passed by mistake: the
run would shift nothing, so it must not read as a promotion).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apexops.canary.traffic import effective
from apexops.errors import ConfigError
from apexops.models import Revision, TrafficWeight

__all__ = ["Resolution", "find_promotion", "resolve_name", "resolve_shift"]

SHIFT_PROCEDURE = "50-"


@dataclass(frozen=True)
class Resolution:
    canary: str
    baseline: str | None
    #: shift | none | refuse
    action: str
    reason: str
    traffic: Mapping[str, int]


def resolve_name(revisions: Sequence[Revision], name: str, *, app: str, parameter: str) -> str:
    """A revision's full name from its full name or suffix; ConfigError naming the parameter if unknown."""
    names = [r.name for r in revisions]
    for candidate in (name, f"{app}--{name}"):
        if candidate in names:
            return candidate
    shown = ", ".join(names[-5:]) or "none"
    raise ConfigError(
        f"revision {name!r} (parameter {parameter}) does not exist in {app}.",
        hint=f"use one of the revisions (newest last): {shown}; or leave it empty for the default.",
    )


def resolve_shift(
    *,
    app: str,
    revisions: Sequence[Revision],
    traffic: Iterable[TrafficWeight],
    latest: str | None,
    revision: str = "",
    baseline_revision: str = "",
    previous_baseline: str | None = None,
) -> Resolution:
    """Pick canary and baseline and decide whether this run shifts, has nothing to do, or must refuse.

    `previous_baseline` is what the ledger says the canary was last shifted from (used only when the
    canary already serves 100%, to name the old revision for the stability step).
    """
    weights = effective(traffic)
    canary = resolve_name(revisions, revision, app=app, parameter="revision") if revision else latest
    if not canary:
        raise ConfigError(
            f"{app} has no latest revision to shift traffic to.",
            hint="deploy one with 30-application-deployment, or name it with the revision parameter.",
        )
    baseline = (
        resolve_name(revisions, baseline_revision, app=app, parameter="baseline_revision")
        if baseline_revision
        else None
    )
    serving = next(iter(weights)) if len(weights) == 1 else None
    found: str = canary

    def outcome(base: str | None, action: str, reason: str) -> Resolution:
        return Resolution(found, base, action, reason, weights)

    if baseline == canary:
        return outcome(baseline, "refuse", f"canary and baseline are the same revision ({canary})")
    if weights == {canary: 100}:
        _refuse_an_old_revision(revisions, canary=canary, latest=latest)
        old = baseline if baseline and baseline != canary else previous_baseline
        return outcome(old, "none", f"nothing to shift: {canary} already serves 100% of the traffic")
    if baseline is None:
        baseline = serving
    shown = ", ".join(f"{k}={v}" for k, v in sorted(weights.items())) or "(empty)"
    if baseline is None:
        return outcome(
            None,
            "refuse",
            f"traffic is split ({shown}): no single revision serves 100% to shift from; a previous run "
            "did not finish cleanly",
        )
    if weights != {baseline: 100}:
        return outcome(
            baseline, "refuse", f"traffic is {shown}, not {baseline}=100: stages start from the baseline only"
        )
    return outcome(baseline, "shift", f"{baseline} serves 100%; {canary} gets the policy's stages")


def _refuse_an_old_revision(revisions: Sequence[Revision], *, canary: str, latest: str | None) -> None:
    """ConfigError when `canary` (serving 100%) is not the newest revision and the newest is active: the
    operator named the old revision instead of the one 30 created, and the run would move nothing."""
    if not latest or latest == canary:
        return
    newest = next((r for r in revisions if r.name == latest), None)
    if newest is not None and not newest.active:
        return  # the newest was rolled back or deactivated: nothing waits to be shifted
    raise ConfigError(
        f"revision {canary} already serves 100%: nothing to shift; pass the new revision from 30's facts "
        f"(new_revision), e.g. revision={latest}.",
        hint="the revision parameter names the canary (the new revision), not the one serving now; "
        "nothing was changed.",
    )


def find_promotion(
    entries: Iterable[Mapping[str, Any]], *, env: str, revision: str
) -> tuple[datetime | None, str | None]:
    """(when, baseline) of the newest procedure-50 run that promoted `revision` in `env` (its own traffic
    move, recorded as `canary.promoted_at`; a re-run that found it at 100% already does not count)."""
    when: datetime | None = None
    baseline: str | None = None
    for entry in entries:
        canary = (entry.get("facts") or {}).get("canary") or {}
        if (
            str(entry.get("procedure", "")).startswith(SHIFT_PROCEDURE)
            and entry.get("environment") == env
            and canary.get("revision") == revision
            and canary.get("verdict") == "promoted"
            and canary.get("promoted_at")
        ):
            try:
                when = datetime.fromisoformat(str(canary["promoted_at"]))
            except ValueError:
                continue
            baseline = canary.get("baseline") or baseline
    return when, baseline
