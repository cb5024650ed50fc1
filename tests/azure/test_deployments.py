"""Contract tests of AzureDeployments: DeploymentsMgmtClient + ResourceManagementClient over REST examples."""

from __future__ import annotations

import pytest
from _azure_fakes import ARM, SUB, arm_error, assert_plain, example, ok

from apexops.azure.deployments import AzureDeployments, arm_parameters
from apexops.errors import NotFoundError

DEP = rf"/subscriptions/{SUB}/resourcegroups/apex-rg-prod/providers/Microsoft\.Resources/deployments/main"
OPS = rf"/subscriptions/{SUB}/resourcegroups/apex-rg-prod/deployments/main/operations"  # no /providers/ here
API = "2026-06-01"
TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"location": {"type": "string"}},
    "resources": [],
}
VALIDATE = example("resources/PostDeploymentValidateOnResourceGroup.json")
WHATIF = example("resources/PostDeploymentWhatIfOnResourceGroup.json")
ASYNC = (
    f"{ARM}/subscriptions/{SUB}/providers/Microsoft.Resources/deployments/operationStatuses/08584"
    f"?api-version={API}"
)


def operation(name: str, rtype: str, state: str, error: dict | None = None) -> dict:
    props = {
        "provisioningOperation": "Create",
        "provisioningState": state,
        "timestamp": "2024-05-01T12:00:00Z",
        "targetResource": {
            "id": f"/subscriptions/{SUB}/x/{name}",
            "resourceName": name,
            "resourceType": rtype,
        },
    }
    if error:
        props["statusMessage"] = {"status": "Failed", "error": error}
    return {"id": f"/ops/{name}", "operationId": name, "properties": props}


def deployment(state: str, **extra) -> dict:
    return {
        "id": f"/subscriptions/{SUB}/resourceGroups/apex-rg-prod/providers/Microsoft.Resources"
        "/deployments/main",
        "name": "main",
        "properties": {
            "provisioningState": state,
            "timestamp": "2024-05-01T12:20:00Z",
            "mode": "Incremental",
            **extra,
        },
    }


@pytest.fixture
def deployments(clients) -> AzureDeployments:
    return AzureDeployments(clients)


def test_validate_posts_the_template_and_parses_the_official_success(deployments, fake):
    fake.on("POST", DEP + "/validate", ok(VALIDATE["responses"]["200"]["body"]))
    result = deployments.validate(TEMPLATE, {"location": "eastus", "tags": {"value": {"env": "prod"}}})
    (req,) = fake.requests
    assert req.api_version == API
    assert req.json() == {
        "properties": {
            "mode": "Incremental",
            "template": TEMPLATE,
            "parameters": {"location": {"value": "eastus"}, "tags": {"value": {"env": "prod"}}},
        }
    }
    assert result.ok and result.provisioning_state == "Succeeded"
    assert len(result.diagnostics) == 3 and result.diagnostics[0].startswith(
        "Warning: NestedDeploymentShortCircuited"
    )
    assert_plain(result)


def test_validate_failure_is_a_result_with_the_nested_details(deployments, fake):
    fake.on(
        "POST",
        DEP + "/validate",
        (400, VALIDATE["responses"]["400"]["body"], VALIDATE["responses"]["400"]["headers"]),
    )
    result = deployments.validate(TEMPLATE, {})
    assert not result.ok and result.error_code == "InvalidTemplateDeployment"
    assert any("AccountNameInvalid" in d for d in result.details)
    assert any("PreflightValidationCheckFailed" in d for d in result.details)


def test_validate_follows_a_202_to_its_result(deployments, fake):
    location = ARM + VALIDATE["responses"]["202"]["headers"]["Location"]
    fake.on("POST", DEP + "/validate", ok(None, {"Location": location, "Retry-After": "0"}, status=202))
    fake.on(
        "GET",
        rf"/subscriptions/{'0' * 8}-0000-0000-0000-000000000001/operationResults/XXXXXXXXXXXXXXX",
        ok(None, {"Location": location, "Retry-After": "0"}, status=202),
        ok(VALIDATE["responses"]["200"]["body"]),
    )
    assert deployments.validate(TEMPLATE, {}).ok
    assert [r.method for r in fake.requests] == ["POST", "GET", "GET"]


