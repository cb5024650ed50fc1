"""Container Apps REST JSON (as the SDK's `as_dict()` or the official examples give it) -> apexops types.

Converting from the REST JSON rather than from SDK model attributes keeps one code path for what the SDK
returns and for the official examples, and guarantees that no SDK object reaches a notebook: every value
produced here is a str, int, float, bool, datetime, tuple or dict of those. Missing fields take the
Container Apps defaults (Single revision mode, 0..10 replicas, 0.5 CPU / 1Gi) or 'Unknown'.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from apexops.models import AppState, AppTemplate, Replica, Revision, TrafficWeight
from apexops.settings import SECRET_KEY

__all__ = [
    "app_state",
    "main_container",
    "parse_time",
    "redact",
    "replica",
    "revision",
    "template",
    "traffic",
]



def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text or a datetime (naive means UTC); None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        # Azure sends 7 fractional digits (.0856539); Python takes at most 6
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)
        dt = datetime.fromisoformat(text)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def main_container(containers: Sequence[Mapping[str, Any]], app_name: str | None = None) -> Mapping[str, Any]:
    """The app's own container: the one named like the app, else the first (as `az containerapp update`)."""
    if not containers:
        return {}
    return next((c for c in containers if app_name and c.get("name") == app_name), containers[0])


def _env(container: Mapping[str, Any]) -> dict[str, str]:
    return {
        var["name"]: f"secretref:{var['secretRef']}" if var.get("secretRef") else str(var.get("value", ""))
        for var in container.get("env") or []
        if var.get("name")
    }


def template(tpl: Mapping[str, Any], app_name: str | None = None) -> AppTemplate:
    c = main_container(tpl.get("containers") or [], app_name)
    resources = c.get("resources") or {}
    scale = tpl.get("scale") or {}
    return AppTemplate(
        image=str(c.get("image") or ""),
        env=_env(c),
        cpu=float(resources.get("cpu", 0.5)),
        memory=str(resources.get("memory", "1Gi")),
        min_replicas=int(scale.get("minReplicas", 0)),
        max_replicas=int(scale.get("maxReplicas", 10)),
        revision_suffix=tpl.get("revisionSuffix") or None,
    )


def traffic(entries: Sequence[Mapping[str, Any]], latest: str | None = None) -> tuple[TrafficWeight, ...]:
    """The ingress traffic list; a `latestRevision` entry is resolved to the latest ready revision's name."""
    out = []
    for e in entries or []:
        is_latest = bool(e.get("latestRevision"))
        name = e.get("revisionName") or (latest if is_latest else None) or ""
        out.append(TrafficWeight(revision_name=str(name), weight=int(e.get("weight") or 0),
                                 label=e.get("label") or None, latest_revision=is_latest))
    return tuple(out)


def redact(doc: Any) -> Any:
    """A JSON-safe deep copy with secret values removed (secrets keep their names only)."""
    if isinstance(doc, Mapping):
        out: dict[str, Any] = {}
        for k, v in doc.items():
            if k == "secrets" and isinstance(v, list):  # not expected in a GET; never let one through
                out[k] = [{"name": s.get("name")} if isinstance(s, Mapping) else "<redacted>" for s in v]
            elif k == "value" and isinstance(doc.get("name"), str) and SECRET_KEY.search(doc["name"]):
                out[k] = "<redacted>"
            else:
                out[k] = redact(v)
        return out
    if isinstance(doc, list | tuple):
        return [redact(v) for v in doc]
    if isinstance(doc, datetime):
        return doc.isoformat()
    if doc is None or isinstance(doc, str | int | float | bool):
        return doc
    return json.loads(json.dumps(doc, default=str))


def app_state(doc: Mapping[str, Any], *, resource_group: str) -> AppState:
    props = doc.get("properties") or {}
    conf = props.get("configuration") or {}
    ingress = conf.get("ingress") or {}
    fqdn = ingress.get("fqdn") or ""
    latest_ready = props.get("latestReadyRevisionName") or None
    return AppState(
        name=str(doc.get("name") or ""),
        resource_group=resource_group,
        url=f"https://{fqdn}" if fqdn else "",
        active_revisions_mode=str(conf.get("activeRevisionsMode") or "Single"),
        provisioning_state=str(props.get("provisioningState") or "Unknown"),
        running_status=str(props.get("runningStatus") or "Unknown"),
        latest_revision_name=props.get("latestRevisionName") or None,
        latest_ready_revision_name=latest_ready,
        template=template(props.get("template") or {}, doc.get("name")),
        traffic=traffic(ingress.get("traffic") or [], latest_ready or props.get("latestRevisionName")),
        registries=tuple(redact(dict(r)) for r in conf.get("registries") or []),
        raw=redact(dict(doc)),
    )


def revision(doc: Mapping[str, Any], app_name: str | None = None) -> Revision:
    props = doc.get("properties") or {}
    fqdn = props.get("fqdn") or ""
    tpl = props.get("template") or {}
    return Revision(
        name=str(doc.get("name") or ""),
        active=bool(props.get("active", False)),
        traffic_weight=int(props.get("trafficWeight") or 0),
        replicas=int(props.get("replicas") or 0),
        provisioning_state=str(props.get("provisioningState") or "Unknown"),
        health_state=str(props.get("healthState") or "Unknown"),
        running_state=str(props.get("runningState") or "Unknown"),
        created_time=parse_time(props.get("createdTime")),
        fqdn=fqdn,
        url=f"https://{fqdn}" if fqdn else "",
        image=str(main_container(tpl.get("containers") or [], app_name).get("image") or ""),
        template=template(tpl, app_name) if tpl else None,
        provisioning_error=props.get("provisioningError") or None,
    )


def replica(doc: Mapping[str, Any], revision_name: str) -> Replica:
    props = doc.get("properties") or {}
    containers = props.get("containers") or []
    return Replica(
        name=str(doc.get("name") or ""),
        revision=revision_name,
        running_state=str(props.get("runningState") or "Unknown"),
        created_time=parse_time(props.get("createdTime")),
        restart_count=sum(int(c.get("restartCount") or 0) for c in containers),
        ready=bool(containers) and all(bool(c.get("ready")) for c in containers),
    )
