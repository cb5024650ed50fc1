"""The running sandbox end to end (real processes): revisions, weighted ingress, telemetry, adapters."""

from __future__ import annotations

import os
import signal
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text

from apexops.errors import InvalidRequestError, NotFoundError, TrafficError
from apexops.models import AppUpdate, TrafficWeight
from apexops.sandbox.deployments import baseline_template

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def names(sandbox):
    """(baseline, second): the seeded revision and a healthy v1.2.3 revision created once for the module."""
    settings, env = sandbox
    base = f"{settings.app.name}--v1-2-2"
    state = env.app.update(AppUpdate(image=settings.image("v1.2.3"), revision_suffix="second"))
    return base, state.latest_revision_name


@pytest.fixture
def restore_traffic(sandbox, names):
    yield
    sandbox[1].app.set_traffic([TrafficWeight(names[0], 100)])


def now() -> datetime:
    return datetime.now(UTC)


def test_baseline_release_is_seeded(sandbox):
    settings, env = sandbox
    base = f"{settings.app.name}--v1-2-2"
    app = env.app.show()
    assert app.active_revisions_mode == "Multiple" and app.url.startswith("http://127.0.0.1:")
    assert app.traffic == (TrafficWeight(base, 100),)
    rev = env.app.get_revision(base)
    assert (rev.provisioning_state, rev.health_state, rev.running_state) == (
        "Provisioned",
        "Healthy",
        "Running",
    )
    assert rev.replicas == settings.app.min_replicas and rev.image == settings.image("v1.2.2")
    with env.database.engine().connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
    assert env.database.info().dialect == "sqlite"
    r = httpx.get(f"{app.url}/health/ready")
    assert r.status_code == 200 and r.headers["x-apex-revision"] == base
    assert len(env.deployments.list_resources()) == len(settings.expected_resources)
    assert env.registry.get_tag("apex-backend", "v1.2.3").image == settings.image("v1.2.3")
    with pytest.raises(NotFoundError):
        env.registry.get_tag("apex-backend", "v0.0.1")
    assert env.identity.whoami().kind == "sandbox"
    assert env.identity.api_token(settings.api_audience).audience == settings.api_audience


def test_split_90_10_is_observed_in_telemetry_and_shifted_back(
    sandbox, names, control, auth, helpers, restore_traffic
):
    _settings, env = sandbox
    base, second = names
    assert helpers.wait_provisioned(env, second).health_state == "Healthy"
    assert env.app.get_revision(second).traffic_weight == 0  # a new revision gets no traffic by itself
    written = env.app.set_traffic([TrafficWeight(base, 90), TrafficWeight(second, 10)])
    assert written == [TrafficWeight(base, 90), TrafficWeight(second, 10)]
    since = now()
    responses = helpers.burst(env.app.show().url, 600, auth)
    served = Counter(r.headers["x-apex-revision"] for r in responses)
    assert {r.status_code for r in responses} == {200}
    assert helpers.within_binomial(served[second], 600, 0.10), served
    control.call("flush_telemetry")
    stats = env.telemetry.request_stats(since, now(), revisions=[base, second])
    assert (stats[base].requests, stats[second].requests) == (served[base], served[second])
    assert stats[second].errors_5xx == 0 and stats[second].p95_ms is not None

    env.app.set_traffic([TrafficWeight(base, 100), TrafficWeight(second, 0)])
    back = helpers.burst(env.app.show().url, 100, auth)
    assert {r.headers["x-apex-revision"] for r in back} == {base}


def test_revision_url_bypasses_the_split(sandbox, names, control, auth, helpers):
    _settings, env = sandbox
    _base, second = names
    helpers.wait_provisioned(env, second)
    assert env.app.get_revision(second).traffic_weight == 0
    url = env.app.get_revision(second).url
    assert url and url != env.app.show().url
    since = now()
    responses = helpers.burst(url, 40, auth)
    assert {r.headers["x-apex-revision"] for r in responses} == {second}
    control.call("flush_telemetry")
    assert env.telemetry.request_stats(since, now(), revisions=[second])[second].requests == 40
    buckets = env.telemetry.request_buckets(since, now(), bucket_s=0.5, revisions=[second])
    assert sum(b.requests for b in buckets) == 40 and all(b.revision == second for b in buckets)


