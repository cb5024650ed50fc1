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


def _field(e: Any, key: str) -> Any:
    return e.get(key) if isinstance(e, dict) else getattr(e, key, None)


def _reasons(err: Any) -> list[str]:
    """`code: message` of every nested ARM `details[]` entry and `innererror` link, depth first.

    ARM nests the real cause in `details` (InvalidTemplateDeployment nests two levels); Log Analytics nests
    it in an `innererror` chain whose innermost link names e.g. the unresolved column.
    """
    out: list[str] = []
    stack: list[Any] = [*(_field(err, "details") or []), *([_field(err, "innererror")] if
                                                          _field(err, "innererror") else [])]
    while stack:
        d = stack.pop(0)
        code, message = _field(d, "code"), _field(d, "message")
        if message:
            out.append(f"{code}: {message}" if code else str(message))
        inner = _field(d, "innererror")
        stack[:0] = [*(_field(d, "details") or []), *([inner] if inner else [])]
    return out


def arm_error(exc: Any) -> tuple[str | None, str, list[str]]:
    """(code, message, detail lines) of an HttpResponseError, from ARM, ACR, Log Analytics or storage."""
    body = _body(exc)
    err: Any = getattr(exc, "error", None)
    if not (err is not None and getattr(err, "code", None)):
        err = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    code: str | None = _field(err, "code") if err is not None else None
    message = str(_field(err, "message") or "") if err is not None else ""
    details = _reasons(err) if err is not None else []
    if code is None:
        code = getattr(exc, "error_code", None)  # storage sets x-ms-error-code here
    if code is None and isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        code, message = body["errors"][0].get("code"), body["errors"][0].get("message", "")  # ACR data plane
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


def _authz_hint(f: HttpFailure) -> str:
    settings, service = f.settings, f.service
    rg, mine = settings.azure.resource_group, azcli.role_assignment_list(oneline=True)
    repo = f" (repository {f.subject})" if f.subject and service == "acr" else ""
    needs = {
        "blob": f"'Storage Blob Data Reader' (or Contributor) on storage account {settings.storage.account}",
        "acr": f"'AcrPull' (or Reader) on registry {settings.registry.name}{repo}",
        "logs": f"'Log Analytics Reader' (or Monitoring Reader) on {rg}",
    }
    if service in needs:
        return f"the identity needs {needs[service]}: {mine}"
    return f"required role: Contributor or Owner on resource group {rg}; check yours with {mine}"


def _workspace_hint(f: HttpFailure) -> str | None:
    """A query on a workspace that is missing or malformed: name the variable holding its id."""
    if f.service != "logs" or not f.subject or (f.status != 404 and "workspace" not in f.text.lower()):
        return None
    return (f"check the Log Analytics workspace id in ${f.subject} "
            f"(monitoring.log_analytics_workspace_id_env): export {f.subject}=$(az monitor "
            f"log-analytics workspace show --resource-group "
            f"{f.settings.azure.resource_group} --workspace-name <workspace> --query customerId -o tsv)")


def _not_found_hint(f: HttpFailure) -> str:
    settings, code, service, action = f.settings, f.code, f.service, f.action
    if code == "ResourceGroupNotFound":
        return f"create it: {azcli.group_create(settings, oneline=True)} then re-run 10-infrastructure."
    if code == "SubscriptionNotFound":
        return (f"select the right subscription: az account set --subscription <id>, and export "
                f"{settings.azure.subscription_id_env}.")
    if code in {"TAG_UNKNOWN", "MANIFEST_UNKNOWN", "NAME_UNKNOWN"} or service == "acr":
        tags = azcli.acr_repository_show_tags(settings, repository=f.subject, oneline=True)
        return f"push the image first; known tags: {tags}"
    if (workspace := _workspace_hint(f)) is not None:
        return workspace
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
    #: what the call was about when the hint should name it: the ACR repository asked for, or the
    #: settings variable holding the Log Analytics workspace id that was queried
    subject: str | None = None


def _http_failure(
    exc: Any, action: str, settings: Settings, service: Service, deployment: str, auth: bool,
    subject: str | None = None,
) -> HttpFailure:
    code, message, details = arm_error(exc)
    text = f"{action}: {code + ': ' if code else ''}{message}"
    if details:
        text += " | " + " | ".join(details[:5])
    status = getattr(exc, "status_code", None) or 0
    retry = _retry_after(exc)
    return HttpFailure(action, settings, service, deployment, status, code, _one_line(text, 700), auth, retry,
                       subject)


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
    if (workspace := _workspace_hint(f)) is not None:
        return workspace
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
     _authz_hint),
    (lambda f: f.status == 404 or f.code in _NOT_FOUND_CODES, NotFoundError,
     _not_found_hint),
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
    subject: str | None = None,
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
    failure = _http_failure(exc, action, settings, service, deployment, auth, subject)
    error, hint = next((error, hint) for applies, error, hint in HTTP_RULES if applies(failure))
    return error(failure.text, hint=hint(failure))


@contextmanager
def map_azure_errors(
    action: str, settings: Settings, *, service: Service = "arm", deployment: str = "main",
    subject: str | None = None,
) -> Iterator[None]:
    """Run a block of SDK calls; Azure exceptions leave it as typed apexops errors (chained)."""
    try:
        yield
    except ApexopsError:
        raise
    except Exception as exc:
        mapped = translate(exc, action, settings, service=service, deployment=deployment, subject=subject)
        if mapped is None:
            raise
        raise mapped from exc
