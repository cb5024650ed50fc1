"""The container app's control plane with Azure Container Apps semantics (multiple-revision mode).

This is the part of the sandbox that decides *what should exist*: the app, its immutable revisions, their
active flags and the ingress traffic list. It validates every request the way ACA does and refuses a bad one
before anything changes (the same meaning, typed `apexops.errors`, one line with a hint). *Making it so* —
replica processes, readiness probes — belongs to a `Runtime` (the supervisor), which reports back whether a
revision finished provisioning. Pure logic plus one JSON file, so it is unit-testable without processes.
"""

from __future__ import annotations

import re
import secrets
import string
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from apexops.errors import ConflictError, InvalidRequestError, NotFoundError, TrafficError
from apexops.sandbox.state import read_json, write_json
from apexops.sandbox.validation import validate_template, validate_traffic

__all__ = ["ControlPlane", "LiveStatus", "RevisionRecord", "Runtime"]

_SUFFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
#: what an update may change (apexops.models.AppUpdate)
_TEMPLATE_FIELDS = {"image", "env", "cpu", "memory", "min_replicas", "max_replicas", "revision_suffix"}


@dataclass(frozen=True)
class LiveStatus:
    """What the runtime observes of one revision right now."""

    replicas: int = 0  # replica processes that exist (running or starting)
    ready: int = 0  # replicas passing the readiness probe
    desired: int = 0  # replicas the runtime is keeping
    restarts: int = 0  # total container restarts across current replicas
    starting: bool = False  # a replica of this revision is still starting


class Runtime(Protocol):
    """What the control plane needs from whatever runs the replicas."""

    def ensure(self, revision: RevisionRecord) -> None:
        """Make the processes match the record (active flag, replica bounds); non-blocking."""
        ...

    def restart(self, name: str) -> None:
        """Replace every replica of a revision."""
        ...

    def live(self, name: str) -> LiveStatus: ...

    def replicas(self, name: str) -> list[dict[str, Any]]: ...


@dataclass
class RevisionRecord:
    """One immutable revision and the mutable facts about it (active, provisioning result, scale)."""

    name: str
    created: float
    template: dict[str, Any]
    active: bool = True
    provisioning_state: str = "Provisioning"
    provisioning_error: str | None = None
    port: int = 0  # the revision-specific listener (its URL bypasses the traffic split)
    min_replicas: int = 1  # current scale; starts at the template's values, `scale` may change it
    max_replicas: int = 1
    last_active: float | None = None
    ever_ready: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RevisionRecord:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    @property
    def image(self) -> str:
        return str(self.template["image"])


def _url(port: int) -> str:
    """A revision listener's URL (its revision-specific FQDN)."""
    return f"http://127.0.0.1:{port}"


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat() if ts is not None else None


