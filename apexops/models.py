"""Domain types shared by every layer: what a target returns and what a procedure reasons about.

They are plain frozen dataclasses with the runbook's vocabulary (revision, traffic weight, replica,
what-if change). Adapters translate SDK objects or sandbox JSON into these at the boundary, so a notebook
cannot tell which target it drives and no SDK object ever reaches a notebook, the ledger or a test.
Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TypeAlias

__all__ = [
    "JSON",
    "AppState",
    "AppTemplate",
    "AppUpdate",
    "BlobContainerInfo",
    "CountsWindow",
    "DatabaseInfo",
    "DeploymentOperation",
    "DeploymentResult",
    "DeploymentValidation",
    "ExceptionRecord",
    "ExecResult",
    "ImageTag",
    "LogLine",
    "Principal",
    "Replica",
    "RequestRecord",
    "RequestStats",
    "ResourceInfo",
    "Revision",
    "RouteCounts",
    "TelemetryBucket",
    "TrafficWeight",
    "WhatIfChange",
    "WhatIfPropertyChange",
    "WhatIfResult",
]


#: a JSON value as a target returns it (ARM properties and outputs, what-if before/after, app configuration)
JSON: TypeAlias = "str | int | float | bool | list[JSON] | dict[str, JSON] | None"


# --------------------------------------------------------------------------- container app


@dataclass(frozen=True)
class TrafficWeight:
    """One entry of the ingress traffic list. The list as a whole always sums to 100."""

    revision_name: str
    weight: int
    label: str | None = None
    latest_revision: bool = False


@dataclass(frozen=True)
class AppTemplate:
    """The revision-scope settings of the app: changing any of them creates a new revision."""

    image: str
    env: Mapping[str, str] = field(default_factory=dict)
    cpu: float = 0.5
    memory: str = "1Gi"
    min_replicas: int = 1
    max_replicas: int = 1
    revision_suffix: str | None = None


@dataclass(frozen=True)
class AppUpdate:
    """A requested change of the template; None means 'keep as is'.

    `env` is merged into the current environment (like `az containerapp update --set-env-vars`).
    """

    image: str | None = None
    env: Mapping[str, str] | None = None
    cpu: float | None = None
    memory: str | None = None
    min_replicas: int | None = None
    max_replicas: int | None = None
    revision_suffix: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


@dataclass(frozen=True)
class AppState:
    """The container app as `az containerapp show` reports it, reduced to what procedures use.

    `raw` is a JSON-safe snapshot of the full configuration for the evidence folder, with secrets removed.
    """

    name: str
    resource_group: str
    url: str
    active_revisions_mode: str
    provisioning_state: str
    running_status: str
    latest_revision_name: str | None
    latest_ready_revision_name: str | None
    template: AppTemplate
    traffic: tuple[TrafficWeight, ...]
    registries: tuple[Mapping[str, JSON], ...] = ()
    raw: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class Revision:
    """An immutable revision of the app, with the states Azure Container Apps reports.

    provisioning_state: Provisioning | Provisioned | Failed | Deprovisioning | Deprovisioned | Unknown
    health_state:       Healthy | Unhealthy | None | Unknown
    running_state:      Running | Processing | Stopped | Degraded | Failed | Unknown
    `url` is the revision-specific URL: requests to it reach only this revision.
    """

    name: str
    active: bool
    traffic_weight: int
    replicas: int
    provisioning_state: str
    health_state: str
    running_state: str
    created_time: datetime | None
    fqdn: str
    url: str
    image: str
    template: AppTemplate | None = None
    provisioning_error: str | None = None

    @property
    def healthy(self) -> bool:
        return self.health_state == "Healthy"


@dataclass(frozen=True)
class Replica:
    """A running instance of a revision; restart_count counts container restarts (crashes)."""

    name: str
    revision: str
    running_state: str
    created_time: datetime | None
    restart_count: int
    ready: bool


@dataclass(frozen=True)
class ExecResult:
    """The outcome of a command run inside a replica's environment (`az containerapp exec`)."""

    revision: str
    replica: str
    command: str
    exit_code: int
    output: str


# --------------------------------------------------------------------------- telemetry


@dataclass(frozen=True)
class RequestStats:
    """Per-revision request counts over a window; the canary judge works on these counts.

    `slow` counts requests at or above the latency threshold asked for. `partial` is True when the
    telemetry backend returned only part of the data; such stats must never count as complete.
    """

    revision: str
    requests: int
    errors_5xx: int
    slow: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    partial: bool = False

    @property
    def error_rate(self) -> float | None:
        return self.errors_5xx / self.requests if self.requests else None


@dataclass(frozen=True)
class RouteCounts:
    """Counts of one revision on one route over a window, as the canary judge uses them.

    `requests`/`errors_5xx`/`slow` are rows seen: sampled rows for Application Insights (sampling is
    independent of the outcome, so they are a valid thinned stream for the tests), exact counts for the
    platform's metrics and for probes. The itemCount-weighted estimates are for display only.
    """

    revision: str
    #: the route (operation) name; "*" when the source has no routes (platform metrics)
    route: str
    requests: int
    errors_5xx: int
    #: requests at or above the latency asked for; None when the source has no latency (platform metrics)
    slow: int | None
    estimated_requests: float
    estimated_errors: float