def test_deactivate_scale_to_zero_and_back(sandbox, names, auth, helpers):
    _settings, env = sandbox
    base, second = names
    helpers.wait_provisioned(env, second)
    rev = env.app.scale_revision(second, 0)
    helpers.wait_for(lambda: env.app.get_revision(second).replicas == 0, 15, "scale to zero")
    assert env.app.list_replicas(second) == []
    # a request to a revision scaled to zero starts a replica (cold start) and is served
    r = httpx.get(f"{rev.url}/api/v1/projects/", headers=auth, timeout=60)
    assert r.status_code == 200 and r.headers["x-apex-revision"] == second
    assert env.app.get_revision(second).replicas == 1
    helpers.wait_for(lambda: env.app.get_revision(second).replicas == 0, 15, "idle scale-in back to zero")
    env.app.scale_revision(second, 1)
    back = helpers.wait_for(
        lambda: (x := env.app.get_revision(second)).health_state == "Healthy" and x,
        30,
        "scale back to one healthy replica",
    )
    assert back.replicas == 1

    env.app.deactivate_revision(second)
    off = env.app.get_revision(second)
    assert (off.active, off.running_state, off.replicas, off.health_state) == (False, "Stopped", 0, "None")
    assert httpx.get(f"{off.url}/health/live").status_code == 404  # an inactive revision's URL serves nothing
    with pytest.raises(TrafficError, match="inactive"):
        env.app.set_traffic([TrafficWeight(base, 90), TrafficWeight(second, 10)])
    env.app.activate_revision(second)
    assert helpers.wait_for(
        lambda: env.app.get_revision(second).health_state == "Healthy", 30, "reactivation"
    )


def test_killed_replica_is_restarted_with_its_restart_count(sandbox, names, control, auth, helpers):
    _settings, env = sandbox
    base, _ = names
    before = control.call("list_replicas", revision=base)[0]
    os.kill(before["pid"], signal.SIGKILL)
    after = helpers.wait_for(
        lambda: next(
            (
                r
                for r in control.call("list_replicas", revision=base)
                if r["restart_count"] == 1 and r["ready"]
            ),
            None,
        ),
        30,
        "the replica to restart",
    )
    assert after["name"] == before["name"] and after["pid"] != before["pid"]
    assert after["last_exit_code"] == -signal.SIGKILL
    assert [r.restart_count for r in env.app.list_replicas(base)] == [1]
    helpers.wait_for(lambda: env.app.get_revision(base).health_state == "Healthy", 10, "healthy again")
    assert httpx.get(f"{env.app.show().url}/api/v1/projects/", headers=auth).status_code == 200
    control.call("flush_telemetry")
    system = [line.message for line in env.telemetry.console_logs(base, tail=50) if line.stream == "system"]
    assert any("exited with code -9" in m for m in system)


def test_bad_inputs_are_one_line_errors_that_change_nothing(sandbox, names):
    settings, env = sandbox
    base, second = names

    def snapshot():
        return (
            [(r.name, r.active, r.traffic_weight, r.template.min_replicas) for r in env.app.list_revisions()],
            env.app.get_traffic(),
        )

    before = snapshot()
    cases = [
        (TrafficError, "sum to 90", lambda: env.app.set_traffic([TrafficWeight(base, 90)])),
        (
            TrafficError,
            "does not exist",
            lambda: env.app.set_traffic(
                [TrafficWeight(base, 50), TrafficWeight(f"{settings.app.name}--x", 50)]
            ),
        ),
        (TrafficError, "still receives", lambda: env.app.deactivate_revision(base)),
        (NotFoundError, "v9.9.9", lambda: env.app.update(AppUpdate(image=settings.image("v9.9.9")))),
        (
            InvalidRequestError,
            "min_replicas must be 0 or more",
            lambda: env.app.update(AppUpdate(min_replicas=-1)),
        ),
        (InvalidRequestError, "0 or more", lambda: env.app.scale_revision(second, -3)),
        (NotFoundError, "does not exist", lambda: env.app.get_revision(f"{settings.app.name}--nope")),
    ]
    for cls, needle, call in cases:
        with pytest.raises(cls) as err:
            call()
        message = str(err.value)
        assert needle in message and "\n" not in message and "HINT:" in message, message
    assert snapshot() == before


