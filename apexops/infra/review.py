"""The runbook's what-if review ("Review carefully") as a rules table, applied to every predicted change.

    ✅ Expected:   new Container App revision, updated configuration
    ⚠️ Warning:    resource deletion (should not happen in a normal deployment)
    ❌ Unexpected: changes to VNet, NSGs, Private Endpoints (should be stable)

Each change gets the first rule that matches it (change type, resource type, and for some rules a
property path of the delta). Unexpected changes BLOCK the deployment unless the operator acknowledges each
one with a parameter bound to the change and the resource, `Modify@vnet-apex-prod`, so an acknowledgement
given for one resource can never wave through another. Warnings are shown and recorded but do not block.
Pure logic: no I/O, unit-tested on WhatIfChange values.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from apexops.errors import ApexopsError, ConfigError
from apexops.models import WhatIfChange, WhatIfResult
from apexops.status import Status

__all__ = [
    "RULES",
    "DeploymentBlocked",
    "Review",
    "ReviewRule",
    "ReviewedChange",
    "leaf_changes",
    "parse_acknowledge",
    "review_changes",
]

Level = Literal["UNCHANGED", "EXPECTED", "WARNING", "UNEXPECTED"]

NETWORK_TYPES = (
    "microsoft.network/virtualnetworks",  # subnets and peerings are child types: prefix match
    "microsoft.network/networksecuritygroups",
    "microsoft.network/privateendpoints",
)
CONTAINER_APP = ("microsoft.app/containerapps",)


class DeploymentBlocked(ApexopsError):
    """The what-if review found unexpected changes that were not acknowledged; nothing was deployed."""


@dataclass(frozen=True)
class ReviewRule:
    """One line of the review table: which changes it matches, how they are judged, and why."""

    id: str
    level: Level
    reason: str
    change_types: frozenset[str] = frozenset()  # empty: any change type
    resource_types: tuple[str, ...] = ()  # lowercase type prefixes; empty: any type
    property_paths: tuple[str, ...] = ()  # the rule matches only if a delta path contains one of these

    def matches(self, change: WhatIfChange) -> bool:
        if self.change_types and change.change_type not in self.change_types:
            return False
        rtype = change.resource_type.lower()
        if self.resource_types and not any(
            rtype == t or rtype.startswith(t + "/") for t in self.resource_types
        ):
            return False
        if self.property_paths:
            leaves = [
                leaf[0]
                for d in change.delta
                for leaf in leaf_changes(d.path, d.change_type, d.before, d.after)
            ]
            paths = [path.lower() for path in (*(d.path for d in change.delta), *leaves)]
            return any(p in path for p in self.property_paths for path in paths)
        return True


_ANY_CHANGE = frozenset({"Create", "Modify", "Delete"})

#: the review table, first match wins (order matters: specific rules before general ones)
RULES: tuple[ReviewRule, ...] = (
    ReviewRule("INF-001", "UNCHANGED", "no change", frozenset({"NoChange"})),
    ReviewRule(
        "INF-002",
        "UNCHANGED",
        "not in the template: Incremental mode leaves it as it is",
        frozenset({"Ignore"}),
    ),
    ReviewRule(
        "INF-010",
        "UNEXPECTED",
        "changes the container app's traffic or revision mode: traffic belongs to 50-traffic-shifting and "
        "60-rollback, never to an infrastructure deployment",
        frozenset({"Modify"}),
        CONTAINER_APP,
        ("ingress.traffic", "activerevisionsmode"),
    ),
    ReviewRule(
        "INF-011",
        "UNEXPECTED",
        "changes to VNet, NSGs and private endpoints are unexpected: they should be stable (runbook)",
        frozenset({"Modify", "Delete"}),
        NETWORK_TYPES,
    ),
    ReviewRule(
        "INF-020",
        "WARNING",
        "resource deletion should not happen in a normal deployment (runbook)",
        frozenset({"Delete"}),
    ),
    ReviewRule(
        "INF-030",
        "EXPECTED",
        "container app revision / configuration change (runbook: expected)",
        frozenset({"Create", "Modify"}),
        CONTAINER_APP,
    ),
    ReviewRule(
        "INF-040",
        "WARNING",
        "network resource does not exist yet: expected only on the environment's first deployment",
        frozenset({"Create"}),
        NETWORK_TYPES,
    ),
    ReviewRule(
        "INF-041",
        "WARNING",
        "new resource: expected on a first deployment, otherwise confirm it is intended",
        frozenset({"Create"}),
    ),
    ReviewRule(
        "INF-042",
        "WARNING",
        "configuration change of a stateful resource: review the property changes below",
        frozenset({"Modify"}),
    ),
    ReviewRule(
        "INF-050",
        "WARNING",
        "what-if cannot predict this resource; it is evaluated during the deployment",
        frozenset({"Unsupported"}),
    ),
    ReviewRule(
        "INF-051",
        "WARNING",
        "ARM cannot predict the change (e.g. a deployment script runs every time)",
        frozenset({"Deploy"}),
    ),
    ReviewRule("INF-099", "WARNING", "unknown change type: review it by hand"),
)

_ICON = {"UNCHANGED": "·", "EXPECTED": "✅", "WARNING": "⚠️", "UNEXPECTED": "❌"}
_LEVEL_STATUS = {
    "UNCHANGED": Status.INFO,
    "EXPECTED": Status.PASS,
    "WARNING": Status.WARN,
    "UNEXPECTED": Status.WARN,  # acknowledged (one that is not blocks: FAIL)
}
#: the review's verdict when unacknowledged unexpected changes would refuse the deployment (reads as FAIL)
BLOCKED = "BLOCKED"
_ACK = re.compile(r"^(?P<change>[A-Za-z]+)@(?P<name>[A-Za-z0-9][A-Za-z0-9._/()-]*)$")


def parse_acknowledge(text: str) -> tuple[str, ...]:
    """`"Modify@vnet-apex-prod, Delete@pe-sql-apex-prod"` -> keys; ConfigError naming the bad entry."""
    keys: list[str] = []
    for raw in (text or "").split(","):
        entry = raw.strip()
        if not entry:
            continue
        m = _ACK.match(entry)
        if not m or m.group("change") not in _ANY_CHANGE:
            raise ConfigError(
                f"acknowledge entry {entry!r} is not CHANGE@RESOURCE.",
                hint='use the keys the review shows as blocking, e.g. acknowledge="Modify@vnet-apex-prod" '
                "(CHANGE is Create, Modify or Delete).",
            )
        keys.append(f"{m.group('change')}@{m.group('name')}")
    return tuple(dict.fromkeys(keys))


def _short(value: Any, limit: int = 80) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class ReviewedChange:
    change: WhatIfChange
    rule: ReviewRule
    acknowledged: bool = False

    @property
    def key(self) -> str:
        """The acknowledgement key bound to this change and resource, e.g. Modify@vnet-apex-prod."""
        return f"{self.change.change_type}@{self.change.name}"

    @property
    def blocking(self) -> bool:
        return self.rule.level == "UNEXPECTED" and not self.acknowledged

    @property
    def status(self) -> Status:
        """For coloured tables: FAIL when it blocks, else the level's status (an acknowledged one WARNs)."""
        return Status.FAIL if self.blocking else _LEVEL_STATUS[self.rule.level]

    @property
    def judgement(self) -> str:
        if self.rule.level == "UNEXPECTED":
            return "unexpected: acknowledged" if self.acknowledged else f"unexpected: BLOCKS ({self.key})"
        return self.rule.level.lower()

    def row(self) -> dict[str, Any]:
        c = self.change
        paths = [d.path for d in c.delta]
        shown = ", ".join(paths[:3]) + (f" (+{len(paths) - 3})" if len(paths) > 3 else "")
        return {
            " ": _ICON[self.rule.level],
            "resource": c.name,
            "type": c.resource_type,
            "change": c.change_type,
            "properties": shown or (c.unsupported_reason or ""),
            "review": self.status,
            "judgement": self.judgement,
            "rule": self.rule.id,
            "reason": self.rule.reason,
        }


