"""Procedure 10's verdict, gate by gate and rule by rule; the prepare rows that depend on the target's
traits (never on its name)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from ops_helpers import AZURE_TRAITS, SANDBOX_TRAITS, T0

from apexops.errors import NotFoundError, VerificationError
from apexops.infra import outcome as oc
from apexops.infra.inventory import check_outputs, compare_inventory
from apexops.infra.outcome import InfraRun, infra_verdict
from apexops.infra.prepare import prepare_rows
from apexops.infra.review import review_changes
from apexops.infra.template import load_template
from apexops.models import (
    DeploymentOperation,
    DeploymentResult,
    DeploymentValidation,
    Principal,
    ResourceInfo,
    WhatIfChange,
    WhatIfResult,
)
from apexops.settings import load_settings
from apexops.status import Finding, Status, Verdict

S = load_settings("prod")
APP = "Microsoft.App/containerApps"
OK = DeploymentValidation(True, "Succeeded")
GOOD_OUTPUTS = {
    "containerAppFqdn": "apex-backend-prod.io",
    "sqlServerFqdn": "sql-apex-prod.database.windows.net",
    "storageAccountName": "stapexprod",
    "keyVaultUri": "https://kv-apex-prod.vault.azure.net/",
    "appInsightsId": "guid",
}
OUTPUT_KW = dict(
    deployment="main",
    provisioning_state="Succeeded",
    storage_account="stapexprod",
    key_vault="kv-apex-prod",
    sql_server="sql-apex-prod",
)


def review(*changes):
    return review_changes(
        WhatIfResult("Succeeded", tuple(WhatIfChange(f"/rg/{n}", t, n, k) for n, t, k in changes))
    )


APP_MODIFY = review(("apex-backend-prod", APP, "Modify"))
NEW_STORAGE = review(("st2", "Microsoft.Storage/storageAccounts", "Create"))
VNET_MODIFY = review(("vnet-apex-prod", "Microsoft.Network/virtualNetworks", "Modify"))


def inventory(state="Succeeded"):
    actual = [ResourceInfo(r.name, r.type, provisioning_state=state) for r in S.expected_resources]
    return compare_inventory(S.expected_resources, actual)


def run(**kw):
    kw.setdefault("validation", OK)
    kw.setdefault("review", APP_MODIFY)
    return InfraRun(S, "main", kw.pop("dry_run", False), **kw)


DEPLOYED = dict(
    result=DeploymentResult("main", "Succeeded"),
    outputs=check_outputs(GOOD_OUTPUTS, **OUTPUT_KW),
    inventory=inventory(),
)


# ------------------------------------------------------------------ gates


def test_cancel_run_gate():
    assert oc.cancel_run(run()) is None
    assert oc.cancel_run(run(cancel_deployment=True, dry_run=True)).status is Status.SKIPPED
    still = oc.cancel_run(run(cancel_deployment=True, canceled=DeploymentResult("main", "Running")))
    assert still.status is Status.FAIL and "cancel_deployment=True" in still.hint
    gone = oc.cancel_run(run(cancel_deployment=True))
    assert gone.reasons == ("deployment main is absent; deploy again with this procedure",)


def test_not_validated_gate():
    assert oc.not_validated(run()) is None
    assert oc.not_validated(run(validation=None)).reasons == ("the template was not validated",)
    bad = DeploymentValidation(False, "Failed", "InvalidTemplate", "nope")
    v = oc.not_validated(run(validation=bad))
    assert v.status is Status.FAIL and "parameters/prod.yaml" in v.hint


def test_what_if_failed_gate():
    assert oc.what_if_failed(run()) is None
    assert oc.what_if_failed(run(review=None)).reasons == ("what-if failed: what-if did not run",)
    failed = review_changes(WhatIfResult("Failed", (), "boom"))
    assert oc.what_if_failed(run(review=failed)).reasons == ("what-if failed: boom",)


def test_review_blocked_gate():
    assert oc.review_blocked(run()) is None
    v = oc.review_blocked(run(review=VNET_MODIFY))
    assert v.status is Status.FAIL and 'acknowledge="Modify@vnet-apex-prod"' in v.hint


def test_not_deployed_gate_shows_the_last_deployments_outputs():
    assert oc.not_deployed(run(**DEPLOYED)) is None
    v = oc.not_deployed(run(dry_run=True, **DEPLOYED))
    assert v.status is Status.SKIPPED and v.reasons[-1] == "outputs of the last deployment main: PASS"


def test_deployment_failed_gate_takes_the_failed_operations_message():
    assert oc.deployment_failed(run(**DEPLOYED)) is None
    op = DeploymentOperation("sql", "Microsoft.Sql/servers", "Create", "Failed", "AuthorizationFailed: x")
    v = oc.deployment_failed(run(result=DeploymentResult("main", "Failed", operations=(op,))))
    assert v.reasons[0] == "deployment main Failed: AuthorizationFailed: x" and "Contributor" in v.hint


def test_not_verified_gate():
    assert oc.not_verified(run(**DEPLOYED)) is None
    v = oc.not_verified(run(result=DeploymentResult("main", "Succeeded")))
    assert v.reasons[:2] == ("outputs missing or inconsistent", "inventory incomplete")


def test_deployed_gate_warns_and_says_when_the_running_app_did_not_change():
    assert oc.deployed(run(**DEPLOYED)).status is Status.PASS
    assert oc.deployed(run(**{**DEPLOYED, "review": NEW_STORAGE})).status is Status.WARN
    inventory_only = oc.deployed(run(deployments_change_running_app=False, **DEPLOYED))
    assert "the running app did not" in inventory_only.reasons[-1]
    assert not any("running app" in r for r in oc.deployed(run(**DEPLOYED)).reasons)


# ------------------------------------------------------------------ rules of a deployed run


def test_outputs_consistent_rule():
    assert oc.outputs_consistent(run(**DEPLOYED)) is None
    assert oc.outputs_consistent(run(outputs=check_outputs({}, **OUTPUT_KW))) == Finding(
        Status.FAIL, "outputs missing or inconsistent"
    )


def test_inventory_complete_rule():
    assert oc.inventory_complete(run(inventory=inventory())) is None
    empty = compare_inventory(S.expected_resources, [])
    assert oc.inventory_complete(run(inventory=empty)).status is Status.FAIL


def test_review_warnings_rule():
    assert oc.review_warnings(run()) is None
    assert oc.review_warnings(run(review=NEW_STORAGE)).status is Status.WARN


def test_inventory_warnings_rule():
    assert oc.inventory_warnings(run(inventory=inventory())) is None
    assert oc.inventory_warnings(run(inventory=inventory("Updating"))).status is Status.WARN


def test_infra_verdict_is_a_status_verdict_raising_the_procedures_error():
    v = infra_verdict(InfraRun(S, "main", False))
    assert isinstance(v, Verdict) and v.status is Status.FAIL
    with pytest.raises(VerificationError, match=r"^infrastructure procedure failed: the template was not"):
        v.raise_for_failure()


# ------------------------------------------------------------------ prepare: traits, not target names


class _Deployments:
    def list_resources(self):
        return []

    def get(self, name):
        return DeploymentResult(name, "Running", timestamp=T0)


def _env(traits):
    app = SimpleNamespace(show=lambda: SimpleNamespace(template=SimpleNamespace(image="reg/apex:v1")))
    identity = SimpleNamespace(whoami=lambda: Principal("ops@example.com", "user", source="cli"))
    return SimpleNamespace(settings=S, traits=traits, identity=identity, deployments=_Deployments(), app=app)


def _rows(env):
    rows = prepare_rows(env, load_template(), name="main", image_tag="", now=T0 + timedelta(minutes=45))
    return {r["check"]: r for r in rows}


def test_the_subscription_is_checked_only_on_a_target_that_has_one(monkeypatch):
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    rows = _rows(_env(AZURE_TRAITS))
    assert (
        rows["subscription"]["status"] is Status.FAIL
        and "export AZURE_SUBSCRIPTION_ID" in rows["subscription"]["hint"]
    )
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "sub-1")
    assert _rows(_env(AZURE_TRAITS))["subscription"]["status"] is Status.PASS
    sandbox = _rows(_env(SANDBOX_TRAITS))["subscription"]
    assert (sandbox["status"], sandbox["detail"]) == (Status.INFO, "the sandbox (no Azure subscription)")


def test_prepare_rows_judge_a_stuck_deployment_and_keep_going_past_unreadable_sources():
    env = _env(SANDBOX_TRAITS)
    rows = _rows(env)
    assert rows["deployment main"]["status"] is Status.FAIL and "STUCK" in rows["deployment main"]["detail"]

    def gone():
        raise NotFoundError("no app")

    env.app = SimpleNamespace(show=gone)
    rows = _rows(env)
    assert rows["container app image"]["status"] is Status.FAIL and rows["identity"]["status"] is Status.PASS


def test_az_commands_name_the_template_the_parameters_file_and_the_mode(tmp_path):
    from apexops.infra import InfraProcedure

    proc = InfraProcedure(_env(SANDBOX_TRAITS), mode="Complete", evidence_dir=tmp_path)
    az = proc.az_commands()
    assert az["create"].endswith("--mode Complete") and "--mode Complete" not in az["validate"]
    assert f"@{tmp_path / 'parameters.prod.json'}" in az["what_if"] and "apex.json" in az["validate"]
