"""The canary judge's Azure strata: the users' requests by route (KQL on Application Insights, probes
left out) and the platform's `Requests` metric by revision and status-code category
(azure-monitor-querymetrics over the `metrics:getBatch` API), both through the real SDK clients fed
Azure's own response shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import _azure_fakes as fakes
import pytest
from _azure_fakes import SUB, arm_error, assert_plain, example, example_body, ok

from apexops.azure.metrics import AzurePlatformMetrics, metric_filter
from apexops.azure.telemetry import AzureTelemetry
from apexops.errors import AuthorizationError, ConfigError, InvalidRequestError
from apexops.models import CountsWindow

NOW = datetime(2024, 5, 1, 12, 10, 0, tzinfo=UTC)
SINCE = datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)
OLD, NEW = "apex-backend-prod--old1", "apex-backend-prod--new2"
COMPONENT = (
    f"/v1/subscriptions/{SUB}/resourceGroups/apex-rg-prod/providers/Microsoft.Insights/"
    "components/appi-apex-prod/query"
)
BATCH = rf"/subscriptions/{SUB}/metrics:getBatch"
APP_ID = f"/subscriptions/{SUB}/resourceGroups/apex-rg-prod/providers/Microsoft.App/containerApps/" + (
    "apex-backend-prod"
)
EXAMPLE = "monitor-metrics/MetricBatchExample.json"

ROUTE_COLUMNS = [
    "revision",
    "route",
    "requests",
    "errors_5xx",
    "slow",
    "estimated_requests",
    "estimated_errors",
]


def table(columns: list[str], rows: list[list]) -> dict:
    """A Log Analytics query response (numbers as strings, as the official examples send them)."""
    cols = [{"name": c, "type": "string" if c in ("revision", "route") else "long"} for c in columns]
    return {"tables": [{"name": "PrimaryResult", "columns": cols, "rows": rows}]}


def requests_metric(series: list[tuple[str, str, dict[str, float]]]) -> dict:
    return fakes.requests_metric(APP_ID, series)


@pytest.fixture
def telemetry(clients) -> AzureTelemetry:
    return AzureTelemetry(clients)


@pytest.fixture
def platform(clients) -> AzurePlatformMetrics:
    return AzurePlatformMetrics(clients)


# --------------------------------------------------------------------------- users by route


def test_users_by_route_leave_out_revision_fqdns_and_probe_markers_and_stop_at_the_lag(telemetry, fake):
    fake.on("POST", COMPONENT, ok(table(ROUTE_COLUMNS, [
        [NEW, "GET /api/v1/projects/", "40", "2", "1", "80", "4"],
        [NEW, "GET /health", "10", "0", "0", "10", "0"],
        [OLD, "GET /api/v1/projects/", "400", "1", "3", "800", "2"],
    ])))  # fmt: skip
    window = telemetry.user_requests_by_route(SINCE, NOW, revisions=[NEW, OLD], slow_ms=2000)
    (req,) = fake.requests
    body = req.json()
    # the window ends where App Insights may still be missing data: now - monitoring.ingestion_lag_s (180 s)
    assert window.complete_until == NOW - timedelta(seconds=180) and window.since == SINCE
    assert body["timespan"] == "2024-05-01T12:00:30.000Z/2024-05-01T12:07:00.000Z"
    q = body["query"]
    assert q.startswith("requests\n") and 'cloud_RoleName == "apex-backend-prod"' in q
    assert 'not(tostring(parse_url(url).Host) startswith "apex-backend-prod--")' in q  # revision FQDNs
    assert 'isempty(tostring(customDimensions["http.request.header.x_apexops_probe"]))' in q  # probe header
    assert 'startswith "apexops-probe/"' in q  # probe user agent
    assert "requests = count()" in q and "estimated_requests = sum(itemCount)" in q  # rows, and estimates
    assert "duration >= 2000.0" in q and "by revision, route = name" in q
    assert f'revision in ("{NEW}", "{OLD}")' in q
    by = {(r.revision, r.route): r for r in window.rows}
    projects = by[(NEW, "GET /api/v1/projects/")]
    assert (projects.requests, projects.errors_5xx, projects.slow) == (40, 2, 1)
    assert (projects.estimated_requests, projects.estimated_errors) == (80.0, 4.0)
    assert not window.partial and len(window.rows) == 3
    assert_plain(window)


def test_users_by_route_ask_nothing_before_any_time_is_complete(telemetry, fake):
    window = telemetry.user_requests_by_route(NOW - timedelta(seconds=60), NOW, revisions=[NEW], slow_ms=2000)
    assert fake.requests == []  # 60 s ago is still inside the 180 s lag: nothing to ask, nothing to read as 0
    since = NOW - timedelta(seconds=60)
    assert window == CountsWindow(since=since, complete_until=since, rows=())
    with pytest.raises(ConfigError, match="timezone"):
        telemetry.user_requests_by_route(datetime(2024, 5, 1), NOW, revisions=[NEW], slow_ms=2000)


def test_users_by_route_say_when_the_answer_is_partial(telemetry, fake):
    partial = {"code": "PartialError", "message": "Query execution has exceeded the allowed limits"}
    fake.on("POST", COMPONENT, ok({**table(ROUTE_COLUMNS, []), "error": partial}))
    window = telemetry.user_requests_by_route(SINCE, NOW, revisions=[NEW], slow_ms=2000)
    assert window.partial and window.rows == ()


def test_users_by_route_on_the_workspace_tables(clients, fake, monkeypatch):
    workspace = "63613592-b6f7-4c3d-a390-22ba13102111"
    monkeypatch.setenv("APEX_LOG_ANALYTICS_WORKSPACE_ID", workspace)
    monitoring = clients.settings.monitoring.model_copy(update={"app_insights_schema": "workspace"})
    clients.settings = clients.settings.model_copy(update={"monitoring": monitoring})
    fake.on("POST", f"/v1/workspaces/{workspace}/query", ok(table(ROUTE_COLUMNS, [])))
    AzureTelemetry(clients).user_requests_by_route(SINCE, NOW, revisions=[NEW], slow_ms=500)
    q = fake.requests[0].json()["query"]
    assert (
        q.startswith("AppRequests\n")
        and "parse_url(Url).Host" in q
        and 'Properties["user_agent.original"]' in q
    )
    assert "sum(ItemCount)" in q and "by revision, route = Name" in q


# --------------------------------------------------------------------------- platform metrics


def test_the_sdk_reads_the_official_batch_example(platform, fake):
    """The verbatim getBatch example (storage metrics) goes through the SDK and the adapter without loss."""
    fake.on("POST", BATCH, ok(example_body(EXAMPLE)))
    results = platform._query(datetime(2023, 2, 1, 20, tzinfo=UTC), datetime(2023, 2, 1, 23, tzinfo=UTC), [])
    assert [m.name for r in results for m in r.metrics] == ["Ingress", "Egress", "Ingress", "Egress"]
    first = results[0].metrics[0].timeseries[0]
    assert {k.lower(): v for k, v in first.metadata_values.items()} == {
        "apiname": "GetBlob",
        "authentication": "SAS",
    }
    assert len(first.data) == 12 and first.data[0].average == 437
    assert example(EXAMPLE)["parameters"]["api-version"] == fake.requests[0].api_version == "2024-02-01"


def test_platform_requests_by_revision_and_status_category_in_whole_published_minutes(
    platform, fake, credential
):
    fake.on("POST", BATCH, ok(requests_metric([
        (NEW, "2xx", {"2024-05-01T12:01:00Z": 50, "2024-05-01T12:02:00Z": 60, "2024-05-01T12:07:00Z": 5}),
        (NEW, "5xx", {"2024-05-01T12:01:00Z": 3, "2024-05-01T12:08:00Z": 100}),  # 12:08 is not complete yet
        (OLD, "2xx", {"2024-05-01T12:01:00Z": 500}),
        (OLD, "4xx", {"2024-05-01T12:03:00Z": 7}),
    ])))  # fmt: skip
    window = platform.request_counts(SINCE, NOW, revisions=[NEW, OLD])
    (req,) = fake.requests
    # whole minutes only: from the first one starting at/after since, to the last ended 120 s before now
    assert window.since == datetime(2024, 5, 1, 12, 1, tzinfo=UTC)
    assert window.complete_until == datetime(2024, 5, 1, 12, 8, tzinfo=UTC)
    assert req.url.startswith("https://eastus.metrics.monitor.azure.com/subscriptions/")
    assert req.query["metricnamespace"] == ["Microsoft.App/containerApps"] and req.query["metricnames"] == [
        "Requests"
    ]
    assert req.query["interval"] == ["PT1M"] and req.query["aggregation"] == ["Total"]
    assert req.query["starttime"][0].startswith("2024-05-01T12:01:00") and req.query["endtime"][0].startswith(
        "2024-05-01T12:08:00"
    )
    assert req.query["filter"] == [metric_filter([NEW, OLD])]
    assert metric_filter([NEW, OLD]) == (
        f"revisionName eq '{NEW}' or revisionName eq '{OLD}' and statusCodeCategory eq '*'"
    )
    assert req.json() == {"resourceids": [APP_ID]}
    assert "https://metrics.monitor.azure.com/.default" in credential.scopes
    by = {r.revision: r for r in window.rows}
    assert (by[NEW].requests, by[NEW].errors_5xx, by[NEW].route, by[NEW].slow) == (118, 3, "*", None)
    assert (by[OLD].requests, by[OLD].errors_5xx) == (507, 0)
    assert by[NEW].estimated_requests == 118.0 and not window.partial
    assert_plain(window)


def test_platform_asks_nothing_before_a_minute_is_published_and_names_every_revision(platform, fake):
    window = platform.request_counts(NOW - timedelta(seconds=100), NOW, revisions=[NEW, OLD])
    assert fake.requests == []
    assert window.complete_until == window.since == datetime(2024, 5, 1, 12, 9, tzinfo=UTC)
    assert [(r.revision, r.requests, r.errors_5xx) for r in window.rows] == [(NEW, 0, 0), (OLD, 0, 0)]
    with pytest.raises(ConfigError, match="timezone"):
        platform.request_counts(SINCE, datetime(2024, 5, 1), revisions=[NEW])


def test_platform_without_any_series_is_partial_not_zero(platform, fake):
    fake.on("POST", BATCH, ok({"values": []}))
    window = platform.request_counts(SINCE, NOW, revisions=[NEW])
    assert window.partial and window.rows[0].requests == 0


def test_platform_errors_are_translated_at_the_boundary(platform, fake):
    fake.on("POST", BATCH, arm_error(403, "AuthorizationFailed", "The client does not have authorization"))
    with pytest.raises(AuthorizationError, match="Requests") as denied:
        platform.request_counts(SINCE, NOW, revisions=[NEW])
    assert "Monitoring Reader" in denied.value.hint
    fake.routes.clear()
    bad = example(EXAMPLE)["responses"]["default"]
    fake.on("POST", BATCH, (400, bad["body"], bad["headers"]))
    with pytest.raises(InvalidRequestError, match="retention period") as refused:
        platform.request_counts(SINCE, NOW, revisions=[NEW])
    assert (
        "Microsoft.App/containerApps Requests" in refused.value.hint
        and "az containerapp show" in refused.value.hint
    )