@dataclass(frozen=True)
class Review:
    """The reviewed what-if: one judged row per resource, the verdict, and what blocks."""

    status: str  # the what-if's own status (Succeeded / Failed)
    items: tuple[ReviewedChange, ...]
    error_message: str | None = None

    @property
    def failed(self) -> bool:
        return self.status != "Succeeded"

    @property
    def blocked(self) -> tuple[ReviewedChange, ...]:
        return tuple(i for i in self.items if i.blocking)

    @property
    def warnings(self) -> tuple[ReviewedChange, ...]:
        return tuple(i for i in self.items if i.rule.level == "WARNING")

    @property
    def acknowledged(self) -> tuple[ReviewedChange, ...]:
        return tuple(i for i in self.items if i.acknowledged)

    @property
    def verdict(self) -> str:
        """FAIL (what-if failed), BLOCKED (a FAIL that names why), WARN (warnings or acknowledged), PASS."""
        if self.blocked and not self.failed:
            return BLOCKED
        return str(
            Status.FAIL if self.failed else Status.WARN if self.warnings or self.acknowledged else Status.PASS
        )

    def counts(self) -> dict[str, int]:
        return dict(Counter(i.change.change_type for i in self.items))

    def changes(self) -> tuple[ReviewedChange, ...]:
        """The items that change something (NoChange and Ignore left out)."""
        return tuple(i for i in self.items if i.rule.level != "UNCHANGED")

    def rows(self) -> list[dict[str, Any]]:
        order = {"UNEXPECTED": 0, "WARNING": 1, "EXPECTED": 2, "UNCHANGED": 3}
        return [i.row() for i in sorted(self.items, key=lambda i: order[i.rule.level])]

    def delta_rows(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """Property-level changes of the resources that change, down to the leaves that differ.

        A what-if may report a whole array as changed (`properties.template.containers`); the leaves
        (`...containers[0].image`) are what a reviewer needs to see.
        """
        leaves = [
            (i.change.name, leaf)
            for i in self.changes()
            for d in i.change.delta
            for leaf in leaf_changes(d.path, d.change_type, d.before, d.after)
        ]
        return [
            {
                "resource": name,
                "property": path,
                "change": kind,
                "before": _short(before),
                "after": _short(after),
            }
            for name, (path, kind, before, after) in leaves[:limit]
        ]

    def summary(self) -> str:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(self.counts().items())) or "no resources"
        if self.failed:
            return f"what-if failed: {self.error_message}"
        text = f"{counts}; {len(self.warnings)} warning(s)"
        if self.blocked:
            text += f"; BLOCKED by {', '.join(i.key for i in self.blocked)}"
        if self.acknowledged:
            text += f"; acknowledged {', '.join(i.key for i in self.acknowledged)}"
        return text

    def reasons(self) -> list[str]:
        failed = [f"what-if failed: {self.error_message}"] if self.failed else []
        return [
            *failed,
            *(f"{i.key}: {i.rule.reason}" for i in self.blocked),
            *(f"warning {i.key}: {i.rule.reason}" for i in self.warnings),
        ]

    def require(self, *, dry_run: bool) -> None:
        """Raise DeploymentBlocked for a real run with unacknowledged unexpected changes (dry run: no-op)."""
        if dry_run or not self.blocked:
            return
        keys = ",".join(i.key for i in self.blocked)
        raise DeploymentBlocked(
            f"the what-if shows {len(self.blocked)} unexpected change(s) not acknowledged: {keys}; "
            "nothing was deployed.",
            hint=f'review the property changes; if each one is intended, re-run with acknowledge="{keys}".',
        )

    def facts(self) -> dict[str, Any]:
        return {
            "what_if": self.counts(),
            "review_verdict": self.verdict,
            "review_blocked": [i.key for i in self.blocked],
            "review_warnings": [i.key for i in self.warnings],
            "acknowledged": [i.key for i in self.acknowledged],
        }


