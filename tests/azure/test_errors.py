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
