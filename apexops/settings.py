"""Environment parameters: `parameters/<env>.yaml` loaded into one typed, validated settings object.

Every name the runbook uses lives in these files (resource group, app, registry, SQL server, storage,
Key Vault, App Insights, OpenAI, CPU/memory/replicas, expected resources and tables, canary policy,
rollback triggers, smoke thresholds), so notebooks never hard-code them. A bad file fails with one line
naming the file, the key and the fix, before anything is contacted.

No secrets, ever: a value that must stay secret is a *reference*, a key ending in `_env` whose value is the
name of an environment variable (e.g. `client_id_env: AZURE_AD_CLIENT_ID`). Literal values under
secret-looking keys are refused, and so is any value shaped like a secret whatever its key (a base64 key,
a JWT, a connection string with `Password=`, a URL with user:password; `apexops.redact` decides).

A file that cannot be read as YAML text (a folder, not UTF-8, unreadable) is one line too. Duplicate keys
(the last would win silently) and YAML aliases (`*name`) are refused: no parameters file needs aliases, and
they are how a small file becomes a recursive or exponentially large document (billion laughs). Floats must
be finite: `.nan` and `.inf` are refused.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from apexops.errors import ConfigError
from apexops.redact import looks_secret_name, secret_value_reason

__all__ = [
    "AppSettings",
    "AuditSettings",
    "CanaryPolicy",
    "CanaryStage",
    "MonitoringSettings",
    "ProbeSettings",
    "SandboxTelemetry",
    "Settings",
    "SmokeSettings",
    "load_settings",
    "parameters_dir",
    "project_root",
]


def project_root() -> Path:
    """The apexops checkout: APEXOPS_HOME, else the folder holding `parameters/` above this package."""
    if home := os.environ.get("APEXOPS_HOME"):
        return Path(home).resolve()
    return Path(__file__).resolve().parent.parent


def parameters_dir() -> Path:
    return Path(os.environ.get("APEXOPS_PARAMETERS", project_root() / "parameters"))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class AzureSettings(_Model):
    subscription_id_env: str = "AZURE_SUBSCRIPTION_ID"
    tenant_id_env: str = "AZURE_TENANT_ID"
    location: str
    resource_group: str


class AppSettings(_Model):
    name: str
    image_repository: str = "apex-backend"
    target_port: int = 8000
    cpu: float = Field(gt=0)
    memory: str
    min_replicas: int = Field(ge=0)
    max_replicas: int = Field(ge=1)
    env: dict[str, str] = Field(default_factory=dict)
    health_timeout_s: float = Field(default=600, gt=0)

    @model_validator(mode="after")
    def _replicas(self) -> AppSettings:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas ({self.min_replicas}) is above max_replicas ({self.max_replicas})"
            )
        return self


class RegistrySettings(_Model):
    name: str
    server: str


class DatabaseSettings(_Model):
    server: str
    name: str
    driver: str = "ODBC Driver 18 for SQL Server"
    #: how the database is reached: a SQLAlchemy URL held in an environment variable, Azure AD token
    #: auth (azure_ad), or the sandbox's own database (sandbox)
    auth: Literal["azure_ad", "url_env", "sandbox"] = "azure_ad"
    url_env: str | None = None
    lock_timeout_ms: int = Field(default=5000, ge=100)
    backup_required: bool = True
    expected_tables: list[str]


class StorageSettings(_Model):
    account: str
    uploads_container: str = "uploads"
    processed_container: str = "processed"


class NamedResource(_Model):
    name: str
    uri: str | None = None


class OpenAISettings(_Model):
    name: str
    endpoint: str
    deployment: str


class AuthSettings(_Model):
    tenant_id_env: str = "AZURE_AD_TENANT_ID"
    client_id_env: str = "AZURE_AD_CLIENT_ID"
    #: the audience of APEX API tokens; `{client_id}` is filled from the client id reference
    audience: str = "api://{client_id}"


class MonitoringSettings(_Model):
    """Where the telemetry of an environment lives and how to read it (used by the Azure target).

    All optional: the defaults work for a classic, resource-centric Application Insights setup.
    """

    #: reference (an environment variable name) to the GUID of the Log Analytics workspace holding the
    #: Container Apps console logs (and, with app_insights_schema=workspace, the App* tables); when the
    #: variable is unset, console logs are queried resource-centric on the app's managed environment
    log_analytics_workspace_id_env: str = "APEX_LOG_ANALYTICS_WORKSPACE_ID"
    #: full resource id of the Application Insights component when it is not
    #: <resource_group>/Microsoft.Insights/components/<app_insights.name> of this subscription
    app_insights_resource_id: str | None = None
    #: classic: `requests`/`exceptions` queried on the component (the runbook's queries);
    #: workspace: `AppRequests`/`AppExceptions` queried on the Log Analytics workspace
    app_insights_schema: Literal["classic", "workspace"] = "classic"
    #: request custom dimension carrying the revision name (the app sets it from CONTAINER_APP_REVISION);
    #: requests without it are attributed by role instance (the replica name starts with the revision)
    revision_dimension: str = "revision"
    #: how far behind real time the telemetry may be (Azure Monitor ingestion: ~20 s to 3 min)
    ingestion_lag_s: float = Field(default=180, ge=0)
    #: how far back console-log queries look
    console_logs_lookback_h: float = Field(default=24, gt=0)
    #: how far behind real time the platform's own request metrics are (Container Apps `Requests`,
    #: 1-minute grain, by revision and status-code category: ~1-2 min); the judge's second, faster stratum
    platform_metrics_lag_s: float = Field(default=120, ge=0, le=3600)


class ExpectedResource(_Model):
    name: str
    type: str


class CanaryStage(_Model):
    weight: int = Field(gt=0, le=100)
    min_duration_s: float = Field(ge=0)
    #: how long the stage may run without a decision before the inconclusive policy applies
    max_duration_s: float = Field(gt=0)


class CanarySLO(_Model):
    max_error_rate: float = Field(default=0.01, gt=0, lt=1)
    #: "P95 < 2 s" is judged as "fewer than (1 - quantile) of requests slower than latency_ms"
    latency_ms: float = Field(default=2000, gt=0)
    latency_quantile: float = Field(default=0.95, gt=0, lt=1)
    min_availability: float = Field(default=0.999, gt=0, le=1)


#: the judge's evidence strata: lag-free synthetic probes apexops sends itself, the platform's per-revision
#: request metrics (fast, errors only, no routes) and the users' requests in Application Insights (slow,
#: per route, latency included)
Stratum = Literal["probes", "platform", "users"]


class ProbeSettings(_Model):
    """Synthetic probes: authenticated, read-only requests apexops sends to BOTH the canary's and the
    baseline's revision URLs while a stage runs (and for `warmup_s` before the first stage moves traffic),
    observed by apexops itself in real time. They never count as users (they are marked and excluded from
    the users' stratum) and they are their own stratum in the judge.
    """

    #: requests per second sent to EACH of the two revisions; 0 turns probes off. 4/s is what lets the judge
    #: catch a 2%-error canary within 3 minutes (benchmarks/canary_judges.py: 2/s takes ~300 s)
    rate_rps: float = Field(default=4.0, ge=0, le=50)
    #: seconds of probing both revisions before the first stage writes any traffic
    warmup_s: float = Field(default=30, ge=0, le=600)
    #: the application's routes probed, in turn: read-only by default; `create_delete` adds a
    #: create-then-delete pair on a probe project (cleaned up when the run ends, however it ends)
    routes: tuple[Literal["health", "list", "get", "create_delete"], ...] = Field(
        default=("health", "list", "get"), min_length=1
    )
    #: a probe slower than this is an error (a timeout), besides being slow
    timeout_s: float = Field(default=10, gt=0, le=120)


class CanaryPolicy(_Model):
    stages: list[CanaryStage]
    slo: CanarySLO = CanarySLO()
    poll_interval_s: float = Field(default=30, gt=0)
    #: total false-rollback budget across all checks of a rollout
    alpha: float = Field(default=0.01, gt=0, lt=0.5)
    #: what to do when a stage reaches max_duration_s without a decision
    on_inconclusive: Literal["escalate", "extend", "rollback", "promote_never"] = "escalate"
    #: guard: roll back at once when a canary replica restarts this many times
    max_replica_restarts: int = Field(default=1, ge=0)
    #: stability window after 100% before the old revision may be deactivated
    stability_window_s: float = Field(default=86400, ge=0)
    #: confidence of the SLO evidence the canary judge requires before it promotes a stage
    promote_confidence: float = Field(default=0.95, gt=0.5, lt=1)
    #: sandbox only: synthetic user requests per second sent through the ingress while stages run, so a
    #: rehearsal canary has traffic to be judged on (0: none; staging and prod judge real users)
    synthetic_load_rps: float = Field(default=0.0, ge=0, le=1000)
    #: synthetic probes (their own stratum; see ProbeSettings)
    probes: ProbeSettings = ProbeSettings()
    #: the strata the judge combines; at least one
    strata: tuple[Stratum, ...] = Field(default=("probes", "platform", "users"), min_length=1)
    #: a canary-vs-baseline comparison may roll back only once the canary has this many requests in it
    #: (never a rollback for lack of data)
    min_canary_requests: int = Field(default=20, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _stages(self) -> CanaryPolicy:
        weights = [s.weight for s in self.stages]
        if not weights or weights != sorted(weights) or weights[-1] != 100:
            raise ValueError(f"stage weights must increase and end at 100 (got {weights})")
        return self


class RollbackTriggers(_Model):
    error_rate: float = Field(default=0.10, gt=0, lt=1)
    error_window_s: float = Field(default=300, gt=0)
    p95_ms: float = Field(default=5000, gt=0)
    p95_window_s: float = Field(default=300, gt=0)


class SmokeSettings(_Model):
    p95_ms: float = Field(default=500, gt=0)
    latency_requests: int = Field(default=100, ge=5)
    latency_concurrency: int = Field(default=4, ge=1)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    request_timeout_s: float = Field(default=30, gt=0)
    run_llm_validation: bool = False


#: Azure's rules: storage account 3-24 lowercase letters and digits; container 3-63 lowercase letters,
#: digits and single hyphens, starting and ending with a letter or digit
_ACCOUNT_RE = re.compile(r"[a-z0-9]{3,24}")
_CONTAINER_RE = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")


class AuditSettings(_Model):
    """The shared deployment lock and audit trail: one Blob Storage container every operator and CI runner
    reaches (a blob lease is the lock, an append blob the ledger). Recommended: a storage account of its
    own, not the application's, with versioning or an immutability policy on the container. On the
    sandbox the account is Azurite's and `account` is ignored.
    """

    #: storage account name (Azure target); the account URL is https://<account>.blob.core.windows.net
    account: str | None = None
    container: str = "apexops-audit"
    #: folder inside the container, so several apps or teams can share one container
    prefix: str = ""
    #: the deployment lock's lease; Azure accepts 15-60 s (renewed while the run lives)
    lease_duration_s: int = Field(default=60, ge=15, le=60)
    #: a run that would change this environment refuses to start when the store cannot be reached
    required: bool = False

    @model_validator(mode="after")
    def _names(self) -> AuditSettings:
        if self.account is not None and not _ACCOUNT_RE.fullmatch(self.account):
            raise ValueError(
                f"audit.account {self.account!r} is not a storage account name: use 3-24 lowercase letters "
                "and digits"
            )
        if not _CONTAINER_RE.fullmatch(self.container):
            raise ValueError(
                f"audit.container {self.container!r} is not valid for Azure: use 3-63 lowercase letters, "
                "digits and single hyphens, starting and ending with a letter or digit"
            )
        if self.prefix.startswith("/") or ".." in self.prefix.split("/"):
            raise ValueError(f"audit.prefix {self.prefix!r} must be a relative folder without '..'")
        return self


class SandboxTelemetry(_Model):
    """The sandbox's telemetry as Application Insights and Azure Monitor deliver it: each request becomes
    queryable `lag_s` +- `jitter_s` (uniform) after it happened, a `sampling_percentage` share of requests
    is kept (each kept row carries itemCount = 100 / percentage), and the ingress' per-revision platform
    counters are published per `platform_grain_s` bucket after `platform_lag_s` +- `platform_jitter_s`.
    """

    lag_s: float = Field(default=0, ge=0, le=3600)
    jitter_s: float = Field(default=0, ge=0, le=3600)
    sampling_percentage: float = Field(default=100, gt=0, le=100)
    platform_grain_s: float = Field(default=60, gt=0, le=3600)
    platform_lag_s: float = Field(default=0, ge=0, le=3600)
    platform_jitter_s: float = Field(default=0, ge=0, le=3600)

    @model_validator(mode="after")
    def _jitter(self) -> SandboxTelemetry:
        if self.jitter_s > self.lag_s or self.platform_jitter_s > self.platform_lag_s:
            raise ValueError("a jitter must not exceed its lag (telemetry never arrives before it happens)")
        return self


class SandboxSettings(_Model):
    #: folder holding all sandbox state; relative paths are relative to the project root
    home: str = ".sandbox"
    ingress_port: int = Field(default=8480, ge=0, le=65535)
    #: SQLAlchemy URL of the sandbox database; empty means SQLite inside `home`
    database_url: str = ""
    #: the baseline release `apexops sandbox up` seeds when the app does not exist yet
    baseline_image_tag: str = "v1.2.2"
    baseline_migration: str = "0002"
    #: how the sandbox delivers telemetry (production's terms, scaled per environment)
    telemetry: SandboxTelemetry = Field(default_factory=lambda: SandboxTelemetry())


#: a key (or an env var's name) whose value would be a secret; also what adapters redact in evidence
SECRET_KEY = re.compile(
    r"(password|passwd|secret|token|api_?key|access_?key|account_?key|conn(ection)?_?str)", re.I
)


#: the client id when its reference is unset: the sandbox's identity names its own, Azure's cannot be guessed
_CLIENT_ID_WHEN_UNSET = {"sandbox": "apex-{environment}-client", "azure": "<client-id>"}


class Settings(_Model):
    """Everything a procedure needs to know about one environment."""

    environment: str
    target: Literal["sandbox", "azure"]
    azure: AzureSettings
    app: AppSettings
    registry: RegistrySettings
    database: DatabaseSettings
    storage: StorageSettings
    key_vault: NamedResource
    app_insights: NamedResource
    openai: OpenAISettings
    document_intelligence: NamedResource
    auth: AuthSettings = AuthSettings()
    expected_resources: list[ExpectedResource]
    canary: CanaryPolicy
    rollback_triggers: RollbackTriggers = RollbackTriggers()
    smoke: SmokeSettings = SmokeSettings()
    sandbox: SandboxSettings = SandboxSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    audit: AuditSettings = AuditSettings()
    #: where this was loaded from, for messages
    source: str = ""

    def reference(self, env_var: str) -> str | None:
        """Resolve a reference (an environment variable name) to its value; None if unset."""
        return os.environ.get(env_var) or None

    @property
    def client_id(self) -> str:
        unset = _CLIENT_ID_WHEN_UNSET[self.target].format(environment=self.environment)
        return self.reference(self.auth.client_id_env) or unset

    @property
    def api_audience(self) -> str:
        return self.auth.audience.format(client_id=self.client_id)

    def image(self, tag: str) -> str:
        return f"{self.registry.server}/{self.app.image_repository}:{tag}"

    def sandbox_home(self) -> Path:
        home = Path(os.environ.get("APEXOPS_SANDBOX_HOME", self.sandbox.home))
        return home if home.is_absolute() else project_root() / home

    def sandbox_ingress_port(self) -> int:
        port = os.environ.get("APEXOPS_SANDBOX_PORT")
        return int(port) if port else self.sandbox.ingress_port

    def sandbox_database_url(self) -> str:
        """The sandbox database: APEXOPS_SANDBOX_DATABASE_URL, else the file's URL, else SQLite in home."""
        url = os.environ.get("APEXOPS_SANDBOX_DATABASE_URL") or self.sandbox.database_url
        return url or f"sqlite:///{self.sandbox_home() / 'apex.db'}"


def _secret_reason(key: object, value: object) -> str | None:
    """Why `key: value` is a literal secret, or None; references (`*_env`) and empty values are fine."""
    name = str(key)
    if name.endswith("_env") or value in ("", None) or not isinstance(value, str | int | float):
        return None
    if (SECRET_KEY.search(name) or looks_secret_name(name)) and not isinstance(value, bool):
        return "its key names a secret"
    return secret_value_reason(value, name) if isinstance(value, str) else None


def _refuse_literal_secrets(data: object, path: str, source: str) -> None:
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for k, v in items:
        key = f"{path}[{k}]" if isinstance(data, list) else f"{path}.{k}" if path else str(k)
        if reason := _secret_reason(k, v):
            leaf = str(k) if isinstance(data, dict) else "value"
            raise ConfigError(
                f"{source}: key {key} holds a literal secret ({reason}; the value is not repeated here).",
                hint=f"secrets are references: replace it with `{leaf}_env: <ENV_VAR_NAME>` "
                "and set that variable outside the repository.",
            )
        _refuse_literal_secrets(v, key, source)


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (`*name`): no recursive or exponentially shared documents."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(problem="YAML aliases (*name) are not allowed", problem_mark=mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue  # a list as key: the base class says it is unhashable
            if key in seen:
                raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(file: Path, source: str) -> object:
    """The file's YAML document; one ConfigError line for anything that is not readable YAML text."""
    if file.is_dir():
        raise ConfigError(f"{source} is a folder, not a parameters file.", hint="name a .yaml file.")
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{source} is not UTF-8 text (byte {exc.start}).", hint="save the file as UTF-8."
        ) from None
    except OSError as exc:
        raise ConfigError(f"{source} cannot be read ({exc.strerror}).", hint="check permissions.") from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader without aliases
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None)
        why = f" ({problem})" if problem else ""
        raise ConfigError(f"{source}:{where} is not valid YAML{why}.", hint="fix the YAML syntax.") from None
    except RecursionError:
        raise ConfigError(f"{source}: the YAML is nested too deeply.", hint="flatten the file.") from None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(err: ValidationError, source: str) -> ConfigError:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        msg, fix = f"unknown key {loc}", f"remove {loc} or check its spelling against parameters/local.yaml"
    elif kind == "missing":
        msg, fix = f"missing key {loc}", f"add {loc} (see parameters/local.yaml for an example)"
    else:
        got = first.get("input")
        got_text = "" if isinstance(got, dict | list) else f" (got {_short(repr(got))})"
        msg, fix = f"key {loc}: {first['msg']}{got_text}", f"correct {loc}"
    more = f" (+{len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return ConfigError(f"{source}: {msg}{more}.", hint=f"{fix}.")


def load_settings(env: str = "local", *, path: Path | None = None) -> Settings:
    """Load and validate `parameters/<env>.yaml` (or `path`)."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", env or ""):
        raise ConfigError(f"environment {env!r} is not a valid name.", hint="use local, staging or prod.")
    file = path or parameters_dir() / f"{env}.yaml"
    try:
        source = str(file.relative_to(project_root()))
    except ValueError:
        source = str(file)
    if not file.exists():
        known = sorted(p.stem for p in file.parent.glob("*.yaml")) if file.parent.exists() else []
        raise ConfigError(
            f"no parameters file for environment {env!r} ({source} does not exist).",
            hint=f"use one of {', '.join(known) or 'local, staging, prod'} or create {source}.",
        )
    data = _read_yaml(file, source) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping.", hint="see parameters/local.yaml.")
    _refuse_literal_secrets(data, "", source)
    try:
        settings = Settings.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise _one_line(exc, source) from None
    if settings.environment != env and path is None:
        raise ConfigError(
            f"{source}: environment is {settings.environment!r} but the file is for {env!r}.",
            hint=f"set environment: {env} in {source}.",
        )
    return settings
