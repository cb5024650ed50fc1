"""The traffic-list and template-change rules, checked before anything is sent to Azure.

A traffic PATCH replaces the whole list (JSON merge patch replaces arrays), so a wrong list is a wrong
production routing the moment it lands. These pure checks refuse it first, with the fix in the hint:
weights are whole numbers from 0 to 100 summing to 100, each revision appears once and is named (no
floating `latestRevision` weight, which would route traffic to a new revision as soon as it is ready),
and only active revisions receive traffic. Labels already on the app (`staging` -> a revision) survive a
traffic write: they move with their revision's entry, or stay as label-only entries (weight 0).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from apexops import azcli
from apexops.errors import ConfigError, TrafficError
from apexops.models import AppUpdate, Revision, TrafficWeight
from apexops.settings import Settings

__all__ = [
    "check_against_revisions",
    "check_update",
    "check_weights",
    "keep_labels",
    "merged_env",
    "same_routing",
    "traffic_body",
]

_MEMORY = re.compile(r"^\d+(\.\d+)?Gi$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def check_weights(weights: Sequence[TrafficWeight]) -> None:
    """Shape rules that need no call: named, unique, integral, 0..100, summing to 100."""
    if not weights:
        raise TrafficError("the traffic list is empty.",
                           hint="give every revision its weight; they sum to 100.")
    seen: set[str] = set()
    for w in weights:
        if not w.revision_name:
            raise TrafficError(
                "a traffic weight has no revision name (a floating 'latest revision' weight).",
                hint="name the revision: a floating weight would send traffic to every new revision as soon "
                "as it is ready.",
            )
        if isinstance(w.weight, bool) or not isinstance(w.weight, int) or not 0 <= w.weight <= 100:
            raise TrafficError(f"weight of {w.revision_name} is {w.weight!r}.",
                               hint="weights are whole numbers from 0 to 100.")
        if w.revision_name in seen:
            raise TrafficError(f"revision {w.revision_name} appears twice in the traffic list.",
                               hint="give each revision one entry.")
        seen.add(w.revision_name)
    total = sum(w.weight for w in weights)
    if total != 100:
        listing = ", ".join(f"{w.revision_name}={w.weight}" for w in weights)
        raise TrafficError(f"traffic weights sum to {total}, not 100 ({listing}).",
                           hint="adjust the weights so they sum to exactly 100.")


def check_against_revisions(
    settings: Settings, weights: Sequence[TrafficWeight], revisions: Iterable[Revision], mode: str
) -> tuple[list[TrafficWeight], list[str]]:
    """The list to write and notes about it; refuses unknown revisions and weight on inactive ones.

    Inactive revisions listed with weight 0 are dropped (Azure keeps deactivated revisions in the list,
    microsoft/azure-container-apps#410, so a list read back may carry them) and reported in the notes.
    """
    if mode.lower() != "multiple":
        raise TrafficError(
            f"the app is in {mode} revision mode; traffic can only be split in Multiple mode.",
            hint=f"az containerapp revision set-mode --name {settings.app.name} "
            f"--resource-group {settings.azure.resource_group} --mode multiple",
        )
    by_name = {r.name: r for r in revisions}
    keep: list[TrafficWeight] = []
    notes: list[str] = []
    for w in weights:
        rev = by_name.get(w.revision_name)
        if rev is None:
            raise TrafficError(f"revision {w.revision_name} does not exist.",
                               hint=f"list the revisions: {azcli.revision_list(settings, oneline=True)}")
        if not rev.active:
            if w.weight == 0:
                notes.append(f"dropped inactive revision {w.revision_name} (weight 0) from the list")
                continue
            raise TrafficError(
                f"revision {w.revision_name} is inactive and cannot receive {w.weight}% of traffic.",
                hint=f"activate it first: {azcli.revision_activate(settings, w.revision_name, oneline=True)}",
            )
        keep.append(w)
    return keep, notes


def keep_labels(
    weights: Sequence[TrafficWeight], current: Sequence[TrafficWeight], active: Iterable[str]
) -> tuple[list[TrafficWeight], list[str]]:
    """The list to write with the app's current labels kept, and notes about labels that cannot stay.

    A merge patch replaces the whole traffic array, so a label left out of it is deleted. A current label
    the caller does not set itself goes onto its revision's unlabelled entry, else into a label-only entry
    (weight 0; a label following the latest revision keeps following it). A label on an inactive revision
    cannot be written back (only active revisions may be listed) and is reported.
    """
    out = list(weights)
    taken = {w.label for w in out if w.label}
    live = set(active)
    notes: list[str] = []
    for cur in current:
        if not cur.label or cur.label in taken:
            continue
        taken.add(cur.label)
        slot = next((i for i, w in enumerate(out) if w.revision_name == cur.revision_name and not w.label),
                    None)
        if cur.latest_revision:
            out.append(TrafficWeight(cur.revision_name, 0, label=cur.label, latest_revision=True))
        elif slot is not None:
            out[slot] = replace(out[slot], label=cur.label)
        elif cur.revision_name in live:
            out.append(TrafficWeight(cur.revision_name, 0, label=cur.label))
        else:
            notes.append(f"dropped label {cur.label} of inactive revision {cur.revision_name}")
    return out, notes


def traffic_body(weights: Sequence[TrafficWeight]) -> list[dict[str, Any]]:
    """REST entries, each pinned to a revision name; only a label-only entry may follow `latestRevision`."""
    out: list[dict[str, Any]] = []
    for w in weights:
        floating = w.latest_revision and w.label and not w.weight
        entry: dict[str, Any] = (
            {"latestRevision": True, "weight": 0} if floating
            else {"revisionName": w.revision_name, "weight": int(w.weight)}
        )
        if w.label:
            entry["label"] = w.label
        out.append(entry)
    return out


def same_routing(written: Sequence[TrafficWeight], read: Sequence[TrafficWeight]) -> bool:
    """Whether the list read back routes like the list written (zero weights may be kept or dropped),
    with every label written pointing at the same revision."""

    def routing(ws: Sequence[TrafficWeight]) -> tuple[dict[str, int], dict[str, str]]:
        return ({w.revision_name: w.weight for w in ws if w.weight},
                {w.label: w.revision_name for w in ws if w.label})

    return routing(written) == routing(read)


def check_update(change: AppUpdate) -> None:
    """Refuse a template change Azure would refuse, or one that changes nothing, before any call."""
    if change.is_empty():
        raise ConfigError("the update changes nothing.",
                          hint="set at least one of image, env, cpu, memory, min_replicas, max_replicas.")
    if change.image is not None and (not change.image or any(ch.isspace() for ch in change.image)):
        raise ConfigError(f"image {change.image!r} is not an image reference.",
                          hint="use <registry>/<repository>:<tag>, "
                          "e.g. apexacr.azurecr.io/apex-backend:v1.2.3.")
    if change.cpu is not None and not change.cpu > 0:
        raise ConfigError(f"cpu is {change.cpu}; it must be above 0.", hint="use e.g. cpu=2.0.")
    if change.memory is not None and not _MEMORY.match(change.memory):
        raise ConfigError(f"memory {change.memory!r} is not in Gi.", hint="use e.g. memory='4Gi'.")
    if change.min_replicas is not None and change.min_replicas < 0:
        raise ConfigError(f"min_replicas is {change.min_replicas}.", hint="use 0 or more.")
    if change.max_replicas is not None and change.max_replicas < 1:
        raise ConfigError(
            f"max_replicas is {change.max_replicas}; Container Apps needs at least 1.",
            hint="to stop serving, shift traffic away and deactivate the revision instead of scaling to 0/0.",
        )
    if (change.min_replicas is not None and change.max_replicas is not None
            and change.min_replicas > change.max_replicas):
        raise ConfigError(
            f"min_replicas ({change.min_replicas}) is above max_replicas ({change.max_replicas}).",
            hint="make min_replicas <= max_replicas.",
        )
    bad = [k for k in (change.env or {}) if not _ENV_NAME.match(k)]
    if bad:
        raise ConfigError(f"environment variable name {bad[0]!r} is not valid.",
                          hint="use letters, digits and underscores, starting with a letter.")


def merged_env(current: Sequence[Mapping[str, Any]], changes: Mapping[str, str]) -> list[dict[str, Any]]:
    """`--set-env-vars` semantics: replace by name, append new; `secretref:<name>` becomes a secret ref."""

    def var(name: str, value: str) -> dict[str, Any]:
        if value.startswith("secretref:"):
            return {"name": name, "secretRef": value.removeprefix("secretref:")}
        return {"name": name, "value": value}

    merged = {v.get("name"): dict(v) for v in current}  # names are unique in a container's env
    merged.update((name, var(name, str(value))) for name, value in changes.items())
    return list(merged.values())
