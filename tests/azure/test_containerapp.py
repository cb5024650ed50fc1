"""Contract tests of AzureContainerApp: the real azure-mgmt-appcontainers client over canned REST examples."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from _azure_fakes import APP_PATH, SUB, arm_error, assert_plain, example, example_body, ok

from apexops.azure.containerapp import AzureContainerApp
from apexops.errors import (
    ConfigError,
    ConflictError,
    NotFoundError,
    NotSupportedError,
    TargetError,
    TrafficError,
    VerificationError,
)
from apexops.models import AppUpdate, TrafficWeight

API = "2026-07-01"
OLD, NEW = "apex-backend-prod--old1", "apex-backend-prod--new2"
ASYNC_OP = example("containerapps/ContainerApps_Patch.json")["responses"]["202"]["headers"][
    "azure-asyncoperation"
]
OP_PATH = r"/subscriptions/[^/]+/providers/Microsoft\.App/locations/eastus/containerappOperationResults/.*"


def app_doc(traffic: list[dict], *, mode: str = "Multiple", latest_ready: str = NEW) -> dict:
    """The official ContainerApps_Get example, renamed to the prod app and given a traffic list."""
    doc = copy.deepcopy(example_body("containerapps/ContainerApps_Get.json"))
    doc["name"] = "apex-backend-prod"
    props = doc["properties"]
    props["configuration"]["activeRevisionsMode"] = mode
    props["configuration"]["ingress"]["traffic"] = traffic
    props["latestReadyRevisionName"] = latest_ready
    props["latestRevisionName"] = latest_ready
    props["template"]["containers"][0]["env"] = [
        {"name": "LOG_LEVEL", "value": "INFO"},
        {"name": "DB_PASSWORD", "secretRef": "db-password"},
    ]
    props["template"]["containers"][0]["resources"]["ephemeralStorage"] = "1Gi"  # read-only in the API
    return doc


def revision_doc(name: str, *, active: bool, weight: int = 0) -> dict:
    doc = copy.deepcopy(example_body("containerapps/Revisions_Get.json"))
    doc["name"] = name
    doc["properties"].update(active=active, trafficWeight=weight)
    return doc


@pytest.fixture
def app(clients) -> AzureContainerApp:
    return AzureContainerApp(clients)


def test_show_parses_the_official_get_example_into_plain_domain_types(app, fake):
    fake.on("GET", APP_PATH, ok(example_body("containerapps/ContainerApps_Get.json")))
    state = app.show()
    (req,) = fake.requests
    assert (req.method, req.api_version) == ("GET", API)
    assert (
        req.path
        == f"/subscriptions/{SUB}/resourceGroups/apex-rg-prod"
        "/providers/Microsoft.App/containerApps/apex-backend-prod"
    )
    assert state.url == "https://testcontainerApp0.demokube-t24clv0g.eastus.containerApps.k4apps.io"
    assert state.provisioning_state == "Succeeded" and state.running_status == "Running"
    assert state.latest_ready_revision_name == "testcontainerApp0-pjxhsye"
    assert state.active_revisions_mode == "Single"  # absent in the example: the Container Apps default
    assert state.template.image == "repo/testcontainerApp0:v4"
    assert (state.template.cpu, state.template.memory) == (0.2, "100Mi")
    assert (state.template.min_replicas, state.template.max_replicas) == (1, 5)
    assert [(t.revision_name, t.weight, t.label) for t in state.traffic] == [
        ("testcontainerApp0-ab1234", 0, None),
        ("testcontainerApp0-ab4321", 0, "staging"),
    ]
    assert state.raw["properties"]["workloadProfileName"] == "My-GP-01"
    assert_plain(state)


def test_revisions_replicas_parse_from_the_official_examples(app, fake):
    fake.on("GET", APP_PATH + "/revisions", ok(example_body("containerapps/Revisions_List.json")))
    fake.on(
        "GET",
        APP_PATH + "/revisions/testcontainerApp0-pjxhsye",
        ok(example_body("containerapps/Revisions_Get.json")),
    )
    fake.on(
        "GET",
        APP_PATH + "/revisions/myapp--0wlqy09/replicas",
        ok(example_body("containerapps/Replicas_List.json")),
    )
    (rev,) = app.list_revisions()
    got = app.get_revision("testcontainerApp0-pjxhsye")
    assert got.running_state == "Running" and rev.running_state == "Unknown"  # only the Get example has it
    assert got.name == rev.name and got.template == rev.template
    assert (rev.name, rev.active, rev.traffic_weight, rev.replicas) == (
        "testcontainerApp0-pjxhsye",
        True,
        80,
        1,
    )
    assert rev.created_time == datetime(2021, 5, 24, 21, 24, 22, tzinfo=UTC)
    assert rev.url == "https://testcontainerApp0-pjxhsye.politehill-ab123456.eastus.azurecontainerapps.io"
    assert rev.image == "repo/testcontainerApp0:v2" and rev.template.max_replicas == 5
    assert (rev.health_state, rev.provisioning_state) == ("Unknown", "Unknown")  # absent upstream
    (replica,) = app.list_replicas("myapp--0wlqy09")
    assert (replica.name, replica.revision, replica.running_state) == (
        "myapp--0wlqy09-5d9774cff-5wnd8",
        "myapp--0wlqy09",
        "Running",
    )
    assert (replica.restart_count, replica.ready) == (0, True)
    assert replica.created_time == datetime(2022, 1, 25, 19, 42, 45, tzinfo=UTC)
    assert all(r.api_version == API for r in fake.requests)
    assert_plain([rev, replica])


def test_revisions_come_back_oldest_first(app, fake):
    docs = [revision_doc(n, active=True) for n in ("b", "a", "c")]
    for d, t in zip(
        docs, ("2024-03-01T00:00:00Z", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"), strict=True
    ):
        d["properties"]["createdTime"] = t
    fake.on("GET", APP_PATH + "/revisions", ok({"value": docs}))
    assert [r.name for r in app.list_revisions()] == ["a", "c", "b"]


@pytest.mark.parametrize("verb", ["activate", "deactivate", "restart"])
def test_revision_verbs_post_to_their_action(app, fake, verb):
    rev = example(f"containerapps/Revisions_{verb.capitalize()}.json")["parameters"]["revisionName"]
    fake.on("GET", APP_PATH, ok(app_doc([{"revisionName": OLD, "weight": 100}])))
    fake.on("GET", APP_PATH + f"/revisions/{rev}", ok(revision_doc(rev, active=True)))
    fake.on(
        "POST",
        APP_PATH + f"/revisions/{rev}/{verb}",
        ok(example_body(f"containerapps/Revisions_{verb.capitalize()}.json")),
    )
    getattr(app, f"{verb}_revision")(rev)
    (post,) = fake.calls("POST")
    assert post.path.endswith(f"/revisions/{rev}/{verb}") and post.api_version == API


def test_set_traffic_patches_the_whole_list_polls_the_operation_and_reads_back(app, fake):
    before = [{"revisionName": OLD, "weight": 100}, {"revisionName": NEW, "weight": 0}]
    after = [{"revisionName": NEW, "weight": 10}, {"revisionName": OLD, "weight": 90}]
    fake.on("GET", APP_PATH, ok(app_doc(before)), ok(app_doc(before)), ok(app_doc(after)))
    fake.on(
        "GET",
        APP_PATH + "/revisions",
        ok({"value": [revision_doc(OLD, active=True, weight=100), revision_doc(NEW, active=True)]}),
    )
    fake.on("PATCH", APP_PATH, ok(None, {"Azure-AsyncOperation": ASYNC_OP, "Retry-After": "0"}, status=202))
    fake.on("GET", OP_PATH, ok({"status": "InProgress"}), ok({"status": "Succeeded"}))
    progress: list[str] = []

    result = app.set_traffic([TrafficWeight(NEW, 10), TrafficWeight(OLD, 90)], on_progress=progress.append)

    (patch,) = fake.calls("PATCH")
    assert patch.api_version == API
    assert patch.json() == {
        "properties": {
            "configuration": {
                "ingress": {
                    "traffic": [{"revisionName": NEW, "weight": 10}, {"revisionName": OLD, "weight": 90}]
                }
            }
        }
    }
    sequence = [
        (r.method, "op" if "OperationResults" in r.path else r.path.rsplit("/", 1)[-1]) for r in fake.requests
    ]
    i = sequence.index(("PATCH", "apex-backend-prod"))
    # 202 -> operation status (InProgress, Succeeded) -> final GET of the app, then the read-back GET
    assert sequence[i + 1 :] == [
        ("GET", "op"),
        ("GET", "op"),
        ("GET", "apex-backend-prod"),
        ("GET", "apex-backend-prod"),
    ]
    assert [(w.revision_name, w.weight) for w in result] == [(NEW, 10), (OLD, 90)]
    assert progress and progress[-1] == "set traffic: Succeeded"
    assert_plain(result)


@pytest.mark.parametrize(
    ("weights", "fragment"),
    [
        ([TrafficWeight(NEW, 10), TrafficWeight(OLD, 80)], "sum to 90"),
        ([TrafficWeight(NEW, 100), TrafficWeight(NEW, 0)], "appears twice"),
        ([TrafficWeight("", 100, latest_revision=True)], "no revision name"),
        ([TrafficWeight(NEW, 110), TrafficWeight(OLD, -10)], "weight of"),
        ([], "empty"),
    ],
)
def test_bad_traffic_lists_are_refused_before_any_call(app, fake, weights, fragment):
    with pytest.raises(TrafficError, match=fragment) as err:
        app.set_traffic(weights)
    assert err.value.hint
    assert fake.requests == []


def test_traffic_to_an_inactive_or_unknown_revision_is_refused_before_the_patch(app, fake):
    fake.on("GET", APP_PATH, ok(app_doc([{"revisionName": OLD, "weight": 100}])))
    fake.on(
        "GET",
        APP_PATH + "/revisions",
        ok({"value": [revision_doc(OLD, active=True), revision_doc(NEW, active=False)]}),
    )
    with pytest.raises(TrafficError, match="inactive") as err:
        app.set_traffic([TrafficWeight(NEW, 50), TrafficWeight(OLD, 50)])
    assert "az containerapp revision activate" in err.value.hint and NEW in err.value.hint
    with pytest.raises(TrafficError, match="does not exist"):
        app.set_traffic([TrafficWeight("ghost", 50), TrafficWeight(OLD, 50)])
    assert fake.calls("PATCH") == []


def test_traffic_split_needs_multiple_revision_mode(app, fake):
    fake.on("GET", APP_PATH, ok(app_doc([{"revisionName": OLD, "weight": 100}], mode="Single")))
    fake.on("GET", APP_PATH + "/revisions", ok({"value": [revision_doc(OLD, active=True)]}))
    with pytest.raises(TrafficError, match="Single") as err:
        app.set_traffic([TrafficWeight(OLD, 100)])
    assert "--mode multiple" in err.value.hint
    assert fake.calls("PATCH") == []


def test_inactive_zero_weight_entries_are_dropped_and_reported(app, fake):
    fake.on("GET", APP_PATH, ok(app_doc([{"revisionName": OLD, "weight": 100}])))
    fake.on(
        "GET",
        APP_PATH + "/revisions",
        ok({"value": [revision_doc(OLD, active=True), revision_doc(NEW, active=False)]}),
    )
    fake.on("PATCH", APP_PATH, ok(app_doc([{"revisionName": OLD, "weight": 100}])))
    notes: list[str] = []
    app.set_traffic([TrafficWeight(OLD, 100), TrafficWeight(NEW, 0)], on_progress=notes.append)
    assert fake.calls("PATCH")[0].json()["properties"]["configuration"]["ingress"]["traffic"] == [
        {"revisionName": OLD, "weight": 100}
    ]
    assert any(NEW in n and "inactive" in n for n in notes)


def test_a_read_back_that_differs_is_a_verification_error(app, fake):
    before = [{"revisionName": OLD, "weight": 100}]
    fake.on("GET", APP_PATH, ok(app_doc(before)))  # the service "ignores" the write
    fake.on(
        "GET",
        APP_PATH + "/revisions",
        ok({"value": [revision_doc(OLD, active=True), revision_doc(NEW, active=True)]}),
    )
    fake.on("PATCH", APP_PATH, ok(app_doc(before)))
    with pytest.raises(VerificationError, match="differs") as err:
        app.set_traffic([TrafficWeight(NEW, 50), TrafficWeight(OLD, 50)])
    assert "ingress traffic show" in err.value.hint


def test_update_patches_full_containers_and_scale_and_pins_a_floating_latest_weight(app, fake):
    doc = app_doc([{"latestRevision": True, "weight": 100}], latest_ready=OLD)
    new_doc = copy.deepcopy(doc)
    new_doc["properties"]["latestRevisionName"] = NEW
    fake.on("GET", APP_PATH, ok(doc), ok(new_doc))
    fake.on("PATCH", APP_PATH, ok(None, {"Azure-AsyncOperation": ASYNC_OP, "Retry-After": "0"}, status=202))
    fake.on("GET", OP_PATH, ok({"status": "Succeeded"}))
    progress: list[str] = []
    change = AppUpdate(
        image="apexacr.azurecr.io/apex-backend:v1.2.3",
        env={"LOG_LEVEL": "DEBUG", "APP_VERSION": "v1.2.3"},
        cpu=2.0,
        memory="4Gi",
        min_replicas=2,
        max_replicas=10,
    )

    state = app.update(change, on_progress=progress.append)

    body = fake.calls("PATCH")[0].json()
    tpl = body["properties"]["template"]
    (container,) = tpl["containers"]
    assert container["name"] == "testcontainerApp0"  # the whole container, not just the changed fields
    assert container["image"] == "apexacr.azurecr.io/apex-backend:v1.2.3"
    assert container["env"] == [
        {"name": "LOG_LEVEL", "value": "DEBUG"},
        {"name": "DB_PASSWORD", "secretRef": "db-password"},
        {"name": "APP_VERSION", "value": "v1.2.3"},
    ]
    assert container["resources"] == {"cpu": 2.0, "memory": "4Gi"}  # read-only ephemeralStorage dropped
    assert container["volumeMounts"][0]["volumeName"] == "azurefile"
    assert tpl["scale"]["minReplicas"] == 2 and tpl["scale"]["maxReplicas"] == 10
    assert [r["name"] for r in tpl["scale"]["rules"]] == ["httpscalingrule", "servicebus"]  # rules kept
    assert body["properties"]["configuration"]["ingress"]["traffic"] == [{"weight": 100, "revisionName": OLD}]
    assert set(body) == {"properties"} and set(body["properties"]) == {"template", "configuration"}
    assert state.latest_revision_name == NEW
    assert any("pinning" in p for p in progress) and progress[-1].endswith("Succeeded")
    assert_plain(state)


def test_update_without_floating_weight_leaves_traffic_alone(app, fake):
    fake.on("GET", APP_PATH, ok(app_doc([{"revisionName": OLD, "weight": 100}])))
    fake.on("PATCH", APP_PATH, ok(example_body("containerapps/ContainerApps_Patch.json")))
    app.update(AppUpdate(image="apexacr.azurecr.io/apex-backend:v1.2.4"))
    body = fake.calls("PATCH")[0].json()
    assert set(body["properties"]) == {"template"} and set(body["properties"]["template"]) == {"containers"}


@pytest.mark.parametrize(
    "change",
    [
        AppUpdate(),
        AppUpdate(memory="4GB"),
        AppUpdate(cpu=0),
        AppUpdate(min_replicas=0, max_replicas=0),
        AppUpdate(min_replicas=5, max_replicas=2),
        AppUpdate(env={"BAD NAME": "x"}),
        AppUpdate(image="a b"),
    ],
)
def test_bad_updates_are_refused_before_any_call(app, fake, change):
    with pytest.raises(ConfigError) as err:
        app.update(change)
    assert err.value.hint
    assert fake.requests == []


def test_deactivate_refuses_a_revision_that_still_has_traffic(app, fake):
    fake.on(
        "GET",
        APP_PATH,
        ok(app_doc([{"revisionName": OLD, "weight": 90}, {"revisionName": NEW, "weight": 10}])),
    )
    with pytest.raises(TrafficError, match="10%"):
        app.deactivate_revision(NEW)
    assert fake.calls("POST") == []


def test_restart_restarts_every_active_revision_and_only_those(app, fake):
    fake.on(
        "GET",
        APP_PATH + "/revisions",
        ok(
            {
                "value": [
                    revision_doc(OLD, active=True),
                    revision_doc(NEW, active=True),
                    revision_doc("apex-backend-prod--gone", active=False),
                ]
            }
        ),
    )
    fake.on("POST", APP_PATH + r"/revisions/[^/]+/restart", ok({}))
    app.restart()
    assert sorted(r.path.split("/")[-2] for r in fake.calls("POST")) == sorted([OLD, NEW])


def test_restarting_an_inactive_revision_is_refused_with_the_activate_command(app, fake):
    fake.on("GET", APP_PATH + f"/revisions/{OLD}", ok(revision_doc(OLD, active=False)))
    with pytest.raises(ConflictError) as err:
        app.restart_revision(OLD)
    assert (
        "az containerapp revision activate --name apex-backend-prod --resource-group apex-rg-prod "
        f"--revision {OLD}"
        in err.value.hint
    )
    assert fake.calls("POST") == []


def test_exec_is_not_supported_and_hints_the_exact_az_command(app, fake):
    with pytest.raises(NotSupportedError) as err:
        app.exec(NEW, ["nslookup", "sql-apex-prod.database.windows.net"])
    assert err.value.hint == (
        "az containerapp exec --name apex-backend-prod --resource-group apex-rg-prod "
        f"--revision {NEW} --command 'nslookup sql-apex-prod.database.windows.net'"
    )
    assert fake.requests == []


def test_select_one_from_the_app_is_a_manual_step_on_azure_not_a_failure(app, fake):
    from apexops.migrations.connectivity import check_from_app

    result = check_from_app(app, revision=NEW)
    assert (result.verdict, result.skipped, result.failed) == ("SKIPPED", True, False)
    assert "not available through the Azure SDK" in result.output
    assert fake.requests == []


def test_a_failed_long_running_update_surfaces_the_operation_error(app, fake):
    fake.on("GET", APP_PATH, ok(app_doc([{"revisionName": OLD, "weight": 100}])))
    fake.on("PATCH", APP_PATH, ok(None, {"Azure-AsyncOperation": ASYNC_OP, "Retry-After": "0"}, status=202))
    fake.on(
        "GET",
        OP_PATH,
        ok(
            {
                "status": "Failed",
                "error": {
                    "code": "ContainerAppImageRequiresRegistryCredentials",
                    "message": "Image pull requires credentials",
                },
            }
        ),
    )
    with pytest.raises(TargetError, match="ContainerAppImageRequiresRegistryCredentials") as err:
        app.update(AppUpdate(image="apexacr.azurecr.io/apex-backend:v9"))
    assert err.value.hint and err.value.__cause__ is not None


def test_arm_errors_of_the_app_map_to_typed_errors(app, fake):
    fake.on(
        "GET",
        APP_PATH,
        arm_error(404, "ResourceGroupNotFound", "Resource group 'apex-rg-prod' could not be found."),
    )
    with pytest.raises(NotFoundError) as err:
        app.show()
    assert "ResourceGroupNotFound" in str(err.value)
    assert "az group create --name apex-rg-prod --location eastus" in err.value.hint


def test_update_in_single_mode_does_not_pin_traffic(app, fake):
    """Single mode follows the latest revision by design; pinning would route to a deprovisioned one."""
    fake.on("GET", APP_PATH, ok(app_doc([{"latestRevision": True, "weight": 100}], mode="Single")))
    fake.on("PATCH", APP_PATH, ok(example_body("containerapps/ContainerApps_Patch.json")))
    app.update(AppUpdate(image="apexacr.azurecr.io/apex-backend:v1.2.4"))
    assert "configuration" not in fake.calls("PATCH")[0].json()["properties"]


def test_merged_env_replaces_by_name_in_place_and_appends_new_names():
    from apexops.azure._rules import merged_env

    current = [{"name": "A", "value": "1"}, {"name": "B", "secretRef": "b"}]
    assert merged_env(current, {"A": "2", "C": "secretref:c"}) == [
        {"name": "A", "value": "2"},
        {"name": "B", "secretRef": "b"},
        {"name": "C", "secretRef": "c"},
    ]
    assert current[0] == {"name": "A", "value": "1"}  # the GET's list is not changed
