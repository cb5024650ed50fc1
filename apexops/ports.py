"""The ports: what a target must offer so that every procedure runs unchanged on the sandbox and on Azure.

Each port is a `typing.Protocol`. The sandbox adapters and the Azure adapters implement all of them with
the same signatures and return types; `tests/contract` runs the same behavioural tests on both targets.
A capability one target lacks (`Lifecycle`, `SyntheticLoad`, `Identity.rehearsal_token`,
`ContainerApp.scale_revision`) is still a method there: it raises NotSupportedError whose hint is the
manual step, so procedures never probe with `getattr` nor branch on the target's name.
Return values are the frozen types of `apexops.models`; failures are the typed errors of `apexops.errors`.
Mutating calls are synchronous from the caller's point of view: they return when the target has accepted
and finished the change (long-running operations are polled inside the adapter, reporting progress through
the optional `on_progress` callback).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

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
    TelemetryBucket,
    TrafficWeight,
    WhatIfResult,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from apexops.tokens import AccessToken

__all__ = [
    "BlobStore",
    "ClientCheck",
    "ContainerApp",
    "Database",
    "Deployments",
    "Identity",
    "Lifecycle",
    "LoadCounts",
    "LoadRun",
    "PlatformMetrics",
    "ProgressCallback",
    "Reachability",
    "Registry",
    "SyntheticLoad",
    "Telemetry",
    "Traits",
]


@dataclass(frozen=True)
class Traits:
    """What a target is, declared by its adapter, so procedures never test `target == ...`.

    Each field is a fact a procedure needs to word a step or choose a manual route; a new difference
    between targets becomes a new field here (or a port method that may raise NotSupportedError).
    """

    #: the target's name, for display only ("sandbox", "azure")
    name: str
    #: deployments run in an Azure subscription (the subscription id reference must be set)
    has_subscription: bool
    #: an ARM deployment of the container app resource changes the running app (False on the sandbox,
    #: whose resource group is an inventory: procedure 30 deploys revisions)
    deployments_change_running_app: bool
    #: `ContainerApp.exec` runs in a local replica process rather than an Azure console session
    exec_is_local: bool
    #: apexops starts the target itself (`Lifecycle`); otherwise the target is always on and reached
    #: through its subscription
    started_by_apexops: bool = False


@dataclass(frozen=True)
class Reachability:
    """Whether a target apexops starts itself runs now and, if not, whether it could start."""

    running: bool
    detail: str
    #: why it cannot start now ("" when it can), and how to remove that
    blocker: str = ""
    fix: str = ""
    #: the command that starts it
    start: str = ""


@dataclass(frozen=True)
class ClientCheck:
    """A local prerequisite of a port (a driver, a URL), checked without contacting the target."""

    name: str
    ok: bool
    detail: str
    hint: str = ""


#: called by long-running operations with a short human-readable status line
ProgressCallback = Callable[[str], None]


@runtime_checkable
class ContainerApp(Protocol):
    """The container app in multiple-revision mode (`az containerapp ...`)."""

    def show(self) -> AppState:
        """The app's configuration, traffic and latest revision. Read-only."""

    def list_revisions(self) -> list[Revision]:
        """All revisions, active or not, oldest first."""

    def get_revision(self, name: str) -> Revision:
        """One revision; NotFoundError if it does not exist."""

    def update(self, change: AppUpdate, *, on_progress: ProgressCallback | None = None) -> AppState:
        """Apply a template change, which creates a new revision; returns the app after the update.

        The new revision is `result.latest_revision_name`. It is not waited on until healthy: callers
        watch it with `get_revision`. New revisions receive no traffic unless the list says so.
        """

    def get_traffic(self) -> list[TrafficWeight]:
        """The current ingress traffic list."""

    def set_traffic(
        self, weights: Sequence[TrafficWeight], *, on_progress: ProgressCallback | None = None
    ) -> list[TrafficWeight]:
        """Replace the whole traffic list; weights must sum to 100 and go to active revisions only.

        Validated before any call (TrafficError); returns the list read back after the write.
        """

    def activate_revision(self, name: str) -> None:
        """Activate a revision (idempotent)."""

    def deactivate_revision(self, name: str) -> None:
        """Deactivate a revision (idempotent). Refused while the revision has traffic weight."""

    def restart_revision(self, name: str) -> None:
        """Restart every replica of a revision."""

    def list_replicas(self, revision: str) -> list[Replica]:
        """The replicas of a revision with their restart counts."""

    def restart(self) -> None:
        """Restart the whole app (every active revision)."""

    def exec(self, revision: str, command: Sequence[str], *, timeout_s: float = 30.0) -> ExecResult:
        """Run a command in the environment of one replica of `revision` (`az containerapp exec`)."""

    def scale_revision(self, name: str, min_replicas: int, max_replicas: int | None = None) -> Revision:
        """Set one revision's replica bounds in place (0 stops it without deactivating it).

        Optional capability: Azure changes scale only through `update` (a new revision), so its adapter
        raises NotSupportedError whose hint is the manual route.
        """


