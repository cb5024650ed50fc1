"""The sandbox's Blob Storage, azure-storage-blob against Azurite: the BlobStore port and the audit storage.

One client for every blob user on the sandbox: the reference service's document uploads (its replicas get
the account URL in `APEX_BLOB_ENDPOINT`), the BlobStore port the procedures read (`env.blobs`), and the
shared lock and audit trail (`SandboxAuditStorage`, the AuditStorage port). Azurite speaks the Blob
Storage protocol, so these are the same SDK calls the Azure target makes (`apexops.azure.blobs`), only the
credential differs (Azurite's development account instead of DefaultAzureCredential).

Blob names come from users (uploaded file names): they are checked before any request, with the rules the
old folder store enforced, so a bad name is one clear InvalidRequestError on both targets' terms: no
empty, `.` or `..` segments, no backslash or NUL, at most 1024 characters; container names follow Azure's
rules (3-63 lowercase letters, digits and single hyphens).
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.errors import InvalidRequestError, NotFoundError, TargetError, TargetUnavailableError
from apexops.models import BlobContainerInfo
from apexops.sandbox import azurite

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient, ContainerClient

    from apexops.settings import Settings

__all__ = [
    "AzuriteBlobStore",
    "SandboxAuditStorage",
    "check_blob_name",
    "check_container_name",
    "split_blob_path",
]

_CONTAINER_RE = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
PROBE_PREFIX = ".probe-"
NOT_RUNNING_HINT = "run `apexops sandbox up` (it starts Azurite, the sandbox's Blob Storage)."


def check_container_name(container: str) -> str:
    if not isinstance(container, str) or not _CONTAINER_RE.fullmatch(container):
        raise InvalidRequestError(
            f"container name {container!r} is not valid.",
            hint="use 3-63 lowercase letters, digits and single hyphens, e.g. uploads.",
        )
    return container


def check_blob_name(path: str) -> str:
    parts = path.split("/") if isinstance(path, str) else []
    if (
        not parts
        or len(path) > 1024
        or "\\" in path
        or "\x00" in path
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise InvalidRequestError(
            f"blob name {path!r} is not a safe relative path.",
            hint="use '/'-separated names without empty, '.' or '..' segments (max 1024 characters).",
        )
    return path


def split_blob_path(blob_path: str) -> tuple[str, str]:
    """`uploads/projects/1/x.pdf` -> (`uploads`, `projects/1/x.pdf`)."""
    container, _, path = blob_path.partition("/")
    if not container or not path:
        raise InvalidRequestError(
            f"blob path {blob_path!r} has no container part.",
            hint="use <container>/<path>, e.g. uploads/a.pdf",
        )
    return container, path


def _client_options(retries: int) -> dict[str, Any]:
    """Loopback timeouts and quick retries: the SDK's defaults (15 s back-off) would stall a request."""
    from azure.storage.blob import LinearRetry  # the SDK loads lazily (see azurite.service_client)

    # the SDK sleeps these as floats; its annotations say int
    policy = LinearRetry(backoff=0.2, random_jitter_range=0.1, retry_total=retries)  # type: ignore[arg-type]
    return {"retry_policy": policy, "connection_timeout": 3, "read_timeout": 60}


