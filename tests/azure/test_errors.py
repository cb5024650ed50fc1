"""Azure errors reach the notebook as typed apexops errors whose hint is the runbook's remedy."""

from __future__ import annotations

import pytest
from _azure_fakes import APP_PATH, arm_error, example

from apexops.azure.containerapp import AzureContainerApp
from apexops.azure.deployments import AzureDeployments
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

DEPLOYMENT = (
    r"/subscriptions/[^/]+/resourcegroups/apex-rg-prod/providers/Microsoft\.Resources/deployments/main"
)
TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "resources": [],
}


@pytest.mark.parametrize(
    ("reply", "error", "in_message", "in_hint"),
    [
        (
            arm_error(404, "ResourceGroupNotFound", "Resource group 'apex-rg-prod' could not be found."),
            NotFoundError,
            "ResourceGroupNotFound",
            "az group create --name apex-rg-prod --location eastus",
        ),
        (
            arm_error(
                403,
                "AuthorizationFailed",
                "The client 'x' does not have authorization to perform action "
                "'Microsoft.App/containerApps/read'",
            ),
            AuthorizationError,
            "AuthorizationFailed",
            'az role assignment list --assignee "$(az account show --query user.name -o tsv)" --output table',
        ),
        (
            arm_error(
                404,
                "ResourceNotFound",
                "The Resource 'Microsoft.App/containerApps/apex-backend-prod' was not found.",
            ),
            NotFoundError,
            "ResourceNotFound",
            "az resource list --resource-group apex-rg-prod --output table",
        ),
        (
            arm_error(409, "Conflict", "Another operation is in progress."),
            ConflictError,
            "Conflict",
            "--query properties.provisioningState",
        ),
        (
            arm_error(429, "TooManyRequests", "Rate limit exceeded.", {"Retry-After": "17"}),
            ThrottledError,
            "TooManyRequests",
            "wait 17 s",
        ),
        (
            arm_error(401, "InvalidAuthenticationToken", "The access token is invalid."),
            AuthenticationError,
            "InvalidAuthenticationToken",
            "az login",
        ),
        (
            arm_error(400, "ContainerAppInvalidRevisionName", "Revision name has an invalid value."),
            InvalidRequestError,
            "ContainerAppInvalidRevisionName",
            "correct",
        ),
        (
            arm_error(500, "InternalServerError", "Something went wrong."),
            TargetError,
            "InternalServerError",
            "retry",
        ),
        (
            (
                404,
                {
                    "error": {
                        "code": "ResourceGroupNotFound",
                        "message": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln leaked",
                    }
                },
                {},
            ),
            NotFoundError,
            "<token> leaked",
            "az group create",
        ),
    ],
)
def test_arm_error_bodies_map_to_typed_errors_with_runbook_hints(
    clients, fake, reply, error, in_message, in_hint
):
    fake.on("GET", APP_PATH, reply)
    with pytest.raises(ApexopsError) as err:
        AzureContainerApp(clients).show()
    assert type(err.value) is error
    assert in_message in err.value.message and "\n" not in err.value.message
    assert in_hint in err.value.hint
    assert err.value.__cause__ is not None  # the SDK exception stays chained for debugging
    assert "eyJzdWIiOiJ4In0" not in str(err.value)


def test_the_official_invalid_template_body_maps_with_nested_details(clients, fake):
    body = example("resources/PostDeploymentValidateOnResourceGroup.json")["responses"]["400"]["body"]
    fake.on("PUT", DEPLOYMENT, (400, body, {}))
    with pytest.raises(InvalidRequestError) as err:
        AzureDeployments(clients).create_or_update(TEMPLATE, {})
    assert "InvalidTemplateDeployment" in err.value.message
    assert "AccountNameInvalid" in err.value.message  # the innermost detail is what the engineer needs
    assert (
        "parameters/prod.bicepparam" in err.value.hint
        and "az group show --name apex-rg-prod" in err.value.hint
    )


