"""The control plane's Azure Container Apps semantics, without processes (a recording runtime stands in)."""

from __future__ import annotations

import json

import pytest

from apexops.errors import ConflictError, InvalidRequestError, NotFoundError, TrafficError
from apexops.sandbox.controlplane import ControlPlane, LiveStatus
from apexops.sandbox.images import ImageCatalogue

SERVER, REPO = "apexacr.sandbox.local", "apex-backend"


class RecordingRuntime:
    """Records what the control plane asks for and reports every kept replica as ready."""

    def __init__(self) -> None:
        self.ensured: list[tuple[str, bool, int]] = []
        self.restarted: list[str] = []
        self.desired: dict[str, int] = {}

    def ensure(self, revision) -> None:
        self.ensured.append((revision.name, revision.active, revision.min_replicas))
        self.desired[revision.name] = revision.min_replicas if revision.active else 0

    def restart(self, name: str) -> None:
        self.restarted.append(name)

    def live(self, name: str) -> LiveStatus:
        n = self.desired.get(name, 0)
        return LiveStatus(replicas=n, ready=n, desired=n)

    def replicas(self, name: str) -> list[dict]:
        return []


@pytest.fixture
def cp(tmp_path):
    images = ImageCatalogue(tmp_path, SERVER, REPO)
    plane = ControlPlane(
        tmp_path / "state.json",
        app_name="apex-backend-local",
        resource_group="rg",
        resolve_image=lambda image: images.resolve(image).image,
        runtime=RecordingRuntime(),
        clock=iter(range(1_700_000_000, 1_800_000_000)).__next__,
    )
    plane.create_app(
        dict(
            image=f"{SERVER}/{REPO}:v1.2.2",
            env={"A": "1"},
            cpu=0.5,
            memory="1Gi",
            min_replicas=1,
            max_replicas=2,
            revision_suffix="v1-2-2",
        )
    )
    plane.provisioned("apex-backend-local--v1-2-2", True)
    return plane


def snapshot(cp: ControlPlane) -> str:
    return json.dumps([cp.list_revisions(), cp.get_traffic()], sort_keys=True, default=str)


def test_create_app_gives_one_revision_at_100(cp):
    revs = cp.list_revisions()
    assert [r["name"] for r in revs] == ["apex-backend-local--v1-2-2"]
    assert revs[0]["traffic_weight"] == 100 and revs[0]["health_state"] == "Healthy"
    assert cp.get_traffic() == [{"revisionName": "apex-backend-local--v1-2-2", "weight": 100}]
    assert cp.show()["active_revisions_mode"] == "Multiple"


def test_update_creates_new_immutable_revision_without_traffic(cp):
    app = cp.update({"image": f"{SERVER}/{REPO}:v1.2.3", "env": {"B": "2"}})
    new = app["latest_revision_name"]
    assert new.startswith("apex-backend-local--") and new != "apex-backend-local--v1-2-2"
    rev = cp.get_revision(new)
    assert rev["provisioning_state"] == "Provisioning" and rev["traffic_weight"] == 0
    assert rev["template"]["env"] == {"A": "1", "B": "2"}  # merged like --set-env-vars
    assert cp.get_revision("apex-backend-local--v1-2-2")["template"]["env"] == {"A": "1"}  # immutable
    assert app["latest_ready_revision_name"] == "apex-backend-local--v1-2-2"
    assert cp.runtime.ensured[-1] == (new, True, 1)


def test_identical_template_creates_no_revision(cp):
    cp.update({"image": f"{SERVER}/{REPO}:v1.2.2"})
    assert len(cp.list_revisions()) == 1


def test_state_survives_a_new_control_plane(cp, tmp_path):
    cp.update({"image": f"{SERVER}/{REPO}:v1.2.3", "revision_suffix": "green"})
    again = ControlPlane(
        tmp_path / "state.json", app_name="ignored", resource_group="x", resolve_image=lambda i: i
    )
    assert [r["name"] for r in again.list_revisions()] == [
        "apex-backend-local--v1-2-2",
        "apex-backend-local--green",
    ]
    assert again.get_traffic() == cp.get_traffic()


@pytest.mark.parametrize(
    ("weights", "needle"),
    [
        ([("apex-backend-local--v1-2-2", 90)], "sum to 90"),
        ([("apex-backend-local--v1-2-2", 90), ("apex-backend-local--nope", 10)], "does not exist"),
        ([("apex-backend-local--v1-2-2", 100), ("apex-backend-local--v1-2-2", 0)], "twice"),
        ([("apex-backend-local--v1-2-2", 110), ("apex-backend-local--green", -10)], "from 0 to 100"),
        ([("apex-backend-local--v1-2-2", 99.5), ("apex-backend-local--green", 0.5)], "integer"),
        ([], "empty"),
    ],
)
def test_bad_traffic_lists_are_refused_and_change_nothing(cp, weights, needle):
    cp.update({"image": f"{SERVER}/{REPO}:v1.2.3", "revision_suffix": "green"})
    before = snapshot(cp)
    with pytest.raises(TrafficError) as err:
        cp.set_traffic([{"revisionName": n, "weight": w} for n, w in weights])
    assert needle in str(err.value) and "\n" not in str(err.value) and err.value.hint
    assert snapshot(cp) == before


