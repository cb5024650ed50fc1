"""Azure SDK exceptions become apexops errors here, with the runbook's remedy as the hint.

At 2 a.m. an engineer needs the next command, not an SDK stack trace: every azure-core exception that
leaves an adapter is translated at this boundary into one typed `apexops.errors` exception whose message is
one line (what failed, the ARM error code, Azure's own message) and whose hint is the runbook's remedy as
a command that can be pasted (create the resource group, check the role assignment, cancel a deployment
stuck in provisioning, ...). azure-core is imported only when an exception is being translated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from apexops import azcli
from apexops.errors import (
    ApexopsError,
    AuthenticationError,
    AuthorizationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    TargetError,
    TargetUnavailableError,
    ThrottledError,
)
from apexops.settings import Settings

__all__ = ["Service", "arm_error", "map_azure_errors", "translate"]

#: which Azure surface a call went to; decides the role named in an authorization hint
Service = Literal["arm", "logs", "acr", "blob", "aad", "sql"]

_JWT = re.compile(r"eyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]*")

_NOT_FOUND_CODES = {
    "ResourceNotFound", "ResourceGroupNotFound", "DeploymentNotFound", "SubscriptionNotFound",
    "ContainerAppNotFound", "NotFound", "TAG_UNKNOWN", "MANIFEST_UNKNOWN", "NAME_UNKNOWN",
    "ContainerNotFound", "BlobNotFound", "PathNotFound", "WorkspaceNotFoundError",
}
_AUTHZ_CODES = {
    "AuthorizationFailed", "LinkedAuthorizationFailed", "InsufficientPermissions", "Forbidden",
    "AuthorizationPermissionMismatch", "AuthorizationFailure", "RequestDisallowedByPolicy",
    "InsufficientAccessError", "DENIED",
}
_INVALID_CODES = {"InvalidTemplateDeployment", "InvalidTemplate", "InvalidRequestContent", "BadArgumentError",
                  "InvalidParameter", "ValidationError", "SemanticError", "SyntaxError"}


def _one_line(text: str, limit: int = 400) -> str:
    text = _JWT.sub("<token>", " ".join(str(text).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def arm_error(exc: Any) -> tuple[str | None, str, list[str]]:
    """(code, message, detail lines) of an HttpResponseError, from ARM, ACR or storage error shapes."""
    code: str | None = None
    message = ""
    details: list[str] = []
    err = getattr(exc, "error", None)
    if err is not None and getattr(err, "code", None):
        code, message = err.code, err.message or ""
        stack = list(getattr(err, "details", None) or [])
        while stack:  # depth-first through nested details (InvalidTemplateDeployment nests two levels)
            d = stack.pop(0)
            if getattr(d, "message", None):
                details.append(f"{d.code}: {d.message}" if d.code else d.message)
            stack[:0] = list(getattr(d, "details", None) or [])
    if code is None:
        code = getattr(exc, "error_code", None)  # storage sets x-ms-error-code here
    body = _body(exc)
    if code is None and isinstance(body, dict):
        if isinstance(body.get("error"), dict):  # ARM shape the SDK did not parse
            code, message = body["error"].get("code"), body["error"].get("message", "")
        elif isinstance(body.get("errors"), list) and body["errors"]:  # ACR data plane
            code, message = body["errors"][0].get("code"), body["errors"][0].get("message", "")
    if not message:
        message = (getattr(exc, "message", None) or str(exc)).split("\n")[0]
    return code, _one_line(message), [_one_line(d, 300) for d in details]


def _body(exc: Any) -> Any:
    response = getattr(exc, "response", None)
    if response is None:
        return None
    try:
        return response.json()
    except Exception:
        return None


def _retry_after(exc: Any) -> str | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    return headers.get("Retry-After") or headers.get("x-ms-ratelimit-remaining-reset")


def _authz_hint(settings: Settings, service: Service) -> str:
    rg = settings.azure.resource_group
    if service == "blob":
        return (f"the identity needs 'Storage Blob Data Reader' (or Contributor) on storage account "
                f"{settings.storage.account}: {azcli.role_assignment_list(oneline=True)}")
    if service == "acr":
        return (f"the identity needs 'AcrPull' (or Reader) on registry {settings.registry.name}: "
                f"{azcli.role_assignment_list(oneline=True)}")
    if service == "logs":
        return (f"the identity needs 'Log Analytics Reader' (or Monitoring Reader) on {rg}: "
                f"{azcli.role_assignment_list(oneline=True)}")
    return (f"required role: Contributor or Owner on resource group {rg}; check yours with "
            f"{azcli.role_assignment_list(oneline=True)}")


def _not_found_hint(settings: Settings, code: str | None, service: Service, action: str) -> str:
    if code == "ResourceGroupNotFound":
        return f"create it: {azcli.group_create(settings, oneline=True)} then re-run 10-infrastructure."
    if code == "SubscriptionNotFound":
        return (f"select the right subscription: az account set --subscription <id>, and export "
                f"{settings.azure.subscription_id_env}.")
    if code in {"TAG_UNKNOWN", "MANIFEST_UNKNOWN", "NAME_UNKNOWN"} or service == "acr":
        return f"push the image first; known tags: {azcli.acr_repository_show_tags(settings, oneline=True)}"
    if code == "DeploymentNotFound":
        return f"no such deployment in {settings.azure.resource_group}; run 10-infrastructure to create it."
    if "revision" in action:
        return f"list the revisions: {azcli.revision_list(settings, oneline=True)}"
    if service == "blob":
        return f"check the container and path; containers are in {settings.storage.account}."
    return (f"check the names in {settings.source or 'parameters/' + settings.environment + '.yaml'} "
            f"against {azcli.resource_list(settings, oneline=True)}")


def translate(
    exc: BaseException,
    action: str,
    settings: Settings,
    *,
    service: Service = "arm",
    deployment: str = "main",
) -> ApexopsError | None:
    """The apexops error for an Azure exception, or None when it is not an Azure error."""
    try:
        from azure.core import exceptions as ace
    except ImportError:  # pragma: no cover - the SDK is a dependency
        return None
    if isinstance(exc, ace.ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        text = _one_line(getattr(exc, "message", None) or str(exc), 300)
        hint = f"sign in: {azcli.login()} (then az account set --subscription <id>), or set the " \
               "AZURE_CLIENT_ID/AZURE_TENANT_ID variables of a service principal; then re-run this cell."
        if "AADSTS65001" in text:
            hint = ("the APEX API app registration has not consented to this client: pre-authorize the Azure "
                    "CLI (04b07795-8ddb-461a-bbee-02f9e1bf7b46) on it, or use a service principal.")
        return AuthenticationError(f"{action}: no usable Azure identity ({text}).", hint=hint)
    if isinstance(exc, ace.ServiceRequestError | ace.ServiceResponseError):
        text = _one_line(getattr(exc, "message", None) or str(exc), 200)
        hint = "check the network path (VPN, proxy, DNS) and retry."
        if service in ("blob", "sql"):
            hint = ("the resource sits behind a private endpoint: run from the jump box or VPN (runbook: "
                    "Database Migration step 1), and check the private endpoint is Approved.")
        return TargetUnavailableError(f"{action}: Azure could not be reached ({text}).", hint=hint)
    if not isinstance(exc, ace.HttpResponseError):
        return None
    status = getattr(exc, "status_code", None) or 0
    code, message, details = arm_error(exc)
    text = f"{action}: {code + ': ' if code else ''}{message}"
    if details:
        text += " | " + " | ".join(details[:5])
    text = _one_line(text, 700)
    if status == 401 or isinstance(exc, ace.ClientAuthenticationError):
        return AuthenticationError(text, hint=f"the token was rejected; sign in again: {azcli.login()}")
    if status == 429 or (code or "").lower().startswith(("toomanyrequests", "throttl")):
        wait = _retry_after(exc)
        return ThrottledError(text, hint=f"Azure is throttling this identity; wait {wait or 'a minute'}"
                              f"{' s' if wait and wait.isdigit() else ''} and retry.")
    if status == 403 or code in _AUTHZ_CODES:
        return AuthorizationError(text, hint=_authz_hint(settings, service))
    if status == 404 or code in _NOT_FOUND_CODES:
        return NotFoundError(text, hint=_not_found_hint(settings, code, service, action))
    if status == 409 or code in {"Conflict", "DeploymentActive"}:
        if code == "DeploymentActive" or "deployment" in action:
            show = azcli.deployment_group_show(settings, name=deployment, oneline=True)
            cancel = azcli.deployment_group_cancel(settings, name=deployment, oneline=True)
            return ConflictError(text, hint=f"a deployment is still running; check it: {show}; "
                                 f"if stuck for more than 30 minutes cancel it: {cancel}")
        return ConflictError(text, hint=(
            "another operation is in progress on the app; wait until "
            f"{azcli.containerapp_show(settings, query='properties.provisioningState', oneline=True)} "
            "says Succeeded, then retry."))
    if code in _INVALID_CODES or 400 <= status < 500:
        hint = "correct the request and retry."
        if code in {"InvalidTemplateDeployment", "InvalidTemplate"} or "deployment" in action:
            hint = (f"fix the template errors above and parameters/{settings.environment}.bicepparam; "
                    f"make sure the resource group exists: {azcli.group_show(settings, oneline=True)}")
        elif service == "logs":
            hint = "the KQL query was rejected; check table and column names for this App Insights schema."
        return InvalidRequestError(text, hint=hint)
    return TargetError(text, hint="Azure returned a server error; retry in a minute and check "
                       "https://azure.status.microsoft for an ongoing incident.")


@contextmanager
def map_azure_errors(
    action: str, settings: Settings, *, service: Service = "arm", deployment: str = "main"
) -> Iterator[None]:
    """Run a block of SDK calls; Azure exceptions leave it as typed apexops errors (chained)."""
    try:
        yield
    except ApexopsError:
        raise
    except Exception as exc:
        mapped = translate(exc, action, settings, service=service, deployment=deployment)
        if mapped is None:
            raise
        raise mapped from exc
