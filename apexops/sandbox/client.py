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
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from apexops import errors
from apexops.models import AppState, AppTemplate, Replica, Revision, TrafficWeight
from apexops.sandbox.state import SandboxPaths, read_json

__all__ = [
    "ControlClient",
    "app_from_dict",
    "iso_time",
    "model_from_dict",
    "replica_from_dict",
    "revision_from_dict",
    "template_from_dict",
    "traffic_from_dicts",
    "traffic_to_dicts",
]

NOT_RUNNING_HINT = "run `apexops sandbox up`"
T = TypeVar("T")


def iso_time(value: str | None) -> datetime | None:
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
def model_from_dict(cls: type[T], d: dict[str, Any], **computed: Any) -> T:
    """A model from the daemon's dict: its fields of the same name, then the ones that need converting."""
    same = {f.name: d[f.name] for f in fields(cls) if f.name in d}  # type: ignore[arg-type]
    return cls(**{**same, **computed})


def template_from_dict(d: dict[str, Any]) -> AppTemplate:
    return model_from_dict(AppTemplate, d, env=dict(d.get("env") or {}), cpu=float(d["cpu"]))


def revision_from_dict(d: dict[str, Any]) -> Revision:
    return model_from_dict(
        Revision, d, created_time=iso_time(d.get("created_time")), template=template_from_dict(d["template"])
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
            entry = {"latestRevision": w.latest_revision, "revisionName": w.revision_name, "label": w.label}
            out.append({"weight": w.weight, **{k: v for k, v in entry.items() if v}})
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
    traffic = tuple(traffic_from_dicts(d["traffic"]))
    return model_from_dict(AppState, d, template=template_from_dict(d["template"]), traffic=traffic, raw=raw)


def replica_from_dict(d: dict[str, Any]) -> Replica:
    return model_from_dict(Replica, d, created_time=iso_time(d.get("created_time")))