def test_what_if_asks_for_full_payloads_and_polls_to_the_official_result(deployments, fake):
    fake.on(
        "POST",
        DEP + "/whatIf",
        ok(
            None,
            {
                "Location": f"{ARM}/subscriptions/{SUB}/operationresults/wi1?api-version={API}",
                "Retry-After": "0",
            },
            status=202,
        ),
    )
    fake.on(
        "GET",
        rf"/subscriptions/{SUB}/operationresults/wi1",
        ok(
            None,
            {
                "Location": f"{ARM}/subscriptions/{SUB}/operationresults/wi1?api-version={API}",
                "Retry-After": "0",
            },
            status=202,
        ),
        ok(WHATIF["responses"]["200"]["body"]),
    )
    result = deployments.what_if(TEMPLATE, {})
    assert fake.requests[0].json()["properties"]["whatIfSettings"] == {"resultFormat": "FullResourcePayloads"}
    assert [r.method for r in fake.requests] == ["POST", "GET", "GET"]
    assert result.status == "Succeeded"
    modify, create = result.changes
    assert (modify.change_type, modify.name, modify.resource_type) == (
        "Modify",
        "myExistingIdentity",
        "Microsoft.ManagedIdentity/userAssignedIdentities",
    )
    assert [(d.path, d.change_type, d.after) for d in modify.delta] == [
        ("tags.myNewTag", "Create", "my tag value")
    ]
    assert modify.before["location"] == "westus2" and modify.after["tags"] == {"myNewTag": "my tag value"}
    assert (create.change_type, create.name, create.before) == ("Create", "myNewIdentity", None)
    assert_plain(result)


def test_create_reports_each_operation_and_returns_outputs(deployments, fake, clients):
    clients.progress_interval_s = 0.001
    fake.on(
        "PUT",
        DEP,
        ok(deployment("Accepted"), {"Azure-AsyncOperation": ASYNC, "Retry-After": "0"}, status=201),
    )
    fake.on(
        "GET",
        r".*/operationStatuses/08584",
        ok({"status": "Running"}),
        ok({"status": "Running"}),
        ok({"status": "Succeeded"}),
    )
    fake.on(
        "GET",
        DEP,
        ok(
            deployment(
                "Succeeded",
                outputs={
                    "containerAppFqdn": {
                        "type": "String",
                        "value": "apex-backend-prod.azurecontainerapps.io",
                    },
                    "sqlServerFqdn": {"type": "String", "value": "sql-apex-prod.database.windows.net"},
                },
            )
        ),
    )
    running = [operation("stapexprod", "Microsoft.Storage/storageAccounts", "Running")]
    finished = [
        operation("stapexprod", "Microsoft.Storage/storageAccounts", "Succeeded"),
        operation("kv-apex-prod", "Microsoft.KeyVault/vaults", "Succeeded"),
    ]

    def operations(_):  # like ARM: the operations are final once the deployment reported Succeeded
        done = len(fake.calls("GET", "08584$")) >= 3  # the third status poll answered Succeeded
        return ok({"value": finished if done else running})

    fake.on("GET", OPS, operations)
    progress: list[str] = []
    result = deployments.create_or_update(TEMPLATE, {"location": "eastus"}, on_progress=progress.append)
    put = fake.calls("PUT")[0]
    assert put.api_version == API and put.json()["properties"]["parameters"] == {
        "location": {"value": "eastus"}
    }
    assert result.provisioning_state == "Succeeded"
    assert result.outputs == {
        "containerAppFqdn": "apex-backend-prod.azurecontainerapps.io",
        "sqlServerFqdn": "sql-apex-prod.database.windows.net",
    }
    assert {(o.resource_name, o.provisioning_state) for o in result.operations} == {
        ("stapexprod", "Succeeded"),
        ("kv-apex-prod", "Succeeded"),
    }
    assert "Create Microsoft.Storage/storageAccounts/stapexprod: Succeeded" in progress
    assert "Create Microsoft.KeyVault/vaults/kv-apex-prod: Succeeded" in progress
    assert progress[-1] == "deployment main: Succeeded"
    assert_plain(result)


