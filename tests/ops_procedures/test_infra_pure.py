"""Procedure 10's pure logic: the what-if review rules, acknowledgements, inventory and outputs checks,
error hints, and the shipped template against every parameters file (through the sandbox's ARM engine,
in memory: no processes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ops_helpers import SANDBOX_TRAITS, T0

from apexops.errors import ConfigError, NotFoundError
from apexops.infra.hints import hint_for, infra_hints, stuck_deployment
from apexops.infra.inventory import check_outputs, compare_inventory
from apexops.infra.review import DeploymentBlocked, leaf_changes, parse_acknowledge, review_changes
from apexops.infra.template import (
    baseline_parameters,
    bind_defaults,
    container_env,
    load_template,
    parameters_for,
)
from apexops.models import (
    AppTemplate,
    DeploymentResult,
    ResourceInfo,
    WhatIfChange,
    WhatIfPropertyChange,
    WhatIfResult,
)
from apexops.sandbox.deployments import ResourceGroup, baseline_template
from apexops.settings import load_settings

VNET = "Microsoft.Network/virtualNetworks"
APP = "Microsoft.App/containerApps"


def change(name, rtype, kind, *delta):
    return WhatIfChange(f"/rg/{name}", rtype, name, kind, delta=tuple(delta))


def prop(path, kind="Modify", before=None, after=None):
    return WhatIfPropertyChange(path, kind, before, after)


def whatif(*changes, status="Succeeded"):
    return WhatIfResult(status, tuple(changes))


# ------------------------------------------------------------------ review rules


def test_review_applies_the_runbook_rules_first_match_wins():
    result = whatif(
        change("apex-backend-prod", APP, "Modify", prop("properties.template.containers")),
        change("vnet-apex-prod", VNET, "Modify", prop("properties.addressSpace")),
        change("snet", f"{VNET}/subnets", "Delete"),
        change("container-apps-nsg", "Microsoft.Network/networkSecurityGroups", "Modify"),
        change("pe-sql-apex-prod", "Microsoft.Network/privateEndpoints", "Create"),
        change("stapexprod", "Microsoft.Storage/storageAccounts", "Delete"),
        change("kv-apex-prod", "Microsoft.KeyVault/vaults", "Modify", prop("properties.sku")),
        change("sql-apex-prod", "Microsoft.Sql/servers", "NoChange"),
        change("other", "Microsoft.Web/sites", "Ignore"),
        change("script", "Microsoft.Resources/deploymentScripts", "Deploy"),
        change("x", "Microsoft.Foo/bars", "Unsupported"),
    )
    review = review_changes(result)
    by = {i.change.name: i for i in review.items}
    assert by["apex-backend-prod"].rule.level == "EXPECTED" and by["apex-backend-prod"].status == "PASS"
    assert {by[n].rule.id for n in ("vnet-apex-prod", "snet", "container-apps-nsg")} == {"INF-011"}
    assert all(by[n].blocking for n in ("vnet-apex-prod", "snet", "container-apps-nsg"))
    assert by["pe-sql-apex-prod"].rule.level == "WARNING"  # a network Create: first deployment only
    assert by["stapexprod"].rule.id == "INF-020" and not by["stapexprod"].blocking  # a Delete warns
    assert by["kv-apex-prod"].rule.id == "INF-042"
    assert by["sql-apex-prod"].status == "INFO" and by["other"].rule.id == "INF-002"
    assert by["script"].rule.id == "INF-051" and by["x"].rule.id == "INF-050"
    assert review.verdict == "BLOCKED"
    assert [i.key for i in review.blocked] == [
        "Modify@vnet-apex-prod",
        "Delete@snet",
        "Modify@container-apps-nsg",
    ]
    assert review.rows()[0][" "] == "❌"  # unexpected first
    with pytest.raises(DeploymentBlocked, match="Modify@vnet-apex-prod") as err:
        review.require(dry_run=False)
    assert 'acknowledge="Modify@vnet-apex-prod,Delete@snet,Modify@container-apps-nsg"' in err.value.hint
    review.require(dry_run=True)  # a dry run shows the block without raising


def test_container_app_traffic_change_is_unexpected_even_inside_an_expected_resource():
    result = whatif(
        change(
            "apex-backend-prod",
            APP,
            "Modify",
            prop(
                "properties.configuration",
                before={"ingress": {"traffic": [{"weight": 100}]}},
                after={"ingress": {"traffic": [{"weight": 50}]}},
            ),
        )
    )
    review = review_changes(result)
    assert review.items[0].rule.id == "INF-010" and review.verdict == "BLOCKED"


def test_acknowledgement_is_bound_to_change_type_and_resource():
    result = whatif(
        change("vnet-apex-prod", VNET, "Modify"),
        change("private-endpoint-nsg", "Microsoft.Network/networkSecurityGroups", "Modify"),
    )
    acked = review_changes(result, parse_acknowledge("Modify@vnet-apex-prod"))
    assert [i.key for i in acked.blocked] == ["Modify@private-endpoint-nsg"]
    assert acked.items[0].judgement == "unexpected: acknowledged"
    both = review_changes(result, parse_acknowledge("Modify@vnet-apex-prod, Modify@private-endpoint-nsg"))
    assert both.verdict == "WARN" and both.facts()["acknowledged"] == [
        "Modify@vnet-apex-prod",
        "Modify@private-endpoint-nsg",
    ]
    with pytest.raises(ConfigError, match="Delete@vnet-apex-prod matches no unexpected change"):
        review_changes(result, ["Delete@vnet-apex-prod"])  # the wrong change type approves nothing
    with pytest.raises(ConfigError, match="CHANGE@RESOURCE"):
        parse_acknowledge("vnet-apex-prod")
    with pytest.raises(ConfigError, match="CHANGE@RESOURCE"):
        parse_acknowledge("NoChange@vnet-apex-prod")


def test_a_failed_what_if_fails_the_review_and_leaf_changes_show_what_differs():
    failed = review_changes(WhatIfResult("Failed", (), "InvalidTemplate: bad"))
    assert failed.verdict == "FAIL" and "InvalidTemplate" in failed.summary()
    before = [{"name": "apex", "image": "r/a:v1", "env": [{"name": "A", "value": "1"}]}]
    after = [
        {"name": "apex", "image": "r/a:v2", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    ]
    leaves = leaf_changes("properties.template.containers", "Array", before, after)
    assert ("properties.template.containers[0].image", "Modify", "r/a:v1", "r/a:v2") in leaves
    assert (
        "properties.template.containers[0].env[name=B]",
        "Create",
        None,
        {"name": "B", "value": "2"},
    ) in leaves
    assert len(leaves) == 2


# ------------------------------------------------------------------ inventory and outputs


def test_inventory_matches_by_last_name_segment_and_type():
    settings = load_settings("prod")
    actual = [
        ResourceInfo(
            r.name if r.type != "Microsoft.Sql/servers/databases" else f"sql-apex-prod/{r.name}",
            r.type.lower(),
            provisioning_state="Succeeded",
        )
        for r in settings.expected_resources
    ]
    ok = compare_inventory(settings.expected_resources, actual)
    assert ok.verdict == "PASS" and ok.present_count == 16 and not ok.extra
    broken = [a for a in actual if a.name != "pe-sql-apex-prod"]
    broken[0] = ResourceInfo(broken[0].name, broken[0].type, provisioning_state="Failed")
    broken.append(
        ResourceInfo("jumpbox-prod", "Microsoft.Compute/virtualMachines", provisioning_state="Updating")
    )
    bad = compare_inventory(settings.expected_resources, broken)
    assert bad.verdict == "FAIL" and bad.missing == ("pe-sql-apex-prod",)
    assert bad.not_succeeded == ("vnet-apex-prod",) and bad.extra == ("jumpbox-prod",)
    assert "15/16" in bad.summary() and "MISSING: pe-sql-apex-prod" in bad.summary()
    # a database with the same name under the wrong type is not the database
    wrong = compare_inventory(
        [settings.expected_resources[2]], [ResourceInfo("apex-db-prod", "Microsoft.Web/sites")]
    )
    assert wrong.missing == ("apex-db-prod",)


def test_outputs_are_checked_against_the_parameters_file():
    good = {
        "containerAppFqdn": "apex-backend-prod.azurecontainerapps.io",
        "sqlServerFqdn": "sql-apex-prod.database.windows.net",
        "storageAccountName": "stapexprod",
        "keyVaultUri": "https://kv-apex-prod.vault.azure.net/",
        "appInsightsId": "8b2f-guid",
    }
    kw = dict(
        deployment="main",
        provisioning_state="Succeeded",
        storage_account="stapexprod",
        key_vault="kv-apex-prod",
        sql_server="sql-apex-prod",
    )
    assert (
        check_outputs(good, app_url="https://apex-backend-prod.azurecontainerapps.io", **kw).verdict == "PASS"
    )
    bad = check_outputs({**good, "storageAccountName": "stother", "appInsightsId": ""}, **kw)
    statuses = {r["name"]: r["status"] for r in bad.rows()}
    assert (
        bad.verdict == "FAIL"
        and statuses["storageAccountName"] == "FAIL"
        and statuses["appInsightsId"] == "FAIL"
    )
    moved = check_outputs(good, app_url="http://127.0.0.1:9", **kw)
    assert moved.verdict == "WARN"


# ------------------------------------------------------------------ hints


def test_error_hints_turn_arm_failures_into_the_runbooks_next_step():
    s = load_settings("prod")
    assert "az group create --name apex-rg-prod --location eastus" in hint_for(
        "Code: ResourceGroupNotFound", s
    )
    assert "Contributor or Owner" in hint_for("AuthorizationFailed: does not have authorization", s)
    assert "cancel_deployment=True" in hint_for("DeploymentActive", s)
    assert hint_for("all good", s) is None
    with pytest.raises(NotFoundError) as err, infra_hints(s):
        raise NotFoundError("Resource group 'apex-rg-prod' could not be found (ResourceGroupNotFound).")
    assert "az group create" in err.value.hint  # same class, the runbook's hint


def test_stuck_deployment_after_thirty_minutes():
    running = DeploymentResult("main", "Running", timestamp=T0)
    assert stuck_deployment(None, T0) == ("none", None)
    assert stuck_deployment(running, T0 + timedelta(minutes=5))[0] == "running"
    assert stuck_deployment(running, T0 + timedelta(minutes=31))[0] == "stuck"
    assert stuck_deployment(DeploymentResult("main", "Succeeded", timestamp=T0), T0)[0] == "finished"


# ------------------------------------------------------------------ the template


@pytest.mark.parametrize("env", ["local", "staging", "prod"])
def test_the_template_declares_exactly_the_expected_resources_of_every_environment(tmp_path, env):
    settings = load_settings(env)
    rg = ResourceGroup(
        tmp_path / "rg.json", resource_group=settings.azure.resource_group, location=settings.azure.location
    )
    plan = rg.what_if(load_template().document, baseline_parameters(settings))
    assert plan["status"] == "Succeeded"
    declared = [
        ResourceInfo(c["name"], c["resource_type"], provisioning_state="Succeeded") for c in plan["changes"]
    ]
    cov = compare_inventory(settings.expected_resources, declared)
    assert cov.verdict == "PASS" and not cov.extra and len(declared) == 16
    assert {c["change_type"] for c in plan["changes"]} == {"Create"}
    # seeded with it (the sandbox's production stand-in), the same parameters change nothing
    rg.seed(baseline_template(settings))
    assert {
        c["change_type"]
        for c in rg.what_if(load_template().document, baseline_parameters(settings))["changes"]
    } == {"NoChange"}
    assert rg.validate(load_template().document, {"environment": "dev"})["ok"] is False


def test_parameters_carry_the_app_as_it_runs_and_never_a_secret_value():
    s = load_settings("local")
    running = AppTemplate(
        image="reg/apex:v1.2.3",
        env={"B": "2", "A": "1", "DB_CONN": "secretref:db"},
        cpu=1.0,
        memory="2Gi",
        min_replicas=2,
        max_replicas=4,
    )
    p = parameters_for(s, running)
    assert p["containerImage"] == "reg/apex:v1.2.3" and p["minReplicas"] == 2 and p["maxReplicas"] == 4
    assert p["containerEnv"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "2"},
        {"name": "DB_CONN", "secretRef": "db"},
    ]
    assert p["containerResources"] == {"cpu": 1.0, "memory": "2Gi"}
    assert parameters_for(s, running, image="reg/apex:v9")["containerImage"] == "reg/apex:v9"
    assert container_env({}) == []
    with pytest.raises(ConfigError, match="not declared"):
        bind_defaults(load_template().document, {"nope": 1})


def test_template_file_errors_name_the_parameter_and_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="az bicep build"):
        load_template(tmp_path / "main.bicep")
    with pytest.raises(ConfigError, match="does not exist"):
        load_template(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_template(tmp_path / "bad.json")
    (tmp_path / "x.json").write_text('{"a": 1}')
    with pytest.raises(ConfigError, match="no resources array"):
        load_template(tmp_path / "x.json")


# ------------------------------------------------------------------ the procedure's own rules


class _Deployments:
    """Deployments double: one deployment `main` that is Running until cancel() is seen twice."""

    def __init__(self, state="Running"):
        self.state, self.cancels, self.gets = state, 0, 0

    def get(self, name="main"):
        self.gets += 1
        if self.cancels and self.gets > 3:
            self.state = "Canceled"
        return DeploymentResult(name, self.state, timestamp=T0)

    def cancel(self, name="main"):
        if self.state != "Running":
            return False
        self.cancels += 1
        return True


def _env(deployments):
    from types import SimpleNamespace

    return SimpleNamespace(settings=load_settings("local"), traits=SANDBOX_TRAITS, deployments=deployments)


def test_parameters_are_refused_before_anything_is_contacted():
    from apexops.infra import InfraProcedure

    env = _env(None)  # any call on deployments would fail
    with pytest.raises(ConfigError, match="mode 'Full'"):
        InfraProcedure(env, mode="Full")
    with pytest.raises(ConfigError, match="deployment_name"):
        InfraProcedure(env, deployment_name="main deploy")
    with pytest.raises(ConfigError, match="cancel_deployment=True is a run of its own"):
        InfraProcedure(env, cancel_deployment=True, image_tag="v1.2.3")
    with pytest.raises(ConfigError, match="image_tag"):
        InfraProcedure(env, image_tag="v1.2.3; rm -rf /")
    with pytest.raises(ConfigError, match="CHANGE@RESOURCE"):
        InfraProcedure(env, acknowledge="vnet")


def test_a_stuck_deployment_is_cancelled_by_its_own_gated_run_and_read_back(clock):
    from apexops.infra import InfraProcedure

    deps = _Deployments()
    proc = InfraProcedure(
        _env(deps),
        cancel_deployment=True,
        dry_run=False,
        clock=clock,
        sleep=clock.sleep,
        now=lambda: T0 + timedelta(minutes=45),
    )
    assert proc.approval_phrase == "CANCEL DEPLOYMENT main IN apex-rg-local"
    with pytest.raises(ConfigError, match="cancel run"):
        proc.apply()
    state = proc.execute()
    assert state.provisioning_state == "Canceled" and deps.cancels == 1
    assert proc.result_summary() == ("deployment main is Canceled", "PASS")
    assert proc.verdict().status == "PASS"
    # nothing running: the cancel says so instead of pretending
    idle = InfraProcedure(_env(_Deployments("Succeeded")), cancel_deployment=True, dry_run=False)
    assert idle.execute().provisioning_state == "Succeeded" and idle.verdict().status == "PASS"


def test_verdict_names_what_failed_and_the_next_step():
    from apexops.infra.outcome import InfraRun, infra_verdict
    from apexops.models import DeploymentOperation, DeploymentValidation

    s = load_settings("prod")
    ok = DeploymentValidation(True, "Succeeded")
    bad = DeploymentValidation(False, "Failed", "InvalidTemplate", "parameter 'environment' is not valid")
    v = infra_verdict(InfraRun(s, "main", False, validation=bad))
    assert v.status == "FAIL" and "parameters/prod.yaml" in v.hint
    review = review_changes(whatif(change("apex-backend-prod", APP, "Modify")))
    op = DeploymentOperation(
        "sql-apex-prod",
        "Microsoft.Sql/servers",
        "Create",
        "Failed",
        "AuthorizationFailed: the client does not have authorization",
    )
    failed = DeploymentResult("main", "Failed", operations=(op,))
    v = infra_verdict(InfraRun(s, "main", False, validation=ok, review=review, result=failed))
    assert v.status == "FAIL" and "AuthorizationFailed" in v.reasons[0] and "Contributor or Owner" in v.hint
    with pytest.raises(Exception, match="infrastructure procedure failed"):
        v.raise_for_failure()
    done = DeploymentResult("main", "Succeeded")
    v = infra_verdict(InfraRun(s, "main", False, validation=ok, review=review, result=done))
    assert v.status == "FAIL" and "outputs missing or inconsistent" in v.reasons  # no outputs checked
    dry = infra_verdict(InfraRun(s, "main", True, validation=ok, review=review))
    assert dry.status == "SKIPPED" and "1 Modify" in dry.reasons[1]