def test_deployment_active_conflict_hints_show_then_cancel(clients, fake):
    fake.on(
        "PUT",
        DEPLOYMENT,
        arm_error(409, "DeploymentActive", "The deployment 'main' is active and cannot be modified."),
    )
    with pytest.raises(ConflictError) as err:
        AzureDeployments(clients).create_or_update(TEMPLATE, {})
    assert "az deployment group show --resource-group apex-rg-prod --name main" in err.value.hint
    assert "az deployment group cancel --resource-group apex-rg-prod --name main" in err.value.hint


def test_no_identity_is_an_authentication_error_hinting_az_login(clients, fake, credential):
    from azure.core.exceptions import ClientAuthenticationError

    credential.error = ClientAuthenticationError(
        "DefaultAzureCredential failed to retrieve a token.\nAttempted..."
    )
    with pytest.raises(AuthenticationError) as err:
        AzureContainerApp(clients).show()
    assert "az login" in err.value.hint
    assert fake.requests == []


def test_unreachable_azure_is_target_unavailable(clients, fake):
    from azure.core.exceptions import ServiceRequestError

    def down(_):
        raise ServiceRequestError(
            "Failed to establish a new connection: [Errno -2] Name or service not known"
        )

    fake.on("GET", APP_PATH, down)
    with pytest.raises(TargetUnavailableError, match="could not be reached") as err:
        AzureContainerApp(clients).show()
    assert "VPN" in err.value.hint


def test_non_azure_exceptions_are_not_swallowed(clients, fake, monkeypatch):
    app = AzureContainerApp(clients)
    monkeypatch.setattr(app, "_ops", lambda: (_ for _ in ()).throw(KeyError("bug")))
    with pytest.raises(KeyError):
        app.show()


# --------------------------------------------------------------------------- the HTTP decision table


def _failure(status: int, code: str | None = None, action: str = "show app", **kw):
    from apexops.azure._errors import HttpFailure
    from apexops.settings import load_settings

    base = dict(
        service="arm", deployment="main", text=f"{action}: {code}", rejected_token=False, retry_after=None
    )
    return HttpFailure(
        action=action, settings=load_settings("prod"), status=status, code=code, **{**base, **kw}
    )


def _rule(failure):
    """The first rule of the table that applies, and the error it builds."""
    from apexops.azure._errors import HTTP_RULES

    index, error, hint = next((i, e, h) for i, (applies, e, h) in enumerate(HTTP_RULES) if applies(failure))
    return index, error(failure.text, hint=hint(failure))


@pytest.mark.parametrize(
    ("failure", "rule", "error", "in_hint"),
    [
        (_failure(401), 0, AuthenticationError, "az login"),
        (_failure(400, rejected_token=True), 0, AuthenticationError, "sign in again"),
        (_failure(429, retry_after="7"), 1, ThrottledError, "wait 7 s"),
        (_failure(400, "ThrottlingLimit"), 1, ThrottledError, "wait a minute"),
        (_failure(403), 2, AuthorizationError, "Contributor or Owner"),
        (_failure(400, "RequestDisallowedByPolicy"), 2, AuthorizationError, "role assignment"),
        (_failure(404), 3, NotFoundError, "az resource list"),
        (_failure(400, "TAG_UNKNOWN", service="acr"), 3, NotFoundError, "push the image first"),
        (_failure(409), 4, ConflictError, "another operation is in progress"),
        (_failure(409, "DeploymentActive", action="deploy"), 4, ConflictError, "az deployment group cancel"),
        (_failure(400), 5, InvalidRequestError, "correct the request"),
        (_failure(400, "SemanticError", service="logs"), 5, InvalidRequestError, "KQL"),
        (_failure(400, "InvalidTemplate"), 5, InvalidRequestError, "bicepparam"),
        (_failure(500), 6, TargetError, "server error"),
    ],
)
def test_each_http_rule_alone(failure, rule, error, in_hint):
    index, err = _rule(failure)
    assert index == rule and type(err) is error and in_hint in err.hint
    assert err.message == failure.text