@runtime_checkable
class Telemetry(Protocol):
    """Requests, exceptions and console logs, as Application Insights and Log Analytics hold them."""

    def request_stats(
        self,
        since: datetime,
        until: datetime,
        *,
        revisions: Sequence[str] | None = None,
        slow_ms: float = 2000.0,
    ) -> dict[str, RequestStats]:
        """Per-revision counts over [since, until): requests, 5xx, requests >= slow_ms, percentiles.

        Counts honour sampling (sum of item counts). Revisions without requests are absent unless named
        in `revisions`, in which case they appear with zero counts.
        """

    def request_buckets(
        self,
        since: datetime,
        until: datetime,
        *,
        bucket_s: float,
        revisions: Sequence[str] | None = None,
        slow_ms: float = 2000.0,
    ) -> list[TelemetryBucket]:
        """The same counts per revision and time bucket, oldest first, for charts and interval tables."""

    def slowest_requests(self, since: datetime, until: datetime, *, top: int = 10) -> list[RequestRecord]:
        """The runbook's 'slowest requests (last hour)' query."""

    def exceptions(self, since: datetime, until: datetime, *, limit: int = 100) -> list[ExceptionRecord]:
        """The runbook's 'exceptions (last hour)' query, newest first."""

    def console_logs(
        self, revision: str | None = None, *, tail: int = 100, level: str | None = None
    ) -> list[LogLine]:
        """The last `tail` console lines of a revision (or the whole app), optionally one level only."""

    def ingestion_lag_s(self) -> float:
        """How far behind real time the data may be; judges only trust data older than this."""

    def user_requests_by_route(
        self, since: datetime, now: datetime, *, revisions: Sequence[str], slow_ms: float
    ) -> CountsWindow:
        """The users' requests per (revision, route) over [since, complete_until), for the canary judge.

        Users only: requests that came through the app's own URL; probes (sent to revision URLs, marked
        with the apexops-probe user agent and header) and any other revision-URL request are excluded.
        `complete_until` is `now` minus the backend's lag bound (never before `since`): later requests may
        not be ingested yet, so they are not counted at all rather than counted as zero. `requests`,
        `errors_5xx` and `slow` (duration >= slow_ms) count the rows as sampled; the estimates weigh them by
        item count. `revisions` empty means every revision.
        """


@runtime_checkable
class Registry(Protocol):
    """The container registry (`az acr repository ...`)."""

    @property
    def server(self) -> str:
        """Login server, e.g. apexacr.azurecr.io."""

    def list_tags(self, repository: str) -> list[ImageTag]:
        """Tags of a repository, newest first."""

    def get_tag(self, repository: str, tag: str) -> ImageTag:
        """One tag with its digest and creation time; NotFoundError if missing."""


@runtime_checkable
class Identity(Protocol):
    """The operator's identity and tokens for the APEX API."""

    def whoami(self) -> Principal:
        """Who is acting; never a secret."""

    def api_token(self, audience: str) -> AccessToken:
        """A bearer token for `audience` (e.g. api://<client-id>). The value is never printed."""

    def rehearsal_token(self, audience: str, issued_at: datetime) -> AccessToken:
        """A one-hour token for `audience` as if issued at `issued_at`, to rehearse an expired token's 401.

        Optional capability: an identity provider that mints its own tokens (Azure AD) cannot backdate
        one, so its adapter raises NotSupportedError whose hint is the manual route.
        """


@runtime_checkable
class BlobStore(Protocol):
    """Blob storage for uploaded documents."""

    def list_containers(self) -> list[BlobContainerInfo]: ...

    def blob_exists(self, container: str, path: str) -> bool: ...


