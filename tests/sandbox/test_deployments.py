"""The sandbox resource group: validate, what-if change types, create-or-update with operations, cancel."""

from __future__ import annotations

import asyncio
import copy

import pytest

from apexops.errors import ConflictError, InvalidRequestError
from apexops.sandbox.deployments import ResourceGroup, baseline_template
from apexops.settings import load_settings


def template(**extra_props):
    return {
        "parameters": {
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
            "sku": {"type": "string", "allowedValues": ["Standard_LRS", "Premium_LRS"]},
            "count": {"type": "int", "defaultValue": 2},
        },
        "variables": {"prefix": "apex"},
        "resources": [
            {
                "type": "Microsoft.Storage/storageAccounts",
                "apiVersion": "2023-01-01",
                "name": "[concat('st', variables('prefix'), 'local')]",
                "location": "[parameters('location')]",
                "sku": {"name": "[parameters('sku')]"},
                "properties": {"minimumTlsVersion": "TLS1_2", **extra_props},
            },
            {
                "type": "Microsoft.KeyVault/vaults",
                "apiVersion": "2023-01-01",
                "name": "kv-apex-local",
                "properties": {"enableRbacAuthorization": True},
            },
        ],
        "outputs": {
            "vaultUri": {
                "type": "string",
                "value": "[reference(resourceId('Microsoft.KeyVault/vaults', 'kv-apex-local')).vaultUri]",
            },
            "storage": {"type": "string", "value": "[concat('st', variables('prefix'), 'local')]"},
        },
    }


@pytest.fixture
def rg(tmp_path):
    return ResourceGroup(
        tmp_path / "deployments.json", resource_group="apex-rg-local", location="local", step_s=0.001
    )


def deploy(rg, tpl, params, **kw):
    async def go():
        rg.start(tpl, params, **kw)
        while rg.get(kw.get("name", "main"))["provisioning_state"] == "Running":
            await asyncio.sleep(0.001)
        return rg.get(kw.get("name", "main"))

    return asyncio.run(go())


def test_validate_names_missing_unknown_and_mistyped_parameters(rg):
    assert rg.validate(template(), {"sku": {"value": "Standard_LRS"}})["ok"] is True
    bad = rg.validate(template(), {"count": "two", "nope": 1})
    assert bad["ok"] is False and bad["error_code"] == "InvalidTemplate"
    text = " | ".join(bad["details"])
    assert (
        "'nope' is not declared" in text
        and "'sku' has no value" in text
        and "'count' must be of type int" in text
    )
    assert rg.validate(template(), {"sku": "Cheap"})["details"] == [
        "parameter 'sku' value 'Cheap' is not one of ['Standard_LRS', 'Premium_LRS']"
    ]
    with pytest.raises(InvalidRequestError):
        rg.start(template(), {})  # refused before anything runs
    assert rg.get("main") is None


def test_what_if_then_deploy_then_what_if_again(rg):
    params = {"sku": "Standard_LRS"}
    first = rg.what_if(template(), params)
    assert {c["name"]: c["change_type"] for c in first["changes"]} == {
        "stapexlocal": "Create",
        "kv-apex-local": "Create",
    }
    result = deploy(rg, template(), params)
    assert result["provisioning_state"] == "Succeeded"
    assert [(o["operation"], o["provisioning_state"]) for o in result["operations"]] == [
        ("Create", "Succeeded")
    ] * 2
    assert result["outputs"] == {
        "vaultUri": "https://kv-apex-local.vault.sandbox.local/",
        "storage": "stapexlocal",
    }
    assert {r["name"] for r in rg.list_resources()} == {"stapexlocal", "kv-apex-local"}
    again = rg.what_if(template(), params)
    assert [c["change_type"] for c in again["changes"]] == ["NoChange", "NoChange"]
    modified = rg.what_if(template(allowBlobPublicAccess=False), {"sku": "Premium_LRS"})
    change = modified["changes"][0]
    assert change["change_type"] == "Modify"
    assert {(d["path"], d["change_type"]) for d in change["delta"]} == {
        ("sku.name", "Modify"),
        ("properties.allowBlobPublicAccess", "Create"),
    }


def test_ignore_delete_unsupported_and_deploy(rg):
    deploy(rg, template(), {"sku": "Standard_LRS"})
    tpl = copy.deepcopy(template())
    tpl["resources"] = [
        tpl["resources"][0],
        {
            "type": "Microsoft.Web/sites",
            "apiVersion": "2023-01-01",
            "name": "web",
            "properties": {"serverFarmId": "[reference('plan').id]"},
        },
        {"type": "Microsoft.Resources/deploymentScripts", "apiVersion": "2023-01-01", "name": "script"},
    ]
    tpl["outputs"] = {}
    kinds = {c["name"]: c["change_type"] for c in rg.what_if(tpl, {"sku": "Standard_LRS"})["changes"]}
    assert kinds == {
        "stapexlocal": "NoChange",
        "web": "Unsupported",
        "script": "Deploy",
        "kv-apex-local": "Ignore",
    }
    complete = rg.what_if(tpl, {"sku": "Standard_LRS"}, mode="Complete")
    assert {c["name"]: c["change_type"] for c in complete["changes"]}["kv-apex-local"] == "Delete"


def test_failure_and_cancel_leave_a_known_state(rg):
    tpl = template()
    tpl["resources"][1]["x-sandbox-fail"] = "Vault name already taken (VaultAlreadyExists)"
    failed = deploy(rg, tpl, {"sku": "Standard_LRS"})
    assert failed["provisioning_state"] == "Failed" and "VaultAlreadyExists" in failed["error_message"]
    assert [o["provisioning_state"] for o in failed["operations"]] == ["Succeeded", "Failed"]

    async def cancel_midway():
        slow = ResourceGroup(rg.path, resource_group="apex-rg-local", location="local", step_s=0.2)
        slow.start(template(), {"sku": "Standard_LRS"}, name="slow")
        with pytest.raises(ConflictError, match="still running"):
            slow.start(template(), {"sku": "Standard_LRS"}, name="slow")
        await asyncio.sleep(0.05)
        assert slow.cancel("slow") is True
        while slow.get("slow")["provisioning_state"] == "Running":
            await asyncio.sleep(0.01)
        return slow.get("slow")

    canceled = asyncio.run(cancel_midway())
    assert canceled["provisioning_state"] == "Canceled" and len(canceled["operations"]) == 1
    assert rg.cancel("slow") is False


def test_baseline_template_seeds_the_runbook_inventory(tmp_path):
    settings = load_settings("local")
    rg = ResourceGroup(tmp_path / "d.json", resource_group="apex-rg-local", location="local")
    rg.seed(baseline_template(settings))
    names = {(r["name"], r["type"]) for r in rg.list_resources()}
    expected = {
        (r.name if r.type != "Microsoft.Sql/servers/databases" else f"sql-apex-local/{r.name}", r.type)
        for r in settings.expected_resources
    }
    assert names == expected
    noop = rg.what_if(baseline_template(settings), {})
    assert {c["change_type"] for c in noop["changes"]} == {"NoChange"}
