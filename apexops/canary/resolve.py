"""Procedure 50, before anything: which revision is the canary, which is the baseline, and is there work.

    canary    the `revision` parameter, else the app's latest revision (what 30 just created)
    baseline  the `baseline_revision` parameter, else the revision serving 100% now

and what the run will do about it:

    shift     the baseline serves 100%, the canary is another revision: run the stages
    none      the canary already serves 100% (a re-run after a promotion): nothing to shift
    refuse    the traffic is split, or there is no baseline: a previous run did not finish cleanly

Revisions may be named in full ("apex-backend-prod--v1-2-3") or by suffix ("v1-2-3"). An unknown name is
a ConfigError naming the parameter, before anything is read twice or changed.
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
    if weights == {canary: 100}:
        old = baseline if baseline and baseline != canary else previous_baseline
        return Resolution(
            canary, old, "none", f"nothing to shift: {canary} already serves 100% of the traffic", weights
        )
    if baseline is None:
        baseline = serving
    shown = ", ".join(f"{k}={v}" for k, v in sorted(weights.items())) or "(empty)"
    if baseline is None:
        return Resolution(
            canary,
            None,
            "refuse",
            f"traffic is split ({shown}): no single revision serves 100% to shift from; a previous run "
            "did not finish cleanly",
            weights,
        )
    if baseline == canary:
        return Resolution(
            canary, baseline, "refuse", f"canary and baseline are the same revision ({canary})", weights
        )
    if weights != {baseline: 100}:
        return Resolution(
            canary,
            baseline,
            "refuse",
            f"traffic is {shown}, not {baseline}=100: stages start from the baseline only",
            weights,
        )
    return Resolution(
        canary, baseline, "shift", f"{baseline} serves 100%; {canary} gets the policy's stages", weights
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
