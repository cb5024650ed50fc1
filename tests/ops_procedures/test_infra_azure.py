"""Procedure 10's library on the Azure target, at the HTTP boundary (azure-core transport fed with the
official REST examples, the fakes of tests/azure): the runbook's ResourceGroupNotFound becomes the
`az group create` step before anything else runs, and an official what-if result goes through the review."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from ops_helpers import AZURE_TRAITS, FakeApp, revision

sys.path.insert(0, str(Path(__file__).parents[1] / "azure"))

from _azure_fakes import ARM, LOGS, SUB, FakeAzure, FakeCredential, arm_error, example, ok

from apexops.errors import ConfigError
from apexops.infra import InfraProcedure
from apexops.models import Principal

DEP = rf"/subscriptions/{SUB}/resourcegroups/apex-rg-prod/providers/Microsoft\.Resources/deployments/main"
RESOURCES = rf"/subscriptions/{SUB}/resourcegroups/apex-rg-prod/resources"


@pytest.fixture
def azure(monkeypatch):
    from apexops.azure._clients import AzureClients
    from apexops.azure.deployments import AzureDeployments
    from apexops.settings import load_settings

    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUB)
    settings = load_settings("prod")
    fake = FakeAzure()
    clients = AzureClients(
        settings,
        credential=FakeCredential(),
        arm_endpoint=ARM,
        logs_endpoint=LOGS,
        transport=fake.transport(),
        polling_interval=0,
    )
    identity = SimpleNamespace(
        whoami=lambda: Principal("ops@example.com", "user", source="AzureCliCredential")
    )
    env = SimpleNamespace(
        settings=settings,
        traits=AZURE_TRAITS,
        deployments=AzureDeployments(clients),
        app=FakeApp([revision("apex-backend-prod--v1-2-2", weight=100)]),
        identity=identity,
    )
    return env, fake


def test_a_missing_resource_group_stops_at_prepare_with_the_runbooks_command(azure):
    env, fake = azure
    fake.on(
        "GET",
        RESOURCES,
        arm_error(404, "ResourceGroupNotFound", "Resource group 'apex-rg-prod' could not be found."),
    )
    fake.on(
        "GET",
        DEP,
        arm_error(404, "ResourceGroupNotFound", "Resource group 'apex-rg-prod' could not be found."),
    )
    proc = InfraProcedure(env)
    rows = {r["check"]: r for r in proc.prepare()}
    assert rows["subscription"]["status"] == "PASS" and SUB in rows["subscription"]["detail"]
    assert rows["resource group"]["status"] == "FAIL"
    assert "az group create --name apex-rg-prod --location eastus" in rows["resource group"]["hint"]
    with pytest.raises(ConfigError, match="could not be found") as err:
        proc.require_prepared()
    assert "az group create" in err.value.hint
    assert {r["issue"]: r["this run"] for r in proc.troubleshooting()}[
        "Deployment fails with ResourceGroupNotFound"
    ] == "SEEN"
    assert not fake.calls("POST")  # nothing was validated, previewed or deployed


def test_an_official_what_if_result_is_reviewed_with_the_runbooks_rules(azure):
    env, fake = azure
    body = example("resources/PostDeploymentWhatIfOnResourceGroup.json")["responses"]["200"]["body"]
    fake.on("POST", DEP + "/whatIf", ok(body))
    proc = InfraProcedure(env)
    review = proc.what_if()
    (req,) = fake.calls("POST")
    sent = req.json()["properties"]
    assert (
        sent["whatIfSettings"] == {"resultFormat": "FullResourcePayloads"} and sent["mode"] == "Incremental"
    )
    assert sent["parameters"]["environment"] == {"value": "prod"}
    assert sent["parameters"]["containerImage"] == {"value": "reg/apex:v1"}  # as the app runs
    assert {(i.change.name, i.change.change_type, i.rule.id) for i in review.items} == {
        ("myExistingIdentity", "Modify", "INF-042"),
        ("myNewIdentity", "Create", "INF-041"),
    }
    assert review.verdict == "WARN" and not review.blocked
    assert review.delta_rows()[0]["property"] == "tags.myNewTag"
    message, status = proc.coverage_message()  # the example declares none of APEX's resources
    assert status == "WARN" and "vnet-apex-prod" in message