def test_a_failed_deployment_returns_its_state_and_failing_operation(deployments, fake):
    fake.on(
        "PUT",
        DEP,
        ok(deployment("Accepted"), {"Azure-AsyncOperation": ASYNC, "Retry-After": "0"}, status=201),
    )
    fake.on(
        "GET",
        r".*/operationStatuses/08584",
        ok(
            {
                "status": "Failed",
                "error": {
                    "code": "DeploymentFailed",
                    "message": "At least one resource deployment operation failed.",
                },
            }
        ),
    )
    fake.on(
        "GET",
        DEP,
        ok(deployment("Failed", error={"code": "DeploymentFailed", "message": "At least one failed."})),
    )
    fake.on(
        "GET",
        OPS,
        ok(
            {
                "value": [
                    operation(
                        "sql-apex-prod",
                        "Microsoft.Sql/servers",
                        "Failed",
                        {"code": "ServerQuotaExceeded", "message": "quota"},
                    )
                ]
            }
        ),
    )
    result = deployments.create_or_update(TEMPLATE, {})
    assert result.provisioning_state == "Failed" and result.error_message.startswith("DeploymentFailed")
    (op,) = result.operations
    assert op.status_message == "ServerQuotaExceeded: quota"


def test_get_returns_none_for_a_missing_deployment_but_raises_for_a_missing_group(deployments, fake):
    fake.on(
        "GET",
        DEP,
        arm_error(404, "DeploymentNotFound", "Deployment 'main' could not be found."),
        arm_error(404, "ResourceGroupNotFound", "Resource group 'apex-rg-prod' could not be found."),
    )
    assert deployments.get() is None
    with pytest.raises(NotFoundError) as err:
        deployments.get()
    assert "az group create" in err.value.hint


def test_cancel_only_cancels_a_running_deployment(deployments, fake):
    fake.on("GET", DEP, ok(deployment("Running")), ok(deployment("Succeeded")))
    fake.on("POST", DEP + "/cancel", ok(None, status=204))
    assert deployments.cancel() is True
    assert deployments.cancel() is False
    assert len(fake.calls("POST", "/cancel$")) == 1


def test_list_resources_expands_provisioning_state(deployments, fake):
    fake.on(
        "GET",
        rf"/subscriptions/{SUB}/resourcegroups/apex-rg-prod/resources",
        ok(
            {
                "value": [
                    {
                        "id": "/x/vnet",
                        "name": "vnet-apex-prod",
                        "type": "Microsoft.Network/virtualNetworks",
                        "location": "eastus",
                        "provisioningState": "Succeeded",
                    },
                    {
                        "id": "/x/app",
                        "name": "apex-backend-prod",
                        "type": "Microsoft.App/containerApps",
                        "location": "eastus",
                    },
                ]
            }
        ),
    )
    res = deployments.list_resources()
    (req,) = fake.requests
    assert req.api_version == "2025-04-01" and "provisioningState" in req.query["$expand"][0]
    assert [(r.name, r.provisioning_state) for r in res] == [
        ("vnet-apex-prod", "Succeeded"),
        ("apex-backend-prod", ""),
    ]
    assert_plain(res)


def test_arm_parameters_wraps_plain_values_only():
    assert arm_parameters(
        {"a": 1, "b": {"value": 2}, "c": {"reference": {"keyVault": {}}}, "d": {"x": 1}}
    ) == {
        "a": {"value": 1},
        "b": {"value": 2},
        "c": {"reference": {"keyVault": {}}},
        "d": {"value": {"x": 1}},
    }
