"""The client side of the daemon's loopback control API, and its JSON -> `apexops.models` conversions.

Every process that drives the sandbox (CLI, notebook kernels, tests) reaches the daemon through this
client: it finds the daemon's control port and token in the home folder, keeps one keep-alive connection,
and re-raises the daemon's typed errors as the same `apexops.errors` classes, so a TrafficError raised by
the control plane reaches a notebook cell as a TrafficError with its hint. stdlib only (http.client) so
that importing it stays cheap.
"""

from __future__ import annotations

import http.client
import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from apexops import errors
from apexops.models import AppState, AppTemplate, Replica, Revision, TrafficWeight
from apexops.sandbox.state import SandboxPaths, read_json

__all__ = [
    "ControlClient",
    "app_from_dict",
    "replica_from_dict",
    "revision_from_dict",
    "template_from_dict",
    "traffic_from_dicts",
    "traffic_to_dicts",
]

NOT_RUNNING_HINT = "run `apexops sandbox up`"


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class ControlClient:
    """Calls `POST /v1/<method>` on the daemon with JSON keyword arguments."""

    def __init__(self, home: Path, *, timeout_s: float = 60.0) -> None:
        self.paths = SandboxPaths(Path(home))
        self.timeout_s = timeout_s
        self._conn: http.client.HTTPConnection | None = None
        self._token: str | None = None
        self._port: int | None = None
        self._lock = threading.Lock()

    def _unavailable(self, why: str) -> errors.TargetUnavailableError:
        return errors.TargetUnavailableError(
            f"the sandbox is not running ({why}; home {self.paths.home}).", hint=NOT_RUNNING_HINT
        )

    def _connect(self) -> http.client.HTTPConnection:
        info = read_json(self.paths.daemon_info)
        if not info:
            raise self._unavailable("no daemon.json")
        try:
            self._token = self.paths.control_token.read_text().strip()
        except FileNotFoundError:
            raise self._unavailable("no control token") from None
        self._port = int(info["control_port"])
        self._conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=self.timeout_s)
        return self._conn

    def call(self, method: str, **kwargs: Any) -> Any:
        body = json.dumps(kwargs, default=str).encode()
        with self._lock:
            for attempt in (1, 2):
                conn = self._conn or self._connect()
                try:
                    conn.request(
                        "POST",
                        f"/v1/{method}",
                        body=body,
                        headers={"x-sandbox-token": self._token or "", "content-type": "application/json"},
                    )
                    resp = conn.getresponse()
                    payload = json.loads(resp.read() or b"{}")
                    break
                except (ConnectionError, http.client.HTTPException, OSError) as exc:
                    conn.close()
                    self._conn = None
                    if attempt == 2:
                        raise self._unavailable(f"control API unreachable: {type(exc).__name__}") from None
        if "error" in payload:
            err = payload["error"]
            cls = getattr(errors, str(err.get("type")), None)
            if not (isinstance(cls, type) and issubclass(cls, errors.ApexopsError)):
                cls = errors.TargetError
            raise cls(err.get("message", "the sandbox refused the call."), hint=err.get("hint"))
        return payload.get("result")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# ------------------------------------------------------------------------------------ conversions
def template_from_dict(d: dict[str, Any]) -> AppTemplate:
    return AppTemplate(
        image=d["image"],
        env=dict(d.get("env") or {}),
        cpu=float(d["cpu"]),
        memory=d["memory"],
        min_replicas=int(d["min_replicas"]),
        max_replicas=int(d["max_replicas"]),
        revision_suffix=d.get("revision_suffix"),
    )


def revision_from_dict(d: dict[str, Any]) -> Revision:
    return Revision(
        name=d["name"],
        active=d["active"],
        traffic_weight=d["traffic_weight"],
        replicas=d["replicas"],
        provisioning_state=d["provisioning_state"],
        health_state=d["health_state"],
        running_state=d["running_state"],
        created_time=_dt(d.get("created_time")),
        fqdn=d["fqdn"],
        url=d["url"],
        image=d["image"],
        template=template_from_dict(d["template"]),
        provisioning_error=d.get("provisioning_error"),
    )


def traffic_from_dicts(items: list[dict[str, Any]]) -> list[TrafficWeight]:
    return [
        TrafficWeight(
            revision_name=e.get("revisionName") or "",
            weight=int(e["weight"]),
            label=e.get("label"),
            latest_revision=bool(e.get("latestRevision")),
        )
        for e in items
    ]


def traffic_to_dicts(weights: Any) -> list[dict[str, Any]]:
    out = []
    for w in weights:
        if isinstance(w, TrafficWeight):
            entry: dict[str, Any] = {"weight": w.weight}
            if w.latest_revision:
                entry["latestRevision"] = True
            if w.revision_name:
                entry["revisionName"] = w.revision_name
            if w.label:
                entry["label"] = w.label
            out.append(entry)
        elif isinstance(w, dict):
            out.append(dict(w))
        else:
            raise errors.TrafficError(
                f"traffic entry {w!r} is not a TrafficWeight.",
                hint="pass TrafficWeight(revision_name, weight) items.",
            )
    return out


def app_from_dict(d: dict[str, Any]) -> AppState:
    raw = {
        "name": d["name"],
        "type": "Microsoft.App/containerApps",
        "properties": {
            "provisioningState": d["provisioning_state"],
            "runningStatus": d["running_status"],
            "latestRevisionName": d["latest_revision_name"],
            "latestReadyRevisionName": d["latest_ready_revision_name"],
            "latestRevisionFqdn": d.get("latest_revision_fqdn"),
            "configuration": {
                "activeRevisionsMode": d["active_revisions_mode"],
                "ingress": {
                    "fqdn": d["url"].removeprefix("http://"),
                    "external": True,
                    "targetPort": None,
                    "traffic": d["traffic"],
                },
            },
            "template": {
                "containers": [
                    {
                        "name": d["name"],
                        "image": d["template"]["image"],
                        "resources": {"cpu": d["template"]["cpu"], "memory": d["template"]["memory"]},
                        "env": [
                            {"name": k, "value": v} for k, v in sorted(d["template"].get("env", {}).items())
                        ],
                    }
                ],
                "scale": {
                    "minReplicas": d["template"]["min_replicas"],
                    "maxReplicas": d["template"]["max_replicas"],
                },
            },
        },
    }
    return AppState(
        name=d["name"],
        resource_group=d["resource_group"],
        url=d["url"],
        active_revisions_mode=d["active_revisions_mode"],
        provisioning_state=d["provisioning_state"],
        running_status=d["running_status"],
        latest_revision_name=d["latest_revision_name"],
        latest_ready_revision_name=d["latest_ready_revision_name"],
        template=template_from_dict(d["template"]),
        traffic=tuple(traffic_from_dicts(d["traffic"])),
        registries=(),
        raw=raw,
    )


def replica_from_dict(d: dict[str, Any]) -> Replica:
    return Replica(
        name=d["name"],
        revision=d["revision"],
        running_state=d["running_state"],
        created_time=_dt(d.get("created_time")),
        restart_count=int(d["restart_count"]),
        ready=bool(d["ready"]),
    )
