"""The Deployments port on Azure Resource Manager.

Deployments moved out of azure-mgmt-resource in 25.0 into azure-mgmt-resource-deployments
(`DeploymentsMgmtClient`, api-version 2026-06-01); the resource inventory stays in azure-mgmt-resource 26
(`azure.mgmt.resource.resources.ResourceManagementClient`). Templates arrive as ARM JSON (a Bicep file is
compiled by the caller, e.g. `az bicep build`); parameters as plain values or ARM `{"value": ...}` entries.

A failed validation is a result (ok=False with the nested error details), not an exception, because
showing why is the point of the validate step; a failed deployment likewise returns its Failed state and
per-resource operations. Transport, identity and permission problems raise typed errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from apexops.azure._clients import AzureClients
from apexops.azure._convert import parse_time
from apexops.azure._errors import arm_error, map_azure_errors
from apexops.azure._lro import wait
from apexops.errors import ApexopsError, ConfigError, NotFoundError, TargetError
from apexops.models import (
    DeploymentOperation,
    DeploymentResult,
    DeploymentValidation,
    ResourceInfo,
    WhatIfChange,
    WhatIfPropertyChange,
    WhatIfResult,
)
from apexops.ports import ProgressCallback

__all__ = ["AzureDeployments", "arm_parameters", "canonical", "resource_type", "what_if_result"]

_ENDED_BADLY = ("Failed", "Canceled")
RUNNING_STATES = {"Accepted", "Running", "Creating", "Updating", "Deleting", "Waiting", "Ready"}


def arm_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """ARM parameter entries: plain values are wrapped as {"value": v}; {"value"}/{"reference"} kept."""
    return {
        name: dict(v) if isinstance(v, Mapping) and v and set(v) <= {"value", "reference"} else {"value": v}
        for name, v in parameters.items()
    }


#: canonical spellings of ARM states and change types; older API versions send some in lower case
_CANONICAL = {w.lower(): w for w in (
    "Succeeded", "Failed", "Canceled", "Running", "Accepted", "Creating", "Updating", "Deleting", "Waiting",
    "Ready", "Canceling", "Unknown", "Create", "Delete", "Deploy", "Ignore", "Modify", "NoChange",
    "Unsupported", "Array", "NoEffect", "Read", "Action",
)}  # fmt: skip
_CANONICAL["cancelled"] = "Canceled"


def canonical(value: Any, default: str = "") -> str:
    """An ARM state or change type in its canonical spelling (`succeeded` -> `Succeeded`); unknown kept."""
    text = str(value or "").strip()
    return _CANONICAL.get(text.lower(), text) or default


def resource_type(resource_id: str) -> str:
    """The full type of an ARM resource id: provider, then every type segment of the alternating
    type/name pairs after it (`.../providers/Microsoft.Sql/servers/s/databases/d` ->
    `Microsoft.Sql/servers/databases`). An extension resource takes the type after its last provider."""
    low = resource_id.lower()
    at = low.rfind("/providers/")
    if at < 0:
        return "Microsoft.Resources/resourceGroups" if "/resourcegroups/" in low else ""
    provider, *rest = resource_id[at + len("/providers/"):].strip("/").split("/")
    types = rest[0::2]
    return "/".join([provider, *types]) if provider and types else ""


def _error_lines(err: Mapping[str, Any]) -> list[str]:
    """`code: message` of an ARM error and of its nested details, depth first."""
    parts: list[str] = []
    stack: list[Mapping[str, Any]] = [err] if err else []
    while stack:
        e = stack.pop(0)
        if e.get("message") or e.get("code"):
            parts.append(f"{e.get('code')}: {e.get('message')}" if e.get("code") else str(e.get("message")))
        stack[:0] = [d for d in e.get("details") or [] if isinstance(d, Mapping)]
    return parts


def _error_text(err: Mapping[str, Any]) -> str:
    """An ARM error on one line: its code and message, then every nested detail's."""
    return " | ".join(_error_lines(err))


def _flatten_delta(changes: list[Mapping[str, Any]], prefix: str = "") -> list[WhatIfPropertyChange]:
    out: list[WhatIfPropertyChange] = []
    for d in changes or []:
        path = str(d.get("path") or "")
        full = (f"{prefix}[{path}]" if path.isdigit() else f"{prefix}.{path}") if prefix else path
        out.append(WhatIfPropertyChange(path=full, change_type=canonical(d.get("propertyChangeType")),
                                        before=d.get("before"), after=d.get("after")))
        out.extend(_flatten_delta(d.get("children") or [], full))
    return out


