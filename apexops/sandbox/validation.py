"""Azure Container Apps' validation rules for revision templates and traffic lists, as pure functions.

Each failure is one line naming the parameter and the fix, raised before anything changes: the control
plane calls these first and writes only what passed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from apexops.errors import InvalidRequestError, TrafficError

__all__ = ["MAX_SANDBOX_REPLICAS", "RESERVED_ENV_PREFIXES", "validate_template", "validate_traffic"]

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


def validate_traffic(
    weights: Sequence[Mapping[str, Any]], revisions: Mapping[str, Any], latest_ready: Any
) -> list[dict[str, Any]]:
    """ACA's traffic invariants, checked before anything is written; returns the normalised entries."""
    if not isinstance(weights, Sequence) or isinstance(weights, str | bytes) or not weights:
        raise TrafficError(
            "the traffic list is empty; weights must sum to 100.",
            hint="pass every revision that should receive traffic, e.g. [(baseline, 100)].",
        )
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    labels: set[str] = set()
    for raw in weights:
        name, latest = (
            raw.get("revisionName") or raw.get("revision_name"),
            bool(raw.get("latestRevision") or raw.get("latest_revision")),
        )
        weight, label = raw.get("weight"), raw.get("label")
        if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 100:
            raise TrafficError(
                f"traffic weight {weight!r} for {name or 'latestRevision'} is not an integer from 0 to 100.",
                hint="use whole percentages that sum to 100.",
            )
        if latest and name:
            raise TrafficError(
                f"traffic entry for {name} sets both revisionName and latestRevision.",
                hint="name a revision or set latestRevision, not both.",
            )
        if latest:
            key = "latestRevision"
            if weight and latest_ready is None:
                raise TrafficError(
                    "latestRevision has weight but no revision is ready yet.",
                    hint="name the revision explicitly.",
                )
            target = latest_ready
        else:
            if not name:
                raise TrafficError(
                    "a traffic entry names no revision.", hint="set revision_name on every entry."
                )
            if name not in revisions:
                known = ", ".join(revisions) or "none"
                raise TrafficError(
                    f"revision {name!r} in the traffic list does not exist.",
                    hint=f"known revisions: {known}.",
                )
            key, target = name, revisions[name]
        if key in seen:
            raise TrafficError(
                f"{key} appears twice in the traffic list.",
                hint="list each revision once with its total weight.",
            )
        seen.add(key)
        if weight and target is not None and not target.active:
            raise TrafficError(
                f"revision {target.name} is inactive and cannot receive traffic (weight {weight}).",
                hint=f"activate {target.name} first, or give it weight 0.",
            )
        if label is not None:
            if not isinstance(label, str) or not _LABEL.match(label) or "--" in label or label in labels:
                raise TrafficError(
                    f"label {label!r} is not valid or is used twice.",
                    hint="labels are unique lowercase names with single dashes.",
                )
            labels.add(label)
        entry: dict[str, Any] = {"weight": weight}
        entry.update({"latestRevision": True} if latest else {"revisionName": name})
        if label:
            entry["label"] = label
        entries.append(entry)
    total = sum(e["weight"] for e in entries)
    if total != 100:
        raise TrafficError(
            f"traffic weights sum to {total}; they must sum to 100.",
            hint="adjust the weights so that the whole list sums to 100.",
        )
    return entries