def test_weight_to_inactive_revision_is_refused(cp):
    cp.update({"image": f"{SERVER}/{REPO}:v1.2.3", "revision_suffix": "green"})
    cp.deactivate("apex-backend-local--green")
    before = snapshot(cp)
    with pytest.raises(TrafficError, match="inactive"):
        cp.set_traffic(
            [
                {"revisionName": "apex-backend-local--v1-2-2", "weight": 90},
                {"revisionName": "apex-backend-local--green", "weight": 10},
            ]
        )
    assert snapshot(cp) == before
    # weight 0 to an inactive revision is allowed (Azure keeps such entries)
    cp.set_traffic(
        [
            {"revisionName": "apex-backend-local--v1-2-2", "weight": 100},
            {"revisionName": "apex-backend-local--green", "weight": 0},
        ]
    )


def test_deactivating_a_revision_with_weight_is_refused(cp):
    with pytest.raises(TrafficError, match="still receives 100%"):
        cp.deactivate("apex-backend-local--v1-2-2")
    assert cp.get_revision("apex-backend-local--v1-2-2")["active"] is True


def test_unknown_image_tag_is_not_found_before_anything_changes(cp):
    before = snapshot(cp)
    with pytest.raises(NotFoundError) as err:
        cp.update({"image": f"{SERVER}/{REPO}:v9.9.9"})
    assert "v9.9.9" in str(err.value) and "v1.2.3" in err.value.hint
    assert snapshot(cp) == before


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"min_replicas": -1}, "min_replicas must be 0 or more"),
        ({"max_replicas": -2}, "max_replicas must be 0 or more"),
        ({"min_replicas": 3, "max_replicas": 2}, "above max_replicas"),
        ({"cpu": 0.5, "memory": "2Gi"}, "not a valid Container Apps combination"),
        ({"env": {"CONTAINER_APP_NAME": "x"}}, "set by the platform"),
        ({"revision_suffix": "Bad--Suffix"}, "revision_suffix"),
        ({}, "changes nothing"),
    ],
)
def test_bad_updates_are_one_line_errors_and_change_nothing(cp, change, needle):
    before = snapshot(cp)
    with pytest.raises(InvalidRequestError) as err:
        cp.update(change)
    assert needle in str(err.value) and "\n" not in str(err.value)
    assert snapshot(cp) == before


def test_duplicate_suffix_conflicts(cp):
    with pytest.raises(ConflictError, match="already exists"):
        cp.update({"image": f"{SERVER}/{REPO}:v1.2.3", "revision_suffix": "v1-2-2"})


def test_scale_and_activation_reach_the_runtime(cp):
    name = "apex-backend-local--v1-2-2"
    rev = cp.scale(name, 0)
    assert rev["scale"] == {"min_replicas": 0, "max_replicas": 2}
    assert cp.runtime.ensured[-1] == (name, True, 0)
    with pytest.raises(InvalidRequestError, match="0 or more"):
        cp.scale(name, -1)
    cp.scale(name, 1)
    assert cp.get_revision(name)["replicas"] == 1
    cp.update({"image": f"{SERVER}/{REPO}:v1.2.3", "revision_suffix": "green"})
    cp.deactivate("apex-backend-local--green")
    assert cp.get_revision("apex-backend-local--green")["running_state"] == "Stopped"
    with pytest.raises(ConflictError):
        cp.restart_revision("apex-backend-local--green")
    cp.activate("apex-backend-local--green")
    cp.restart_revision("apex-backend-local--green")
    assert cp.runtime.restarted == ["apex-backend-local--green"]


def test_latest_revision_entry_follows_the_latest_ready_revision(cp):
    cp.set_traffic([{"latestRevision": True, "weight": 100}])
    assert cp.effective_weights() == {"apex-backend-local--v1-2-2": 100}
    cp.update({"image": f"{SERVER}/{REPO}:v1.2.3", "revision_suffix": "green"})
    assert cp.effective_weights() == {"apex-backend-local--v1-2-2": 100}  # not ready yet: no switch
    cp.provisioned("apex-backend-local--green", True)
    assert cp.effective_weights() == {"apex-backend-local--green": 100}


def test_failed_provisioning_is_reported_with_its_reason(cp):
    cp.update({"image": f"{SERVER}/{REPO}:v1.2.4-crash", "revision_suffix": "bad"})
    cp.provisioned("apex-backend-local--bad", False, "replica crashed 3 times")
    rev = cp.get_revision("apex-backend-local--bad")
    assert (rev["provisioning_state"], rev["health_state"], rev["running_state"]) == (
        "Failed",
        "Unhealthy",
        "Failed",
    )
    assert rev["provisioning_error"] == "replica crashed 3 times"
