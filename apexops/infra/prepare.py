"""Step 1 of procedure 10 (the runbook's "Prepare for Deployment"): who acts, where, with what.

Each prerequisite is one row (PASS / INFO / WARN / FAIL, a detail, a hint); a source that cannot be read
is a FAIL row with the error's hint, never an exception that hides the other rows. The deployment
parameters are saved as an ARM parameters file with secret-looking env values hidden.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from apexops.deploy.secrets import HIDDEN, looks_secret
from apexops.errors import ApexopsError
from apexops.infra.hints import hint_for, infra_hints, stuck_deployment

if TYPE_CHECKING:
    from apexops.environment import Environment
    from apexops.infra.template import LoadedTemplate

__all__ = ["parameters_document", "prepare_rows", "redacted", "row"]


def row(check: str, status: str, detail: str, hint: str = "") -> dict[str, Any]:
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


def prepare_rows(
    env: Environment, template: LoadedTemplate, *, name: str, image_tag: str, now: datetime
) -> list[dict[str, Any]]:
    """Identity, subscription and resource group, template, current deployment, the app's image.

    The last row is the app's image: FAIL there means the app could not be read."""
    s, rows = env.settings, []
    try:
        who = env.identity.whoami()
        rows.append(row("identity", "PASS", f"{who.name} ({who.kind}, {who.source})"))
    except ApexopsError as exc:
        rows.append(row("identity", "FAIL", exc.message, exc.hint or "run 00-preflight"))
    if env.target == "azure":
        ref = s.azure.subscription_id_env
        sub = s.reference(ref)
        fix = "" if sub else f"export {ref}=<subscription id> (az account show --query id)"
        rows.append(
            row("subscription", "PASS" if sub else "FAIL", f"{ref}={sub}" if sub else f"{ref} unset", fix)
        )
    else:
        rows.append(row("subscription", "INFO", "the sandbox (no Azure subscription)"))
    try:
        with infra_hints(s):
            resources = env.deployments.list_resources()
        rows.append(
            row(
                "resource group",
                "PASS",
                f"{s.azure.resource_group} ({s.azure.location}): {len(resources)} resources",
            )
        )
    except ApexopsError as exc:
        rows.append(row("resource group", "FAIL", exc.message, exc.hint or ""))
    rows.append(
        row(
            "template",
            "INFO",
            f"{template.label} ({template.resource_count} resources, sha256 {template.sha256[:12]})",
        )
    )
    try:
        current = env.deployments.get(name)
        state, age = stuck_deployment(current, now)
        age_text = f"{age / 60:.0f} min ago" if age is not None else "age unknown"
        if state == "none":
            rows.append(row(f"deployment {name}", "INFO", "no deployment of that name yet"))
        elif state == "finished":
            assert current is not None
            rows.append(
                row(
                    f"deployment {name}",
                    "INFO",
                    f"last run {current.provisioning_state}, {age_text}",
                )
            )
        else:
            rows.append(
                row(
                    f"deployment {name}",
                    "FAIL" if state == "stuck" else "WARN",
                    f"{state.upper()}: provisioning since {age_text}",
                    hint_for("DeploymentActive", s) or "",
                )
            )
    except ApexopsError as exc:
        rows.append(row(f"deployment {name}", "WARN", exc.message, exc.hint or ""))
    try:
        running = env.app.show().template.image
        change = f"; this run changes it to {s.image(image_tag)}" if image_tag else ""
        rows.append(row("container app image", "INFO", f"{running} (carried as it runs{change})"))
    except ApexopsError as exc:
        rows.append(row("container app image", "FAIL", exc.message, exc.hint or ""))
    return rows