def what_if_result(doc: Mapping[str, Any]) -> WhatIfResult:
    props = doc.get("properties") or {}
    changes = []
    for c in props.get("changes") or []:
        rid = str(c.get("resourceId") or "")
        payload = c.get("after") or c.get("before") or {}
        changes.append(WhatIfChange(
            resource_id=rid,
            resource_type=str(payload.get("type") or c.get("resourceType") or resource_type(rid)),
            name=str(payload.get("name") or rid.rsplit("/", 1)[-1]),
            change_type=canonical(c.get("changeType")),
            delta=tuple(_flatten_delta(c.get("delta") or [])),
            before=c.get("before"),
            after=c.get("after"),
            unsupported_reason=c.get("unsupportedReason") or None,
        ))
    err = doc.get("error") or {}
    return WhatIfResult(status=canonical(doc.get("status")), changes=tuple(changes),
                        error_message=_error_text(err) or None)


def _operation(doc: Mapping[str, Any]) -> DeploymentOperation:
    p = doc.get("properties") or {}
    target = p.get("targetResource") or {}
    status = p.get("statusMessage") or {}
    if isinstance(status, Mapping):
        message = _error_text(status.get("error") or {}) or _error_text(status)
    else:
        message = str(status)
    return DeploymentOperation(
        resource_name=str(target.get("resourceName") or target.get("id", "").rsplit("/", 1)[-1]),
        resource_type=str(target.get("resourceType") or resource_type(str(target.get("id") or ""))),
        operation=str(p.get("provisioningOperation") or ""),
        provisioning_state=canonical(p.get("provisioningState")),
        status_message=message,
        timestamp=parse_time(p.get("timestamp")),
        operation_id=str(doc.get("operationId") or str(doc.get("id") or "").rsplit("/", 1)[-1]),
    )


def _result(doc: Mapping[str, Any], operations: Sequence[DeploymentOperation] = (),
            notes: Sequence[str] = ()) -> DeploymentResult:
    """The deployment; a failed one's error names its details and its failing operations' messages."""
    p = doc.get("properties") or {}
    error = _error_text(p.get("error") or {})
    failing = [f"{o.key}: {o.status_message}" for o in operations
               if o.provisioning_state == "Failed" and o.status_message and o.status_message not in error]
    error = " | ".join([e for e in (error, *failing) if e])
    outputs = {k: (v.get("value") if isinstance(v, Mapping) else v)
               for k, v in (p.get("outputs") or {}).items()}
    return DeploymentResult(
        name=str(doc.get("name") or ""),
        provisioning_state=canonical(p.get("provisioningState"), "Unknown"),
        outputs=outputs,
        operations=tuple(operations),
        error_message=error or None,
        timestamp=parse_time(p.get("timestamp")),
        notes=tuple(notes),
    )


