"""Issue 14, items 15-22: the Azure target's remaining defects, each against Azure's published REST shapes.

Transport-injection style: the real SDK clients send real requests to `FakeAzure`; each test asserts the
request sent and what the adapter made of the answer.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from _azure_fakes import APP_PATH, ARM, SUB, acr, arm_error, example, example_body, ok

from apexops.azure import kql
from apexops.azure.containerapp import AzureContainerApp
from apexops.azure.deployments import AzureDeployments, canonical, resource_type, what_if_result
from apexops.azure.registry import AzureRegistry
from apexops.azure.telemetry import SERVER_TIMEOUT_S, AzureTelemetry
from apexops.errors import (
    AuthorizationError,
    InvalidRequestError,
    NotFoundError,
    TargetError,
    VerificationError,
)
from apexops.models import DeploymentOperation, TrafficWeight

OLD, NEW, STG = "apex-backend-prod--old1", "apex-backend-prod--new2", "apex-backend-prod--stg3"
DEP = rf"/subscriptions/{SUB}/resourcegroups/apex-rg-prod/providers/Microsoft\.Resources/deployments/main"
OPS = rf"/subscriptions/{SUB}/resourcegroups/apex-rg-prod/deployments/main/operations"
ASYNC = (
    f"{ARM}/subscriptions/{SUB}/providers/Microsoft.Resources/deployments/operationStatuses/08584"
    "?api-version=2026-06-01"
)
COMPONENT = (
    f"/v1/subscriptions/{SUB}/resourceGroups/apex-rg-prod/providers/Microsoft.Insights/"
    "components/appi-apex-prod/query"
)
RG = f"/subscriptions/{SUB}/resourceGroups/apex-rg-prod"
WORKSPACE_ID = "63613592-b6f7-4c3d-a390-22ba13102111"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=10)
TEMPLATE = {"$schema": "x", "contentVersion": "1.0.0.0", "resources": []}


# --------------------------------------------------------------------------- 15: traffic labels


def app_doc(traffic: list[dict]) -> dict:
    doc = copy.deepcopy(example_body("containerapps/ContainerApps_Get.json"))
    doc["name"] = "apex-backend-prod"
    doc["properties"]["configuration"]["activeRevisionsMode"] = "Multiple"
    doc["properties"]["configuration"]["ingress"]["traffic"] = traffic
    doc["properties"]["latestReadyRevisionName"] = doc["properties"]["latestRevisionName"] = NEW
    return doc


def revision_doc(name: str, active: bool = True) -> dict:
    doc = copy.deepcopy(example_body("containerapps/Revisions_Get.json"))
    doc["name"] = name
    doc["properties"].update(active=active, trafficWeight=0)
    return doc


def traffic_world(fake, before: list[dict], revisions: list[dict]) -> dict:
    """The app answers `before` until a PATCH, then whatever traffic the PATCH wrote (as ARM does)."""
    state = {"traffic": before}

    def patch(rec):
        state["traffic"] = rec.json()["properties"]["configuration"]["ingress"]["traffic"]
        return ok(app_doc(state["traffic"]))

    fake.on("GET", APP_PATH, lambda rec: ok(app_doc(state["traffic"])))
    fake.on("PATCH", APP_PATH, patch)
    fake.on("GET", APP_PATH + "/revisions", ok({"value": revisions}))
    return state


def patched_traffic(fake) -> list[dict]:
    (patch,) = fake.calls("PATCH")
    return patch.json()["properties"]["configuration"]["ingress"]["traffic"]


def test_15_a_traffic_shift_keeps_existing_labels_and_label_only_entries(clients, fake):
    before = [
        {"revisionName": OLD, "weight": 100, "label": "blue"},
        {"revisionName": NEW, "weight": 0},
        {"revisionName": STG, "label": "staging"},  # a label-only entry, as the official Get example has
    ]
    traffic_world(fake, before, [revision_doc(OLD), revision_doc(NEW), revision_doc(STG)])
    result = AzureContainerApp(clients).set_traffic([TrafficWeight(NEW, 10), TrafficWeight(OLD, 90)])
    assert patched_traffic(fake) == [
        {"revisionName": NEW, "weight": 10},
        {"revisionName": OLD, "weight": 90, "label": "blue"},
        {"revisionName": STG, "weight": 0, "label": "staging"},
    ]
    assert [(w.revision_name, w.weight, w.label) for w in result] == [
        (NEW, 10, None),
        (OLD, 90, "blue"),
        (STG, 0, "staging"),
    ]


def test_15_a_label_following_the_latest_revision_keeps_following_it(clients, fake):
    before = [{"revisionName": OLD, "weight": 100}, {"latestRevision": True, "weight": 0, "label": "next"}]
    traffic_world(fake, before, [revision_doc(OLD), revision_doc(NEW)])
    AzureContainerApp(clients).set_traffic([TrafficWeight(NEW, 10), TrafficWeight(OLD, 90)])
    assert patched_traffic(fake)[-1] == {"latestRevision": True, "weight": 0, "label": "next"}


def test_15_a_label_the_caller_sets_wins_and_a_label_of_an_inactive_revision_is_reported(clients, fake):
    before = [{"revisionName": OLD, "weight": 100, "label": "blue"}, {"revisionName": STG, "label": "old"}]
    traffic_world(fake, before, [revision_doc(OLD), revision_doc(NEW), revision_doc(STG, active=False)])
    notes: list[str] = []
    AzureContainerApp(clients).set_traffic(
        [TrafficWeight(NEW, 10, label="blue"), TrafficWeight(OLD, 90)], on_progress=notes.append
    )
    assert patched_traffic(fake) == [
        {"revisionName": NEW, "weight": 10, "label": "blue"},
        {"revisionName": OLD, "weight": 90},
    ]
    assert any("label old" in n and STG in n for n in notes)


def test_15_a_read_back_that_lost_a_label_is_a_verification_error(clients, fake):
    before = [{"revisionName": OLD, "weight": 100}, {"revisionName": STG, "label": "staging"}]
    fake.on(
        "GET",
        APP_PATH,
        ok(app_doc(before)),
        ok(app_doc(before)),
        ok(app_doc([{"revisionName": NEW, "weight": 10}, {"revisionName": OLD, "weight": 90}])),
    )
    fake.on("PATCH", APP_PATH, ok(app_doc(before)))
    fake.on("GET", APP_PATH + "/revisions", ok({"value": [revision_doc(r) for r in (OLD, NEW, STG)]}))
    with pytest.raises(VerificationError, match="staging"):
        AzureContainerApp(clients).set_traffic([TrafficWeight(NEW, 10), TrafficWeight(OLD, 90)])


def test_15_get_traffic_reads_labels_of_the_official_get_example(clients, fake):
    fake.on("GET", APP_PATH, ok(example_body("containerapps/ContainerApps_Get.json")))
    assert [(w.revision_name, w.weight, w.label) for w in AzureContainerApp(clients).get_traffic()] == [
        ("testcontainerApp0-ab1234", 0, None),
        ("testcontainerApp0-ab4321", 0, "staging"),
    ]


# --------------------------------------------------------------------------- 16, 17: what-if


@pytest.mark.parametrize(
    ("rid", "rtype"),
    [
        (
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1",
            "Microsoft.Storage/storageAccounts",
        ),
        (
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/sql1/databases/apex",
            "Microsoft.Sql/servers/databases",
        ),
        (
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1"
            "/blobServices/default/containers/uploads",
            "Microsoft.Storage/storageAccounts/blobServices/containers",
        ),
        (
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
            "/providers/Microsoft.Authorization/roleAssignments/ra1",
            "Microsoft.Authorization/roleAssignments",
        ),
        (f"/subscriptions/{SUB}/resourceGroups/rg", "Microsoft.Resources/resourceGroups"),
        ("", ""),
    ],
)
def test_16_the_type_of_a_resource_id_keeps_every_type_segment(rid, rtype):
    assert resource_type(rid) == rtype


def test_16_17_a_what_if_change_known_only_by_its_id_in_an_older_api_shape(clients, fake):
    rid = (
        f"/subscriptions/{SUB}/resourceGroups/apex-rg-prod/providers/Microsoft.Sql/servers/sql1/databases/db"
    )
    body = {"status": "succeeded", "properties": {"changes": [{"resourceId": rid, "changeType": "create"}]}}
    fake.on("POST", DEP + "/whatIf", ok(body))
    result = AzureDeployments(clients).what_if(TEMPLATE, {})
    assert fake.requests[0].path.endswith("/deployments/main/whatIf")
    (change,) = result.changes
    assert (result.status, change.resource_type, change.name, change.change_type) == (
        "Succeeded",
        "Microsoft.Sql/servers/databases",
        "db",
        "Create",
    )


@pytest.mark.parametrize(
    ("sent", "canon"),
    [
        ("succeeded", "Succeeded"),
        ("FAILED", "Failed"),
        ("cancelled", "Canceled"),
        ("Running", "Running"),
        ("SomethingNew", "SomethingNew"),
        ("", ""),
    ],
)
def test_17_states_are_normalised_case_insensitively(sent, canon):
    assert canonical(sent) == canon


def test_17_the_official_what_if_example_in_lower_case_still_reviews_as_succeeded():
    doc = copy.deepcopy(
        example("resources/PostDeploymentWhatIfOnResourceGroup.json")["responses"]["200"]["body"]
    )
    doc["status"] = "succeeded"
    for c in doc["properties"]["changes"]:
        c["changeType"] = c["changeType"].lower()
    result = what_if_result(doc)
    assert result.status == "Succeeded" and [c.change_type for c in result.changes] == ["Modify", "Create"]


# --------------------------------------------------------------------------- 18, 19, 22: deployments


def deployment(state: str, **extra) -> dict:
    return {
        "id": f"{RG}/providers/Microsoft.Resources/deployments/main",
        "name": "main",
        "properties": {"provisioningState": state, "mode": "Incremental", **extra},
    }


def test_18_a_succeeded_deployment_stays_succeeded_when_its_operations_cannot_be_listed(clients, fake):
    fake.on(
        "PUT",
        DEP,
        ok(deployment("Accepted"), {"Azure-AsyncOperation": ASYNC, "Retry-After": "0"}, status=201),
    )
    fake.on("GET", r".*/operationStatuses/08584", ok({"status": "Succeeded"}))
    fake.on("GET", DEP, ok(deployment("Succeeded", outputs={"fqdn": {"type": "String", "value": "x"}})))
    fake.on("GET", OPS, arm_error(403, "AuthorizationFailed", "no read on deployments/operations"))
    progress: list[str] = []
    result = AzureDeployments(clients).create_or_update(TEMPLATE, {}, on_progress=progress.append)
    assert len(fake.calls("GET", "/operations$")) >= 1  # it did try
    assert result.provisioning_state == "Succeeded" and result.outputs == {"fqdn": "x"}
    assert result.operations == () and result.error_message is None
    (note,) = result.notes
    assert "could not be listed" in note and "AuthorizationFailed" in note
    assert note in progress


def test_19_a_failed_deployment_names_its_details_and_failing_operation(clients, fake):
    fake.on(
        "PUT",
        DEP,
        ok(deployment("Accepted"), {"Azure-AsyncOperation": ASYNC, "Retry-After": "0"}, status=201),
    )
    failed = {
        "code": "DeploymentFailed",
        "message": "At least one resource deployment operation failed.",
        "details": [{"code": "Conflict", "message": "see the operation"}],
    }
    fake.on("GET", r".*/operationStatuses/08584", ok({"status": "Failed", "error": failed}))
    fake.on("GET", DEP, ok(deployment("Failed", error=failed)))
    sql_error = {
        "code": "ProvisioningDisabled",
        "message": "Provisioning is restricted in this region.",
        "details": [{"code": "RegionQuota", "message": "eastus has no capacity for SQL"}],
    }
    op = {
        "id": "/ops/A1",
        "operationId": "A1",
        "properties": {
            "provisioningOperation": "Create",
            "provisioningState": "Failed",
            "targetResource": {
                "id": f"{RG}/providers/Microsoft.Sql/servers/sql1",
                "resourceName": "sql1",
                "resourceType": "Microsoft.Sql/servers",
            },
            "statusMessage": {"status": "Failed", "error": sql_error},
        },
    }
    fake.on("GET", OPS, ok({"value": [op]}))
    result = AzureDeployments(clients).create_or_update(TEMPLATE, {})
    assert result.provisioning_state == "Failed"
    msg = result.error_message
    assert msg.startswith("DeploymentFailed: At least one") and "Conflict: see the operation" in msg
    assert "Microsoft.Sql/servers/sql1: ProvisioningDisabled: Provisioning is restricted" in msg
    assert "RegionQuota: eastus has no capacity for SQL" in msg
    (operation,) = result.operations
    assert "RegionQuota" in operation.status_message


def test_22_operations_without_a_target_resource_keep_distinct_progress_keys(clients, fake):
    fake.on(
        "PUT",
        DEP,
        ok(deployment("Accepted"), {"Azure-AsyncOperation": ASYNC, "Retry-After": "0"}, status=201),
    )
    fake.on("GET", r".*/operationStatuses/08584", ok({"status": "Succeeded"}))
    fake.on("GET", DEP, ok(deployment("Succeeded")))
    ops = [
        {
            "id": f"/ops/{i}",
            "operationId": i,
            "properties": {"provisioningOperation": "Action", "provisioningState": "Succeeded"},
        }
        for i in ("08584A", "08584B")
    ]
    fake.on("GET", OPS, ok({"value": ops}))
    progress: list[str] = []
    result = AzureDeployments(clients).create_or_update(TEMPLATE, {}, on_progress=progress.append)
    # each operation reported once under its own key (not both under "/", the second then swallowed)
    assert [p for p in progress if p.startswith("Action ")] == [
        "Action operation 08584A: Succeeded",
        "Action operation 08584B: Succeeded",
    ]
    assert [o.key for o in result.operations] == ["operation 08584A", "operation 08584B"]


def test_22_an_operation_key_is_its_resource_when_it_has_one():
    op = DeploymentOperation("sql1", "Microsoft.Sql/servers", "Create", "Running", operation_id="X")
    assert op.key == "Microsoft.Sql/servers/sql1"


# --------------------------------------------------------------------------- 19: Azure's reason, hints


def test_19_a_rejected_query_names_the_innermost_log_analytics_error(clients, fake):
    body = {
        "error": {
            "code": "BadArgumentError",
            "message": "The request had some invalid properties",
            "innererror": {
                "code": "SemanticError",
                "message": "A semantic error occurred.",
                "innererror": {
                    "code": "SEM0100",
                    "message": "'where' operator: Failed to resolve column "
                    "or scalar expression named 'cloud_RoleNam'",
                },
            },
        }
    }
    fake.on("POST", COMPONENT, (400, body, {}))
    with pytest.raises(InvalidRequestError) as err:
        AzureTelemetry(clients).request_stats(T0, T1)
    assert "BadArgumentError" in err.value.message
    assert (
        "SEM0100: 'where' operator: Failed to resolve column or scalar expression named 'cloud_RoleNam'"
        in (err.value.message)
    )
    assert "KQL" in err.value.hint


def test_19_arm_details_are_kept_when_the_sdk_did_not_parse_the_error(clients, fake):
    body = {
        "error": {
            "code": "InvalidTemplateDeployment",
            "message": "The template deployment is not valid.",
            "details": [{"code": "AccountNameInvalid", "message": "'st!' is not a valid name."}],
        }
    }
    fake.on("GET", APP_PATH, (400, body, {"content-type": "text/plain"}))
    with pytest.raises(InvalidRequestError) as err:
        AzureContainerApp(clients).show()
    assert "AccountNameInvalid: 'st!' is not a valid name." in err.value.message


def workspace_telemetry(clients, monkeypatch) -> AzureTelemetry:
    monkeypatch.setenv("APEX_LOG_ANALYTICS_WORKSPACE_ID", WORKSPACE_ID)
    monitoring = clients.settings.monitoring.model_copy(update={"app_insights_schema": "workspace"})
    clients.settings = clients.settings.model_copy(update={"monitoring": monitoring})
    return AzureTelemetry(clients)


@pytest.mark.parametrize(
    "reply",
    [
        arm_error(404, "WorkspaceNotFoundError", f"The workspace {WORKSPACE_ID} could not be found"),
        arm_error(400, "BadArgumentError", "The workspace ID is not a valid GUID"),
    ],
)
def test_19_a_bad_workspace_id_names_the_workspace_variable(clients, fake, monkeypatch, reply):
    telemetry = workspace_telemetry(clients, monkeypatch)
    fake.on("POST", f"/v1/workspaces/{WORKSPACE_ID}/query", reply)
    with pytest.raises(TargetError) as err:
        telemetry.request_stats(T0, T1)
    assert "$APEX_LOG_ANALYTICS_WORKSPACE_ID" in err.value.hint and "customerId" in err.value.hint


def test_19_acr_hints_name_the_repository_asked_for(clients, fake):
    unknown = (404, {"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known"}]}, {})
    acr(fake, "/acr/v1/apex-worker/_tags.*", unknown)
    with pytest.raises(NotFoundError) as err:
        AzureRegistry(clients).get_tag("apex-worker", "v9")
    assert "--repository apex-worker" in err.value.hint
    fake.routes.clear()
    denied = (
        403,
        {"errors": [{"code": "DENIED", "message": "requested access to the resource is denied"}]},
        {},
    )
    acr(fake, "/acr/v1/apex-worker/_tags", denied)
    with pytest.raises(AuthorizationError) as err:
        AzureRegistry(clients).list_tags("apex-worker")
    assert "repository apex-worker" in err.value.hint


# --------------------------------------------------------------------------- 20: server timeout, partial


def test_20_every_query_asks_for_a_server_timeout(clients, fake, monkeypatch):
    fake.on("POST", COMPONENT, ok({"tables": [{"name": "PrimaryResult", "columns": [], "rows": []}]}))
    AzureTelemetry(clients).request_stats(T0, T1)
    telemetry = workspace_telemetry(clients, monkeypatch)
    fake.on(
        "POST",
        f"/v1/workspaces/{WORKSPACE_ID}/query",
        ok({"tables": [{"name": "PrimaryResult", "columns": [], "rows": []}]}),
    )
    telemetry.exceptions(T0, T1)
    assert len(fake.requests) == 2 and SERVER_TIMEOUT_S == 60
    assert all(f"wait={SERVER_TIMEOUT_S}" in r.headers.get("Prefer", "") for r in fake.requests)


PARTIAL_NO_ROWS = {
    "tables": [{"name": "PrimaryResult", "columns": [{"name": "revision", "type": "string"}], "rows": []}],
    "error": {
        "code": "PartialError",
        "message": "There were some errors when processing your query.",
        "details": [
            {
                "code": "EngineError",
                "message": "Query execution has exceeded the allowed limits",
                "innererror": {"code": "-2133196797", "message": "E_RUNAWAY_QUERY"},
            }
        ],
    },
}


def test_20_a_partial_answer_without_rows_is_never_no_traffic(clients, fake):
    fake.on("POST", COMPONENT, ok(PARTIAL_NO_ROWS))
    telemetry = AzureTelemetry(clients)
    with pytest.raises(TargetError, match="partial answer without any row"):
        telemetry.request_stats(T0, T1)
    with pytest.raises(TargetError, match="not an absence of traffic"):
        telemetry.request_buckets(T0, T1, bucket_s=60)
    named = telemetry.request_stats(T0, T1, revisions=[OLD, NEW])
    assert set(named) == {OLD, NEW} and all(s.partial and s.requests == 0 for s in named.values())


# --------------------------------------------------------------------------- 21: the app's own telemetry


def test_21_request_and_exception_queries_keep_the_apps_own_records(clients, fake):
    fake.on("POST", COMPONENT, ok({"tables": [{"name": "PrimaryResult", "columns": [], "rows": []}]}))
    telemetry = AzureTelemetry(clients)
    telemetry.request_stats(T0, T1)
    telemetry.request_buckets(T0, T1, bucket_s=60)
    telemetry.slowest_requests(T0, T1)
    telemetry.exceptions(T0, T1)
    queries = [r.json()["query"] for r in fake.requests]
    assert len(queries) == 4
    assert all('cloud_RoleName == "apex-backend-prod"' in q for q in queries)


def test_21_workspace_queries_filter_on_app_role_name(clients, fake, monkeypatch):
    telemetry = workspace_telemetry(clients, monkeypatch)
    fake.on(
        "POST",
        f"/v1/workspaces/{WORKSPACE_ID}/query",
        ok({"tables": [{"name": "PrimaryResult", "columns": [], "rows": []}]}),
    )
    telemetry.request_stats(T0, T1)
    assert 'AppRoleName == "apex-backend-prod"' in fake.requests[0].json()["query"]


def test_21_a_machine_name_is_never_taken_for_a_revision():
    expr = kql.revision_expr(kql.CLASSIC, "revision", "apex-backend-prod")
    assert expr.startswith('coalesce(tostring(customDimensions["revision"]), ')
    # the role instance counts only when it names a revision of this app; anything else is unattributed
    assert 'iff(cloud_RoleInstance startswith "apex-backend-prod--", ' in expr and expr.endswith(', ""))')