class AzuriteBlobStore:
    """Containers and blobs of the sandbox's storage account (Azurite), through azure-storage-blob.

    `account_url` is the URL or a function returning it, so an adapter built before `sandbox up` finds
    Azurite at its first call. Errors are apexops' own: unreachable -> TargetUnavailableError, missing ->
    NotFoundError, other answers -> TargetError, each naming the account.
    """

    def __init__(self, account_url: str | Callable[[], str], *, retries: int = 2) -> None:
        self._url = account_url
        self._retries = retries
        self._client: BlobServiceClient | None = None
        self._client_url = ""

    def __repr__(self) -> str:
        return f"AzuriteBlobStore({self._url if isinstance(self._url, str) else '<sandbox home>'!r})"

    @property
    def account_url(self) -> str:
        return self._url if isinstance(self._url, str) else self._url()

    def service(self) -> BlobServiceClient:
        url = self.account_url
        if self._client is None or url != self._client_url:  # Azurite restarted on another port
            self._client = azurite.service_client(url, **_client_options(self._retries))
            self._client_url = url
        return self._client

    def _container(self, container: str) -> ContainerClient:
        return self.service().get_container_client(check_container_name(container))

    @contextlib.contextmanager
    def _errors(self, what: str, container: str = "", path: str = "") -> Iterator[None]:
        """Translate azure.core's errors at this boundary into apexops' (one line, with a next step)."""
        from azure.core.exceptions import (
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
            ServiceResponseError,
        )

        try:
            yield
        except ResourceNotFoundError as exc:
            if getattr(exc, "error_code", None) == "ContainerNotFound" or not path:
                raise NotFoundError(
                    f"container {container!r} does not exist in {self._client_url}.",
                    hint="create it first (ensure_container) or check the container name.",
                ) from None
            raise NotFoundError(f"blob {container}/{path} does not exist.",
                                hint="check the document's blob_path.") from None  # fmt: skip
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise TargetUnavailableError(
                f"{what}: the sandbox's Blob Storage does not answer ({type(exc).__name__}).",
                hint=NOT_RUNNING_HINT,
            ) from None
        except HttpResponseError as exc:
            code = getattr(exc, "error_code", None) or exc.status_code
            raise TargetError(f"{what}: Blob Storage answered {code}.",
                              hint="see azurite/azurite.log in the sandbox home.") from None  # fmt: skip

    # ------------------------------------------------------------------ containers
    def ensure_container(self, container: str) -> None:
        from azure.core.exceptions import ResourceExistsError

        client = self._container(container)
        with (
            self._errors(f"create container {container}", container),
            contextlib.suppress(ResourceExistsError),
        ):
            client.create_container()

    def list_containers(self) -> list[BlobContainerInfo]:
        with self._errors("list containers"):
            names = sorted(str(c.name) for c in self.service().list_containers())
        return [BlobContainerInfo(name, blob_count=len(self.list_blobs(name))) for name in names]

    def check_reachable(self, container: str) -> str | None:
        """None when `container` exists and answers; otherwise the reason (readiness probes)."""
        try:
            with self._errors(f"container {container!r}", container):
                self._container(container).get_container_properties()
        except TargetError as exc:
            return exc.message
        return None

    def check_writable(self, container: str) -> str | None:
        """None when a blob can be written to `container` now (a probe blob written and deleted)."""
        name = f"{PROBE_PREFIX}{uuid.uuid4().hex[:12]}"
        try:
            with self._errors(f"write probe in container {container!r}", container):
                client = self._container(container)
                client.upload_blob(name, b"", overwrite=True)
                client.delete_blob(name)
        except TargetError as exc:
            return exc.message
        return None

    # ------------------------------------------------------------------ blobs
    def put(self, container: str, path: str, data: bytes) -> str:
        """Write a blob (replacing one of the same name); returns its blob path `<container>/<path>`."""
        client = self._container(container)
        with self._errors(f"upload blob {container}/{check_blob_name(path)}", container):
            client.upload_blob(path, data, overwrite=True)
        return f"{container}/{path}"

    def get(self, container: str, path: str) -> bytes:
        client = self._container(container)
        with self._errors(f"blob {container}/{check_blob_name(path)}", container, path):
            return bytes(client.download_blob(path).readall())

    def exists(self, container: str, path: str) -> bool:
        client = self._container(container)
        with self._errors(f"check blob {container}/{check_blob_name(path)}", container, path):
            return bool(client.get_blob_client(path).exists())

    blob_exists = exists  # the BlobStore port's name

    def delete(self, container: str, path: str) -> bool:
        """Delete a blob; False when it was not there."""
        try:
            with self._errors(f"delete blob {container}/{check_blob_name(path)}", container, path):
                self._container(container).delete_blob(path)
        except NotFoundError:
            return False
        return True

    def list_blobs(self, container: str, prefix: str = "") -> list[str]:
        """Blob names in a container, sorted; probe blobs are not blobs."""
        client = self._container(container)
        with self._errors(f"list blobs of {container}", container):
            names = [str(b.name) for b in client.list_blobs(name_starts_with=prefix or None)]
        return sorted(n for n in names if not n.startswith(PROBE_PREFIX))


def _endpoint_of(home: Path) -> Callable[[], str]:
    def url() -> str:
        ep = azurite.endpoint(home)
        if ep is None:
            raise TargetUnavailableError(
                f"the sandbox's Blob Storage (Azurite) is not running for {home}.", hint=NOT_RUNNING_HINT
            )
        return ep.account_url

    return url


def sandbox_blob_store(home: Path) -> AzuriteBlobStore:
    """The BlobStore port of the sandbox in `home` (finds Azurite at the first call)."""
    return AzuriteBlobStore(_endpoint_of(home))


class SandboxAuditStorage:
    """The AuditStorage port on the sandbox: `settings.audit.container` on the sandbox's Azurite.

    `audit.account` is ignored here (the account is Azurite's); the container is created when missing. When
    Azurite is not running, `container()` raises `StoreUnavailable` like an unreachable Azure account.
    """

    def __init__(self, settings: Settings) -> None:
        self._home = settings.sandbox_home().resolve()
        self._audit = settings.audit
        self._client: ContainerClient | None = None

    def _account_url(self) -> str:
        from apexops.shared.store import StoreUnavailable  # the shared store's error (lock and audit)

        ep = azurite.endpoint(self._home)
        if ep is None:
            raise StoreUnavailable(
                f"the shared store (the sandbox's Azurite for {self._home}) is not running.",
                hint=NOT_RUNNING_HINT,
            )
        return ep.account_url

    def container(self) -> ContainerClient:
        from apexops.shared.store import ensure_container

        url = self._account_url()
        if self._client is None or not self._client.url.startswith(url):  # first use, or a restarted Azurite
            options = _client_options(2)
            client = azurite.service_client(url, **options).get_container_client(self._audit.container)
            self._client = ensure_container(client, self.describe())
        return self._client

    def describe(self) -> str:
        ep = azurite.endpoint(self._home)
        where = f"{ep.account_url if ep is not None else 'Azurite (not running)'}/{self._audit.container}"
        prefix = self._audit.prefix.strip("/")
        return f"{where}/{prefix}" if prefix else where