class AzureDeployments:
    """`az deployment group ...` and `az resource list` for the environment's resource group."""

    def __init__(self, clients: AzureClients) -> None:
        self._c = clients
        self._s = clients.settings
        self._rg = self._s.azure.resource_group

    def _errors(self, action: str, name: str = "main") -> AbstractContextManager[None]:
        return map_azure_errors(action, self._s, deployment=name)

    @staticmethod
    def _body(
        template: dict[str, Any], parameters: dict[str, Any], mode: str = "Incremental"
    ) -> dict[str, Any]:
        if mode not in ("Incremental", "Complete"):
            raise ConfigError(f"deployment mode {mode!r} is not valid.", hint="use Incremental or Complete.")
        return {"properties": {"mode": mode, "template": template, "parameters": arm_parameters(parameters)}}

    def validate(self, template: dict[str, Any], parameters: dict[str, Any], *, name: str = "main") -> (
        DeploymentValidation
    ):
        from azure.core.exceptions import HttpResponseError

        with self._errors(f"validate deployment {name}", name):
            try:
                poller = self._c.deployments().deployments.begin_validate(
                    self._rg, name, self._body(template, parameters), **self._c.lro_kwargs()
                )
                doc = wait(poller, f"validate {name}", None, self._c.progress_interval_s).as_dict()
            except HttpResponseError as exc:
                if exc.status_code != 400:
                    raise
                code, message, details = arm_error(exc)  # a 400 is the validation verdict itself
                return DeploymentValidation(ok=False, provisioning_state="Failed", error_code=code,
                                            error_message=message, details=tuple(details))
        props = doc.get("properties") or {}
        err = doc.get("error") or props.get("error") or {}
        diagnostics = tuple(f"{d.get('level')}: {d.get('code')}: {d.get('message')}"
                            for d in props.get("diagnostics") or [])
        state = canonical(props.get("provisioningState"), "Failed" if err else "Unknown")
        return DeploymentValidation(
            ok=not err and state == "Succeeded", provisioning_state=state,
            error_code=err.get("code"), error_message=err.get("message"),
            details=tuple(_error_lines({"details": err.get("details") or []})),
            diagnostics=diagnostics,
        )

    def what_if(
        self,
        template: dict[str, Any],
        parameters: dict[str, Any],
        *,
        name: str = "main",
        mode: str = "Incremental",
    ) -> WhatIfResult:
        body = self._body(template, parameters, mode)
        body["properties"]["whatIfSettings"] = {"resultFormat": "FullResourcePayloads"}
        with self._errors(f"what-if of deployment {name}", name):
            poller = self._c.deployments().deployments.begin_what_if(
                self._rg, name, body, **self._c.lro_kwargs()
            )
            doc = wait(poller, f"what-if {name}", None, self._c.progress_interval_s).as_dict()
        return what_if_result(doc)

    def create_or_update(
        self,
        template: dict[str, Any],
        parameters: dict[str, Any],
        *,
        name: str = "main",
        on_progress: ProgressCallback | None = None,
        mode: str = "Incremental",
    ) -> DeploymentResult:
        from azure.core.exceptions import HttpResponseError

        seen: dict[str, str] = {}
        last: list[list[DeploymentOperation]] = []

        def report_operations() -> None:
            try:
                ops = self.operations(name)
            except (NotFoundError, TargetError):
                return  # not listed yet, or a transient error: progress is best effort
            last[:] = [ops]
            for op in ops:
                if seen.get(op.key) != op.provisioning_state:
                    seen[op.key] = op.provisioning_state
                    if on_progress is not None:
                        on_progress(f"{op.operation or 'Deploy'} {op.key}: {op.provisioning_state}"
                                    + (f" ({op.status_message})" if op.status_message else ""))

        with self._errors(f"create deployment {name}", name):
            poller = self._c.deployments().deployments.begin_create_or_update(
                self._rg, name, self._body(template, parameters, mode), **self._c.lro_kwargs()
            )
            try:
                doc = wait(poller, f"deployment {name}", on_progress, self._c.progress_interval_s,
                           tick=report_operations).as_dict()  # its last tick ran after completion
            except HttpResponseError:
                # the deployment ran and failed: its state and operations say why
                doc = self._doc(name) or {}
                if canonical((doc.get("properties") or {}).get("provisioningState")) not in _ENDED_BADLY:
                    raise
                last.clear()
        if last:
            return _result(doc, last[0])
        ops, notes = self._operations_after(name, on_progress)
        return _result(doc, ops, notes)

    def _operations_after(
        self, name: str, on_progress: ProgressCallback | None
    ) -> tuple[list[DeploymentOperation], list[str]]:
        """The operations of a finished deployment; failing to list them is a note, never its outcome."""
        try:
            return self.operations(name), []
        except ApexopsError as exc:
            note = f"the operations of deployment {name} could not be listed: {exc.message}"
            if on_progress is not None:
                on_progress(note)
            return [], [note]

    def _doc(self, name: str) -> dict[str, Any] | None:
        try:
            with self._errors(f"show deployment {name}", name):
                doc: dict[str, Any] = self._c.deployments().deployments.get(self._rg, name).as_dict()
        except NotFoundError as exc:
            if "ResourceGroupNotFound" in exc.message:
                raise
            return None
        return doc

    def get(self, name: str = "main") -> DeploymentResult | None:
        doc = self._doc(name)
        return None if doc is None else _result(doc)

    def operations(self, name: str = "main") -> list[DeploymentOperation]:
        with self._errors(f"list operations of deployment {name}", name):
            docs = [o.as_dict() for o in self._c.deployments().deployment_operations.list(self._rg, name)]
        return [_operation(d) for d in docs]

    def cancel(self, name: str = "main") -> bool:
        current = self.get(name)
        if current is None or current.provisioning_state not in RUNNING_STATES:
            return False
        from azure.core.exceptions import HttpResponseError

        try:
            with self._errors(f"cancel deployment {name}", name):
                try:
                    self._c.deployments().deployments.cancel(self._rg, name)
                except HttpResponseError as exc:
                    if exc.status_code == 409:  # finished between the GET and the cancel
                        return False
                    raise
        except NotFoundError:
            return False
        return True

    def list_resources(self) -> list[ResourceInfo]:
        with self._errors(f"list resources of {self._rg}"):
            docs = [r.as_dict() for r in self._c.resources().resources.list_by_resource_group(
                self._rg, expand="provisioningState,createdTime,changedTime")]
        return [
            ResourceInfo(
                name=str(d.get("name") or ""), type=str(d.get("type") or ""),
                location=str(d.get("location") or ""),
                provisioning_state=str(
                    d.get("provisioningState") or (d.get("properties") or {}).get("provisioningState") or ""
                ),
            )
            for d in docs
        ]
