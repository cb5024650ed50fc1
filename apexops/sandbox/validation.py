"""Azure Container Apps' validation rules for revision templates and traffic lists, as pure functions.

Each failure is one line naming the parameter and the fix, raised before anything changes: the control
plane calls these first and writes only what passed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apexops.errors import InvalidRequestError, TrafficError

__all__ = [
    "MAX_SANDBOX_REPLICAS",
    "RESERVED_ENV_PREFIXES",
    "TRAFFIC_RULES",
    "validate_template",
    "validate_traffic",
]

MAX_SANDBOX_REPLICAS = 10
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)Gi$")
#: variables the platform sets in every replica; a template may not override them (as in ACA)
RESERVED_ENV_PREFIXES = ("CONTAINER_APP_",)


def validate_template(template: Mapping[str, Any]) -> None:
    """ACA's checks on a revision template, each failure one line naming the parameter and the fix."""
    for key in ("min_replicas", "max_replicas"):
        value = template.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidRequestError(f"{key} must be a whole number (got {value!r}).", hint=f"pass {key}=1.")
        if value < 0:
            raise InvalidRequestError(
                f"{key} must be 0 or more (got {value}).", hint=f"pass {key}=0 or a positive number."
            )
    lo, hi = template["min_replicas"], template["max_replicas"]
    if hi < 1:
        raise InvalidRequestError(f"max_replicas must be at least 1 (got {hi}).", hint="pass max_replicas=1.")
    if lo > hi:
        raise InvalidRequestError(
            f"min_replicas ({lo}) is above max_replicas ({hi}).",
            hint="raise max_replicas or lower min_replicas.",
        )
    if hi > MAX_SANDBOX_REPLICAS:
        raise InvalidRequestError(
            f"max_replicas {hi} is above the sandbox limit of {MAX_SANDBOX_REPLICAS} (replicas are real "
            "processes).",
            hint=f"pass max_replicas={MAX_SANDBOX_REPLICAS} or less.",
        )
    cpu, memory = template.get("cpu"), str(template.get("memory"))
    m = _MEMORY.match(memory)
    combos = "0.25/0.5Gi, 0.5/1Gi, 0.75/1.5Gi ... 4/8Gi"
    if not isinstance(cpu, int | float) or isinstance(cpu, bool) or not 0.25 <= cpu <= 4 or (cpu * 4) % 1:
        raise InvalidRequestError(
            f"cpu {cpu!r} is not a valid Container Apps CPU allocation.",
            hint=f"use a multiple of 0.25 between 0.25 and 4 with memory twice the CPU ({combos}).",
        )
    if not m or abs(float(m.group(1)) - 2 * float(cpu)) > 1e-9:
        raise InvalidRequestError(
            f"cpu {cpu} with memory {memory} is not a valid Container Apps combination.",
            hint=f"memory must be twice the CPU in Gi ({combos}).",
        )
    env = template.get("env") or {}
    for name, value in env.items():
        if not _ENV_NAME.match(str(name)) or not isinstance(value, str):
            raise InvalidRequestError(
                f"environment variable {name!r} must have a valid name and a string value.",
                hint="use names like LOG_LEVEL and quote values, e.g. {'DEBUG': 'false'}.",
            )
        if str(name).startswith(RESERVED_ENV_PREFIXES):
            raise InvalidRequestError(
                f"environment variable {name} is set by the platform and cannot be overridden.",
                hint="remove it from the update.",
            )


@dataclass(frozen=True)
class _Entry:
    """One entry of a traffic list as given, with what the rules need to know about it."""

    name: str | None
    latest: bool
    weight: Any
    label: Any
    target: Any  # the revision it routes to (None when unknown or when latestRevision has none yet)

    @property
    def key(self) -> str:
        return "latestRevision" if self.latest else str(self.name)


@dataclass
class _Seen:
    """What the rules compare an entry with: the app's revisions and the entries before it."""

    revisions: Mapping[str, Any]
    latest_ready: Any
    keys: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)


_Rule = Callable[[_Entry, _Seen], "TrafficError | None"]


def _weight_is_a_percentage(e: _Entry, _seen: _Seen) -> TrafficError | None:
    w = e.weight
    if not isinstance(w, int) or isinstance(w, bool) or not 0 <= w <= 100:
        return TrafficError(
            f"traffic weight {w!r} for {e.name or 'latestRevision'} is not an integer from 0 to 100.",
            hint="use whole percentages that sum to 100.",
        )
    return None


