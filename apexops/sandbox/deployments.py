"""The sandbox resource group: an ARM-like inventory of resources and deployments, kept modest.

Procedure 10 validates a template, previews it with what-if, deploys it behind a gate, reads its outputs
and compares the inventory with the expected resources. This module gives the sandbox those verbs on a
JSON inventory in the state folder: `validate` (parameters present and typed, resources well formed),
`what_if` (Create / Delete / Modify / NoChange / Ignore / Deploy / Unsupported with property deltas),
`start` (create-or-update, run in the daemon one resource at a time with per-resource operations, so it can
be watched and cancelled), outputs, `cancel`. Template expressions cover the common ARM functions
(parameters, variables, concat, format, resourceGroup, resourceId, uniqueString, reference ...); an
expression it cannot evaluate before deployment makes that resource Unsupported in what-if, as in Azure.
A resource may carry `"x-sandbox-fail": "<message>"` to rehearse a failing deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apexops.errors import ConflictError, InvalidRequestError
from apexops.sandbox.armexpr import SUBSCRIPTION_ID, ExprContext, Unevaluable, evaluate
from apexops.sandbox.state import read_json, write_json

__all__ = ["ResourceGroup", "baseline_template"]

_DEPLOY_ALWAYS = {"microsoft.resources/deploymentscripts"}  # changes ARM cannot predict: "Deploy"
_PARAM_TYPES = {
    "string": str,
    "securestring": str,
    "int": int,
    "bool": bool,
    "object": dict,
    "secureobject": dict,
    "array": list,
}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _operation(resource: Mapping[str, Any], operation: str, state: str = "Succeeded") -> dict[str, Any]:
    """One entry of a deployment's per-resource operations."""
    return {
        "resource_name": resource["name"],
        "resource_type": resource["type"],
        "operation": operation,
        "provisioning_state": state,
        "status_message": "",
        "timestamp": _now(),
    }


