"""The PlatformMetrics port on Azure Monitor: Container Apps' own `Requests` metric, per revision and
status-code category, at 1-minute grain (azure-monitor-querymetrics, the `metrics:getBatch` API).

Application Insights shows a request minutes after it happened; the platform's metric of the same request
is published about a minute or two after its minute ends, without routes or latency but for every request
the ingress served (revision FQDNs included, so apexops' probes too: the caller subtracts its own). Only
whole minutes are reported: the first minute starting at or after `since`, up to the last minute that ended
`monitoring.platform_metrics_lag_s` before `now` (what is later may not be published yet, and an absent
data point would read as zero). The SDK is imported on first use; its errors leave as `apexops.errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apexops import azcli
from apexops.azure._clients import AzureClients
from apexops.azure._errors import map_azure_errors
from apexops.errors import ConfigError, InvalidRequestError, NotFoundError
from apexops.models import CountsWindow, RouteCounts

__all__ = ["GRAIN", "METRIC", "NAMESPACE", "AzurePlatformMetrics", "metric_filter"]

NAMESPACE = "Microsoft.App/containerApps"
METRIC = "Requests"
GRAIN = timedelta(minutes=1)
#: the dimensions asked for (Azure answers them in lower case in `metadatavalues`)
REVISION_DIM, CATEGORY_DIM = "revisionName", "statusCodeCategory"


def _minute(value: datetime, *, up: bool) -> datetime:
    floor = value.astimezone(UTC).replace(second=0, microsecond=0)
    return floor + GRAIN if up and floor < value else floor


def metric_filter(revisions: Sequence[str]) -> str:
    """The `$filter` splitting the series by revision and status-code category (named revisions only).

    Azure's filter grammar: `or` joins values of one dimension, `and` joins dimensions.
    """
    quoted = ["'" + r.replace("'", "''") + "'" for r in revisions] or ["'*'"]
    names = " or ".join(f"{REVISION_DIM} eq {q}" for q in quoted)
    return f"{names} and {CATEGORY_DIM} eq '*'"


def _dimension(series: Any, name: str) -> str:
    values = {str(k).lower(): v for k, v in (getattr(series, "metadata_values", None) or {}).items()}
    return str(values.get(name.lower()) or "")


def _add_up(totals: dict[str, list[float]], results: list[Any], start: datetime, end: datetime) -> None:
    """Add each series' 1-minute totals in [start, end) to its revision's [requests, 5xx]."""
    for series in (s for result in results for metric in result.metrics for s in metric.timeseries):
        total = sum(float(p.total or 0) for p in series.data
                    if p.timestamp is not None and start <= p.timestamp < end)  # fmt: skip
        counts = totals.setdefault(_dimension(series, REVISION_DIM), [0.0, 0.0])
        counts[0] += total
        counts[1] += total if _dimension(series, CATEGORY_DIM).startswith("5") else 0.0


class AzurePlatformMetrics:
    """`az monitor metrics list --metric Requests --dimension revisionName statusCodeCategory` as a port."""

    def __init__(self, clients: AzureClients) -> None:
        self._c = clients
        self._s = clients.settings

    @property
    def resource_id(self) -> str:
        return (f"/subscriptions/{self._c.subscription_id}/resourceGroups/{self._s.azure.resource_group}"
                f"/providers/{NAMESPACE}/{self._s.app.name}")

    def request_counts(self, since: datetime, now: datetime, *, revisions: Sequence[str]) -> CountsWindow:
        for name, value in (("since", since), ("now", now)):
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise ConfigError(f"{name} must be a timezone-aware datetime (got {value!r}).",
                                  hint="use datetime.now(UTC).")
        start = _minute(since, up=True)
        lag = timedelta(seconds=self._s.monitoring.platform_metrics_lag_s)
        end = max(start, _minute(now - lag, up=False))  # later minutes may not be published yet
        names = list(revisions)
        totals: dict[str, list[float]] = {name: [0.0, 0.0] for name in names}
        partial = False
        if end > start:
            results = self._query(start, end, names)
            partial = not results or not any(r.metrics for r in results)  # no series at all: not "zero"
            _add_up(totals, results, start, end)
        rows = tuple(RouteCounts(rev, "*", round(n), round(e), None, n, e) for rev, (n, e) in totals.items())
        return CountsWindow(since=start, complete_until=end, rows=rows, partial=partial)

    def _query(self, start: datetime, end: datetime, revisions: list[str]) -> list[Any]:
        what = f"platform metric {METRIC} of {self._s.app.name}"
        show = azcli.containerapp_show(self._s, query="id", oneline=True)
        try:
            with map_azure_errors(what, self._s, service="logs"):
                client = self._c.metrics()
                return list(client.query_resources(
                    resource_ids=[self.resource_id], metric_namespace=NAMESPACE, metric_names=[METRIC],
                    timespan=(start, end), granularity=GRAIN, aggregations=["Total"],
                    filter=metric_filter(revisions), max_results=max(100, 10 * len(revisions)),
                ))  # fmt: skip
        except NotFoundError as exc:
            raise NotFoundError(exc.message, hint=f"check the app's resource id: {show}") from exc
        except InvalidRequestError as exc:
            raise InvalidRequestError(
                exc.message, hint=f"Azure refused the metrics query ({NAMESPACE} {METRIC} by {REVISION_DIM}, "
                f"{CATEGORY_DIM}); check the app's resource id: {show}"
            ) from exc