def _name_or_latest_not_both(e: _Entry, _seen: _Seen) -> TrafficError | None:
    if e.latest and e.name:
        return TrafficError(
            f"traffic entry for {e.name} sets both revisionName and latestRevision.",
            hint="name a revision or set latestRevision, not both.",
        )
    return None


def _latest_is_ready(e: _Entry, seen: _Seen) -> TrafficError | None:
    if e.latest and e.weight and seen.latest_ready is None:
        return TrafficError(
            "latestRevision has weight but no revision is ready yet.", hint="name the revision explicitly."
        )
    return None


def _names_a_revision(e: _Entry, _seen: _Seen) -> TrafficError | None:
    if not e.latest and not e.name:
        return TrafficError("a traffic entry names no revision.", hint="set revision_name on every entry.")
    return None


def _revision_exists(e: _Entry, seen: _Seen) -> TrafficError | None:
    if not e.latest and e.name not in seen.revisions:
        return TrafficError(
            f"revision {e.name!r} in the traffic list does not exist.",
            hint=f"known revisions: {', '.join(seen.revisions) or 'none'}.",
        )
    return None


def _listed_once(e: _Entry, seen: _Seen) -> TrafficError | None:
    if e.key in seen.keys:
        return TrafficError(
            f"{e.key} appears twice in the traffic list.",
            hint="list each revision once with its total weight.",
        )
    return None


def _weighted_revision_is_active(e: _Entry, _seen: _Seen) -> TrafficError | None:
    if e.weight and e.target is not None and not e.target.active:
        return TrafficError(
            f"revision {e.target.name} is inactive and cannot receive traffic (weight {e.weight}).",
            hint=f"activate {e.target.name} first, or give it weight 0.",
        )
    return None


def _label_is_valid_and_unique(e: _Entry, seen: _Seen) -> TrafficError | None:
    label = e.label
    if label is None:
        return None
    if not isinstance(label, str) or not _LABEL.match(label) or "--" in label or label in seen.labels:
        return TrafficError(
            f"label {label!r} is not valid or is used twice.",
            hint="labels are unique lowercase names with single dashes.",
        )
    return None


#: ACA's checks on each traffic entry, in the order ACA reports them; the first failure is raised
TRAFFIC_RULES: tuple[_Rule, ...] = (
    _weight_is_a_percentage,
    _name_or_latest_not_both,
    _latest_is_ready,
    _names_a_revision,
    _revision_exists,
    _listed_once,
    _weighted_revision_is_active,
    _label_is_valid_and_unique,
)


def _entry(raw: Mapping[str, Any], seen: _Seen) -> _Entry:
    name = raw.get("revisionName") or raw.get("revision_name")
    latest = bool(raw.get("latestRevision") or raw.get("latest_revision"))
    target = seen.latest_ready if latest else seen.revisions.get(name) if isinstance(name, str) else None
    return _Entry(name, latest, raw.get("weight"), raw.get("label"), target)


def validate_traffic(
    weights: Sequence[Mapping[str, Any]], revisions: Mapping[str, Any], latest_ready: Any
) -> list[dict[str, Any]]:
    """ACA's traffic invariants, checked before anything is written; returns the normalised entries."""
    if not isinstance(weights, Sequence) or isinstance(weights, str | bytes) or not weights:
        raise TrafficError(
            "the traffic list is empty; weights must sum to 100.",
            hint="pass every revision that should receive traffic, e.g. [(baseline, 100)].",
        )
    seen = _Seen(revisions, latest_ready)
    entries: list[dict[str, Any]] = []
    for raw in weights:
        e = _entry(raw, seen)
        for rule in TRAFFIC_RULES:
            if (error := rule(e, seen)) is not None:
                raise error
        seen.keys.add(e.key)
        entry: dict[str, Any] = {"weight": e.weight}
        entry.update({"latestRevision": True} if e.latest else {"revisionName": e.name})
        if e.label is not None:  # valid (a non-empty name) once the rules passed
            seen.labels.add(e.label)
            entry["label"] = e.label
        entries.append(entry)
    total = sum(e["weight"] for e in entries)
    if total != 100:
        raise TrafficError(
            f"traffic weights sum to {total}; they must sum to 100.",
            hint="adjust the weights so that the whole list sums to 100.",
        )
    return entries
