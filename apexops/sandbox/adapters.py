"""The sandbox adapters: every port of `apexops.ports`, implemented against the running sandbox.

`build_environment(settings)` is what `apexops.connect("local")` calls. Building connects to nothing; the
first call that needs the daemon raises TargetUnavailableError with "HINT: run `apexops sandbox up`" when
the sandbox is not running. The container app and deployments go through the daemon's control API;
telemetry reads the daemon's SQLite store directly (WAL mode allows readers in other processes); the
registry, identity and blob store read the home folder like the daemon does.
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.environment import Environment
from apexops.errors import ConfigError, NotFoundError, TargetUnavailableError
from apexops.models import (
    AppState,
    AppUpdate,
    CountsWindow,
    DatabaseInfo,
    DeploymentOperation,
    DeploymentResult,
    DeploymentValidation,
    ExceptionRecord,
    ExecResult,
    ImageTag,
    LogLine,
    Replica,
    RequestRecord,
    RequestStats,
    ResourceInfo,
    Revision,
    RouteCounts,
    TelemetryBucket,
    TrafficWeight,
    WhatIfChange,
    WhatIfPropertyChange,
    WhatIfResult,
)
from apexops.polling import poll_until
from apexops.ports import ClientCheck, ProgressCallback, Traits
from apexops.sandbox.blobs import SandboxAuditStorage, sandbox_blob_store
from apexops.sandbox.capabilities import SandboxLifecycle, SandboxSyntheticLoad
from apexops.sandbox.client import (
    NOT_RUNNING_HINT,
    ControlClient,
    app_from_dict,
    iso_time,
    model_from_dict,
    replica_from_dict,
    revision_from_dict,
    traffic_from_dicts,
    traffic_to_dicts,
)
from apexops.sandbox.identity import SandboxIdentity
from apexops.sandbox.images import ImageCatalogue
from apexops.sandbox.state import SandboxPaths
from apexops.sandbox.telemetry import TelemetryReader, percentile
from apexops.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = [
    "SandboxContainerApp",
    "SandboxDatabase",
    "SandboxDeployments",
    "SandboxPlatformMetrics",
    "SandboxRegistry",
    "SandboxTelemetry",
    "build_environment",
]


def _ts(value: datetime) -> float:
    if value.tzinfo is None:
        raise ConfigError(f"time {value!r} has no timezone.", hint="use timezone-aware datetimes (UTC).")
    return value.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class SandboxContainerApp:
    """`az containerapp ...` against the sandbox control plane."""

    def __init__(self, client: ControlClient) -> None:
        self._c = client

    def show(self) -> AppState:
        return app_from_dict(self._c.call("show"))

    def list_revisions(self) -> list[Revision]:
        return [revision_from_dict(r) for r in self._c.call("list_revisions")]

    def get_revision(self, name: str) -> Revision:
        return revision_from_dict(self._c.call("get_revision", name=name))

    def update(self, change: AppUpdate, *, on_progress: ProgressCallback | None = None) -> AppState:
        payload = {
            k: getattr(change, k)
            for k in ("image", "cpu", "memory", "min_replicas", "max_replicas", "revision_suffix")
        }
        payload["env"] = dict(change.env) if change.env is not None else None
        before = self._c.call("show")["latest_revision_name"]
        state = app_from_dict(self._c.call("update", change=payload))
        if on_progress is not None:
            if state.latest_revision_name != before:
                on_progress(f"created revision {state.latest_revision_name} (provisioning)")
            else:
                on_progress("the template is unchanged: no new revision")
        return state

    def get_traffic(self) -> list[TrafficWeight]:
        return traffic_from_dicts(self._c.call("get_traffic"))

    def set_traffic(
        self, weights: Sequence[TrafficWeight], *, on_progress: ProgressCallback | None = None
    ) -> list[TrafficWeight]:
        result = traffic_from_dicts(self._c.call("set_traffic", weights=traffic_to_dicts(weights)))
        if on_progress is not None:
            on_progress("traffic: " + ", ".join(f"{w.revision_name or 'latest'}={w.weight}" for w in result))
        return result

    def activate_revision(self, name: str) -> None:
        self._c.call("activate_revision", name=name)

    def deactivate_revision(self, name: str) -> None:
        self._c.call("deactivate_revision", name=name)

    def restart_revision(self, name: str) -> None:
        self._c.call("restart_revision", name=name)

    def list_replicas(self, revision: str) -> list[Replica]:
        return [replica_from_dict(r) for r in self._c.call("list_replicas", revision=revision)]

    def restart(self) -> None:
        self._c.call("restart_app")

    def exec(self, revision: str, command: Sequence[str], *, timeout_s: float = 30.0) -> ExecResult:
        r = self._c.call("exec", revision=revision, command=list(command), timeout_s=timeout_s)
        return ExecResult(r["revision"], r["replica"], r["command"], int(r["exit_code"]), r["output"])

    # sandbox-only (no Azure equivalent through this port): rehearsal helpers
    def scale_revision(self, name: str, min_replicas: int, max_replicas: int | None = None) -> Revision:
        """Set a revision's replica bounds in place (Azure changes scale through `update`)."""
        return revision_from_dict(
            self._c.call("scale_revision", name=name, min_replicas=min_replicas, max_replicas=max_replicas)
        )

    def kill_replica(self, revision: str, replica: str | None = None) -> str:
        """Crash one replica (SIGKILL), as a rehearsal of a container crash; returns its name."""
        return str(self._c.call("kill_replica", revision=revision, replica=replica)["replica"])


