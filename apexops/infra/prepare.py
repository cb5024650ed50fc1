"""Step 1 of procedure 10 (the runbook's "Prepare for Deployment"): who acts, where, with what.

Each prerequisite is one row (a Status, a detail, a hint); a source that cannot be read
is a FAIL row with the error's hint, never an exception that hides the other rows. The deployment
parameters are saved as an ARM parameters file with secret-looking env values hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from apexops.errors import ApexopsError
from apexops.infra.hints import hint_for, infra_hints, stuck_deployment
from apexops.redact import HIDDEN, looks_secret
from apexops.status import Status

if TYPE_CHECKING:
    from apexops.environment import Environment
    from apexops.infra.template import LoadedTemplate

__all__ = ["parameters_document", "prepare_rows", "redacted", "row"]


def row(check: str, status: Status, detail: str, hint: str = "") -> dict[str, Any]:
    return {"status": status, "check": check, "detail": detail, "hint": hint}


def redacted(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters safe to show and save: env values under secret-looking names hidden."""
    out = dict(parameters)
    if isinstance(out.get("containerEnv"), list):
        out["containerEnv"] = [
            {**e, "value": HIDDEN} if "value" in e and looks_secret(str(e.get("name", ""))) else e
            for e in out["containerEnv"]
        ]
    return out


def parameters_document(parameters: dict[str, Any]) -> dict[str, Any]:
    """An ARM deploymentParameters file (what `--parameters @file.json` reads), secrets hidden."""
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {k: {"value": v} for k, v in redacted(parameters).items()},
    }


def _subscription_row(env: Environment) -> dict[str, Any]:
    if not env.traits.has_subscription:
        return row("subscription", Status.INFO, f"the {env.traits.name} (no Azure subscription)")
    ref = env.settings.azure.subscription_id_env
    sub = env.settings.reference(ref)
    if sub:
        return row("subscription", Status.PASS, f"{ref}={sub}")
    hint = f"export {ref}=<subscription id> (az account show --query id)"
    return row("subscription", Status.FAIL, f"{ref} unset", hint)


def _deployment_row(env: Environment, name: str, now: datetime) -> dict[str, Any]:
    """The deployment of that name: none yet, finished (INFO), running (WARN), stuck > 30 min (FAIL)."""
    check = f"deployment {name}"
    current = env.deployments.get(name)
    state, age = stuck_deployment(current, now)
    age_text = f"{age / 60:.0f} min ago" if age is not None else "age unknown"
    if current is None:
        return row(check, Status.INFO, "no deployment of that name yet")
    if state == "finished":
        return row(check, Status.INFO, f"last run {current.provisioning_state}, {age_text}")
    status = Status.FAIL if state == "stuck" else Status.WARN
    detail = f"{state.upper()}: provisioning since {age_text}"
    return row(check, status, detail, hint_for("DeploymentActive", env.settings) or "")


def prepare_rows(
    env: Environment, template: LoadedTemplate, *, name: str, image_tag: str, now: datetime
) -> list[dict[str, Any]]:
    """Identity, subscription and resource group, template, current deployment, the app's image.

    The last row is the app's image: FAIL there means the app could not be read. A source that cannot be
    read is a FAIL row (WARN for the deployment) with the error's hint."""
    s = env.settings

    def identity() -> dict[str, Any]:
        who = env.identity.whoami()
        return row("identity", Status.PASS, f"{who.name} ({who.kind}, {who.source})")

    def resource_group() -> dict[str, Any]:
        with infra_hints(s):
            count = len(env.deployments.list_resources())
        rg = f"{s.azure.resource_group} ({s.azure.location}): {count} resources"
        return row("resource group", Status.PASS, rg)

    def app_image() -> dict[str, Any]:
        running = env.app.show().template.image
        change = f"; this run changes it to {s.image(image_tag)}" if image_tag else ""
        return row("container app image", Status.INFO, f"{running} (carried as it runs{change})")

    tpl = f"{template.label} ({template.resource_count} resources, sha256 {template.sha256[:12]})"
    return [
        _read("identity", identity, hint="run 00-preflight"),
        _subscription_row(env),
        _read("resource group", resource_group),
        row("template", Status.INFO, tpl),
        _read(f"deployment {name}", lambda: _deployment_row(env, name, now), status=Status.WARN),
        _read("container app image", app_image),
    ]


def _read(
    check: str, read: Callable[[], dict[str, Any]], *, status: Status = Status.FAIL, hint: str = ""
) -> dict[str, Any]:
    """The row `read` returns, or a `status` row with the error's message and hint when it raises."""
    try:
        return read()
    except ApexopsError as exc:
        return row(check, status, exc.message, exc.hint or hint)
