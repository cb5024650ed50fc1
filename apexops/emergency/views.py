"""Procedure 70's diagnostic tables as pure functions of the Diagnostics: the runbook's `az` outputs
(runningStatus, the revision list with created/health, resource provisioning states) as rows with a status
column, so a reviewer sees at a glance what is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apexops.emergency.diagnose import Diagnostics, provisioning_status
from apexops.status import Status

if TYPE_CHECKING:
    from apexops.models import Revision

__all__ = ["resource_rows", "revision_rows", "status_rows"]


def status_rows(d: Diagnostics) -> list[dict[str, Any]]:
    if d.app is None:
        why = d.unavailable.get("container app", "unknown")
        return [{"status": Status.FAIL, "check": "container app", "detail": why}]
    a = d.app
    traffic = ", ".join(f"{k}={v}" for k, v in d.traffic().items()) or "none"
    provisioned = a.provisioning_state in ("Succeeded", "Provisioned")
    rows = [
        (Status.PASS if a.running_status == "Running" else Status.FAIL, "runningStatus", a.running_status),
        (Status.PASS if provisioned else Status.WARN, "provisioningState", a.provisioning_state),
        (Status.INFO, "traffic", traffic),
        (Status.INFO, "latest revision", a.latest_revision_name or ""),
        (Status.INFO, "URL", a.url),
    ]
    return [{"status": s, "check": c, "detail": detail} for s, c, detail in rows] + [
        {"status": c.status, "check": c.name, "detail": c.detail, "hint": c.hint} for c in d.health
    ]


def _revision_status(r: Revision, serving: bool) -> Status:
    bad = r.active and (r.health_state != "Healthy" or r.running_state in ("Failed", "Degraded"))
    return Status.INFO if not bad else Status.FAIL if serving else Status.WARN


def revision_rows(d: Diagnostics) -> list[dict[str, Any]]:
    traffic = d.traffic()
    revs = sorted(
        d.revisions, key=lambda r: r.created_time.timestamp() if r.created_time else 0.0, reverse=True
    )
    return [
        {
            "status": _revision_status(r, r.name in traffic),
            "Name": r.name,
            "Created": r.created_time.isoformat(timespec="seconds") if r.created_time else "",
            "Health": r.health_state,
            "Running": r.running_state,
            "Provisioning": r.provisioning_state,
            "Active": r.active,
            "Traffic %": traffic.get(r.name, 0),
            "Replicas": r.replicas,
            "Restarts": d.restarts(r.name) if r.active else None,
            "Image": r.image.rsplit(":", 1)[-1],
        }
        for r in revs
    ]


def resource_rows(d: Diagnostics) -> list[dict[str, Any]]:
    if d.resources is None:
        why = d.unavailable.get("resources", "unavailable")
        return [{"status": Status.FAIL, "Name": "(resource group)", "Status": why}]
    return [
        {
            "status": provisioning_status(r.provisioning_state),
            "Name": r.name,
            "Type": r.type,
            "Status": r.provisioning_state,
        }
        for r in d.resources
    ]
