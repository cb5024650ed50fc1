"""Pure parts of procedure 30: plan (diff, idempotency, az command), snapshot redaction, phases, watch."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from apexops.deploy.image import validate_tag
from apexops.deploy.plan import desired_update, plan_deploy, resolve_env, revision_suffix_for
from apexops.deploy.secrets import redact_mapping
from apexops.deploy.snapshot import take_snapshot
from apexops.deploy.troubleshoot import registry_rows, startup_errors
from apexops.deploy.watch import phase_of, watch_revision
from apexops.errors import ConfigError, ConflictError
from apexops.models import AppState, AppTemplate, LogLine, Replica, Revision, TrafficWeight
from apexops.redact import HIDDEN, looks_secret
from apexops.settings import load_settings
from apexops.tokens import AccessToken

NOW = datetime(2024, 3, 19, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def local():
    return load_settings("local")


@pytest.fixture(scope="module")
def prod():
    return load_settings("prod")


def _template(settings, tag, **over):
    env = dict(settings.app.env)
    env["APP_VERSION"] = tag
    t = AppTemplate(
        image=settings.image(tag),
        env=env,
        cpu=settings.app.cpu,
        memory=settings.app.memory,
        min_replicas=settings.app.min_replicas,
        max_replicas=settings.app.max_replicas,
    )
    return AppTemplate(**{**t.__dict__, **over})


def _revision(
    name,
    image,
    *,
    weight=0,
    health="Healthy",
    active=True,
    replicas=1,
    prov="Provisioned",
    running="Running",
    error=None,
):
    return Revision(
        name=name,
        active=active,
        traffic_weight=weight,
        replicas=replicas,
        provisioning_state=prov,
        health_state=health,
        running_state=running,
        created_time=NOW,
        fqdn="",
        url="",
        image=image,
        provisioning_error=error,
    )


def _state(settings, template, latest, traffic, raw=None):
    return AppState(
        name=settings.app.name,
        resource_group=settings.azure.resource_group,
        url="http://x",
        active_revisions_mode="Multiple",
        provisioning_state="Succeeded",
        running_status="Running",
        latest_revision_name=latest,
        latest_ready_revision_name=latest,
        template=template,
        traffic=tuple(traffic),
        raw=raw or {},
    )


# --------------------------------------------------------------------------- env references, tags


def test_env_references_resolve_from_the_operators_environment():
    env = {"A": "plain", "B": "${env:TENANT}", "C": "x-${env:TENANT}-y"}
    assert resolve_env(env, {"TENANT": "t1"}) == {"A": "plain", "B": "t1", "C": "x-t1-y"}
    with pytest.raises(ConfigError, match=r"app.env.B refers to \$\{env:TENANT\}.*HINT: export TENANT"):
        resolve_env(env, {})


def test_desired_update_sets_app_version_from_the_tag(prod):
    update = desired_update(
        prod,
        prod.image("v1.2.3"),
        "v1.2.3",
        environ={"AZURE_AD_TENANT_ID": "tid", "AZURE_AD_CLIENT_ID": "cid"},
    )
    assert update.image == "apexacr.azurecr.io/apex-backend:v1.2.3"
    assert update.env["APP_VERSION"] == "v1.2.3"
    assert update.env["AZURE_AD_CLIENT_ID"] == "cid"
    assert (update.cpu, update.memory, update.min_replicas, update.max_replicas) == (2.0, "4Gi", 2, 10)


@pytest.mark.parametrize("bad", ["", " ", "v1.2.3 rm -rf", "-v1", "a" * 200, "v1:2"])
def test_invalid_tags_name_the_parameter(bad):
    with pytest.raises(ConfigError, match="image_tag"):
        validate_tag(bad)


def test_revision_suffix_is_aca_safe():
    suffix = revision_suffix_for("V1.2.3_Hotfix+Build.7", NOW)
    assert suffix == "v1-2-3-hotfix-build-0319120000"  # the tag part is cut at 20 characters
    assert len(f"apex-backend-local--{suffix}") <= 54


# --------------------------------------------------------------------------- plan


def test_plan_for_a_new_tag_shows_the_diff_and_the_az_command(local):
    current = _template(local, "v1.2.2")
    state = _state(
        local, current, "apex-backend-local--base", [TrafficWeight("apex-backend-local--base", 100)]
    )
    revisions = [_revision("apex-backend-local--base", local.image("v1.2.2"), weight=100)]
    update = desired_update(local, local.image("v1.2.3"), "v1.2.3", environ={})
    plan = plan_deploy(local, state, revisions, update, tag="v1.2.3", now=NOW)
    assert plan.action == "create" and not plan.forced
    changed = {r.setting: (r.current, r.requested) for r in plan.changes}
    assert changed == {
        "image": ("apexacr.sandbox.local/apex-backend:v1.2.2", "apexacr.sandbox.local/apex-backend:v1.2.3"),
        "env APP_VERSION": ("v1.2.2", "v1.2.3"),
    }
    assert "no traffic" in plan.reason
    assert plan.az_command.startswith("az containerapp update \\\n  --name apex-backend-local")
    assert "--image apexacr.sandbox.local/apex-backend:v1.2.3" in plan.az_command
    assert "APP_VERSION=v1.2.3" in plan.az_command and "--min-replicas 1" in plan.az_command
    assert plan.base_latest_revision == "apex-backend-local--base"


def test_rerunning_with_the_same_image_and_config_does_nothing_and_says_what_exists(local):
    current = _template(local, "v1.2.3")
    traffic = [TrafficWeight("apex-backend-local--base", 100)]
    state = _state(local, current, "apex-backend-local--v123abc", traffic)
    revisions = [
        _revision("apex-backend-local--base", local.image("v1.2.2"), weight=100),
        _revision("apex-backend-local--v123abc", local.image("v1.2.3")),
    ]
    update = desired_update(local, local.image("v1.2.3"), "v1.2.3", environ={})
    plan = plan_deploy(local, state, revisions, update, tag="v1.2.3", now=NOW)
    assert plan.action == "none" and plan.existing == "apex-backend-local--v123abc"
    assert plan.changes == []
    assert plan.reason.startswith(
        "revision apex-backend-local--v123abc already runs image v1.2.3 "
        "(Healthy, 0% traffic, 1 replica(s), active)"
    )
    assert "Nothing will be done" in plan.reason
    forced = plan_deploy(local, state, revisions, update, tag="v1.2.3", force_new_revision=True, now=NOW)
    assert forced.action == "create" and forced.forced
    assert forced.update.revision_suffix == "v1-2-3-0319120000"
    assert "--revision-suffix v1-2-3-0319120000" in forced.az_command


def test_unhealthy_existing_revision_is_called_out(local):
    current = _template(local, "v1.2.4-notready")
    state = _state(
        local, current, "apex-backend-local--bad", [TrafficWeight("apex-backend-local--base", 100)]
    )
    revisions = [_revision("apex-backend-local--bad", local.image("v1.2.4-notready"), health="Unhealthy")]
    update = desired_update(local, local.image("v1.2.4-notready"), "v1.2.4-notready", environ={})
    plan = plan_deploy(local, state, revisions, update, tag="v1.2.4-notready", now=NOW)
    assert plan.action == "none" and "It is Unhealthy" in plan.reason


def test_earlier_revisions_with_the_same_image_are_mentioned(local):
    state = _state(
        local,
        _template(local, "v1.2.2"),
        "apex-backend-local--base",
        [TrafficWeight("apex-backend-local--base", 100)],
    )
    revisions = [
        _revision("apex-backend-local--old123", local.image("v1.2.3"), active=False, health="None"),
        _revision("apex-backend-local--base", local.image("v1.2.2"), weight=100),
    ]
    update = desired_update(local, local.image("v1.2.3"), "v1.2.3", environ={})
    plan = plan_deploy(local, state, revisions, update, tag="v1.2.3", now=NOW)
    assert plan.action == "create"
    assert "Earlier revision(s) with this image: apex-backend-local--old123 (None, inactive)" in plan.reason


def test_traffic_following_the_latest_revision_is_refused_before_anything_changes(local):
    state = _state(
        local,
        _template(local, "v1.2.2"),
        "apex-backend-local--base",
        [TrafficWeight("", 100, latest_revision=True)],
    )
    update = desired_update(local, local.image("v1.2.3"), "v1.2.3", environ={})
    with pytest.raises(ConflictError, match=r"follows the latest revision.*HINT: pin traffic"):
        plan_deploy(local, state, [], update, tag="v1.2.3", now=NOW)


def test_secret_looking_env_values_never_reach_the_plan(local):
    secret = "s3cr3t-value-that-must-not-print"
    current = _template(local, "v1.2.2")
    state = _state(
        local, current, "apex-backend-local--base", [TrafficWeight("apex-backend-local--base", 100)]
    )
    update = desired_update(local, local.image("v1.2.3"), "v1.2.3", environ={})
    update = type(update)(
        **{**update.__dict__, "env": {**update.env, "AZURE_OPENAI_API_KEY": secret, "DB_PASSWORD": secret}}
    )
    plan = plan_deploy(local, state, [], update, tag="v1.2.3", now=NOW)
    text = json.dumps(plan.table()) + plan.az_command + plan.reason
    assert secret not in text
    assert (
        f"AZURE_OPENAI_API_KEY={HIDDEN}" in plan.az_command
        or "AZURE_OPENAI_API_KEY='<hidden>'" in plan.az_command
    )
    assert {r["requested"] for r in plan.table() if "PASSWORD" in r["setting"]} == {HIDDEN}
    # the update itself still carries the real value (it is what gets applied)
    assert plan.update.env["DB_PASSWORD"] == secret


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("AZURE_OPENAI_KEY", True),
        ("AZURE_CLIENT_SECRET", True),
        ("APPLICATIONINSIGHTS_CONNECTION_STRING", True),
        ("STORAGE_SAS", True),
        ("AZURE_AD_CLIENT_ID", False),
        ("APEX_AUTH_KEY_FILE", False),
        ("APP_VERSION", False),
        ("AZURE_STORAGE_ACCOUNT", False),
        ("KANSAS_CITY", False),
    ],
)
def test_secret_names(name, secret):
    assert looks_secret(name) is secret


# --------------------------------------------------------------------------- snapshot


def test_snapshot_saves_the_configuration_without_secrets(local, tmp_path):
    token = AccessToken("eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2VjcmV0LXNpZ25hdHVyZQ")
    raw = {
        "properties": {
            "configuration": {
                "secrets": [{"name": "db-conn", "value": "Server=x;Password=hunter2"}],
                "registries": [
                    {
                        "server": "apexacr.azurecr.io",
                        "username": "apexacr",
                        "passwordSecretRef": "acr-password",
                    }
                ],
            },
            "template": {
                "containers": [
                    {
                        "env": [
                            {"name": "DB_PASSWORD", "value": "hunter2"},
                            {"name": "DB_CONN", "secretRef": "db-conn"},
                            {
                                "name": "NOTE",
                                "value": f"token {token.authorization_header()['Authorization'][7:]}",
                            },
                            {"name": "LOG_LEVEL", "value": "INFO"},
                        ]
                    }
                ]
            },
        }
    }
    state = _state(
        local,
        _template(local, "v1.2.2"),
        "apex-backend-local--base",
        [TrafficWeight("apex-backend-local--base", 100)],
        raw=raw,
    )
    revisions = [
        _revision("apex-backend-local--base", local.image("v1.2.2"), weight=100),
        _revision("apex-backend-local--old", local.image("v1.2.1"), active=False, health="None"),
    ]
    snap = take_snapshot(state, revisions, tmp_path / "evidence")
    text = snap.path.read_text()
    assert "hunter2" not in text and token.authorization_header()["Authorization"][7:] not in text
    doc = json.loads(text)
    assert doc["latestRevisionName"] == "apex-backend-local--base"
    env = {e["name"]: e for e in doc["containerapp"]["properties"]["template"]["containers"][0]["env"]}
    assert env["LOG_LEVEL"]["value"] == "INFO" and env["DB_CONN"]["secretRef"] == "db-conn"
    assert env["DB_PASSWORD"]["value"] == HIDDEN
    assert doc["containerapp"]["properties"]["configuration"]["secrets"][0]["value"] == HIDDEN
    assert snap.active_revisions == ("apex-backend-local--base",)
    assert snap.facts()["old_revisions"] == ["apex-backend-local--base"]
    assert snap.facts()["old_traffic"] == {"apex-backend-local--base": 100}


def test_redact_mapping_keeps_structure():
    assert redact_mapping({"a": [1, {"password": "x"}], "b": None}) == {
        "a": [1, {"password": HIDDEN}],
        "b": None,
    }


# --------------------------------------------------------------------------- troubleshooting helpers


def test_startup_errors_and_registry_rows():
    lines = [
        LogLine(NOW, "r", "r-1", "stdout", "INFO", "Uvicorn running"),
        LogLine(NOW, "r", "r-1", "stderr", "ERROR", "Application startup failed: AZURE_X is not set"),
        LogLine(NOW, "r", "r-1", "stderr", "INFO", "Traceback (most recent call last):"),
    ]
    assert [e.message for e in startup_errors(lines)] == [
        "Application startup failed: AZURE_X is not set",
        "Traceback (most recent call last):",
    ]
    rows = registry_rows(
        [{"server": "apexacr.azurecr.io", "username": "u", "password": "p", "identity": "system"}]
    )
    assert rows == [
        {"server": "apexacr.azurecr.io", "username": "u", "password": HIDDEN, "identity": "system"}
    ]


# --------------------------------------------------------------------------- phases and the watch


def _replica(restarts=0):
    return Replica("r-1", "rev", "Running", NOW, restarts, True)


@pytest.mark.parametrize(
    ("rev", "replicas", "phase"),
    [
        (dict(prov="Provisioning", health="None", running="Processing", replicas=0), [], "provisioning"),
        (dict(prov="Provisioned", health="Unhealthy", running="Degraded"), [_replica()], "running"),
        (dict(prov="Provisioned", health="Healthy"), [_replica()], "healthy"),
        (dict(prov="Provisioned", health="Healthy", replicas=1), [_replica()], "healthy"),
        (dict(prov="Failed", health="Unhealthy", running="Failed", error="exited with code 1"), [], "failed"),
        (dict(prov="Provisioned", health="Unhealthy", running="Degraded"), [_replica(restarts=3)], "failed"),
    ],
)
def test_phase_rules(rev, replicas, phase):
    got, _ = phase_of(_revision("rev", "img", **rev), replicas, min_replicas=1, crash_restarts=2)
    assert got == phase


def test_healthy_needs_the_minimum_replicas():
    got, why = phase_of(_revision("rev", "img", replicas=1), [_replica()], min_replicas=2, crash_restarts=2)
    assert got == "running" and why == "1 of at least 2 replica(s)"


class _Scripted:
    """A scripted sequence of revision observations: the watch's input, no processes involved."""

    def __init__(self, states):
        self.states = list(states)
        self.calls = 0

    def get_revision(self, name):
        state = self.states[min(self.calls, len(self.states) - 1)]
        self.calls += 1
        return _revision(name, "img", **state)

    def list_replicas(self, name):
        return [_replica()]