def _deployed(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A resource as the inventory keeps it once deployed (without the sandbox's own markers)."""
    return {
        **{k: v for k, v in resource.items() if not k.startswith(("_", "x-"))},
        "provisioningState": "Succeeded",
    }


def _deployment(name: str, mode: str, state: str) -> dict[str, Any]:
    """A deployment record as `get(name)` returns it, before any operation."""
    return {
        "name": name,
        "provisioning_state": state,
        "mode": mode,
        "outputs": {},
        "operations": [],
        "error_message": None,
        "timestamp": _now(),
    }


def _change(resource: Mapping[str, Any], before: Any, after: Any) -> dict[str, Any]:
    """One what-if change of a resource, before its change type is known."""
    return {
        "resource_id": resource["id"],
        "resource_type": resource["type"],
        "name": resource["name"],
        "before": before,
        "after": after,
        "delta": [],
    }


def _delta(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Property changes from `before` to `after`, for the keys the template sets (like what-if's delta)."""
    if isinstance(after, dict) and isinstance(before, dict):
        out: list[dict[str, Any]] = []
        for key, value in after.items():
            sub = f"{path}.{key}" if path else key
            if key not in before:
                out.append({"path": sub, "change_type": "Create", "before": None, "after": value})
            else:
                out.extend(_delta(before[key], value, sub))
        return out
    if before == after:
        return []
    kind = "Array" if isinstance(after, list) else "Modify"
    return [{"path": path, "change_type": kind, "before": before, "after": after}]


def _merge_readonly(props: dict[str, Any], readonly: Mapping[str, Any]) -> None:
    """Add read-only properties (fqdn, vaultUri ...) at any depth, as ARM's reference() returns them."""
    for key, value in readonly.items():
        if isinstance(value, Mapping) and isinstance(props.get(key), Mapping):
            merged = dict(props[key])
            _merge_readonly(merged, value)
            props[key] = merged
        else:
            props.setdefault(key, value)


# ---------------------------------------------------------------------------------------------- the group
class ResourceGroup:
    """The resource group's inventory and deployment history, persisted in one JSON file."""

    def __init__(
        self, path: Path, *, resource_group: str, location: str, step_s: float = 0.05, app_fqdn: str = ""
    ) -> None:
        self.path, self.resource_group, self.location, self.step_s = path, resource_group, location, step_s
        self.app_fqdn = app_fqdn
        data = read_json(path) or {}
        self.resources: dict[str, dict[str, Any]] = data.get("resources", {})
        self.deployments: dict[str, dict[str, Any]] = data.get("deployments", {})
        self._tasks: dict[str, asyncio.Task] = {}
        self._cancel: set[str] = set()

    @property
    def rg_id(self) -> str:
        return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{self.resource_group}"

    def resource_id(self, rtype: str, name: str) -> str:
        namespace, *types = rtype.split("/")
        names = name.split("/")
        segments = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=False))
        return f"{self.rg_id}/providers/{namespace}/{segments}"

    def _ctx(
        self,
        values: Mapping[str, Any],
        variables: Mapping[str, Any],
        references: Callable[[str], Mapping[str, Any]] | None = None,
    ) -> ExprContext:
        group = {"name": self.resource_group, "location": self.location, "id": self.rg_id}
        return ExprContext(values, variables, group, self.resource_id, references)

    def save(self) -> None:
        write_json(self.path, {"resources": self.resources, "deployments": self.deployments})

    # -------------------------------------------------------------- template handling
    def _params(self, template: Mapping[str, Any], parameters: Mapping[str, Any]) -> tuple[dict, list[str]]:
        """(parameter values, errors) — parameter-file shape {"x": {"value": v}} or plain {"x": v}."""
        declared = template.get("parameters") or {}
        given = {
            k: (v["value"] if isinstance(v, dict) and set(v) == {"value"} else v)
            for k, v in (parameters or {}).items()
        }
        errors = [f"parameter {k!r} is not declared in the template" for k in given if k not in declared]
        values: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in given:
                values[name] = given[name]
            elif "defaultValue" in spec:
                values[name] = spec["defaultValue"]
            else:
                errors.append(f"parameter {name!r} has no value and no default")
                continue
            expected = _PARAM_TYPES.get(str(spec.get("type", "string")).lower())
            raw = values[name]
            if (
                expected
                and not (isinstance(raw, str) and raw.startswith("["))
                and (not isinstance(raw, expected) or (expected is int and isinstance(raw, bool)))
            ):
                errors.append(
                    f"parameter {name!r} must be of type {spec.get('type')} (got {type(raw).__name__})"
                )
            allowed = spec.get("allowedValues")
            if allowed and raw not in allowed:
                errors.append(f"parameter {name!r} value {raw!r} is not one of {allowed}")
        return values, errors

    def _expand(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, Any],
        *,
        references: Callable[[str], Mapping[str, Any]] | None = None,
    ) -> tuple[list[dict], list[str], ExprContext]:
        """Resources with expressions evaluated; unevaluable ones carry `_unsupported`."""
        if not isinstance(template, Mapping) or not isinstance(template.get("resources"), list):
            return [], ["the template has no resources array"], self._ctx({}, {})
        values, errors = self._params(template, parameters)
        ctx = self._ctx(values, template.get("variables") or {}, references)
        for name in list(values):
            values[name] = evaluate(values[name], ctx)  # defaults may use expressions
        out: list[dict] = []
        for i, res in enumerate(template["resources"]):
            if not isinstance(res, Mapping) or not all(k in res for k in ("type", "name", "apiVersion")):
                errors.append(f"resources[{i}] needs type, name and apiVersion")
                continue
            try:
                r = {k: evaluate(v, ctx) for k, v in res.items() if k not in ("dependsOn",)}
                if r.get("condition") is False:
                    continue
                r.pop("condition", None)
                r.setdefault("location", self.location)
                r["id"] = self.resource_id(r["type"], r["name"])
            except Unevaluable as exc:
                r = {"type": res["type"], "name": str(res["name"]), "_unsupported": str(exc)}
                with contextlib.suppress(Unevaluable, InvalidRequestError):
                    r["name"] = evaluate(res["name"], ctx)
                r["id"] = self.resource_id(r["type"], str(r["name"]))
            except (InvalidRequestError, KeyError, IndexError, TypeError) as exc:
                errors.append(f"resources[{i}] ({res.get('type')}): {exc}")
                continue
            out.append(r)
        return out, errors, ctx

    # -------------------------------------------------------------- verbs
    def validate(
        self, template: Mapping[str, Any], parameters: Mapping[str, Any], *, name: str = "main"
    ) -> dict:
        _resources, errors, _ = self._expand(template, parameters)
        return {
            "ok": not errors,
            "provisioning_state": "Failed" if errors else "Succeeded",
            "error_code": "InvalidTemplate" if errors else None,
            "error_message": f"The template deployment '{name}' is not valid: {errors[0]}."
            if errors
            else None,
            "details": errors,
            "diagnostics": [],
        }

    def what_if(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, Any],
        *,
        name: str = "main",
        mode: str = "Incremental",
    ) -> dict:
        resources, errors, _ = self._expand(template, parameters)
        if errors:
            return {"status": "Failed", "changes": [], "error_message": f"InvalidTemplate: {errors[0]}"}
        changes, seen = [], set()
        for r in resources:
            seen.add(r["id"].lower())
            before = self.resources.get(r["id"].lower())
            after = {k: v for k, v in r.items() if not k.startswith(("_", "x-"))}
            change = _change(r, before, after)
            if "_unsupported" in r:
                change.update(change_type="Unsupported", unsupported_reason=r["_unsupported"], after=None)
            elif r["type"].lower() in _DEPLOY_ALWAYS:
                change["change_type"] = "Deploy"
            elif before is None:
                change["change_type"] = "Create"
            else:
                delta = _delta(
                    {k: v for k, v in before.items() if k != "provisioningState"},
                    {k: v for k, v in after.items() if k not in ("apiVersion", "id")},
                )
                change.update(change_type="Modify" if delta else "NoChange", delta=delta)
            changes.append(change)
        for rid, before in self.resources.items():
            if rid not in seen:
                change_type = "Delete" if mode == "Complete" else "Ignore"
                changes.append({**_change(before, before, None), "change_type": change_type})
        return {"status": "Succeeded", "changes": changes, "error_message": None}

    def start(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, Any],
        *,
        name: str = "main",
        mode: str = "Incremental",
    ) -> dict:
        """Create-or-update: refuse a bad template at once, then deploy in the background."""
        if mode not in ("Incremental", "Complete"):
            raise InvalidRequestError(
                f"deployment mode {mode!r} is not valid.", hint="use Incremental or Complete."
            )
        current = self.deployments.get(name)
        if current and current["provisioning_state"] in ("Running", "Accepted"):
            raise ConflictError(
                f"deployment {name} is still running (DeploymentActive).",
                hint="wait for it, or cancel it with cancel(name) and retry.",
            )
        validation = self.validate(template, parameters, name=name)
        if not validation["ok"]:
            raise InvalidRequestError(
                validation["error_message"], hint="run validate() and fix the template."
            )
        self.deployments[name] = _deployment(name, mode, "Running")
        self.save()
        self._cancel.discard(name)
        self._tasks[name] = asyncio.get_running_loop().create_task(
            self._run(name, dict(template), dict(parameters or {}), mode)
        )
        return self.deployments[name]

    def _readonly_props(self, r: Mapping[str, Any]) -> dict[str, Any]:
        t, n = r["type"].lower(), str(r["name"]).split("/")[-1]
        return {
            "microsoft.sql/servers": {"fullyQualifiedDomainName": f"{n}.database.sandbox.local"},
            "microsoft.storage/storageaccounts": {
                "primaryEndpoints": {"blob": f"https://{n}.blob.sandbox.local/"}
            },
            "microsoft.keyvault/vaults": {"vaultUri": f"https://{n}.vault.sandbox.local/"},
            "microsoft.insights/components": {"AppId": str(uuid.uuid5(uuid.NAMESPACE_DNS, n))},
            "microsoft.cognitiveservices/accounts": {
                "endpoint": f"https://{n}.cognitiveservices.sandbox.local/"
            },
            "microsoft.app/containerapps": {
                "configuration": {"ingress": {"fqdn": self.app_fqdn or f"{n}.sandbox"}},
                "latestRevisionFqdn": self.app_fqdn,
            },
        }.get(t, {})

    def _reference(self, target: str) -> Mapping[str, Any]:
        res = self.resources.get(target.lower()) or next(
            (r for r in self.resources.values() if r["name"] == target), None
        )
        if res is None:
            raise InvalidRequestError(
                f"reference({target!r}): the resource does not exist.",
                hint="deploy it before reading its properties.",
            )
        props = dict(res.get("properties") or {})
        _merge_readonly(props, self._readonly_props(res))
        return props

    async def _run(self, name: str, template: dict, parameters: dict, mode: str) -> None:
        dep = self.deployments[name]
        resources, _, _ = self._expand(template, parameters)
        try:
            for r in resources:
                if name in self._cancel:
                    dep["provisioning_state"] = "Canceled"
                    break
                rid = r["id"].lower()
                op = _operation(r, "Modify" if rid in self.resources else "Create", "Running")
                dep["operations"].append(op)
                await asyncio.sleep(self.step_s)
                if "_unsupported" in r:
                    r = self._expand(template, parameters, references=self._reference)[0][resources.index(r)]
                if r.get("x-sandbox-fail"):
                    op.update(provisioning_state="Failed", status_message=str(r["x-sandbox-fail"]))
                    dep.update(
                        provisioning_state="Failed",
                        error_message=f"{r['type']} '{r['name']}' failed: {r['x-sandbox-fail']}",
                    )
                    break
                self.resources[rid] = _deployed(r)
                op.update(provisioning_state="Succeeded", timestamp=_now())
                self.save()
            else:
                if mode == "Complete":
                    keep = {r["id"].lower() for r in resources}
                    for rid in [k for k in self.resources if k not in keep]:
                        dep["operations"].append(_operation(self.resources.pop(rid), "Delete"))
                _, _, ctx = self._expand(template, parameters, references=self._reference)
                ctx.resolve_reference = self._reference
                dep["outputs"] = {
                    k: evaluate(v.get("value"), ctx) for k, v in (template.get("outputs") or {}).items()
                }
                dep["provisioning_state"] = "Succeeded"
        except Exception as exc:  # an expression failing mid-deployment fails the deployment, not the daemon
            dep.update(provisioning_state="Failed", error_message=f"{type(exc).__name__}: {exc}")
        dep["timestamp"] = _now()
        self.save()

    def get(self, name: str = "main") -> dict | None:
        return self.deployments.get(name)

    def cancel(self, name: str = "main") -> bool:
        dep = self.deployments.get(name)
        if not dep or dep["provisioning_state"] != "Running":
            return False
        self._cancel.add(name)
        return True

    def list_resources(self) -> list[dict[str, Any]]:
        return [
            {
                "name": r["name"],
                "type": r["type"],
                "location": r.get("location", ""),
                "provisioning_state": r.get("provisioningState", ""),
            }
            for r in self.resources.values()
        ]

    def recover(self) -> None:
        """A deployment left Running by a previous daemon did not finish: it failed."""
        running = [dep for dep in self.deployments.values() if dep["provisioning_state"] == "Running"]
        for dep in running:
            dep.update(provisioning_state="Failed", error_message="the sandbox stopped during the deployment")
        if running:
            self.save()

    def interrupt(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self.recover()

    def seed(self, template: Mapping[str, Any], parameters: Mapping[str, Any] | None = None) -> None:
        """Create a template's resources at once (the sandbox's pre-existing production resource group)."""
        resources, errors, _ = self._expand(template, parameters or {})
        if errors:
            raise InvalidRequestError(f"the baseline template is not valid: {errors[0]}.", hint="fix it.")
        for r in resources:
            self.resources[r["id"].lower()] = _deployed(r)
        self.deployments["baseline"] = {
            **_deployment("baseline", "Incremental", "Succeeded"),
            "operations": [_operation(r, "Create") for r in resources],
        }
        self.save()


def baseline_template(settings: Any) -> dict[str, Any]:
    """The runbook's resources as the sandbox resource group starts with them: the APEX template of
    procedure 10 (apexops/infra/templates/apex.json) with the environment's baseline bound as defaults.

    Deploying it unchanged is a what-if of NoChange everywhere, so procedure 10's first dry run on a fresh
    sandbox reads like production's: nothing to do.
    """
    # lazily: apexops.infra is procedure 10's package (its __init__ loads the procedure), which the daemon
    # needs only once, to seed a fresh sandbox; an adapter must not load procedures at import
    from apexops.infra.template import baseline_template as apex_baseline

    return apex_baseline(settings)