def test_exec_runs_in_a_replica_environment(sandbox, names):
    settings, env = sandbox
    base, _ = names
    code = "import os; print(os.environ['CONTAINER_APP_REVISION'], os.environ['APEX_DATABASE_URL'])"
    result = env.app.exec(base, ["python", "-c", code])
    assert result.exit_code == 0 and result.revision == base and result.replica.startswith(base)
    assert result.output.split() == [base, settings.sandbox_database_url()]
    assert env.app.exec(base, ["python", "-c", "import sys; sys.exit(3)"]).exit_code == 3
    assert env.app.exec(base, ["no-such-command-xyz"]).exit_code == 127


def test_restart_revision_replaces_its_replicas(sandbox, names, helpers, auth):
    _settings, env = sandbox
    base, _ = names
    old = {r.name for r in env.app.list_replicas(base)}
    env.app.restart_revision(base)
    helpers.wait_for(
        lambda: (
            (reps := env.app.list_replicas(base))
            and not old & {r.name for r in reps}
            and all(r.ready for r in reps)
        ),
        30,
        "new replicas",
    )
    assert env.app.get_revision(base).health_state == "Healthy"
    assert httpx.get(f"{env.app.show().url}/api/v1/projects/", headers=auth).status_code == 200


def test_fault_profiles_show_their_declared_effects(sandbox, control, auth, helpers, tmp_path):
    settings, env = sandbox
    from apexops.sandbox.images import ImageCatalogue

    fault_file = tmp_path / "faults.yaml"
    fault_file.write_text("tags:\n  v1.2.5-ramp:\n    error_rate: 0.8\n    degrade_s: 6\n")
    ImageCatalogue(settings.sandbox_home(), settings.registry.server).add_from_file(fault_file)
    tags = [
        "v1.2.4-errors10",
        "v1.2.4-errors2",
        "v1.2.4-slow",
        "v1.2.4-crash",
        "v1.2.4-notready",
        "v1.2.4-slowstart",
        "v1.2.4-crashloop",
        "v1.2.5-ramp",
    ]
    created, revs = {}, {}
    for tag in tags:
        created[tag] = now()
        revs[tag] = env.app.update(
            AppUpdate(image=settings.image(tag), revision_suffix=tag.replace(".", "-"))
        ).latest_revision_name
    try:
        # crash at start: Failed quickly with the container's own error line
        crash = helpers.wait_provisioned(env, revs["v1.2.4-crash"])
        assert crash.provisioning_state == "Failed" and crash.health_state == "Unhealthy"
        assert "AZURE_OPENAI_DEPLOYMENT_VERSION" in crash.provisioning_error

        ramp = helpers.wait_provisioned(env, revs["v1.2.5-ramp"])
        early = helpers.burst(ramp.url, 200, auth, concurrency=32)
        # 10% errors, measured through telemetry
        e10 = helpers.wait_provisioned(env, revs["v1.2.4-errors10"])
        since = now()
        responses = helpers.burst(e10.url, 600, auth, concurrency=32)
        k = sum(r.status_code == 500 for r in responses)
        assert helpers.within_binomial(k, 600, 0.10), k
        control.call("flush_telemetry")
        stats = env.telemetry.request_stats(since, now(), revisions=[e10.name])[e10.name]
        assert (stats.requests, stats.errors_5xx) == (600, k)
        excs = [x for x in env.telemetry.exceptions(since, now(), limit=1000) if x.revision == e10.name]
        assert len(excs) == k and {x.type for x in excs} == {"DatabaseTimeoutError"}
        assert env.telemetry.console_logs(e10.name, tail=5, level="ERROR")

        e2 = helpers.wait_provisioned(env, revs["v1.2.4-errors2"])
        k2 = sum(r.status_code == 500 for r in helpers.burst(e2.url, 1000, auth, concurrency=32))
        assert k2 > 0 and helpers.within_binomial(k2, 1000, 0.02), k2

        # 20% of requests 2.5 s slower: telemetry's slow count matches what the client saw
        slow = helpers.wait_provisioned(env, revs["v1.2.4-slow"])
        since = now()
        responses = helpers.burst(slow.url, 60, auth, concurrency=60)
        slow_seen = sum(r.elapsed.total_seconds() >= 2.0 for r in responses)
        assert helpers.within_binomial(slow_seen, 60, 0.20), slow_seen
        control.call("flush_telemetry")
        assert env.telemetry.request_stats(since, now(), revisions=[slow.name])[slow.name].slow == slow_seen
        assert env.telemetry.slowest_requests(since, now(), top=1)[0].duration_ms >= 2500

        # readiness failing: Unhealthy/Failed after the timeout, with the probe's answer as the reason
        notready = helpers.wait_provisioned(env, revs["v1.2.4-notready"])
        assert notready.provisioning_state == "Failed" and "HTTP 503" in notready.provisioning_error

        # slow start: healthy, but not before its declared 5 s
        slowstart = helpers.wait_provisioned(env, revs["v1.2.4-slowstart"])
        assert (
            slowstart.health_state == "Healthy" and (now() - created["v1.2.4-slowstart"]).total_seconds() >= 5
        )

        # crash after 25 requests: the replica is restarted and its restart count shows it
        loop = helpers.wait_provisioned(env, revs["v1.2.4-crashloop"])
        helpers.burst(loop.url, 60, auth, concurrency=1)
        helpers.wait_for(
            lambda: env.app.list_replicas(loop.name)[0].restart_count >= 1, 20, "a crashloop restart"
        )

        # gradual degradation: the error rate ramps up to its declared 80%
        helpers.wait_for(lambda: (now() - created["v1.2.5-ramp"]).total_seconds() > 7.5, 30, "the ramp")
        late = helpers.burst(ramp.url, 200, auth, concurrency=32)
        k_early, k_late = (sum(r.status_code == 500 for r in rs) for rs in (early, late))
        assert helpers.within_binomial(k_late, 200, 0.80), k_late
        assert k_early < 200 * 0.80 - 4.5 * (200 * 0.8 * 0.2) ** 0.5, (k_early, k_late)
    finally:
        for name in revs.values():
            env.app.deactivate_revision(name)


