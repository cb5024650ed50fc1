"""The APEX infrastructure template and the parameters it is deployed with, as pure functions.

The runbook deploys `main.bicep` with `parameters/prod.bicepparam`. apexops ships the same resources as ARM
JSON (`templates/apex.json`: what `az bicep build` would produce), so the sandbox and Azure receive the
identical document and no Bicep compiler is needed. Resource names derive from the `environment` parameter,
so `parameters/<env>.yaml` and the template must agree; `expected_names` lets a test (and step 2 of the
procedure) check that they do.

The container app is part of the template, which makes an infrastructure deployment able to change the
running app. To keep procedure 10 from silently redeploying an older image or dropping environment
variables, the app's container spec is taken from the app *as it runs now* (the ContainerApp port), and
only an explicit `image_tag` changes the image. Changing the app is procedure 30's job.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.errors import ConfigError

if TYPE_CHECKING:
    from apexops.models import AppTemplate
    from apexops.settings import Settings

__all__ = [
    "APEX_TEMPLATE",
    "LoadedTemplate",
    "baseline_parameters",
    "baseline_template",
    "bind_defaults",
    "container_env",
    "load_template",
    "parameters_for",
]

#: the shipped template (ARM JSON)
APEX_TEMPLATE = Path(__file__).resolve().parent / "templates" / "apex.json"


@dataclass(frozen=True)
class LoadedTemplate:
    """A template document with where it came from and its digest (recorded in the ledger)."""

    path: Path
    document: dict[str, Any]
    sha256: str

    @property
    def resource_count(self) -> int:
        return len(self.document.get("resources") or [])

    @property
    def label(self) -> str:
        return "apexops/infra/templates/apex.json" if self.path == APEX_TEMPLATE else str(self.path)


def load_template(path: str | Path | None = None) -> LoadedTemplate:
    """The shipped APEX template, or an ARM JSON file given by the `template_file` parameter.

    A `.bicep` file is refused with the command that compiles it: apexops deploys ARM JSON only.
    """
    file = APEX_TEMPLATE if path in (None, "") else Path(str(path)).expanduser()
    if file.suffix.lower() in (".bicep", ".bicepparam"):
        raise ConfigError(
            f"template_file {file} is Bicep; procedure 10 deploys ARM JSON.",
            hint=f"compile it first: az bicep build --file {file} --outfile {file.with_suffix('.json')}, "
            "then pass the .json file as template_file.",
        )
    if not file.is_file():
        raise ConfigError(
            f"template_file {file} does not exist.",
            hint="leave template_file empty for the APEX template, or give the path of an ARM JSON file.",
        )
    raw = file.read_bytes()
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(
            f"template_file {file} is not valid JSON ({exc}).", hint="fix the file or compile it again."
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise ConfigError(
            f"template_file {file} is not an ARM template (no resources array).",
            hint="pass a deploymentTemplate JSON document.",
        )
    return LoadedTemplate(path=file, document=document, sha256=hashlib.sha256(raw).hexdigest())


def container_env(env: Mapping[str, str]) -> list[dict[str, str]]:
    """ACA's env array from a name->value mapping; `secretref:<name>` values stay references."""
    out = []
    for name in sorted(env):
        value = str(env[name])
        if value.startswith("secretref:"):
            out.append({"name": name, "secretRef": value.removeprefix("secretref:")})
        else:
            out.append({"name": name, "value": value})
    return out


def _parameters(settings: Settings, app: AppTemplate | Mapping[str, Any]) -> dict[str, Any]:
    """The environment's parameters with the container spec of `app` (a template, or the same as a dict)."""
    get = app.__getitem__ if isinstance(app, Mapping) else lambda k: getattr(app, k)
    return {
        "environment": settings.environment,
        "location": settings.azure.location,
        "targetPort": settings.app.target_port,
        "registryServer": settings.registry.server,
        "containerImage": get("image"),
        "containerEnv": container_env(dict(get("env") or {})),
        "containerResources": {"cpu": float(get("cpu")), "memory": str(get("memory"))},
        "minReplicas": int(get("min_replicas")),
        "maxReplicas": int(get("max_replicas")),
    }


def parameters_for(
    settings: Settings, app: AppTemplate, *, image: str | None = None, sql_admin_group_object_id: str = ""
) -> dict[str, Any]:
    """The deployment parameters (the .bicepparam file's values) for an environment.

    `app` is the container app's current template: the deployment carries the app as it runs, except the
    image when `image` is given. No value here is a secret (secret env vars are `secretRef`s).
    """
    params = _parameters(settings, app)
    if image:
        params["containerImage"] = image
    if sql_admin_group_object_id:
        params["sqlAdminGroupObjectId"] = sql_admin_group_object_id
    return params


def baseline_parameters(settings: Settings) -> dict[str, Any]:
    """The parameters the sandbox's production stand-in was deployed with (its seeded resource group).

    They mirror what `apexops sandbox up` seeds the app with: the baseline image, the parameters file's
    env/cpu/memory, and at least one replica.
    """
    app = {
        "image": settings.image(settings.sandbox.baseline_image_tag),
        "env": dict(settings.app.env),
        "cpu": settings.app.cpu,
        "memory": settings.app.memory,
        "min_replicas": max(1, settings.app.min_replicas),
        "max_replicas": settings.app.max_replicas,
    }
    return _parameters(settings, app)


def bind_defaults(template: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `template` whose parameter defaults are `parameters` (so it deploys with no parameters)."""
    out = copy.deepcopy(dict(template))
    declared = out.setdefault("parameters", {})
    for name, value in parameters.items():
        if name not in declared:
            raise ConfigError(
                f"parameter {name!r} is not declared in the template.", hint="check the parameter names."
            )
        declared[name] = {**declared[name], "defaultValue": copy.deepcopy(value)}
    return out


def baseline_template(settings: Settings) -> dict[str, Any]:
    """The APEX template with the sandbox baseline bound as defaults (what the sandbox seeds)."""
    return bind_defaults(load_template().document, baseline_parameters(settings))
