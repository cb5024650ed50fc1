"""Azure SDK exceptions become apexops errors here, with the runbook's remedy as the hint.

At 2 a.m. an engineer needs the next command, not an SDK stack trace: every azure-core exception that
leaves an adapter is translated at this boundary into one typed `apexops.errors` exception whose message is
one line (what failed, the ARM error code, Azure's own message) and whose hint is the runbook's remedy as
a command that can be pasted (create the resource group, check the role assignment, cancel a deployment
stuck in provisioning, ...). azure-core is imported only when an exception is being translated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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

__all__ = ["HTTP_RULES", "HttpFailure", "Service", "arm_error", "map_azure_errors", "translate"]

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


@dataclass(frozen=True)
class HttpFailure:
    """One HTTP error response of an Azure call, as the translation rules see it."""

    action: str
    settings: Settings
    service: Service
    deployment: str
    status: int
    code: str | None
    text: str  # one line: action, code, Azure's message, its details
    rejected_token: bool  # azure-core raised ClientAuthenticationError
    retry_after: str | None


def _http_failure(
    exc: Any, action: str, settings: Settings, service: Service, deployment: str, auth: bool
) -> HttpFailure:
    code, message, details = arm_error(exc)
    text = f"{action}: {code + ': ' if code else ''}{message}"
    if details:
        text += " | " + " | ".join(details[:5])
    status = getattr(exc, "status_code", None) or 0
    retry = _retry_after(exc)
    return HttpFailure(action, settings, service, deployment, status, code, _one_line(text, 700), auth, retry)


def _throttled_hint(f: HttpFailure) -> str:
    wait = f.retry_after
    unit = " s" if wait and wait.isdigit() else ""
    return f"Azure is throttling this identity; wait {wait or 'a minute'}{unit} and retry."


def _conflict_hint(f: HttpFailure) -> str:
    s = f.settings
    if f.code == "DeploymentActive" or "deployment" in f.action:
        show = azcli.deployment_group_show(s, name=f.deployment, oneline=True)
        cancel = azcli.deployment_group_cancel(s, name=f.deployment, oneline=True)
        stuck = f"if stuck for more than 30 minutes cancel it: {cancel}"
        return f"a deployment is still running; check it: {show}; {stuck}"
    state = azcli.containerapp_show(s, query="properties.provisioningState", oneline=True)
    return f"another operation is in progress on the app; wait until {state} says Succeeded, then retry."


def _invalid_hint(f: HttpFailure) -> str:
    if f.code in {"InvalidTemplateDeployment", "InvalidTemplate"} or "deployment" in f.action:
        return (f"fix the template errors above and parameters/{f.settings.environment}.bicepparam; "
                f"make sure the resource group exists: {azcli.group_show(f.settings, oneline=True)}")
    if f.service == "logs":
        return "the KQL query was rejected; check table and column names for this App Insights schema."
    return "correct the request and retry."


_THROTTLED = ("toomanyrequests", "throttl")
_SERVER = "Azure returned a server error; retry in a minute and check https://azure.status.microsoft for an "
_SERVER += "ongoing incident."

#: (applies?, the error it becomes, its hint), first match wins: the decision table for HTTP error responses
HttpRule = tuple[Callable[[HttpFailure], bool], type[ApexopsError], Callable[[HttpFailure], str]]
HTTP_RULES: tuple[HttpRule, ...] = (
    (lambda f: f.status == 401 or f.rejected_token, AuthenticationError,
     lambda f: f"the token was rejected; sign in again: {azcli.login()}"),
    (lambda f: f.status == 429 or (f.code or "").lower().startswith(_THROTTLED), ThrottledError,
     _throttled_hint),
    (lambda f: f.status == 403 or f.code in _AUTHZ_CODES, AuthorizationError,
     lambda f: _authz_hint(f.settings, f.service)),
    (lambda f: f.status == 404 or f.code in _NOT_FOUND_CODES, NotFoundError,
     lambda f: _not_found_hint(f.settings, f.code, f.service, f.action)),
    (lambda f: f.status == 409 or f.code in {"Conflict", "DeploymentActive"}, ConflictError, _conflict_hint),
    (lambda f: f.code in _INVALID_CODES or 400 <= f.status < 500, InvalidRequestError, _invalid_hint),
    (lambda f: True, TargetError, lambda f: _SERVER),
)  # fmt: skip


def _no_identity(exc: Any, action: str) -> ApexopsError:
    text = _one_line(getattr(exc, "message", None) or str(exc), 300)
    hint = (f"sign in: {azcli.login()} (then az account set --subscription <id>), or set the "
            "AZURE_CLIENT_ID/AZURE_TENANT_ID variables of a service principal; then re-run this cell.")
    if "AADSTS65001" in text:
        hint = ("the APEX API app registration has not consented to this client: pre-authorize the Azure "
                "CLI (04b07795-8ddb-461a-bbee-02f9e1bf7b46) on it, or use a service principal.")
    return AuthenticationError(f"{action}: no usable Azure identity ({text}).", hint=hint)


def _unreachable(exc: Any, action: str, service: Service) -> ApexopsError:
    text = _one_line(getattr(exc, "message", None) or str(exc), 200)
    hint = "check the network path (VPN, proxy, DNS) and retry."
    if service in ("blob", "sql"):
        hint = ("the resource sits behind a private endpoint: run from the jump box or VPN (runbook: "
                "Database Migration step 1), and check the private endpoint is Approved.")
    return TargetUnavailableError(f"{action}: Azure could not be reached ({text}).", hint=hint)


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
        from azure.core import exceptions as ace  # the SDK loads only when an error is translated
    except ImportError:  # pragma: no cover - the SDK is a dependency
        return None
    auth = isinstance(exc, ace.ClientAuthenticationError)
    if auth and getattr(exc, "status_code", None) is None:
        return _no_identity(exc, action)
    if isinstance(exc, ace.ServiceRequestError | ace.ServiceResponseError):
        return _unreachable(exc, action, service)
    if not isinstance(exc, ace.HttpResponseError):
        return None
    failure = _http_failure(exc, action, settings, service, deployment, auth)
    error, hint = next((error, hint) for applies, error, hint in HTTP_RULES if applies(failure))
    return error(failure.text, hint=hint(failure))


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
