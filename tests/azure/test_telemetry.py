"""Contract tests of AzureTelemetry: the real LogsQueryClient over Log Analytics query responses."""

from __future__ import annotations

import copy
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from _azure_fakes import APP_PATH, SUB, arm_error, assert_plain, example, example_body, ok

from apexops.azure.telemetry import AzureTelemetry, PartialTelemetryWarning
from apexops.errors import AuthorizationError, ConfigError, InvalidRequestError

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=10)
COMPONENT = (
    f"/v1/subscriptions/{SUB}/resourceGroups/apex-rg-prod/providers/Microsoft.Insights/"
    "components/appi-apex-prod/query"
)
WORKSPACE_ID = "63613592-b6f7-4c3d-a390-22ba13102111"
PARTIAL = {
    "code": "PartialError",
    "message": "Query execution has exceeded the allowed limits",
    "details": [{"code": "EngineError", "message": "shard 3 timed out"}],
}


def table(columns: list[tuple[str, str]], rows: list[list]) -> dict:
    """A query response in the shape of the official examples (numbers as strings, as they send them)."""
    return {
        "tables": [
            {"name": "PrimaryResult", "columns": [{"name": n, "type": t} for n, t in columns], "rows": rows}
        ]
    }


STATS_COLUMNS = [
    ("revision", "string"),
    ("requests", "long"),
    ("errors_5xx", "long"),
    ("slow", "long"),
    ("p50_ms", "real"),
    ("p95_ms", "real"),
    ("p99_ms", "real"),
]
STATS = table(
    STATS_COLUMNS,
    [
        ["apex-backend-prod--old", "9000", "3", "40", "85.5", "410.2", "950"],
        ["apex-backend-prod--new", "1000", "2", "9", "90", "520.75", None],
    ],
)


@pytest.fixture
def telemetry(clients) -> AzureTelemetry:
    return AzureTelemetry(clients)


def test_request_stats_query_the_component_and_count_sampled_requests(telemetry, fake, credential):
    fake.on("POST", COMPONENT, ok(STATS))
    stats = telemetry.request_stats(
        T0, T1, revisions=["apex-backend-prod--new", "apex-backend-prod--idle"], slow_ms=1500
    )
    (req,) = fake.requests
    body = req.json()
    assert req.path == COMPONENT
    assert body["timespan"] == "2024-05-01T12:00:00.000Z/2024-05-01T12:10:00.000Z"
    q = body["query"]
    assert q.startswith("requests\n") and "sum(itemCount)" in q and "count()" not in q
    assert "percentilew(duration, itemCount, 95)" in q and "duration >= 1500.0" in q
    assert 'customDimensions["revision"]' in q and "cloud_RoleInstance" in q
    assert 'revision in ("apex-backend-prod--new", "apex-backend-prod--idle")' in q
    assert "https://api.loganalytics.io/.default" in credential.scopes
    new = stats["apex-backend-prod--new"]
    assert (new.requests, new.errors_5xx, new.slow, new.p95_ms, new.p99_ms) == (1000, 2, 9, 520.75, None)
    assert new.error_rate == 0.002 and not new.partial
    idle = stats["apex-backend-prod--idle"]
    assert (idle.requests, idle.p95_ms, idle.error_rate) == (0, None, None)
    assert stats["apex-backend-prod--old"].requests == 9000
    assert_plain(stats)


def test_partial_results_are_reported_as_partial_never_complete(telemetry, fake):
    fake.on("POST", COMPONENT, ok({**STATS, "error": PARTIAL}))
    stats = telemetry.request_stats(T0, T1, revisions=["apex-backend-prod--idle"])
    assert stats and all(s.partial for s in stats.values())
    buckets_body = table(
        [
            ("revision", "string"),
            ("start", "datetime"),
            ("requests", "long"),
            ("errors_5xx", "long"),
            ("slow", "long"),
            ("p95_ms", "real"),
        ],
        [["r1", "2024-05-01T12:01:00Z", "5", "0", "0", "12"]],
    )
    fake.routes.clear()
    fake.on("POST", COMPONENT, ok({**buckets_body, "error": PARTIAL}))
    (bucket,) = telemetry.request_buckets(T0, T1, bucket_s=60)
    assert bucket.partial


