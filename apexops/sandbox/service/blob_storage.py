"""The replica's Blob Storage client as a script in the replica reaches it (the troubleshooting probes).

The real APEX app has `apex.azure.blob_storage.BlobStorageClient`; the runbook's check lists its containers
from inside the app. The reference service's equivalent reads the same configuration the service reads
(`APEX_BLOB_ENDPOINT`), so `az containerapp exec ... python3 -c '...'` on the sandbox tests the path the
app's own uploads take.
"""

from __future__ import annotations

import os

from apexops.sandbox.azurite import ENDPOINT_ENV
from apexops.sandbox.blobs import AzuriteBlobStore

__all__ = ["BlobStorageClient"]


class BlobStorageClient:
    """`list_containers()` (names) and `check_writable(container)` (None, or why not) from the app's side."""

    def __init__(self, account_url: str | None = None) -> None:
        self._store = AzuriteBlobStore(account_url or os.environ[ENDPOINT_ENV], retries=0)

    def list_containers(self) -> list[str]:
        return [c.name for c in self._store.list_containers()]

    def check_writable(self, container: str) -> str | None:
        return self._store.check_writable(container)
