"""Procedure 10 as operators and CI run it: papermill through `apexops.runner`, on one sandbox.

Tests run in file order on the same resource group: the dry run on the seeded (production-like)
inventory, a VNet change that the review blocks before anything is deployed, then a gated deployment of a
container-app change with its outputs and inventory verified.
"""

from __future__ import annotations

import json

import pytest
from executed import notebook_text

from apexops.infra import InfraProcedure
from apexops.infra.template import load_template, parameters_for
from apexops.runner import run_procedure

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook, pytest.mark.slow]

APPROVAL = "DEPLOY INFRASTRUCTURE TO local"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from apexops.sandbox.testing import running_sandbox

    base = tmp_path_factory.mktemp("infra-sb")
    with running_sandbox(base / "home") as (settings, env):
        yield settings, env, base


def _run(sandbox, **parameters):
    return run_procedure("10", env="local", parameters=parameters, outputs=sandbox[2] / "outputs")


def test_10_dry_run_on_the_seeded_resource_group_is_all_no_change(sandbox):
    _settings, env, _ = sandbox
    result = _run(sandbox)
    assert result.outcome == "succeeded", result.error
    facts = result.facts
    assert facts["what_if"] == {"NoChange": 16} and facts["review_verdict"] == "PASS"
    assert facts["infra_verdict"] == "SKIPPED" and facts["inventory_verdict"] == "PASS"
    assert facts["container_image"] == env.app.show().template.image
    assert len(facts["template_sha256"]) == 64
    assert env.deployments.get("main") is None  # nothing deployed
    text = notebook_text(result)
    assert "SKIPPED (dry run: nothing was deployed)" in text
    assert "16/16 expected resources present" in text and "--result-format FullResourcePayloads" in text
    saved = json.loads((result.evidence_dir / "what-if.json").read_text())
    assert len(saved["changes"]) == 16 and saved["changes"][0]["after"]["properties"]
    params = json.loads((result.evidence_dir / "parameters.local.json").read_text())["parameters"]
    assert params["environment"] == {"value": "local"}


def test_10_a_template_change_that_touches_the_vnet_blocks_before_anything_is_deployed(sandbox):
    _settings, env, base = sandbox
    template = load_template().document
    vnet = next(r for r in template["resources"] if r["type"] == "Microsoft.Network/virtualNetworks")
    vnet["properties"]["addressSpace"]["addressPrefixes"] = ["10.1.0.0/16"]
    path = base / "vnet-change.json"
    path.write_text(json.dumps(template))

    # a dry run shows the block and fails its verdict (the plan would be refused)
    proc = InfraProcedure(env, template_file=str(path), dry_run=True)
    proc.prepare()
    proc.validate()
    review = proc.what_if()
    assert [i.key for i in review.blocked] == ["Modify@vnet-apex-local"]
    assert ("vnet-apex-local", "properties.addressSpace.addressPrefixes[0]") in {
        (r["resource"], r["property"]) for r in review.delta_rows()
    }
    assert proc.verdict().status == "FAIL"

    result = _run(sandbox, template_file=str(path), dry_run=False, approval=APPROVAL)
    assert result.outcome == "failed" and result.exit_code == 1
    assert "Modify@vnet-apex-local" in result.error and 'acknowledge="Modify@vnet-apex-local"' in result.error
    assert result.facts["review_blocked"] == ["Modify@vnet-apex-local"]
    assert "approvals" not in result.facts  # it stopped before the gate
    assert env.deployments.get("main") is None


def test_10_gated_deploy_applies_a_container_app_change_and_verifies_outputs_and_inventory(sandbox):
    settings, env, _ = sandbox
    running_image = env.app.show().template.image
    result = _run(sandbox, image_tag="v1.2.3", dry_run=False, approval=APPROVAL)
    assert result.outcome == "succeeded", result.error
    facts = result.facts
    assert facts["what_if"] == {"Modify": 1, "NoChange": 15} and facts["review_verdict"] == "PASS"
    assert facts["deployment_state"] == "Succeeded" and facts["infra_verdict"] == "PASS"
    assert facts["outputs_verdict"] == "PASS" and facts["inventory_verdict"] == "PASS"
    out = facts["outputs"]
    assert out["containerAppFqdn"] == env.app.show().url.removeprefix("http://")
    assert out["storageAccountName"] == "stapexlocal" and "kv-apex-local" in out["keyVaultUri"]
    assert out["sqlServerFqdn"].startswith("sql-apex-local.") and out["appInsightsId"]
    assert facts["approvals"][0]["phrase"] == APPROVAL
    text = notebook_text(result)
    assert "properties.template.containers[0].image" in text  # the leaf the reviewer needs
    assert "Microsoft.Network/privateEndpoints" in text and "Succeeded" in text
    assert "the running app did not" in text  # the sandbox says what its inventory is
    # read back: the deployed inventory now carries v1.2.3; the running app was not touched
    deployed = env.deployments.get("main")
    assert deployed.provisioning_state == "Succeeded" and len(deployed.operations) == 16
    params = parameters_for(settings, env.app.show().template, image=settings.image("v1.2.3"))
    again = env.deployments.what_if(load_template().document, params)
    assert {c.change_type for c in again.changes} == {"NoChange"}
    assert env.app.show().template.image == running_image