def test_request_buckets_bin_by_revision_and_come_back_oldest_first(telemetry, fake):
    fake.on(
        "POST",
        COMPONENT,
        ok(
            table(
                [
                    ("revision", "string"),
                    ("start", "datetime"),
                    ("requests", "long"),
                    ("errors_5xx", "long"),
                    ("slow", "long"),
                    ("p95_ms", "real"),
                ],
                [
                    ["b", "2024-05-01T12:02:00Z", "7", "1", "0", "30"],
                    ["a", "2024-05-01T12:01:00Z", "5", "0", "2", "2100"],
                    ["a", "2024-05-01T12:02:00Z", "6", "0", "0", None],
                ],
            )
        ),
    )
    buckets = telemetry.request_buckets(T0, T1, bucket_s=60)
    assert "bin(timestamp, 60000ms)" in fake.requests[0].json()["query"]
    assert [(b.revision, b.start.minute, b.requests) for b in buckets] == [
        ("a", 1, 5),
        ("a", 2, 6),
        ("b", 2, 7),
    ]
    assert buckets[0].p95_ms == 2100.0 and buckets[1].p95_ms is None and not buckets[0].partial
    assert_plain(buckets)


def test_slowest_requests_and_exceptions_are_the_runbook_queries(telemetry, fake):
    fake.on(
        "POST",
        COMPONENT,
        ok(
            table(
                [
                    ("timestamp", "datetime"),
                    ("revision", "string"),
                    ("replica", "string"),
                    ("name", "string"),
                    ("resultCode", "string"),
                    ("duration", "real"),
                    ("url", "string"),
                ],
                [
                    [
                        "2024-05-01T12:03:04.1234567Z",
                        "rev-a",
                        "rev-a-5d9774cff-5wnd8",
                        "GET /api/v1/projects/{project_id}",
                        "500",
                        "2512.5",
                        "https://apex/api/v1/projects/7",
                    ]
                ],
            )
        ),
        ok(
            table(
                [
                    ("timestamp", "datetime"),
                    ("revision", "string"),
                    ("replica", "string"),
                    ("type", "string"),
                    ("outerMessage", "string"),
                    ("problemId", "string"),
                ],
                [
                    [
                        "2024-05-01T12:05:00Z",
                        "rev-a",
                        "rev-a-x-y",
                        "OperationalError",
                        "database is locked",
                        "p1",
                    ]
                ],
            )
        ),
    )
    (slow,) = telemetry.slowest_requests(T0, T1, top=5)
    assert (slow.route, slow.status, slow.duration_ms, slow.replica) == (
        "GET /api/v1/projects/{project_id}",
        500,
        2512.5,
        "rev-a-5d9774cff-5wnd8",
    )
    assert slow.timestamp == datetime(2024, 5, 1, 12, 3, 4, 123456, tzinfo=UTC)
    (exc,) = telemetry.exceptions(T0, T1, limit=20)
    assert (exc.type, exc.message, exc.problem_id, exc.revision) == (
        "OperationalError",
        "database is locked",
        "p1",
        "rev-a",
    )
    q_slow, q_exc = (r.json()["query"] for r in fake.requests)
    assert "top 5 by duration desc" in q_slow and "project timestamp = timestamp" in q_slow
    assert q_exc.startswith("exceptions\n") and "outerMessage" in q_exc and "order by timestamp desc" in q_exc
    assert "take 20" in q_exc
    assert_plain([slow, exc])


def test_a_partial_list_warns_and_says_why(telemetry, fake):
    body = table(
        [
            ("timestamp", "datetime"),
            ("revision", "string"),
            ("replica", "string"),
            ("type", "string"),
            ("outerMessage", "string"),
            ("problemId", "string"),
        ],
        [],
    )
    fake.on("POST", COMPONENT, ok({**body, "error": PARTIAL}))
    with pytest.warns(PartialTelemetryWarning, match="partial"):
        assert telemetry.exceptions(T0, T1) == []
    assert telemetry.last_partial and "PartialError" in telemetry.last_partial


def test_console_logs_from_the_workspace_with_tail_and_level(telemetry, fake, monkeypatch):
    monkeypatch.setenv("APEX_LOG_ANALYTICS_WORKSPACE_ID", WORKSPACE_ID)
    fake.on(
        "POST",
        f"/v1/workspaces/{WORKSPACE_ID}/query",
        ok(
            table(
                [
                    ("TimeGenerated", "datetime"),
                    ("Revision", "string"),
                    ("Replica", "string"),
                    ("Stream", "string"),
                    ("Level", "string"),
                    ("Message", "string"),
                ],
                [
                    [
                        "2024-05-01T12:00:09Z",
                        "r2",
                        "r2-a-b",
                        "stdout",
                        "ERROR",
                        '{"level": "ERROR", "message": "boom"}',
                    ],
                    ["2024-05-01T12:00:01Z", "r2", "r2-a-b", "stderr", "ERROR", "ERROR worker died"],
                ],
            )
        ),
    )
    lines = telemetry.console_logs("r2", tail=50, level="error")
    body = fake.requests[0].json()
    assert body["timespan"] == "PT86400.0S"  # the 24 h look-back from the parameters file
    q = body["query"]
    assert "ContainerAppConsoleLogs_CL" in q and "ContainerAppConsoleLogs\n" in q and "isfuzzy=true" in q
    assert 'App == "apex-backend-prod"' in q and 'Revision == "r2"' in q and 'Level == "ERROR"' in q
    assert "top 50 by TimeGenerated desc" in q
    assert [ln.message for ln in lines] == ["ERROR worker died", '{"level": "ERROR", "message": "boom"}']
    assert [ln.stream for ln in lines] == ["stderr", "stdout"] and lines[0].level == "ERROR"
    assert_plain(lines)