def test_loadgen_is_bounded_authenticated_and_stops_by_itself(sandbox):
    settings, _env = sandbox
    from apexops.errors import ConfigError
    from apexops.sandbox import loadgen

    gen = loadgen.for_sandbox(settings, rate=40, duration_s=1.0, seed=1)
    result = gen.start().wait(30)
    assert not gen.running
    assert 38 <= result.sent <= 40 and result.completed == result.sent
    assert set(result.by_status) == {200} and result.errors_5xx == 0
    with pytest.raises(ConfigError, match="loopback"):
        loadgen.LoadGenerator("http://example.com", None, rate=1, duration_s=1)
    with pytest.raises(ConfigError, match="rate"):
        loadgen.LoadGenerator("http://127.0.0.1:1", None, rate=10_000, duration_s=1)


def test_deployments_run_in_the_daemon_with_operations_and_outputs(sandbox):
    settings, env = sandbox
    tpl = baseline_template(settings)
    assert {c.change_type for c in env.deployments.what_if(tpl, {}).changes} == {"NoChange"}
    assert env.deployments.validate(tpl, {"nope": 1}).ok is False
    tpl["resources"].append(
        {
            "type": "Microsoft.Network/privateDnsZones",
            "apiVersion": "2020-06-01",
            "name": "privatelink.sandbox.local",
            "location": "global",
        }
    )
    plan = env.deployments.what_if(tpl, {})
    assert [c.name for c in plan.changes if c.change_type == "Create"] == ["privatelink.sandbox.local"]
    progress: list[str] = []
    result = env.deployments.create_or_update(tpl, {}, name="main", on_progress=progress.append)
    assert result.provisioning_state == "Succeeded" and len(result.operations) == len(tpl["resources"])
    assert len(progress) == len(tpl["resources"])
    assert result.outputs["containerAppFqdn"] == env.app.show().url.removeprefix("http://")
    assert env.deployments.get("main").provisioning_state == "Succeeded"
    assert env.deployments.get("nothing-here") is None
    assert env.deployments.cancel("main") is False
    assert len(env.deployments.list_resources()) == len(settings.expected_resources) + 1


def test_connect_local_reaches_the_running_sandbox(sandbox):
    from apexops.environment import connect  # `apexops.connect(...)` breaks once the submodule is imported

    settings, _ = sandbox
    env = connect("local")
    assert env.target == "sandbox" and env.app.show().name == settings.app.name