class ControlPlane:
    """The app, its revisions and the traffic list, persisted in one JSON file."""

    def __init__(
        self,
        state_file: Path,
        *,
        app_name: str,
        resource_group: str,
        resolve_image: Callable[[str], str],
        runtime: Runtime | None = None,
        ingress_url: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._file = state_file
        self._resolve_image = resolve_image  # full image ref -> canonical ref; NotFoundError if unknown
        self.runtime = runtime
        self.ingress_url = ingress_url
        self._clock = clock
        self.generation = 0
        data = read_json(state_file) or {}
        app = data.get("app") or {}
        self.app_name: str = app.get("name", app_name)
        self.resource_group: str = app.get("resource_group", resource_group)
        self.created: float | None = app.get("created")
        self.traffic: list[dict[str, Any]] = list(app.get("traffic", []))
        self.revisions: dict[str, RevisionRecord] = {
            r["name"]: RevisionRecord.from_dict(r) for r in data.get("revisions", [])
        }

    # ------------------------------------------------------------------ persistence
    @property
    def exists(self) -> bool:
        return bool(self.revisions)

    def save(self) -> None:
        self.generation += 1  # routing caches compare this to know when to recompute
        write_json(
            self._file,
            {
                "version": 1,
                "app": {
                    "name": self.app_name,
                    "resource_group": self.resource_group,
                    "created": self.created,
                    "traffic": self.traffic,
                },
                "revisions": [asdict(r) for r in self.revisions.values()],
            },
        )

    # ------------------------------------------------------------------ reads
    def _require(self, name: str) -> RevisionRecord:
        try:
            return self.revisions[name]
        except KeyError:
            known = ", ".join(self.revisions) or "none"
            raise NotFoundError(
                f"revision {name!r} does not exist in app {self.app_name}.",
                hint=f"known revisions: {known}.",
            ) from None

    def latest(self) -> RevisionRecord | None:
        return max(self.revisions.values(), key=lambda r: r.created, default=None)

    def latest_ready(self) -> RevisionRecord | None:
        ready = [r for r in self.revisions.values() if r.ever_ready and r.provisioning_state == "Provisioned"]
        return max(ready, key=lambda r: r.created, default=None)

    def effective_weights(self) -> dict[str, int]:
        """Weight per revision after resolving `latestRevision` entries (to the latest ready revision)."""
        out: dict[str, int] = {}
        latest_ready = self.latest_ready()
        for entry in self.traffic:
            name = (
                latest_ready.name
                if entry.get("latestRevision") and latest_ready
                else entry.get("revisionName")
            )
            if name:
                out[name] = out.get(name, 0) + int(entry.get("weight", 0))
        return out

    def _live(self, name: str) -> LiveStatus:
        return self.runtime.live(name) if self.runtime else LiveStatus()

    def health_of(self, rev: RevisionRecord) -> tuple[str, str]:
        """(health_state, running_state) the way ACA reports them."""
        if not rev.active or self.runtime is None:  # inactive, or read from the file with the daemon down
            return "None", "Stopped"
        live = self._live(rev.name)
        if rev.provisioning_state == "Failed":
            return "Unhealthy", "Failed"
        if rev.provisioning_state == "Provisioning":
            return "None", "Processing"
        if live.desired == 0 and live.replicas == 0:
            return "None", "Running"
        if live.ready >= max(1, live.desired):
            return "Healthy", "Running"
        if live.starting and live.ready == 0 and live.restarts == 0:
            return "None", "Processing"
        return "Unhealthy", "Degraded"

    def revision_dict(self, rev: RevisionRecord, weights: Mapping[str, int] | None = None) -> dict[str, Any]:
        weights = self.effective_weights() if weights is None else weights
        live = self._live(rev.name)
        health, running = self.health_of(rev)
        url = _url(rev.port) if rev.port else ""
        return {
            "name": rev.name,
            "active": rev.active,
            "traffic_weight": weights.get(rev.name, 0),
            "replicas": live.replicas if rev.active else 0,
            "ready_replicas": live.ready if rev.active else 0,
            "restarts": live.restarts,
            "provisioning_state": rev.provisioning_state,
            "provisioning_error": rev.provisioning_error,
            "health_state": health,
            "running_state": running,
            "created_time": _iso(rev.created),
            "last_active_time": _iso(rev.last_active),
            "fqdn": url.removeprefix("http://"),
            "url": url,
            "image": rev.image,
            "template": dict(rev.template),
            "scale": {"min_replicas": rev.min_replicas, "max_replicas": rev.max_replicas},
            "labels": sorted(
                e["label"] for e in self.traffic if e.get("label") and e.get("revisionName") == rev.name
            ),
        }

    def list_revisions(self) -> list[dict[str, Any]]:
        weights = self.effective_weights()
        return [
            self.revision_dict(r, weights) for r in sorted(self.revisions.values(), key=lambda r: r.created)
        ]

    def get_revision(self, name: str) -> dict[str, Any]:
        return self.revision_dict(self._require(name))

    def show(self) -> dict[str, Any]:
        if not self.exists:
            raise NotFoundError(
                f"container app {self.app_name} does not exist in the sandbox.",
                hint="run `apexops sandbox up` to seed the baseline release.",
            )
        latest, ready = self.latest(), self.latest_ready()
        assert latest is not None
        running = "Running" if any(r.active for r in self.revisions.values()) else "Stopped"
        return {
            "name": self.app_name,
            "resource_group": self.resource_group,
            "url": self.ingress_url,
            "active_revisions_mode": "Multiple",
            "provisioning_state": "Succeeded",
            "running_status": running,
            "latest_revision_name": latest.name,
            "latest_ready_revision_name": ready.name if ready else None,
            "latest_revision_fqdn": _url(latest.port).removeprefix("http://") if latest.port else "",
            "template": dict(latest.template),
            "traffic": [dict(e) for e in self.traffic],
            "created_time": _iso(self.created),
        }

    def get_traffic(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self.traffic]

    def replicas(self, revision: str) -> list[dict[str, Any]]:
        rev = self._require(revision)
        if not rev.active or self.runtime is None:
            return []
        return self.runtime.replicas(revision)

    # ------------------------------------------------------------------ writes
    def _new_name(self, suffix: str | None) -> str:
        if suffix is None:
            for _ in range(100):
                candidate = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(7))
                if f"{self.app_name}--{candidate}" not in self.revisions:
                    return f"{self.app_name}--{candidate}"
        assert suffix is not None
        if not _SUFFIX.match(suffix) or "--" in suffix or len(self.app_name) + 2 + len(suffix) > 54:
            raise InvalidRequestError(
                f"revision_suffix {suffix!r} is not valid.",
                hint="use lowercase letters, digits and single dashes; the revision name "
                f"{self.app_name}--<suffix> must stay within 54 characters.",
            )
        name = f"{self.app_name}--{suffix}"
        if name in self.revisions:
            raise ConflictError(
                f"revision {name} already exists; revisions are immutable.",
                hint="choose another revision_suffix, or omit it for a generated one.",
            )
        return name

    def create_app(self, template: Mapping[str, Any]) -> dict[str, Any]:
        """Create the app with its first revision at 100% traffic (what `up` seeds)."""
        if self.exists:
            raise ConflictError(f"container app {self.app_name} already exists.", hint="use update().")
        tpl = self._checked_template(dict(template))
        rev = self._add_revision(tpl)
        self.created = rev.created
        self.traffic = [{"revisionName": rev.name, "weight": 100}]
        self.save()
        self._ensure(rev)
        return self.show()

    def _checked_template(self, tpl: dict[str, Any]) -> dict[str, Any]:
        tpl["env"] = dict(tpl.get("env") or {})
        validate_template(tpl)
        tpl["image"] = self._resolve_image(str(tpl["image"]))  # NotFoundError before anything changes
        return tpl

    def _add_revision(self, tpl: dict[str, Any]) -> RevisionRecord:
        name = self._new_name(tpl.get("revision_suffix"))
        now = self._clock()
        rev = RevisionRecord(
            name=name,
            created=now,
            template=tpl,
            min_replicas=tpl["min_replicas"],
            max_replicas=tpl["max_replicas"],
            last_active=now,
        )
        self.revisions[name] = rev
        return rev

    def update(self, change: Mapping[str, Any]) -> dict[str, Any]:
        """A template change: creates a new immutable revision `<app>--<suffix>` with no traffic."""
        latest = self.latest()
        if latest is None:
            return self.show()  # raises NotFoundError with the hint to run `up`
        given = {k: v for k, v in change.items() if v is not None}
        unknown = set(given) - _TEMPLATE_FIELDS
        if unknown:
            raise InvalidRequestError(
                f"unknown update field(s): {', '.join(sorted(unknown))}.",
                hint="see apexops.models.AppUpdate.",
            )
        if not given:
            raise InvalidRequestError(
                "the update changes nothing.", hint="pass an image, env, cpu/memory or replicas."
            )
        tpl = {k: v for k, v in latest.template.items() if k != "revision_suffix"}
        if "env" in given:
            tpl["env"] = {**tpl.get("env", {}), **dict(given.pop("env"))}
        tpl.update(given)
        tpl = self._checked_template(tpl)
        if {k: v for k, v in tpl.items() if k != "revision_suffix"} == {
            k: v for k, v in latest.template.items() if k != "revision_suffix"
        } and not given.get("revision_suffix"):
            return self.show()  # ACA: an identical template creates no revision
        rev = self._add_revision(tpl)
        self.save()
        self._ensure(rev)
        return self.show()

    def _ensure(self, rev: RevisionRecord) -> None:
        if self.runtime is not None:
            self.runtime.ensure(rev)

    def set_traffic(self, weights: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Replace the whole traffic list, with ACA's invariants checked first (TrafficError)."""
        self.traffic = validate_traffic(weights, self.revisions, self.latest_ready())
        self.save()
        return self.get_traffic()

    def activate(self, name: str) -> None:
        rev = self._require(name)
        if rev.active:
            return
        rev.active = True
        rev.last_active = self._clock()
        self.save()
        self._ensure(rev)

    def deactivate(self, name: str) -> None:
        rev = self._require(name)
        if not rev.active:
            return
        weight = self.effective_weights().get(name, 0)
        if weight:
            raise TrafficError(
                f"revision {name} still receives {weight}% of traffic and cannot be deactivated.",
                hint="shift its traffic to another revision first (set_traffic), then deactivate.",
            )
        rev.active = False
        self.save()
        self._ensure(rev)

    def restart_revision(self, name: str) -> None:
        rev = self._require(name)
        if not rev.active:
            raise ConflictError(
                f"revision {name} is inactive; only active revisions can be restarted.",
                hint=f"activate {name} first.",
            )
        if self.runtime is not None:
            self.runtime.restart(name)

    def restart_app(self) -> None:
        for rev in self.revisions.values():
            if rev.active and self.runtime is not None:
                self.runtime.restart(rev.name)

    def scale(self, name: str, min_replicas: int, max_replicas: int | None = None) -> dict[str, Any]:
        """Set a revision's replica bounds in place (the sandbox's stand-in for the platform scaler)."""
        rev = self._require(name)
        hi = rev.max_replicas if max_replicas is None else max_replicas
        if max_replicas is None and isinstance(min_replicas, int) and min_replicas > hi:
            hi = min_replicas
        validate_template({**rev.template, "min_replicas": min_replicas, "max_replicas": hi})
        rev.min_replicas, rev.max_replicas = min_replicas, hi
        self.save()
        self._ensure(rev)
        return self.revision_dict(rev)

    # ------------------------------------------------------------------ runtime callbacks
    def provisioned(self, name: str, ok: bool, error: str | None = None) -> None:
        """The runtime's verdict on a revision's first start: Provisioned, or Failed with the reason."""
        rev = self.revisions.get(name)
        if rev is None:
            return
        if ok:
            rev.ever_ready = True
            rev.provisioning_state, rev.provisioning_error = "Provisioned", None
        elif rev.provisioning_state == "Provisioning":
            rev.provisioning_state, rev.provisioning_error = "Failed", error
        self.save()

    def set_port(self, name: str, port: int) -> None:
        rev = self.revisions.get(name)
        if rev is not None and rev.port != port:
            rev.port = port
            self.save()