def test_console_logs_without_a_workspace_query_the_apps_managed_environment(telemetry, fake):
    app = copy.deepcopy(example_body("containerapps/ContainerApps_Get.json"))
    fake.on("GET", APP_PATH, ok(app))
    env_id = app["properties"]["managedEnvironmentId"]
    fake.on(
        "POST", f"/v1{env_id}/query", ok(table([("TimeGenerated", "datetime"), ("Message", "string")], []))
    )
    assert telemetry.console_logs() == []
    assert fake.requests[-1].path == f"/v1{env_id}/query"


def test_workspace_schema_needs_a_workspace_id(clients, fake):
    clients.settings = clients.settings.model_copy(
        update={
            "monitoring": clients.settings.monitoring.model_copy(update={"app_insights_schema": "workspace"})
        }
    )
    telemetry = AzureTelemetry(clients)
    with pytest.raises(ConfigError, match="workspace") as err:
        telemetry.request_stats(T0, T1)
    assert "APEX_LOG_ANALYTICS_WORKSPACE_ID" in err.value.hint
    assert fake.requests == []


def test_workspace_schema_uses_the_app_tables(clients, fake, monkeypatch):
    monkeypatch.setenv("APEX_LOG_ANALYTICS_WORKSPACE_ID", WORKSPACE_ID)
    clients.settings = clients.settings.model_copy(
        update={
            "monitoring": clients.settings.monitoring.model_copy(update={"app_insights_schema": "workspace"})
        }
    )
    fake.on("POST", f"/v1/workspaces/{WORKSPACE_ID}/query", ok(table(STATS_COLUMNS, [])))
    AzureTelemetry(clients).request_stats(T0, T1)
    q = fake.requests[0].json()["query"]
    assert (
        q.startswith("AppRequests\n")
        and "sum(ItemCount)" in q
        and "DurationMs" in q
        and "AppRoleInstance" in q
    )


@pytest.mark.parametrize(
    "name", ["query-post.json", "oms-post-example.json", "la-post-resource-centric-example.json"]
)
def test_the_official_query_examples_parse(telemetry, fake, name):
    """Each official response goes through the real client; numbers sent as strings are still counted."""
    doc = example(f"monitor-query/{name}")
    fake.on("POST", COMPONENT, ok(doc["responses"]["200"]["body"]))
    from apexops.azure.telemetry import _int, _rows

    rows, partial = _rows(telemetry._query("example", doc["parameters"]["body"]["query"], timespan=None))
    expected = doc["responses"]["200"]["body"]["tables"][0]
    assert partial is None and len(rows) == len(expected["rows"])
    assert list(rows[0]) == [c["name"] for c in expected["columns"]]
    longs = [c["name"] for c in expected["columns"] if c["type"] == "long"]
    assert all(isinstance(_int(r[c]), int) for r in rows for c in longs)
    if name == "query-post.json":
        assert (
            sum(_int(r["count_"]) for r in rows)
            == 255 + 148 + 453 + 404 + 403 + 405 + 438 + 403 + 423 + 403 + 425 + 437 + 420
        )
        assert rows[0]["timestamp"].utcoffset() == timedelta(0)


def test_query_errors_map_to_typed_errors(telemetry, fake):
    fake.on(
        "POST",
        COMPONENT,
        arm_error(403, "InsufficientAccessError", "The provided credentials have insufficient access"),
        arm_error(400, "BadArgumentError", "The request had some invalid properties"),
    )
    with pytest.raises(AuthorizationError) as err:
        telemetry.request_stats(T0, T1)
    assert "Log Analytics Reader" in err.value.hint
    with pytest.raises(InvalidRequestError) as err:
        telemetry.request_stats(T0, T1)
    assert "KQL" in err.value.hint


def test_bad_windows_are_refused_before_any_call(telemetry, fake):
    with pytest.raises(ConfigError, match="since"):
        telemetry.request_stats(datetime(2024, 5, 1), T1)
    with pytest.raises(ConfigError, match="empty"):
        telemetry.request_stats(T1, T0)
    with pytest.raises(ConfigError):
        telemetry.console_logs(level="LOUD")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert telemetry.ingestion_lag_s() == 180.0
    assert fake.requests == []