class SandboxTelemetry:
    """Application Insights queries over the sandbox's telemetry store.

    The store delivers requests on production's terms (`apexops.sandbox.delivery`): a query sees a request
    only once its simulated ingestion time has passed, and sampled rows carry their item count.
    """

    def __init__(self, paths: SandboxPaths) -> None:
        self._paths = paths
        self._reader = TelemetryReader(paths.telemetry_db)

    def _db(self) -> TelemetryReader:
        if not self._paths.telemetry_db.exists():
            raise TargetUnavailableError(
                f"the sandbox has no telemetry store in {self._paths.home}.", hint=NOT_RUNNING_HINT
            )
        return self._reader

    def request_stats(
        self,
        since: datetime,
        until: datetime,
        *,
        revisions: Sequence[str] | None = None,
        slow_ms: float = 2000.0,
    ) -> dict[str, RequestStats]:
        stats = self._db().stats(
            _ts(since), _ts(until), list(revisions) if revisions is not None else None, slow_ms
        )
        return {name: RequestStats(revision=name, **s) for name, s in stats.items()}

    def request_buckets(
        self,
        since: datetime,
        until: datetime,
        *,
        bucket_s: float,
        revisions: Sequence[str] | None = None,
        slow_ms: float = 2000.0,
    ) -> list[TelemetryBucket]:
        if bucket_s <= 0:
            raise ConfigError(f"bucket_s must be > 0 (got {bucket_s}).", hint="pass e.g. bucket_s=1.")
        t0, t1 = _ts(since), _ts(until)
        if (t1 - t0) / bucket_s > 100_000:
            raise ConfigError("too many buckets for the window.", hint="use a larger bucket_s.")
        rows = self._db().requests(t0, t1, list(revisions) if revisions is not None else None)
        durations: dict[tuple[str, int], list[float]] = defaultdict(list)
        counts: Counter[tuple[str, int, str]] = Counter()  # item counts: requests, 5xx, slow
        for r in rows:
            key = (r.revision, int((r.ts - t0) // bucket_s))
            durations[key].append(r.duration_ms)
            counts[(*key, "requests")] += r.item_count
            counts[(*key, "errors")] += r.item_count if r.status >= 500 else 0
            counts[(*key, "slow")] += r.item_count if r.duration_ms >= slow_ms else 0
        names = list(revisions) if revisions is not None else sorted({k[0] for k in durations})
        n = max(0, int((t1 - t0 + bucket_s - 1e-9) // bucket_s))
        return [
            TelemetryBucket(name, _dt(t0 + i * bucket_s), counts[(name, i, "requests")],
                            counts[(name, i, "errors")], counts[(name, i, "slow")],
                            percentile(sorted(durations.get((name, i), [])), 0.95))
            for i in range(n)
            for name in names
        ]  # fmt: skip

    def slowest_requests(self, since: datetime, until: datetime, *, top: int = 10) -> list[RequestRecord]:
        rows = self._db().slowest(_ts(since), _ts(until), top)
        return [model_from_dict(RequestRecord, asdict(r), timestamp=_dt(r.ts), url=r.path) for r in rows]

    def exceptions(self, since: datetime, until: datetime, *, limit: int = 100) -> list[ExceptionRecord]:
        return [
            ExceptionRecord(timestamp=_dt(ts), revision=rev, replica=rep, type=t, message=m, problem_id=p)
            for ts, rev, rep, t, m, p in self._db().exceptions(_ts(since), _ts(until), limit)
        ]

    def console_logs(
        self, revision: str | None = None, *, tail: int = 100, level: str | None = None
    ) -> list[LogLine]:
        return [
            LogLine(timestamp=_dt(ts), revision=rev, replica=rep, stream=stream, level=lvl, message=msg)
            for ts, rev, rep, stream, lvl, msg in self._db().console(revision, tail, level)
        ]

    def user_requests_by_route(
        self, since: datetime, now: datetime, *, revisions: Sequence[str], slow_ms: float
    ) -> CountsWindow:
        """The users' requests (app URL only: probes go to revision URLs) per revision and route, over
        [since, complete_until): the rows as sampled, and their item-count-weighted estimates."""
        t0, at = _ts(since), min(_ts(now), time.time())
        db = self._db()
        watermark = db.watermark()
        complete = max(t0, min(at - db.delivery().lag_bound_s, watermark if watermark is not None else t0))
        names = list(revisions) or None
        rows = db.user_routes(t0, complete, names, slow_ms, visible_at=at) if complete > t0 else []
        return CountsWindow(
            since=since,
            complete_until=_dt(complete),
            rows=tuple(
                RouteCounts(r.revision, r.route, r.rows, r.errors_5xx, r.slow, r.estimated_requests,
                            r.estimated_errors)
                for r in rows
            ),
        )  # fmt: skip

    def ingestion_lag_s(self) -> float:
        """The simulated lag bound, or longer while the store lags behind (the daemon is down, a request
        has been in flight for longer)."""
        db = self._db()
        watermark = db.watermark()
        if watermark is None:
            return float("inf")
        return max(0.5, db.delivery().lag_bound_s, time.time() - watermark)


class SandboxPlatformMetrics:
    """The platform's per-revision request counters (the ingress counts every request it serves, revision
    URLs included, like Container Apps' `Requests` metric), per bucket of `platform_grain_s`, each bucket
    published after the simulated platform lag."""

    def __init__(self, paths: SandboxPaths) -> None:
        self._telemetry = SandboxTelemetry(paths)

    def request_counts(self, since: datetime, now: datetime, *, revisions: Sequence[str]) -> CountsWindow:
        t0, at = _ts(since), min(_ts(now), time.time())
        db = self._telemetry._db()
        d = db.delivery()
        first = math.ceil(t0 / d.platform_grain_s)  # whole buckets only: a partial one mixes in other traffic
        start = first * d.platform_grain_s
        watermark = db.watermark()
        end = d.published_until(first, at, watermark if watermark is not None else start) * d.platform_grain_s
        counts = db.platform(start, end, list(revisions) or None) if end > start else {}
        names = list(revisions) or sorted(counts)
        return CountsWindow(
            since=_dt(max(start, t0)),
            complete_until=_dt(max(end, start, t0)),
            rows=tuple(
                RouteCounts(name, "*", n, e, None, float(n), float(e))
                for name in names
                for n, e in [counts.get(name, (0, 0))]
            ),
        )


class SandboxRegistry:
    """`az acr repository ...` over the sandbox image catalogue."""

    def __init__(self, settings: Settings, home: Path) -> None:
        self._settings = settings
        self._catalogue = ImageCatalogue(home, settings.registry.server, settings.app.image_repository)

    @property
    def server(self) -> str:
        return self._settings.registry.server

    def _repo(self, repository: str) -> Any:
        if repository != self._settings.app.image_repository:
            raise NotFoundError(
                f"repository {repository!r} does not exist in {self.server}.",
                hint=f"the sandbox registry holds {self._settings.app.image_repository}.",
            )
        return self._catalogue

    def list_tags(self, repository: str) -> list[ImageTag]:
        return self._repo(repository).tags()

    def get_tag(self, repository: str, tag: str) -> ImageTag:
        return self._repo(repository).get(tag).as_tag()


class SandboxDatabase:
    """The sandbox database through SQLAlchemy; `info()` never shows credentials."""

    def __init__(self, settings: Settings) -> None:
        self._url = settings.sandbox_database_url()
        self._engine: Engine | None = None

    def info(self) -> DatabaseInfo:
        from sqlalchemy.engine import make_url

        url = make_url(self._url)
        backend = url.get_backend_name()
        socket_dir = url.query.get("host")  # e.g. a local PostgreSQL (pgserver) on a Unix socket
        return DatabaseInfo(
            dialect=backend,
            server=url.host
            or (str(socket_dir) if socket_dir else "local file" if backend == "sqlite" else ""),
            database=url.database or "",
            driver=url.get_driver_name(),
        )

    def client_check(self) -> ClientCheck:
        from sqlalchemy.engine import make_url

        url = make_url(self._url)
        shown = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "sqlite":
            return ClientCheck("database settings", True, f"SQLite: {url.database}")
        if url.get_backend_name() == "postgresql" and importlib.util.find_spec("psycopg2") is None:
            return ClientCheck(
                "database settings", False, f"{shown}: psycopg2 is not installed", "pip install -e '.[dev]'"
            )
        return ClientCheck("database settings", True, shown)

    def engine(self) -> Engine:
        if self._engine is None:
            from sqlalchemy import create_engine

            if self._url.startswith("sqlite:///") and not Path(self._url.removeprefix("sqlite:///")).exists():
                raise TargetUnavailableError(
                    f"the sandbox database {self._url.removeprefix('sqlite:///')} does not exist yet.",
                    hint=NOT_RUNNING_HINT,
                )

            kwargs: dict[str, Any] = {"pool_pre_ping": True}
            if self._url.startswith("sqlite"):
                kwargs["connect_args"] = {"timeout": 30}
            self._engine = create_engine(self._url, **kwargs)
        return self._engine


class SandboxDeployments:
    """`az deployment group ...` against the sandbox resource group."""

    #: a sandbox deployment that runs longer than this is reported as it stands (still Running)
    DEPLOY_TIMEOUT_S = 600.0

    def __init__(self, client: ControlClient, *, poll_s: float = 0.05) -> None:
        self._c, self._poll_s = client, poll_s

    def validate(
        self, template: dict[str, Any], parameters: dict[str, Any], *, name: str = "main"
    ) -> DeploymentValidation:
        r = self._c.call("deploy_validate", template=template, parameters=parameters, name=name)
        head = (r[k] for k in ("ok", "provisioning_state", "error_code", "error_message"))
        return DeploymentValidation(*head, details=tuple(r["details"]), diagnostics=tuple(r["diagnostics"]))

    def what_if(
        self,
        template: dict[str, Any],
        parameters: dict[str, Any],
        *,
        name: str = "main",
        mode: str = "Incremental",
    ) -> WhatIfResult:
        r = self._c.call("deploy_what_if", template=template, parameters=parameters, name=name, mode=mode)
        changes = tuple(
            WhatIfChange(
                *(c[k] for k in ("resource_id", "resource_type", "name", "change_type")),
                delta=tuple(WhatIfPropertyChange(**d) for d in c.get("delta", [])),
                **{k: c.get(k) for k in ("before", "after", "unsupported_reason")},
            )
            for c in r["changes"]
        )
        return WhatIfResult(status=r["status"], changes=changes, error_message=r["error_message"])

    @staticmethod
    def _result(r: dict[str, Any]) -> DeploymentResult:
        operations = tuple(SandboxDeployments._op(o) for o in r.get("operations", []))
        outputs, when = dict(r.get("outputs") or {}), iso_time(r.get("timestamp"))
        return model_from_dict(DeploymentResult, r, outputs=outputs, operations=operations, timestamp=when)

    @staticmethod
    def _op(o: dict[str, Any]) -> DeploymentOperation:
        return model_from_dict(DeploymentOperation, o, timestamp=iso_time(o.get("timestamp")))

    def create_or_update(
        self,
        template: dict[str, Any],
        parameters: dict[str, Any],
        *,
        name: str = "main",
        on_progress: ProgressCallback | None = None,
        mode: str = "Incremental",
    ) -> DeploymentResult:
        self._c.call("deploy_start", template=template, parameters=parameters, name=name, mode=mode)
        reported: list[dict[str, Any]] = []

        def state() -> dict[str, Any]:
            r: dict[str, Any] = self._c.call("deploy_get", name=name)
            done = [o for o in r["operations"] if o["provisioning_state"] != "Running"]
            for o in done[len(reported) :] if on_progress is not None else ():
                what = f"{o['operation']} {o['resource_type']} {o['resource_name']}"
                on_progress(f"{what}: {o['provisioning_state']}")
            reported[:] = done
            return r

        def ended(r: dict[str, Any]) -> bool:
            return r["provisioning_state"] not in ("Running", "Accepted")

        polled = poll_until(state, self.DEPLOY_TIMEOUT_S, until=ended, interval_s=self._poll_s)
        return self._result(polled.value)

    def get(self, name: str = "main") -> DeploymentResult | None:
        r = self._c.call("deploy_get", name=name)
        return self._result(r) if r else None

    def operations(self, name: str = "main") -> list[DeploymentOperation]:
        r = self._c.call("deploy_get", name=name)
        if not r:
            raise NotFoundError(f"deployment {name!r} does not exist.", hint="run create_or_update first.")
        return [self._op(o) for o in r["operations"]]

    def cancel(self, name: str = "main") -> bool:
        return bool(self._c.call("deploy_cancel", name=name))

    def list_resources(self) -> list[ResourceInfo]:
        return [ResourceInfo(**r) for r in self._c.call("list_resources")]


def build_environment(settings: Settings) -> Environment:
    """Wire every port to the sandbox in `settings.sandbox_home()`. Contacts nothing yet."""
    home = settings.sandbox_home().resolve()
    paths = SandboxPaths(home)
    client = ControlClient(home)  # finds the daemon on first call, so a sandbox started later is found
    return Environment(
        settings=settings,
        target="sandbox",
        app=SandboxContainerApp(client),
        telemetry=SandboxTelemetry(paths),
        platform_metrics=SandboxPlatformMetrics(paths),
        registry=SandboxRegistry(settings, home),
        identity=SandboxIdentity(home),
        blobs=sandbox_blob_store(home),  # Azurite, through azure-storage-blob
        audit_storage=SandboxAuditStorage(settings),
        database=SandboxDatabase(settings),
        deployments=SandboxDeployments(client),
        traits=Traits(
            name="sandbox",
            has_subscription=False,
            deployments_change_running_app=False,
            exec_is_local=True,
            started_by_apexops=True,
        ),
        lifecycle=SandboxLifecycle(settings),
        load=SandboxSyntheticLoad(settings),
    )
