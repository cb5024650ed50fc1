"""The ContainerApp port on Azure Container Apps (azure-mgmt-appcontainers 5.x, api-version 2026-07-01).

Writes go through `container_apps.begin_update` (PATCH, JSON merge patch, long-running): merge patch
replaces arrays wholesale, so every write sends complete arrays — the whole traffic list, the whole
container list — built from a fresh GET, and every traffic write is read back and compared.

Restarting the app: the SDK and the Azure CLI have no 'restart app' verb (the runbook's
`az containerapp restart` does not exist); `restart()` restarts every ACTIVE revision with
`container_apps_revisions.restart_revision`, which is what the portal's restart does for a multi-revision
app. Inactive revisions cannot be restarted (they have no replicas).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from apexops import azcli
from apexops.azure import _convert as convert
from apexops.azure._clients import AzureClients
from apexops.azure._errors import map_azure_errors
from apexops.azure._lro import wait
from apexops.azure._rules import (
    check_against_revisions,
    check_update,
    check_weights,
    keep_labels,
    merged_env,
    same_routing,
    traffic_body,
)
from apexops.errors import (
    ConfigError,
    ConflictError,
    NotSupportedError,
    TargetError,
    TrafficError,
    VerificationError,
)
from apexops.models import AppState, AppUpdate, ExecResult, Replica, Revision, TrafficWeight
from apexops.ports import ProgressCallback

__all__ = ["AzureContainerApp"]

_EPOCH = datetime.min.replace(tzinfo=UTC)


def _set(values: dict[str, Any]) -> dict[str, Any]:
    """The entries an AppUpdate sets (None means 'keep as is')."""
    return {k: v for k, v in values.items() if v is not None}


class AzureContainerApp:
    """`az containerapp ...` for the app named in the parameters file, through the management SDK."""

    def __init__(self, clients: AzureClients) -> None:
        self._c = clients
        self._s = clients.settings
        self._rg = self._s.azure.resource_group
        self._name = self._s.app.name

    def _ops(self) -> Any:
        return self._c.container_apps()

    def _errors(self, action: str) -> AbstractContextManager[None]:
        return map_azure_errors(action, self._s)

    def _get(self) -> dict[str, Any]:
        with self._errors(f"show container app {self._name}"):
            return self._ops().container_apps.get(self._rg, self._name).as_dict()

    # ------------------------------------------------------------------ reads

    def show(self) -> AppState:
        return convert.app_state(self._get(), resource_group=self._rg)

    def list_revisions(self) -> list[Revision]:
        with self._errors(f"list revisions of {self._name}"):
            pages = self._ops().container_apps_revisions.list_revisions(self._rg, self._name)
            docs = [r.as_dict() for r in pages]
        revisions = [convert.revision(d, self._name) for d in docs]
        return sorted(revisions, key=lambda r: (r.created_time or _EPOCH, r.name))

    def get_revision(self, name: str) -> Revision:
        with self._errors(f"show revision {name}"):
            doc = self._ops().container_apps_revisions.get_revision(self._rg, self._name, name).as_dict()
        return convert.revision(doc, self._name)

    def get_traffic(self) -> list[TrafficWeight]:
        return list(self.show().traffic)

    def list_replicas(self, revision: str) -> list[Replica]:
        with self._errors(f"list replicas of revision {revision}"):
            coll = self._ops().container_apps_revision_replicas.list_replicas(self._rg, self._name, revision)
        return [convert.replica(d, revision) for d in coll.as_dict().get("value") or []]

    # ------------------------------------------------------------------ writes

    def _patch(self, body: dict[str, Any], what: str, on_progress: ProgressCallback | None) -> dict:
        from azure.mgmt.appcontainers.models import ContainerApp

        with self._errors(what):
            # a model (not a dict) so the SDK drops read-only fields such as resources.ephemeralStorage
            poller = self._ops().container_apps.begin_update(
                self._rg, self._name, ContainerApp(body), **self._c.lro_kwargs()
            )
            result = wait(poller, what, on_progress, self._c.progress_interval_s)
        return result.as_dict()

    def update(self, change: AppUpdate, *, on_progress: ProgressCallback | None = None) -> AppState:
        """A new revision from a template change; a floating 'latest' traffic weight is pinned first."""
        check_update(change)
        doc = self._get()
        props = doc.get("properties") or {}
        tpl = props.get("template") or {}
        containers = [dict(c) for c in tpl.get("containers") or []]
        if not containers:
            raise TargetError(f"container app {self._name} has no container to update.",
                              hint=azcli.containerapp_show(self._s, oneline=True))
        main = containers.index(convert.main_container(containers, self._name))
        c = containers[main]
        if change.image is not None:
            c["image"] = change.image
        if change.env:
            c["env"] = merged_env(c.get("env") or [], change.env)
        cpu = None if change.cpu is None else float(change.cpu)
        if resources := _set({"cpu": cpu, "memory": change.memory}):
            c["resources"] = {**(c.get("resources") or {}), **resources}
        new_tpl: dict[str, Any] = {"containers": containers}
        if bounds := _set({"minReplicas": change.min_replicas, "maxReplicas": change.max_replicas}):
            # the whole scale object: its rules survive merge or replace semantics
            scale = {**(tpl.get("scale") or {}), **bounds}
            if scale.get("minReplicas", 0) > scale.get("maxReplicas", 10):
                raise ConfigError(
                    f"min_replicas {scale.get('minReplicas')} would exceed max_replicas "
                    f"{scale.get('maxReplicas')}.",
                    hint="set both min_replicas and max_replicas.",
                )
            new_tpl["scale"] = scale
        if change.revision_suffix is not None:
            new_tpl["revisionSuffix"] = change.revision_suffix
        body: dict[str, Any] = {"properties": {"template": new_tpl}}
        pinned = self._pin_latest(doc, on_progress)
        if pinned is not None:
            body["properties"]["configuration"] = {"ingress": {"traffic": pinned}}
        result = self._patch(body, f"update {self._name}", on_progress)
        return convert.app_state(result, resource_group=self._rg)

    def _pin_latest(self, doc: dict[str, Any], on_progress: ProgressCallback | None) -> list | None:
        """The traffic list with a floating `latestRevision` weight pinned to its current revision.

        Without this, the new revision would take that weight the moment it is ready, before any check.
        Only in Multiple mode: in Single mode following the latest revision is the mode itself (the old
        revision is deprovisioned), and a weight pinned to it would route to nothing.
        """
        props = doc.get("properties") or {}
        conf = props.get("configuration") or {}
        if str(conf.get("activeRevisionsMode") or "Single").lower() != "multiple":
            return None
        entries = (conf.get("ingress") or {}).get("traffic") or []
        if not any(e.get("latestRevision") and (e.get("weight") or 0) > 0 for e in entries):
            return None
        current = props.get("latestReadyRevisionName")
        if not current:
            raise TrafficError("traffic follows the latest revision and no revision is ready to pin it to.",
                               hint=azcli.revision_list(self._s, oneline=True))
        pinned = [dict(e) for e in entries]
        for e in pinned:
            if e.pop("latestRevision", None):
                e["revisionName"] = current
        if on_progress is not None:
            on_progress(f"pinning the 'latest revision' traffic weight to {current} before the update")
        return pinned

    def set_traffic(
        self, weights: Sequence[TrafficWeight], *, on_progress: ProgressCallback | None = None
    ) -> list[TrafficWeight]:
        check_weights(weights)
        state = self.show()
        revisions = self.list_revisions()
        keep, notes = check_against_revisions(self._s, weights, revisions, state.active_revisions_mode)
        keep, dropped = keep_labels(keep, state.traffic, (r.name for r in revisions if r.active))
        for note in [*notes, *dropped]:
            if on_progress is not None:
                on_progress(note)
        body = {"properties": {"configuration": {"ingress": {"traffic": traffic_body(keep)}}}}
        self._patch(body, "set traffic", on_progress)
        read = self.get_traffic()
        if not same_routing(keep, read):
            wrote, got = (", ".join(f"{w.revision_name}={w.weight}" + (f" [{w.label}]" if w.label else "")
                                    for w in ws) for ws in (keep, read))
            raise VerificationError(
                f"traffic read back ({got}) differs from what was written ({wrote}).",
                hint=f"check {azcli.ingress_traffic_show(self._s, oneline=True)} and set it again.",
            )
        return read

    def activate_revision(self, name: str) -> None:
        with self._errors(f"activate revision {name}"):
            self._ops().container_apps_revisions.activate_revision(self._rg, self._name, name)

    def deactivate_revision(self, name: str) -> None:
        weight = sum(w.weight for w in self.get_traffic() if w.revision_name == name)
        if weight:
            raise TrafficError(
                f"revision {name} still receives {weight}% of traffic; deactivating it would drop requests.",
                hint="shift its traffic away first (set_traffic / az containerapp ingress traffic set).",
            )
        with self._errors(f"deactivate revision {name}"):
            self._ops().container_apps_revisions.deactivate_revision(self._rg, self._name, name)

    def restart_revision(self, name: str) -> None:
        rev = self.get_revision(name)
        if not rev.active:
            raise ConflictError(
                f"revision {name} is inactive; only active revisions can be restarted.",
                hint=f"activate it first: {azcli.revision_activate(self._s, name, oneline=True)}",
            )
        with self._errors(f"restart revision {name}"):
            self._ops().container_apps_revisions.restart_revision(self._rg, self._name, name)

    def restart(self) -> None:
        active = [r.name for r in self.list_revisions() if r.active]
        if not active:
            raise ConflictError(f"container app {self._name} has no active revision to restart.",
                                hint=azcli.revision_list(self._s, oneline=True))
        for name in active:
            with self._errors(f"restart revision {name}"):
                self._ops().container_apps_revisions.restart_revision(self._rg, self._name, name)

    def exec(self, revision: str, command: Sequence[str], *, timeout_s: float = 30.0) -> ExecResult:
        """Not available through the SDK: exec is an interactive websocket session of the CLI."""
        raise NotSupportedError(
            f"running a command inside a replica of {revision} is not available through the Azure SDK.",
            hint=azcli.containerapp_exec(self._s, list(command), revision=revision, oneline=True),
        )

    def scale_revision(self, name: str, min_replicas: int, max_replicas: int | None = None) -> Revision:
        """Not available on Azure: in multiple-revision mode scale changes only through `update`."""
        raise NotSupportedError(
            f"scaling revision {name} in place is not available on Azure Container Apps.",
            hint="in multiple-revision mode `az containerapp update --min-replicas 0` creates a new revision "
            'that takes no traffic; use recovery="restart" (restarts the serving revisions\' replicas), or '
            "activate a known good revision.",
        )
