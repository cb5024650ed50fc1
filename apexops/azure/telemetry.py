"""The Telemetry port on Application Insights and Log Analytics (azure-monitor-query 2.x, logs only).

Requests and exceptions are read with KQL from the Application Insights component (resource-centric,
classic tables: the runbook's own queries) or from its Log Analytics workspace (App* tables), depending on
`settings.monitoring.app_insights_schema`. Console logs are read from the Container Apps environment's
workspace. The queries themselves live in `apexops.azure.kql` (sampling-aware counts; how a request is
attributed to a revision is documented there).

A partial answer (`LogsQueryPartialResult`: the service returned some rows and an error) is never passed
off as complete: request stats and buckets carry `partial=True`; list results (slowest requests,
exceptions, console lines) raise a `PartialTelemetryWarning` and set `last_partial` to the reason. A
partial traffic answer without a single row is not "no traffic": request stats of named revisions carry
`partial=True`; otherwise (stats of every revision, buckets) it raises `TargetError`, which the callers
treat as incomplete data.
Every query asks the service to give up after `SERVER_TIMEOUT_S` (the service default is 3 minutes, and
azure-core retries: a slow query could hold a canary stage for many minutes).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apexops.azure import kql
from apexops.azure._clients import AzureClients
from apexops.azure._convert import parse_time
from apexops.azure._errors import map_azure_errors
from apexops.errors import ConfigError, TargetError
from apexops.models import (
    CountsWindow,
    ExceptionRecord,
    LogLine,
    RequestRecord,
    RequestStats,
    RouteCounts,
    TelemetryBucket,
)

__all__ = ["SERVER_TIMEOUT_S", "AzureTelemetry", "PartialTelemetryWarning"]

#: seconds Log Analytics may spend on one query (the `Prefer: wait=` header; service default 180, max 600)
SERVER_TIMEOUT_S = 60


class PartialTelemetryWarning(UserWarning):
    """Azure Monitor answered with part of the data; the rows shown are incomplete."""


def _int(value: Any) -> int:
    """KQL long/real cells may arrive as numbers or as strings ("255" in the official examples)."""
    return 0 if value is None or value == "" else int(float(value))


def _float(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def _rows(result: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Rows of the first table as dicts, and the partial-error text when the answer is partial."""
    from azure.monitor.query import LogsQueryStatus

    if result.status == LogsQueryStatus.PARTIAL:
        tables, err = result.partial_data, result.partial_error
        code = getattr(err, "code", "") or "PartialError"
        reason = f"{code}: {getattr(err, 'message', '') or 'incomplete'}"
    else:
        tables, reason = result.tables, None
    if not tables:
        return [], reason
    table = tables[0]
    return [dict(zip(table.columns, list(row), strict=False)) for row in table.rows], reason


def _aware(**values: datetime) -> None:
    for name, value in values.items():
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ConfigError(f"{name} must be a timezone-aware datetime (got {value!r}).",
                              hint="use datetime.now(UTC) - timedelta(...).")


def _check_window(since: datetime, until: datetime) -> None:
    _aware(since=since, until=until)
    if not since < until:
        raise ConfigError(f"the window is empty: since ({since.isoformat()}) is not before until "
                          f"({until.isoformat()}).", hint="pass since < until.")


