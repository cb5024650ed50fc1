"""The KQL apexops runs against Application Insights and Log Analytics, as pure, showable text.

Notebooks show these queries (`display.show_code(q, "kql")`) so a reviewer can re-run them in the portal.

Counting honours sampling: Application Insights may keep one record for N requests and sets `itemCount`
to N, so counts are `sum(itemCount)` and percentiles are weighted (`percentilew(duration, itemCount, p)`),
never `count()` or an unweighted `percentile()` ("use summarize sum(itemCount) rather than counting
records", App Insights sampling doc).

Attributing a request to a revision: Container Apps sets CONTAINER_APP_REVISION (and the replica name,
CONTAINER_APP_REPLICA_NAME, which is `<revision>-<pod-hash>-<suffix>`) in every container. A request's
revision is, in this order:
  1. the custom dimension `settings.monitoring.revision_dimension` (default `revision`) — the APEX app
     should add it to every request span from $CONTAINER_APP_REVISION (with the Azure Monitor
     OpenTelemetry distro, a span processor setting the attribute `revision`);
  2. else, when the role instance names a revision of this app (`<app>--...`), that instance with its two
     trailing replica segments removed — this works when the role instance is the replica name
     (OTEL_RESOURCE_ATTRIBUTES=service.instance.id=$CONTAINER_APP_REPLICA_NAME), or as it is when the app
     sets it to the revision name itself;
  3. else "" (unattributed): a machine or host name is never taken for a revision. Preflight (00) warns
     when recent requests are unattributed.
Every request and exception query keeps only the application's own records (`cloud_RoleName` /
`AppRoleName` == the app name, which the app sets as OTEL_SERVICE_NAME): one Application Insights
component may be shared by several services.

The users' requests (`user_requests_by_route`, the canary judge's users stratum) leave out what apexops sent
itself: every request to a revision-specific FQDN (`<app>--<suffix>.<env>.<region>.azurecontainerapps.io`:
users reach the app's own FQDN or a custom domain; probes go to revision FQDNs only), and every request
carrying the probe marker when the app records it (the captured request header `X-Apexops-Probe`, with
OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST=X-Apexops-Probe, or the `apexops-probe/` user agent).
There the rows are counted as sampled (`count()`): the judge's tests need the kept rows themselves, a valid
thinned stream because sampling does not depend on the outcome; the itemCount sums are the estimates shown.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "CLASSIC",
    "WORKSPACE",
    "Schema",
    "console_logs",
    "exceptions",
    "normalize_level",
    "request_buckets",
    "request_stats",
    "slowest_requests",
    "string",
    "user_requests_by_route",
]

#: what marks a probe request, as the apexops prober sends it (see apexops.canary.probes)
PROBE_USER_AGENT = "apexops-probe/"
#: the custom dimensions where the app may record the probe marker (OpenTelemetry attribute names)
PROBE_DIMENSIONS = ("http.request.header.x_apexops_probe", "http.request.header.x-apexops-probe")
USER_AGENT_DIMENSIONS = ("user_agent.original", "http.user_agent")


@dataclass(frozen=True)
class Schema:
    """Table and column names: classic App Insights tables or their Log Analytics (workspace) twins."""

    requests: str
    exceptions: str
    time: str
    duration: str
    result_code: str
    item_count: str
    role_instance: str
    role_name: str
    dimensions: str
    name: str
    url: str
    exception_type: str
    exception_message: str
    problem_id: str


CLASSIC = Schema("requests", "exceptions", "timestamp", "duration", "resultCode", "itemCount",
                 "cloud_RoleInstance", "cloud_RoleName", "customDimensions", "name", "url", "type",
                 "outerMessage", "problemId")
WORKSPACE = Schema("AppRequests", "AppExceptions", "TimeGenerated", "DurationMs", "ResultCode", "ItemCount",
                   "AppRoleInstance", "AppRoleName", "Properties", "Name", "Url", "ExceptionType",
                   "OuterMessage", "ProblemId")


def string(value: str) -> str:
    """A KQL string literal (double-quoted, escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dt(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("telemetry windows need timezone-aware datetimes")
    return "datetime(" + value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") + ")"


def _window(s: Schema, since: datetime, until: datetime, app: str) -> str:
    """The time window, of this application only: a component shared with other services mixes theirs in."""
    return f"| where {s.time} >= {_dt(since)} and {s.time} < {_dt(until)} and {s.role_name} == {string(app)}"


def revision_expr(s: Schema, dimension: str, app: str) -> str:
    """The revision of a record, or "" when it cannot be told (see the module docstring).

    The role instance counts only when it names a revision of this app (`<app>--<suffix>`, as replica
    names do): a machine or host name is not a revision, and taking it for one reads the canary as 0.
    """
    ri = s.role_instance
    by_instance = (f'iff({ri} startswith {string(app + "--")}, '
                   f'coalesce(extract(@"^(.+)-[^-]+-[^-]+$", 1, {ri}), {ri}), "")')
    return f"coalesce(tostring({s.dimensions}[{string(dimension)}]), {by_instance})"


def _requests_of(s: Schema, since: datetime, until: datetime, dimension: str, app: str,
                 revisions: Sequence[str] | None) -> list[str]:
    """The window's requests with their revision and status code, of the named revisions only if given."""
    only = [f"| where revision in ({', '.join(string(r) for r in revisions)})"] if revisions else []
    return [s.requests, _window(s, since, until, app),
            f"| extend revision = {revision_expr(s, dimension, app)}, code = toint({s.result_code})", *only]


def _counts(s: Schema, slow_ms: float) -> str:
    n = s.item_count
    return (f"requests = sum({n}), "
            f"errors_5xx = sumif({n}, code >= 500 and code < 600), "
            f"slow = sumif({n}, {s.duration} >= {float(slow_ms)})")


def request_stats(s: Schema, since: datetime, until: datetime, *, dimension: str, app: str,
                  revisions: Sequence[str] | None = None, slow_ms: float = 2000.0) -> str:
    """Per revision: requests, 5xx, slow requests and weighted p50/p95/p99 (ms) over [since, until)."""
    n, d = s.item_count, s.duration
    return "\n".join([
        *_requests_of(s, since, until, dimension, app, revisions),
        f"| summarize {_counts(s, slow_ms)},",
        f"    p50_ms = percentilew({d}, {n}, 50), p95_ms = percentilew({d}, {n}, 95), "
        f"p99_ms = percentilew({d}, {n}, 99)",
        "    by revision",
    ])


def user_requests_by_route(s: Schema, since: datetime, until: datetime, *, dimension: str, app: str,
                           revisions: Sequence[str] | None = None, slow_ms: float = 2000.0) -> str:
    """Per revision and route (operation name): the users' requests over [since, until), probes excluded.

    `requests`/`errors_5xx`/`slow` count the sampled rows; `estimated_*` weigh them by itemCount.
    """
    n, dims = s.item_count, s.dimensions
    marker = " and ".join(f"isempty(tostring({dims}[{string(d)}]))" for d in PROBE_DIMENSIONS)
    agent = " and ".join(f"not(tostring({dims}[{string(d)}]) startswith {string(PROBE_USER_AGENT)})"
                         for d in USER_AGENT_DIMENSIONS)  # fmt: skip
    return "\n".join([
        *_requests_of(s, since, until, dimension, app, revisions),
        f"| where not(tostring(parse_url({s.url}).Host) startswith {string(app + '--')})",
        f"| where {marker}",
        f"| where {agent}",
        "| summarize requests = count(), errors_5xx = countif(code >= 500 and code < 600), "
        f"slow = countif({s.duration} >= {float(slow_ms)}),",
        f"    estimated_requests = sum({n}), estimated_errors = sumif({n}, code >= 500 and code < 600)",
        f"    by revision, route = {s.name}",
        "| order by revision asc, route asc",
    ])


def request_buckets(s: Schema, since: datetime, until: datetime, *, bucket_s: float, dimension: str,
                    app: str, revisions: Sequence[str] | None = None, slow_ms: float = 2000.0) -> str:
    """The same counts per revision and time bucket, oldest bucket first."""
    if not bucket_s > 0:
        raise ValueError("bucket_s must be above 0")
    return "\n".join([
        *_requests_of(s, since, until, dimension, app, revisions),
        f"| summarize {_counts(s, slow_ms)}, p95_ms = percentilew({s.duration}, {s.item_count}, 95)",
        f"    by revision, start = bin({s.time}, {round(bucket_s * 1000)}ms)",
        "| order by start asc, revision asc",
    ])


def slowest_requests(s: Schema, since: datetime, until: datetime, *, dimension: str, app: str,
                     top: int = 10) -> str:
    """The runbook's 'slowest requests (last hour)', with the revision and replica that served each."""
    return "\n".join([
        s.requests,
        _window(s, since, until, app),
        f"| top {int(top)} by {s.duration} desc",
        f"| project timestamp = {s.time}, revision = {revision_expr(s, dimension, app)}, "
        f"replica = {s.role_instance}, name = {s.name}, resultCode = {s.result_code}, "
        f"duration = {s.duration}, url = {s.url}",
    ])


def exceptions(s: Schema, since: datetime, until: datetime, *, dimension: str, app: str,
               limit: int = 100) -> str:
    """The runbook's 'exceptions (last hour)', newest first."""
    return "\n".join([
        s.exceptions,
        _window(s, since, until, app),
        f"| project timestamp = {s.time}, revision = {revision_expr(s, dimension, app)}, "
        f"replica = {s.role_instance}, type = {s.exception_type}, outerMessage = {s.exception_message}, "
        f"problemId = {s.problem_id}",
        "| order by timestamp desc",
        f"| take {int(limit)}",
    ])


#: console lines of Container Apps: the legacy custom table (log destination "log-analytics") and the
#: Azure Monitor table (diagnostic settings); `isfuzzy` tolerates whichever one the workspace lacks
_CONSOLE_SOURCES = """union isfuzzy=true
    (ContainerAppConsoleLogs_CL
     | project TimeGenerated, App = ContainerAppName_s, Revision = RevisionName_s,
               Replica = ContainerGroupName_s, Stream = Stream_s, Log = Log_s),
    (ContainerAppConsoleLogs
     | project TimeGenerated, App = ContainerAppName, Revision = RevisionName,
               Replica = ContainerGroupName, Stream, Log)"""

#: Python's level names (the APEX service logs with `logging`), and their aliases (WARN, FATAL)
LEVELS = tuple(map(logging.getLevelName, (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR,
                                          logging.CRITICAL)))  # fmt: skip
_ALIASES = {
    alias: logging.getLevelName(number)
    for alias, number in sorted(logging.getLevelNamesMapping().items(), key=lambda kv: kv[1])
    if logging.getLevelName(number) != alias
}


def normalize_level(level: str) -> str:
    """WARN -> WARNING, FATAL -> CRITICAL, upper case; as the console-log query labels lines."""
    up = level.strip().upper()
    return _ALIASES.get(up, up)


def console_logs(app: str, *, revision: str | None = None, tail: int = 100, level: str | None = None) -> str:
    """The last `tail` console lines of the app (or one revision), optionally of one level only.

    The level is the JSON `level` field the APEX service logs (`{"level": "ERROR", ...}`, the runbook's
    `jq 'select(.level == "ERROR")'`), else a level word at the start of a plain line, else UNKNOWN.
    The message is the console line as written.
    """
    lines = [
        _CONSOLE_SOURCES,
        f"| where App == {string(app)}",
        *([f"| where Revision == {string(revision)}"] if revision else []),
        "| extend j = parse_json(Log)",
        "| extend Level = toupper(coalesce(tostring(j.level), tostring(j.levelname), "
        'extract(@"^\\W*(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\\b", 1, Log), "UNKNOWN"))',
        "| extend Level = case("
        + "".join(f"Level == {string(alias)}, {string(name)}, " for alias, name in _ALIASES.items())
        + "Level)",
        *([f"| where Level == {string(normalize_level(level))}"] if level else []),
        f"| top {int(tail)} by TimeGenerated desc",
        "| project TimeGenerated, Revision, Replica, Stream, Level, Message = Log",
    ]
    return "\n".join(lines)