class _Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, s):
        self.t += s


def test_watch_reports_each_change_once_and_ends_healthy_without_sleeping():
    app = _Scripted(
        [
            dict(prov="Provisioning", health="None", running="Processing", replicas=0),
            dict(prov="Provisioning", health="None", running="Processing", replicas=0),
            dict(prov="Provisioned", health="None", running="Processing", replicas=1),
            dict(prov="Provisioned", health="Healthy", running="Running", replicas=1),
        ]
    )
    clock = _Clock()
    seen = []
    result = watch_revision(
        app,
        "rev",
        min_replicas=1,
        timeout_s=30,
        poll_s=2,
        clock=clock,
        sleep=clock.sleep,
        on_status=lambda cur, hist: seen.append((cur.phase, len(hist))),
    )
    assert result.outcome == "healthy" and result.ok
    assert [s.phase for s in result.history] == ["provisioning", "running", "healthy"]
    assert [s.elapsed_s for s in result.history] == [0.0, 4.0, 6.0]
    assert seen == [("provisioning", 1), ("provisioning", 1), ("running", 2), ("healthy", 3)]
    assert "Healthy with 1 replica(s) after 6 s" in result.reason


def test_watch_times_out_on_a_revision_that_never_gets_ready():
    app = _Scripted([dict(prov="Provisioned", health="Unhealthy", running="Degraded")])
    clock = _Clock()
    result = watch_revision(app, "rev", min_replicas=1, timeout_s=5, poll_s=2, clock=clock, sleep=clock.sleep)
    assert result.outcome == "timed_out"
    assert result.elapsed_s == 5.0
    assert "not healthy after 5 s (last: running, health Unhealthy)" in result.reason


def test_watch_stops_early_on_failure():
    app = _Scripted(
        [
            dict(prov="Provisioning", health="None", running="Processing", replicas=0),
            dict(prov="Failed", health="Unhealthy", running="Failed", error="container exited with code 1"),
        ]
    )
    clock = _Clock()
    result = watch_revision(
        app, "rev", min_replicas=1, timeout_s=600, poll_s=1, clock=clock, sleep=clock.sleep
    )
    assert result.outcome == "failed" and clock.t == 1.0
    assert result.reason == "rev failed: container exited with code 1"
