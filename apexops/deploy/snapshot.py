"""Step 2 of procedure 30: the current configuration and revisions, saved as rollback evidence.

The runbook redirects `az containerapp show` into a JSON file and echoes $OLD_REVISION. Here the same
snapshot lands in the run's evidence folder with secrets removed, next to the revision list and the
traffic list, and the active revisions become facts for the ledger (procedure 60 reads them back).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.deploy.secrets import redact_mapping
from apexops.redact import scrub_text
from apexops.scrubbed import write_scrubbed

if TYPE_CHECKING:
    from apexops.models import AppState, Revision, TrafficWeight

__all__ = ["ConfigSnapshot", "revision_rows", "take_snapshot", "traffic_rows"]

SNAPSHOT_FILE = "current-containerapp-config.json"


def traffic_rows(traffic: Sequence[TrafficWeight]) -> list[dict[str, Any]]:
    return [
        {
            "revision": t.revision_name or ("(latest)" if t.latest_revision else ""),
            "weight": t.weight,
            "label": t.label or "",
            "latest_revision": t.latest_revision,
        }
        for t in traffic
    ]


def revision_rows(revisions: Sequence[Revision], *, highlight: str | None = None) -> list[dict[str, Any]]:
    """The runbook's revision table: name, active, health, replicas, traffic, image, created."""
    return [
        {
            "revision": r.name + ("  ◀ new" if highlight and r.name == highlight else ""),
            "active": r.active,
            "provisioning": r.provisioning_state,
            "health": r.health_state,
            "running": r.running_state,
            "replicas": r.replicas,
            "traffic": r.traffic_weight,
            "image": r.image,
            "created": r.created_time.isoformat(timespec="seconds") if r.created_time else "",
        }
        for r in revisions
    ]


def _revision_json(r: Revision) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": r.name,
        "active": r.active,
        "trafficWeight": r.traffic_weight,
        "replicas": r.replicas,
        "provisioningState": r.provisioning_state,
        "healthState": r.health_state,
        "runningState": r.running_state,
        "image": r.image,
        "fqdn": r.fqdn,
        "createdTime": r.created_time.isoformat() if r.created_time else None,
    }
    if r.template is not None:
        out["template"] = {
            "image": r.template.image,
            "env": dict(r.template.env),
            "cpu": r.template.cpu,
            "memory": r.template.memory,
            "minReplicas": r.template.min_replicas,
            "maxReplicas": r.template.max_replicas,
        }
    return out


@dataclass(frozen=True)
class ConfigSnapshot:
    """What ran before the change: the active revisions, the traffic list, and where the file is."""

    app: str
    latest_revision: str | None
    active_revisions: tuple[str, ...]
    traffic: tuple[TrafficWeight, ...]
    path: Path | None
    serving_revisions: tuple[str, ...] = ()
    revisions: tuple[dict[str, Any], ...] = ()

    def traffic_rows(self) -> list[dict[str, Any]]:
        return traffic_rows(self.traffic)

    def facts(self) -> dict[str, Any]:
        """`old_revisions` are the revisions serving traffic: what a rollback returns to.

        `active_revisions` is the runbook's OLD_REVISION query (active ones, serving or not).
        """
        return {
            "old_revisions": list(self.serving_revisions),
            "active_revisions": list(self.active_revisions),
            "old_latest_revision": self.latest_revision,
            "old_traffic": {t.revision_name or "(latest)": t.weight for t in self.traffic},
        }


def take_snapshot(
    state: AppState, revisions: Sequence[Revision], folder: Path | None = None
) -> ConfigSnapshot:
    """Snapshot the app (AppState.raw, secrets removed), its revisions and traffic into `folder`."""
    path = None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        document = {
            "app": state.name,
            "resourceGroup": state.resource_group,
            "latestRevisionName": state.latest_revision_name,
            "latestReadyRevisionName": state.latest_ready_revision_name,
            "traffic": traffic_rows(state.traffic),
            "revisions": [_revision_json(r) for r in revisions],
            "containerapp": state.raw,
        }
        text = json.dumps(redact_mapping(document), indent=2, sort_keys=True, default=str)
        path = folder / SNAPSHOT_FILE
        write_scrubbed(path, scrub_text(text) + "\n")
    active = tuple(r.name for r in revisions if r.active)
    serving = tuple(r.name for r in revisions if r.active and r.traffic_weight > 0)
    return ConfigSnapshot(
        state.name,
        state.latest_revision_name,
        active,
        tuple(state.traffic),
        path,
        serving,
        tuple(revision_rows(revisions)),
    )