def leaf_changes(path: str, kind: str, before: Any, after: Any) -> list[tuple[str, str, Any, Any]]:
    """(path, change, before, after) for each leaf that differs between two JSON values.

    Objects are compared key by key, lists of the same length item by item, lists of named items (env
    vars, rules, subnets) name by name; anything else is one leaf.
    """
    keyed = _keyed(before, after)
    if keyed is None:
        return [(path, kind, before, after)]
    b, a, child = keyed
    out: list[tuple[str, str, Any, Any]] = []
    for key in [*b, *(k for k in a if k not in b)]:
        sub = child(path, key)
        if key not in a:
            out.append((sub, "Delete", b[key], None))
        elif key not in b:
            out.append((sub, "Create", None, a[key]))
        elif b[key] != a[key]:
            out.extend(leaf_changes(sub, "Modify", b[key], a[key]))
    return out


def _keyed(
    before: Any, after: Any
) -> tuple[dict[Any, Any], dict[Any, Any], Callable[[str, Any], str]] | None:
    """Both values as mappings to compare key by key, with how a child's path is written; None for a leaf."""
    if isinstance(before, dict) and isinstance(after, dict):
        return before, after, lambda path, key: f"{path}.{key}" if path else str(key)
    if not (isinstance(before, list) and isinstance(after, list)):
        return None
    if len(before) == len(after):
        return dict(enumerate(before)), dict(enumerate(after)), lambda path, n: f"{path}[{n}]"
    if all(isinstance(x, dict) and "name" in x for x in [*before, *after]):
        by_name = ({x["name"]: x for x in before}, {x["name"]: x for x in after})
        return *by_name, lambda path, name: f"{path}[name={name}]"
    return None


def review_changes(
    result: WhatIfResult, acknowledge: Iterable[str] = (), *, rules: Sequence[ReviewRule] = RULES
) -> Review:
    """Judge every change; acknowledgements must each match an unexpected change (else ConfigError)."""
    acks, used, items = set(acknowledge), set(), []
    for change in result.changes:
        rule = next(r for r in rules if r.matches(change))
        keys = {f"{change.change_type}@{change.name}", f"{change.change_type}@{change.name.split('/')[-1]}"}
        hit = rule.level == "UNEXPECTED" and bool(keys & acks)
        used |= keys & acks if hit else set()
        items.append(ReviewedChange(change, rule, acknowledged=hit))
    unmatched = sorted(acks - used)
    if unmatched and result.status == "Succeeded":
        blocking = [i.key for i in items if i.rule.level == "UNEXPECTED"]
        raise ConfigError(
            f"acknowledge {', '.join(unmatched)} matches no unexpected change in this what-if.",
            hint=f"acknowledge only {', '.join(blocking)}."
            if blocking
            else "nothing needs acknowledging: clear the acknowledge parameter.",
        )
    return Review(result.status, tuple(items), result.error_message)