class AzureTelemetry:
    """KQL over Application Insights / Log Analytics for the app of one environment."""

    def __init__(self, clients: AzureClients) -> None:
        self._c = clients
        self._s = clients.settings
        self._m = self._s.monitoring
        self.schema = kql.CLASSIC if self._m.app_insights_schema == "classic" else kql.WORKSPACE
        #: why the last list query was partial (None when it was complete)
        self.last_partial: str | None = None

    # ------------------------------------------------------------------ where the data is

    @property
    def app_insights_resource_id(self) -> str:
        if self._m.app_insights_resource_id:
            return self._m.app_insights_resource_id
        return (f"/subscriptions/{self._c.subscription_id}/resourceGroups/{self._s.azure.resource_group}"
                f"/providers/Microsoft.Insights/components/{self._s.app_insights.name}")

    def _workspace_id(self) -> str | None:
        return self._s.reference(self._m.log_analytics_workspace_id_env)

    def _query(self, what: str, query: str, *, timespan: Any, target: str = "app_insights") -> Any:
        workspace = None if target == "app_insights" and self.schema is kql.CLASSIC else self._workspace_id()
        subject = self._m.log_analytics_workspace_id_env if workspace else None
        with map_azure_errors(what, self._s, service="logs", subject=subject):
            client = self._c.logs()
            if target == "app_insights" and self.schema is kql.CLASSIC:
                return client.query_resource(self.app_insights_resource_id, query, timespan=timespan,
                                             server_timeout=SERVER_TIMEOUT_S)
            if workspace:
                return client.query_workspace(workspace, query, timespan=timespan,
                                              server_timeout=SERVER_TIMEOUT_S)
            if target == "app_insights":
                env = self._m.log_analytics_workspace_id_env
                raise ConfigError(
                    "app_insights_schema is 'workspace' but no Log Analytics workspace id is set.",
                    hint=f"export {env}=<workspace GUID> (az monitor log-analytics workspace show "
                    "--query customerId -o tsv), or set monitoring.app_insights_schema: classic.",
                )
            # console logs without a workspace id: resource-centric on the app's managed environment
            app = self._c.container_apps().container_apps.get(self._s.azure.resource_group, self._s.app.name)
            env_id = (app.as_dict().get("properties") or {}).get("managedEnvironmentId")
            if not env_id:
                raise ConfigError("the app reports no managed environment to read console logs from.",
                                  hint=f"export {self._m.log_analytics_workspace_id_env}=<workspace GUID>.")
            return client.query_resource(env_id, query, timespan=timespan, server_timeout=SERVER_TIMEOUT_S)

    def _answer(self, what: str, query: str, timespan: Any, target: str = "app_insights",
                empty_ok: bool = False) -> tuple[list[dict[str, Any]], str | None]:
        """Rows and the partial reason; a partial answer with no row at all is an error unless `empty_ok`."""
        rows, partial = _rows(self._query(what, query, timespan=timespan, target=target))
        if partial and not rows and not empty_ok:
            raise TargetError(f"{what}: Azure Monitor returned a partial answer without any row ({partial}); "
                              "this is incomplete data, not an absence of traffic.",
                              hint="retry in a minute, or narrow the window.")
        return rows, partial

    def _list_rows(self, what: str, query: str, timespan: Any, target: str = "app_insights") -> list[dict]:
        rows, partial = self._answer(what, query, timespan, target, empty_ok=True)  # an empty list warns
        self.last_partial = partial
        if partial:
            warnings.warn(f"{what}: Azure Monitor returned partial data ({partial}); the list is incomplete.",
                          PartialTelemetryWarning, stacklevel=3)
        return rows

    # ------------------------------------------------------------------ the port

    def request_stats(
        self,
        since: datetime,
        until: datetime,
        *,
        revisions: Sequence[str] | None = None,
        slow_ms: float = 2000.0,
    ) -> dict[str, RequestStats]:
        _check_window(since, until)
        q = kql.request_stats(self.schema, since, until, dimension=self._m.revision_dimension,
                              app=self._s.app.name, revisions=revisions, slow_ms=slow_ms)
        rows, partial = self._answer("request stats", q, (since, until), empty_ok=bool(revisions))
        out: dict[str, RequestStats] = {}
        for r in rows:
            name = str(r.get("revision") or "")
            out[name] = RequestStats(
                revision=name, requests=_int(r.get("requests")), errors_5xx=_int(r.get("errors_5xx")),
                slow=_int(r.get("slow")), p50_ms=_float(r.get("p50_ms")), p95_ms=_float(r.get("p95_ms")),
                p99_ms=_float(r.get("p99_ms")), partial=partial is not None,
            )
        for name in revisions or ():
            out.setdefault(name, RequestStats(revision=name, requests=0, errors_5xx=0, slow=0, p50_ms=None,
                                              p95_ms=None, p99_ms=None, partial=partial is not None))
        return out

    def request_buckets(
        self,
        since: datetime,
        until: datetime,
        *,
        bucket_s: float,
        revisions: Sequence[str] | None = None,
        slow_ms: float = 2000.0,
    ) -> list[TelemetryBucket]:
        _check_window(since, until)
        if not bucket_s > 0:
            raise ConfigError(f"bucket_s is {bucket_s}; it must be above 0.", hint="use e.g. bucket_s=60.")
        q = kql.request_buckets(self.schema, since, until, bucket_s=bucket_s, app=self._s.app.name,
                                dimension=self._m.revision_dimension, revisions=revisions, slow_ms=slow_ms)
        rows, partial = self._answer("request buckets", q, (since, until))
        buckets = [
            TelemetryBucket(
                revision=str(r.get("revision") or ""), start=parse_time(r.get("start")) or since,
                requests=_int(r.get("requests")), errors_5xx=_int(r.get("errors_5xx")),
                slow=_int(r.get("slow")), p95_ms=_float(r.get("p95_ms")), partial=partial is not None,
            )
            for r in rows
        ]
        return sorted(buckets, key=lambda b: (b.start, b.revision))

    def slowest_requests(self, since: datetime, until: datetime, *, top: int = 10) -> list[RequestRecord]:
        _check_window(since, until)
        q = kql.slowest_requests(self.schema, since, until, dimension=self._m.revision_dimension,
                                 app=self._s.app.name, top=top)
        return [
            RequestRecord(
                timestamp=parse_time(r.get("timestamp")) or since, revision=str(r.get("revision") or ""),
                replica=str(r.get("replica") or ""), route=str(r.get("name") or ""),
                status=_int(r.get("resultCode")) if str(r.get("resultCode") or "").isdigit() else 0,
                duration_ms=_float(r.get("duration")) or 0.0, url=str(r.get("url") or ""),
            )
            for r in self._list_rows("slowest requests", q, (since, until))
        ]

    def exceptions(self, since: datetime, until: datetime, *, limit: int = 100) -> list[ExceptionRecord]:
        _check_window(since, until)
        q = kql.exceptions(self.schema, since, until, dimension=self._m.revision_dimension,
                           app=self._s.app.name, limit=limit)
        return [
            ExceptionRecord(
                timestamp=parse_time(r.get("timestamp")) or since, revision=str(r.get("revision") or ""),
                replica=str(r.get("replica") or ""), type=str(r.get("type") or ""),
                message=str(r.get("outerMessage") or ""), problem_id=str(r.get("problemId") or ""),
            )
            for r in self._list_rows("exceptions", q, (since, until))
        ]

    def console_logs(
        self, revision: str | None = None, *, tail: int = 100, level: str | None = None
    ) -> list[LogLine]:
        if tail < 1:
            raise ConfigError(f"tail is {tail}; it must be at least 1.", hint="use e.g. tail=100.")
        if level is not None and kql.normalize_level(level) not in kql.LEVELS:
            raise ConfigError(f"level {level!r} is not a log level.",
                              hint=f"use one of {', '.join(kql.LEVELS)}.")
        q = kql.console_logs(self._s.app.name, revision=revision, tail=tail, level=level)
        span = timedelta(hours=self._m.console_logs_lookback_h)
        rows = self._list_rows("console logs", q, span, target="logs")
        lines = [
            LogLine(
                timestamp=parse_time(r.get("TimeGenerated")) or datetime.now(UTC),
                revision=str(r.get("Revision") or ""), replica=str(r.get("Replica") or ""),
                stream=str(r.get("Stream") or ""), level=str(r.get("Level") or "UNKNOWN"),
                message=str(r.get("Message") or ""),
            )
            for r in rows
        ]
        return sorted(lines, key=lambda ln: ln.timestamp)  # the query takes the newest; show oldest first

    def ingestion_lag_s(self) -> float:
        return float(self._m.ingestion_lag_s)

    def user_requests_by_route(
        self, since: datetime, now: datetime, *, revisions: Sequence[str], slow_ms: float
    ) -> CountsWindow:
        """The users' requests per revision and route up to `now - monitoring.ingestion_lag_s` (see
        `kql.user_requests_by_route` for what is left out); nothing is asked before that covers any time."""
        _aware(since=since, now=now)
        complete = max(since, now - timedelta(seconds=self.ingestion_lag_s()))
        if complete <= since:  # nothing is complete yet: an empty window, never zero traffic
            return CountsWindow(since=since, complete_until=since, rows=())
        q = kql.user_requests_by_route(self.schema, since, complete, dimension=self._m.revision_dimension,
                                       app=self._s.app.name, revisions=list(revisions) or None,
                                       slow_ms=slow_ms)
        rows, partial = self._answer("users' requests by route", q, (since, complete), empty_ok=True)
        counts = tuple(
            RouteCounts(
                revision=str(r.get("revision") or ""), route=str(r.get("route") or ""),
                requests=_int(r.get("requests")), errors_5xx=_int(r.get("errors_5xx")),
                slow=_int(r.get("slow")), estimated_requests=_float(r.get("estimated_requests")) or 0.0,
                estimated_errors=_float(r.get("estimated_errors")) or 0.0,
            )
            for r in rows
        )
        return CountsWindow(since=since, complete_until=complete, rows=counts, partial=partial is not None)
