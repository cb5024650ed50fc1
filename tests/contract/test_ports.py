"""The behavioural contract of the ports: the same tests on the sandbox (live) and on Azure (REST fakes).

Every port method is called and its behaviour asserted (types returned, errors for unknown names, writes
read back), so a notebook cannot meet a call that works on one target only. An optional capability either
works or raises NotSupportedError whose hint is the manual step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from apexops import ports
from apexops.errors import ApexopsError, ConfigError, NotFoundError, NotSupportedError
from apexops.models import (
    AppState,
    AppUpdate,
    BlobContainerInfo,
    CountsWindow,
    DatabaseInfo,
    DeploymentOperation,
    DeploymentResult,
    DeploymentValidation,
    ExceptionRecord,
    ExecResult,
    ImageTag,
    LogLine,
    Principal,
    Replica,
    RequestRecord,
    RequestStats,
    ResourceInfo,
    Revision,
    RouteCounts,
    TelemetryBucket,
    TrafficWeight,
    WhatIfResult,
)
from apexops.tokens import AccessToken

PAST = datetime(2020, 1, 1, tzinfo=UTC)
EMPTY_TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "resources": [],
}


def optional(call: Callable[[], Any]) -> Any:
    """An optional capability: its result, or None after a NotSupportedError that names the manual step."""
    try:
        return call()
    except NotSupportedError as exc:
        assert exc.hint and exc.hint.strip(), "NotSupportedError without the manual step"
        return None


def serving(env) -> str:
    return max(env.app.get_traffic(), key=lambda w: w.weight).revision_name


# --------------------------------------------------------------------------- wiring


def test_every_port_is_wired_and_implemented(target):
    env = target.env
    for name, port in {
        "app": ports.ContainerApp,
        "telemetry": ports.Telemetry,
        "registry": ports.Registry,
        "identity": ports.Identity,
        "blobs": ports.BlobStore,
        "database": ports.Database,
        "deployments": ports.Deployments,
        "lifecycle": ports.Lifecycle,
        "load": ports.SyntheticLoad,
        "platform_metrics": ports.PlatformMetrics,
    }.items():
        assert isinstance(getattr(env, name), port), name
    assert isinstance(env.traits, ports.Traits) and env.traits.name == env.target


# --------------------------------------------------------------------------- ContainerApp


def test_the_app_its_revisions_and_traffic_read_as_domain_types(target):
    app = target.env.app
    state = app.show()
    assert isinstance(state, AppState) and state.name == target.env.settings.app.name
    revisions = app.list_revisions()
    assert revisions and all(isinstance(r, Revision) for r in revisions)
    assert app.get_revision(revisions[0].name).name == revisions[0].name
    traffic = app.get_traffic()
    assert all(isinstance(w, TrafficWeight) for w in traffic) and sum(w.weight for w in traffic) == 100


def test_an_unknown_revision_is_not_found(target):
    with pytest.raises(NotFoundError):
        target.env.app.get_revision("apex-backend-nope--zzz")


def test_traffic_reads_back_as_it_was_set(target):
    app = target.env.app
    before = app.get_traffic()
    weights = [TrafficWeight(w.revision_name, w.weight) for w in before if w.weight > 0]
    progress: list[str] = []
    after = app.set_traffic(weights, on_progress=progress.append)
    assert [(w.revision_name, w.weight) for w in after if w.weight] == [
        (w.revision_name, w.weight) for w in weights
    ]
    assert [(w.revision_name, w.weight) for w in app.get_traffic() if w.weight] == [
        (w.revision_name, w.weight) for w in weights
    ]
    assert progress


def test_a_traffic_list_not_summing_to_100_is_refused(target):
    with pytest.raises(ApexopsError, match=r"100|sum"):
        target.env.app.set_traffic([TrafficWeight(serving(target.env), 50)])


def test_an_update_creates_a_revision_without_traffic_which_can_be_deactivated(target):
    app = target.env.app
    before = app.show().latest_revision_name
    state = app.update(
        AppUpdate(env={"CONTRACT": "1"}, revision_suffix="contract"), on_progress=lambda _: None
    )
    new = state.latest_revision_name
    assert isinstance(state, AppState) and new and new != before
    assert not any(w.weight for w in app.get_traffic() if w.revision_name == new)
    deadline = time.monotonic() + 40
    while app.get_revision(new).provisioning_state == "Provisioning" and time.monotonic() < deadline:
        time.sleep(0.1)
    app.deactivate_revision(new)
    assert app.get_revision(new).active is False
    app.activate_revision(new)
    assert app.get_revision(new).active is True
    app.deactivate_revision(new)


def test_replicas_restart_exec_and_scale(target):
    app, name = target.env.app, serving(target.env)
    replicas = app.list_replicas(name)
    assert all(isinstance(r, Replica) for r in replicas)
    assert app.restart_revision(name) is None
    result = optional(lambda: app.exec(name, ["python3", "-c", "print(6 * 7)"], timeout_s=20))
    assert result is None or (
        isinstance(result, ExecResult) and result.exit_code == 0 and "42" in result.output
    )
    rev = app.get_revision(name)
    scaled = optional(lambda: app.scale_revision(name, rev.template.min_replicas, rev.template.max_replicas))
    assert scaled is None or (isinstance(scaled, Revision) and scaled.name == name)
    assert app.restart() is None


# --------------------------------------------------------------------------- Telemetry


def test_telemetry_queries_return_domain_types(target):
    t, name = target.env.telemetry, serving(target.env)
    stats = t.request_stats(PAST, PAST + timedelta(hours=1), revisions=[name])
    assert isinstance(stats[name], RequestStats) and stats[name].requests == 0
    buckets = t.request_buckets(PAST, PAST + timedelta(seconds=10), bucket_s=5, revisions=[name])
    assert all(isinstance(b, TelemetryBucket) and b.requests == 0 for b in buckets)
    now = datetime.now(UTC)
    assert all(isinstance(r, RequestRecord) for r in t.slowest_requests(now - timedelta(hours=1), now, top=3))
    assert all(isinstance(e, ExceptionRecord) for e in t.exceptions(now - timedelta(hours=1), now, limit=5))
    lines = t.console_logs(name, tail=5)
    assert len(lines) <= 5 and all(isinstance(x, LogLine) for x in lines)
    assert t.ingestion_lag_s() >= 0


def test_the_judges_windows_never_claim_more_than_is_complete(target):
    """Users by route and the platform's counts: windows that end where the backend's data may end."""
    env, name = target.env, serving(target.env)
    now = datetime.now(UTC)
    since = now - timedelta(minutes=10)
    users = env.telemetry.user_requests_by_route(since, now, revisions=[name], slow_ms=2000)
    assert isinstance(users, CountsWindow) and users.since == since
    assert since <= users.complete_until <= now - timedelta(seconds=env.telemetry.ingestion_lag_s() * 0.99)
    assert all(isinstance(r, RouteCounts) and r.revision == name and r.slow is not None for r in users.rows)
    platform = env.platform_metrics.request_counts(since, now, revisions=[name])
    assert isinstance(platform, CountsWindow) and since <= platform.since <= platform.complete_until <= now
    (row,) = platform.rows  # every named revision, zeros included; no routes, no latency
    assert (row.revision, row.route, row.slow) == (name, "*", None) and row.requests >= row.errors_5xx >= 0
    fresh = env.platform_metrics.request_counts(now - timedelta(seconds=1), now, revisions=[name])
    assert fresh.complete_until == fresh.since  # a bucket is never published before it has ended
    with pytest.raises(ConfigError):
        env.platform_metrics.request_counts(datetime(2020, 1, 1), now, revisions=[name])
    with pytest.raises(ConfigError):
        env.telemetry.user_requests_by_route(datetime(2020, 1, 1), now, revisions=[name], slow_ms=1)


def test_telemetry_refuses_a_time_without_timezone(target):
    with pytest.raises(ConfigError):
        target.env.telemetry.request_stats(datetime(2020, 1, 1), datetime(2020, 1, 2))


# --------------------------------------------------------------------------- Registry, Identity, BlobStore


def test_registry_tags_and_an_unknown_tag(target):
    reg = target.env.registry
    assert isinstance(reg.server, str) and reg.server
    tags = reg.list_tags(target.repository)
    assert tags and all(isinstance(t, ImageTag) for t in tags)
    assert isinstance(reg.get_tag(target.repository, tags[0].tag), ImageTag)
    with pytest.raises(NotFoundError):
        reg.get_tag(target.repository, "v0.0.0-never-pushed")


def test_identity_and_tokens(target):
    identity = target.env.identity
    assert isinstance(identity.whoami(), Principal)
    token = identity.api_token(target.audience)
    assert isinstance(token, AccessToken) and token.expires_on > datetime.now(UTC)
    old = optional(lambda: identity.rehearsal_token(target.audience, datetime.now(UTC) - timedelta(hours=2)))
    assert old is None or (isinstance(old, AccessToken) and old.expires_on < datetime.now(UTC))


def test_blob_store(target):
    blobs = target.env.blobs
    containers = blobs.list_containers()
    assert all(isinstance(c, BlobContainerInfo) for c in containers)
    assert "uploads" in {c.name for c in containers}
    assert blobs.blob_exists("uploads", "contract/never-uploaded.pdf") is False


# --------------------------------------------------------------------------- Database, Deployments


def test_database_info_client_and_engine(target):
    db = target.env.database
    assert isinstance(db.info(), DatabaseInfo)
    check = db.client_check()
    assert isinstance(check, ports.ClientCheck) and check.name.startswith("database") and check.detail
    try:
        engine = db.engine()
    except ConfigError as exc:  # Azure SQL without pyodbc / the ODBC driver on this machine
        assert not check.ok and exc.hint
    else:
        assert engine.dialect.name == db.info().dialect


def test_deployments(target):
    dep = target.env.deployments
    assert dep.get("contract-nothing-here") is None
    with pytest.raises(NotFoundError):
        dep.operations("contract-nothing-here")
    assert isinstance(dep.validate(EMPTY_TEMPLATE, {}, name="contract"), DeploymentValidation)
    assert isinstance(dep.what_if(EMPTY_TEMPLATE, {}, name="contract", mode="Incremental"), WhatIfResult)
    result = dep.create_or_update(EMPTY_TEMPLATE, {}, name="contract", on_progress=lambda _: None)
    assert isinstance(result, DeploymentResult) and result.provisioning_state == "Succeeded"
    assert dep.get("contract").provisioning_state == "Succeeded"
    assert all(isinstance(o, DeploymentOperation) for o in dep.operations("contract"))
    assert dep.cancel("contract") is False  # nothing running
    resources = dep.list_resources()
    assert resources and all(isinstance(r, ResourceInfo) for r in resources)


# --------------------------------------------------------------------------- optional capabilities


def test_lifecycle_reports_a_running_target_or_says_how_to_check_it(target):
    reach = optional(target.env.lifecycle.reachability)
    assert (reach is None) is (not target.env.traits.started_by_apexops)
    assert reach is None or (isinstance(reach, ports.Reachability) and reach.running and reach.start)


def test_synthetic_load_runs_where_available_and_is_refused_before_starting_elsewhere(target):
    load = target.env.load
    try:
        load.ensure_available()
    except NotSupportedError as exc:
        assert exc.hint and "real users" in exc.hint
        with pytest.raises(NotSupportedError):
            load.start(5, 30)
        return
    run = load.start(20, 30, seed=1)
    deadline = time.monotonic() + 15
    while run.result.completed < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    counts = run.stop()
    assert counts.sent >= 1 and counts.completed + counts.transport_errors <= counts.sent
    assert all(isinstance(k, str) for k in counts.by_revision)


def test_this_contract_calls_every_method_of_every_port():
    """A method added to a port without a contract test fails here."""
    import inspect
    import re

    source = Path(__file__).read_text()
    called = set(re.findall(r"\.(\w+)\(", source)) | set(re.findall(r"\.(\w+)\)", source))
    for port in (ports.ContainerApp, ports.Telemetry, ports.Registry, ports.Identity, ports.BlobStore,
                 ports.Database, ports.Deployments, ports.Lifecycle, ports.SyntheticLoad,
                 ports.PlatformMetrics):  # fmt: skip
        methods = [n for n, v in vars(port).items() if not n.startswith("_") and inspect.isfunction(v)]
        missing = [n for n in methods if n not in called]
        assert not missing, f"{port.__name__}: {missing} untested"
