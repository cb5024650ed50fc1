"""Procedure 70's diagnostic tables as pure functions of the Diagnostics: the runbook's `az` outputs
(runningStatus, the revision list with created/health, resource provisioning states) as rows with a status
column, so a reviewer sees at a glance what is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apexops.emergency.diagnose import Diagnostics

__all__ = ["resource_rows", "revision_rows", "status_rows"]


def status_rows(d: Diagnostics) -> list[dict[str, Any]]:
    rows = []
    if d.app is None:
        why = d.unavailable.get("container app", "unknown")
        return [{"status": "FAIL", "check": "container app", "detail": why}]
    a = d.app
    rows.append(
        {
            "status": "PASS" if a.running_status == "Running" else "FAIL",
            "check": "runningStatus",
            "detail": a.running_status,
        }
    )
    rows.append(
        {
            "status": "PASS" if a.provisioning_state in ("Succeeded", "Provisioned") else "WARN",
            "check": "provisioningState",
            "detail": a.provisioning_state,
        }
    )
    rows.append(
        {
            "status": "INFO",
            "check": "traffic",
            "detail": ", ".join(f"{k}={v}" for k, v in d.traffic().items()) or "none",
        }
    )
    rows.append({"status": "INFO", "check": "latest revision", "detail": a.latest_revision_name or ""})
    rows.append({"status": "INFO", "check": "URL", "detail": a.url})
    rows += [{"status": c.status, "check": c.name, "detail": c.detail, "hint": c.hint} for c in d.health]
    return rows


def revision_rows(d: Diagnostics) -> list[dict[str, Any]]:
    traffic = d.traffic()
    revs = sorted(
        d.revisions, key=lambda r: r.created_time.timestamp() if r.created_time else 0.0, reverse=True
    )
    rows = []
    for r in revs:
        bad = r.active and (r.health_state != "Healthy" or r.running_state in ("Failed", "Degraded"))
        rows.append(
            {
                "status": "FAIL" if bad and r.name in traffic else "WARN" if bad else "INFO",
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
        )
    return rows


def resource_rows(d: Diagnostics) -> list[dict[str, Any]]:
    if d.resources is None:
        return [
            {
                "status": "FAIL",
                "Name": "(resource group)",
                "Status": d.unavailable.get("resources", "unavailable"),
            }
        ]
    rows = []
    for r in d.resources:
        state = r.provisioning_state or "Succeeded"
        status = "PASS" if state == "Succeeded" else "FAIL" if state == "Failed" else "WARN"
        rows.append({"status": status, "Name": r.name, "Type": r.type, "Status": r.provisioning_state})
    return rows
