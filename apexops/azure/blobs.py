"""The BlobStore port on Azure Blob Storage's data plane (azure-storage-blob, Azure AD auth).

The data plane (not azure-mgmt-storage) because `blob_exists` needs it and because it exercises the same
path the APEX app uses: Azure AD identity + the "Storage Blob Data *" role + the private endpoint. From
outside the VNet the account is unreachable by design; that failure says so (run from the jump box).
"""

from __future__ import annotations

from apexops.azure._clients import AzureClients
from apexops.azure._errors import map_azure_errors
from apexops.errors import ConfigError
from apexops.models import BlobContainerInfo

__all__ = ["AzureBlobStore"]


class AzureBlobStore:
    """Containers and blobs of the environment's storage account."""

    def __init__(self, clients: AzureClients) -> None:
        self._c = clients
        self._s = clients.settings

    def list_containers(self) -> list[BlobContainerInfo]:
        account = self._s.storage.account
        with map_azure_errors(f"list containers of {account}", self._s, service="blob"):
            names = [c.name for c in self._c.blob_service().list_containers()]
        return [BlobContainerInfo(name=str(n)) for n in sorted(names)]

    def blob_exists(self, container: str, path: str) -> bool:
        if not container or not path:
            raise ConfigError("blob_exists needs a container and a path.",
                              hint="e.g. blob_exists('uploads', 'a/b.pdf').")
        with map_azure_errors(f"check blob {container}/{path}", self._s, service="blob"):
            return bool(self._c.blob_service().get_blob_client(container, path).exists())