@dataclass(frozen=True)
class CountsWindow:
    """What one source could say about [since, complete_until]: counts per (revision, route).

    Data after `complete_until` may still be missing (ingestion lag, unpublished metric buckets): it is
    not in `rows` and must never be read as zero traffic or zero errors.
    """

    since: datetime
    complete_until: datetime
    rows: tuple[RouteCounts, ...]
    #: the backend returned only part of the data
    partial: bool = False


@dataclass(frozen=True)
class TelemetryBucket:
    """Request counts of one revision in one time bucket, for charts and per-interval tables."""

    revision: str
    start: datetime
    requests: int
    errors_5xx: int
    slow: int
    p95_ms: float | None
    #: True when the telemetry backend returned only part of the data (see RequestStats.partial)
    partial: bool = False


@dataclass(frozen=True)
class RequestRecord:
    """One request as telemetry recorded it (the runbook's 'slowest requests' rows)."""

    timestamp: datetime
    revision: str
    replica: str
    route: str
    status: int
    duration_ms: float
    url: str = ""


@dataclass(frozen=True)
class ExceptionRecord:
    """One exception a replica reported."""

    timestamp: datetime
    revision: str
    replica: str
    type: str
    message: str
    problem_id: str = ""


@dataclass(frozen=True)
class LogLine:
    """One console log line of a replica (stdout/stderr), with a parsed level where one is present."""

    timestamp: datetime
    revision: str
    replica: str
    stream: str
    level: str
    message: str


# ------------------------------------------------------------- registry, identity, storage, database


@dataclass(frozen=True)
class ImageTag:
    """A tag of an image repository in the registry."""

    repository: str
    tag: str
    digest: str
    created: datetime | None
    image: str  # full reference, e.g. apexacr.azurecr.io/apex-backend:v1.2.3


@dataclass(frozen=True)
class Principal:
    """Who is acting: shown in the context cell and recorded in the ledger. Never a secret."""

    name: str
    kind: str  # user | service_principal | managed_identity | sandbox
    tenant_id: str | None = None
    source: str = ""  # which credential produced it, e.g. AzureCliCredential, sandbox identity


@dataclass(frozen=True)
class BlobContainerInfo:
    name: str
    blob_count: int | None = None


@dataclass(frozen=True)
class DatabaseInfo:
    """Where the database is, without credentials: safe to show and to record."""

    dialect: str  # sqlite | postgresql | mssql
    server: str
    database: str
    driver: str = ""


# --------------------------------------------------------------------------- infrastructure deployments


@dataclass(frozen=True)
class ResourceInfo:
    name: str
    type: str
    location: str = ""
    provisioning_state: str = ""


@dataclass(frozen=True)
class DeploymentValidation:
    """The result of validating a template: ok, or the error with its details and diagnostics."""

    ok: bool
    provisioning_state: str
    error_code: str | None = None
    error_message: str | None = None
    details: tuple[str, ...] = ()
    diagnostics: tuple[str, ...] = ()


@dataclass(frozen=True)
class WhatIfPropertyChange:
    path: str
    change_type: str  # Create | Delete | Modify | Array | NoEffect
    before: JSON = None
    after: JSON = None


@dataclass(frozen=True)
class WhatIfChange:
    """One resource's predicted change: Create, Delete, Modify, NoChange, Ignore, Deploy, Unsupported."""

    resource_id: str
    resource_type: str
    name: str
    change_type: str
    delta: tuple[WhatIfPropertyChange, ...] = ()
    before: Mapping[str, JSON] | None = None
    after: Mapping[str, JSON] | None = None
    unsupported_reason: str | None = None


@dataclass(frozen=True)
class WhatIfResult:
    status: str
    changes: tuple[WhatIfChange, ...]
    error_message: str | None = None


@dataclass(frozen=True)
class DeploymentOperation:
    """Progress of one resource within a deployment."""

    resource_name: str
    resource_type: str
    operation: str  # Create | Modify | Delete | Read | ...
    provisioning_state: str
    status_message: str = ""
    timestamp: datetime | None = None
    #: ARM's operationId: the key of an operation without a target resource (e.g. a failed validation step)
    operation_id: str = ""

    @property
    def key(self) -> str:
        """Distinct per operation: its target resource, else its operation id."""
        if self.resource_type or self.resource_name:
            return f"{self.resource_type}/{self.resource_name}"
        return f"operation {self.operation_id or '?'}"


@dataclass(frozen=True)
class DeploymentResult:
    name: str
    provisioning_state: str  # Succeeded | Failed | Canceled | Running | ...
    outputs: Mapping[str, JSON] = field(default_factory=dict)
    operations: Sequence[DeploymentOperation] = ()
    error_message: str | None = None
    timestamp: datetime | None = None
    #: what could not be read after the deployment finished (e.g. its operations); never changes the state
    notes: tuple[str, ...] = ()
