"""The Azure target: one adapter per port, over the Azure SDKs, wired from `parameters/<env>.yaml`.

    env = apexops.connect("prod")      # -> build_environment(settings); nothing is contacted yet

Identity is `DefaultAzureCredential` (so `az login` works as in the runbook; managed identity and
service principals too); the subscription is the environment variable named by
`azure.subscription_id_env`. Every SDK is imported inside the adapters on first use, so importing this
package, and connecting, costs no SDK import and no network call.

Adapters (each takes an `AzureClients`):
    AzureContainerApp   ContainerApp   azure-mgmt-appcontainers
    AzureTelemetry      Telemetry      azure-monitor-query (KQL on App Insights / Log Analytics)
    AzureRegistry       Registry       azure-containerregistry (ACR data plane)
    AzureIdentity       Identity       azure-identity
    AzureBlobStore      BlobStore      azure-storage-blob
    AzureDatabase       Database       SQLAlchemy + pyodbc (optional `mssql` extra) + Azure AD token
    AzureDeployments    Deployments    azure-mgmt-resource-deployments + azure-mgmt-resource
    AzureLifecycle, AzureSyntheticLoad: optional capabilities Azure lacks (NotSupportedError with the hint)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apexops.azure._clients import AzureClients
from apexops.azure.blobs import AzureBlobStore
from apexops.azure.capabilities import AzureLifecycle, AzureSyntheticLoad
from apexops.azure.containerapp import AzureContainerApp
from apexops.azure.database import AzureDatabase
from apexops.azure.deployments import AzureDeployments
from apexops.azure.identity import AzureIdentity
from apexops.azure.metrics import AzurePlatformMetrics
from apexops.azure.registry import AzureRegistry
from apexops.azure.telemetry import AzureTelemetry
from apexops.environment import Environment
from apexops.ports import Traits
from apexops.shared.store import AzureAuditStorage

if TYPE_CHECKING:
    from apexops.settings import Settings

__all__ = [
    "AzureBlobStore",
    "AzureClients",
    "AzureContainerApp",
    "AzureDatabase",
    "AzureDeployments",
    "AzureIdentity",
    "AzureRegistry",
    "AzureTelemetry",
    "build_environment",
]


def build_environment(settings: Settings, **client_options: Any) -> Environment:
    """Wire every port to its Azure adapter; `client_options` go to `AzureClients` (tests, tuning)."""
    clients = AzureClients(settings, **client_options)
    return Environment(
        settings=settings,
        target="azure",
        app=AzureContainerApp(clients),
        telemetry=AzureTelemetry(clients),
        registry=AzureRegistry(clients),
        identity=AzureIdentity(clients),
        blobs=AzureBlobStore(clients),
        database=AzureDatabase(clients),
        deployments=AzureDeployments(clients),
        traits=Traits(
            name="azure",
            has_subscription=True,
            deployments_change_running_app=True,
            exec_is_local=False,
        ),
        lifecycle=AzureLifecycle(settings),
        load=AzureSyntheticLoad(settings),
        platform_metrics=AzurePlatformMetrics(clients),
        **_audit_storage(settings, clients),
    )


def _audit_storage(settings: Settings, clients: AzureClients) -> dict[str, Any]:
    """The shared lock and audit store, when `audit.account` names one (else the port says NotSupported,
    and a run on an environment whose audit.required is true refuses to change it)."""
    if not settings.audit.account:
        return {}
    options = clients._common()  # the same transport and retries as the other clients (tests fake HTTP)
    return {
        "audit_storage": AzureAuditStorage(settings, credential_factory=lambda: clients.credential, **options)
    }