@runtime_checkable
class Database(Protocol):
    """The application database, reached with SQLAlchemy (Alembic runs on top of it)."""

    def info(self) -> DatabaseInfo:
        """Where the database is, with no credentials."""

    def engine(self) -> Engine:
        """A SQLAlchemy engine; credentials are resolved inside, never passed in."""

    def client_check(self) -> ClientCheck:
        """The driver and connection settings this side needs, checked without connecting."""


@runtime_checkable
class Deployments(Protocol):
    """Resource-group deployments (`az deployment group ...`) and the resource inventory."""

    def validate(
        self, template: dict[str, Any], parameters: dict[str, Any], *, name: str = "main"
    ) -> DeploymentValidation: ...

    def what_if(
        self,
        template: dict[str, Any],
        parameters: dict[str, Any],
        *,
        name: str = "main",
        mode: str = "Incremental",
    ) -> WhatIfResult:
        """Predicted changes with full resource payloads; mode Complete also predicts deletions."""

    def create_or_update(
        self,
        template: dict[str, Any],
        parameters: dict[str, Any],
        *,
        name: str = "main",
        on_progress: ProgressCallback | None = None,
        mode: str = "Incremental",
    ) -> DeploymentResult:
        """Deploy and wait, reporting each resource operation as it finishes."""

    def get(self, name: str = "main") -> DeploymentResult | None:
        """The deployment's state, or None if there is no deployment of that name."""

    def operations(self, name: str = "main") -> list[DeploymentOperation]: ...

    def cancel(self, name: str = "main") -> bool:
        """Cancel a running deployment; False when nothing was running."""

    def list_resources(self) -> list[ResourceInfo]:
        """The resource group's resources (`az resource list`)."""


@runtime_checkable
class PlatformMetrics(Protocol):
    """The platform's own per-revision request metrics (Container Apps `Requests`, 1-minute grain, by
    revision and status-code category): faster than Application Insights, errors only, no routes."""

    def request_counts(self, since: datetime, now: datetime, *, revisions: Sequence[str]) -> CountsWindow:
        """Counts per revision (route "*", slow None; every named revision, zeros included) in the whole
        buckets published by `now`, revision-URL requests included (probes too: subtract them).

        The window's `since` is the start of the first whole bucket at or after the `since` asked for (a
        bucket that began earlier also holds traffic from before); `complete_until` is the end of the last
        bucket of the unbroken run of published ones (equal to `since` when none is published yet).
        """
        ...


@runtime_checkable
class AuditStorage(Protocol):
    """Where the shared deployment lock and the shared audit trail live: one Blob Storage container
    (Azure Storage with DefaultAzureCredential; Azurite on the sandbox), used through azure-storage-blob."""

    def container(self) -> Any:
        """An `azure.storage.blob.ContainerClient` for the audit container (created lazily)."""
        ...

    def describe(self) -> str:
        """Where it is, for messages: account URL, container and prefix."""
        ...


@runtime_checkable
class Lifecycle(Protocol):
    """A target apexops starts itself (the sandbox's `apexops sandbox up`).

    Optional capability: an always-on target (Azure) raises NotSupportedError; its reachability is the
    subscription and the resource group (see `Traits.started_by_apexops`).
    """

    def reachability(self) -> Reachability:
        """Is it running; if not, can it start (port free, folder writable)? Never starts anything."""


class LoadCounts(Protocol):
    """What synthetic users sent and got back, per revision (the canary's ground truth)."""

    @property
    def sent(self) -> int: ...

    @property
    def completed(self) -> int: ...

    @property
    def transport_errors(self) -> int: ...

    @property
    def by_revision(self) -> Mapping[str, int]: ...

    @property
    def errors_by_revision(self) -> Mapping[str, int]: ...


class LoadRun(Protocol):
    """Synthetic load in progress; it stops by itself after its duration."""

    @property
    def result(self) -> LoadCounts: ...

    def stop(self) -> LoadCounts:
        """Stop early (in-flight requests finish); returns the counts."""


@runtime_checkable
class SyntheticLoad(Protocol):
    """Synthetic users while a canary is judged, for a target without real users (the sandbox).

    Optional capability: a real environment is judged on its real users, so its adapter raises
    NotSupportedError from both methods.
    """

    def ensure_available(self) -> None:
        """Return when this target accepts synthetic load; contacts nothing (checked before any move)."""

    def start(self, rate: float, duration_s: float, *, seed: int | None = None) -> LoadRun:
        """Send `rate` requests/s through the ingress for at most `duration_s` seconds."""
