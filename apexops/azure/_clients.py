"""The Azure SDK clients of one environment, created on first use and shared by the adapters.

Connecting must not touch the network or pay the SDKs' import cost (~0.3 s warm, ~1 s cold), so nothing
here imports an Azure package until a client is actually asked for. The same object also carries the
test seams the SDKs offer (a credential, an https base URL, an azure-core transport, a polling interval),
so contract tests drive the real clients with canned HTTP and no production code path differs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from apexops import azcli
from apexops.errors import ConfigError
from apexops.settings import Settings

__all__ = ["AzureClients"]

ARM_SCOPE = "https://management.azure.com/.default"
ACR_AUDIENCE = "https://containerregistry.azure.net"
LOGS_AUDIENCE = "https://api.loganalytics.io"
METRICS_AUDIENCE = "https://metrics.monitor.azure.com"


class AzureClients:
    """Lazily built SDK clients for one environment (subscription, resource group) and one identity."""

    def __init__(
        self,
        settings: Settings,
        *,
        credential: Any | None = None,
        subscription_id: str | None = None,
        arm_endpoint: str | None = None,
        logs_endpoint: str | None = None,
        metrics_endpoint: str | None = None,
        transport: Any | None = None,
        retry_total: int | None = None,
        polling_interval: float | None = None,
        progress_interval_s: float = 5.0,
    ) -> None:
        self.settings = settings
        self._credential = credential
        self._subscription_id = subscription_id
        self._arm_endpoint = arm_endpoint
        self._logs_endpoint = logs_endpoint
        self._metrics_endpoint = metrics_endpoint
        self._transport = transport
        self._retry_total = 0 if retry_total is None and transport is not None else retry_total
        #: seconds between LRO status polls; None keeps the SDK default (Retry-After, else 30 s)
        self.polling_interval = polling_interval
        #: seconds between progress reports while a long-running operation runs
        self.progress_interval_s = progress_interval_s
        self._cache: dict[str, Any] = {}

    # ------------------------------------------------------------------ identity and scope

    @property
    def credential(self) -> Any:
        """DefaultAzureCredential (az login, managed identity, environment ...), built on first use."""
        if self._credential is None:
            from azure.identity import DefaultAzureCredential

            self._credential = DefaultAzureCredential()
        return self._credential

    @property
    def subscription_id(self) -> str:
        sub = self._subscription_id or self.settings.reference(self.settings.azure.subscription_id_env)
        if not sub:
            env = self.settings.azure.subscription_id_env
            raise ConfigError(
                f"no Azure subscription id: the environment variable {env} is not set.",
                hint=f"export {env}=\"$(az account show --query id -o tsv)\" after {azcli.login()}.",
            )
        return sub

    def lro_kwargs(self) -> dict[str, Any]:
        return {} if self.polling_interval is None else {"polling_interval": self.polling_interval}

    def _common(self) -> dict[str, Any]:
        kw = {"transport": self._transport, "retry_total": self._retry_total}
        return {k: v for k, v in kw.items() if v is not None}

    def _cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def _arm_client(self, module: str, cls: str) -> Any:
        """A management-plane client of the subscription; its SDK module is imported on first use."""

        def build() -> Any:
            kw = self._common() | ({"base_url": self._arm_endpoint} if self._arm_endpoint else {})
            return getattr(importlib.import_module(module), cls)(self.credential, self.subscription_id, **kw)

        return self._cached(cls, build)

    # ------------------------------------------------------------------ clients

    def container_apps(self) -> Any:
        """azure.mgmt.appcontainers.ContainerAppsAPIClient (api-version 2026-07-01)."""
        return self._arm_client("azure.mgmt.appcontainers", "ContainerAppsAPIClient")

    def deployments(self) -> Any:
        """azure.mgmt.resource.deployments.DeploymentsMgmtClient (moved out of azure-mgmt-resource 25)."""
        return self._arm_client("azure.mgmt.resource.deployments", "DeploymentsMgmtClient")

    def resources(self) -> Any:
        """azure.mgmt.resource.resources.ResourceManagementClient (26.x import path)."""
        return self._arm_client("azure.mgmt.resource.resources", "ResourceManagementClient")

    def logs(self) -> Any:
        """azure.monitor.query.LogsQueryClient (2.x: logs only)."""

        def build() -> Any:
            from azure.monitor.query import LogsQueryClient

            kw = self._common()
            if self._logs_endpoint:
                # keep the token audience of the real service when the endpoint is redirected (tests)
                kw.update(endpoint=self._logs_endpoint, audience=LOGS_AUDIENCE)
            return LogsQueryClient(self.credential, **kw)

        return self._cached("logs", build)

    def metrics(self) -> Any:
        """azure.monitor.querymetrics.MetricsClient on the app's region (`metrics:getBatch` is regional)."""

        def build() -> Any:
            from azure.monitor.querymetrics import MetricsClient

            region = self.settings.azure.location.lower().replace(" ", "")
            endpoint = self._metrics_endpoint or f"https://{region}.metrics.monitor.azure.com"
            return MetricsClient(endpoint, self.credential, audience=METRICS_AUDIENCE, **self._common())

        return self._cached("metrics", build)

    def registry(self) -> Any:
        """azure.containerregistry.ContainerRegistryClient for the registry's login server."""

        def build() -> Any:
            from azure.containerregistry import ContainerRegistryClient

            endpoint = f"https://{self.settings.registry.server}"
            return ContainerRegistryClient(endpoint, self.credential, audience=ACR_AUDIENCE, **self._common())

        return self._cached("registry", build)

    def blob_service(self) -> Any:
        """azure.storage.blob.BlobServiceClient for the storage account (data plane, Azure AD auth)."""

        def build() -> Any:
            from azure.storage.blob import BlobServiceClient

            url = f"https://{self.settings.storage.account}.blob.core.windows.net"
            return BlobServiceClient(url, credential=self.credential, **self._common())

        return self._cached("blob", build)
