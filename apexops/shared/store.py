"""The shared store's boundary: which container, how to reach it, and what a failure to reach it means.

`AzureAuditStorage` is the Azure target's `AuditStorage` (the account from `audit.account`, the identity
from `DefaultAzureCredential`, so `az login`, managed identity and CI service principals all work). The
helpers below take any `ContainerClient`, so the lock and the audit trail are the same on Azure and on the
sandbox's Azurite.

Every call to the store goes through `store_errors(...)`: azure-core's exceptions (unknown account or DNS,
connection refused, timeouts, no identity, a 403) become one `StoreUnavailable` line naming the store and
the next step, so an operator never reads a stack of HTTP internals to learn that the store is down.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from apexops.errors import ApexopsError, ConfigError

if TYPE_CHECKING:
    from apexops.ports import AuditStorage
    from apexops.settings import AuditSettings, Settings

__all__ = [
    "AzureAuditStorage",
    "StoreUnavailable",
    "blob_name",
    "ensure_container",
    "open_container",
    "store_errors",
]

#: seconds: a store that does not answer within this is reported unreachable rather than waited on
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 30
#: azure-core retries a failed connection with backoff; two tries keep "unreachable" under ~10 s
RETRY_TOTAL = 2


class StoreUnavailable(ApexopsError):
    """The shared store (lock and audit trail) cannot be reached: unknown account, DNS, network, timeout,
    no identity or no role on the container."""


def blob_name(prefix: str, *parts: str) -> str:
    """`<prefix>/<part>/...` without empty segments: the same blob name whatever the prefix looks like."""
    segments = [s for p in (prefix, *parts) for s in p.strip("/").split("/") if s]
    return "/".join(segments)


def _reason(exc: BaseException) -> tuple[str, str]:
    """(what went wrong, what to do) for an azure-core / azure-identity exception."""
    from azure.core import exceptions as az  # lazy: azure-core only once the store is used

    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, az.ClientAuthenticationError):
        return (
            f"no usable identity for it ({text[:160]})",
            "sign in (az login) or give the CI identity 'Storage Blob Data Contributor' on the container.",
        )
    if isinstance(exc, az.HttpResponseError) and exc.status_code == 403:
        return (
            "the identity has no role on it (403)",
            "grant 'Storage Blob Data Contributor' on the audit container to this identity.",
        )
    if isinstance(exc, (az.ServiceRequestError, az.ServiceResponseError)):
        return (
            f"it does not answer ({text[:160]})",
            "check audit.account in parameters/<env>.yaml, the network and DNS; on the sandbox run "
            "`apexops sandbox up` (it starts Azurite).",
        )
    return (f"{type(exc).__name__}: {text[:160]}", "check the store, then run again.")


def unavailable(exc: BaseException, where: str) -> StoreUnavailable:
    """The one-line error for a store that cannot be reached (`where` names it: URL, container)."""
    what, hint = _reason(exc)
    return StoreUnavailable(f"the shared store {where} cannot be reached: {what}.", hint=hint)


def _transport_errors() -> tuple[type[BaseException], ...]:
    from azure.core import exceptions as az  # lazy: azure-core only once the store is used

    return (az.ServiceRequestError, az.ServiceResponseError, az.ClientAuthenticationError)


@contextlib.contextmanager
def store_errors(where: str) -> Iterator[None]:
    """Translate "cannot reach the store" failures inside the block into `StoreUnavailable`.

    Only reachability is translated (transport, identity, 403); a 404 or 409 is an answer from a store that
    works, so those stay azure-core exceptions for the caller to interpret (a lease already held, ...).
    """
    from azure.core.exceptions import HttpResponseError  # lazy: azure-core only once the store is used

    try:
        yield
    except _transport_errors() as exc:
        raise unavailable(exc, where) from None
    except HttpResponseError as exc:
        if exc.status_code == 403:
            raise unavailable(exc, where) from None
        raise


def ensure_container(container: Any, where: str = "") -> Any:
    """Create the container if it does not exist yet (idempotent, safe when many callers race)."""
    from azure.core.exceptions import ResourceExistsError  # lazy: azure-core only once the store is used

    where = where or _url(container)
    with store_errors(where):
        if not container.exists():
            with contextlib.suppress(ResourceExistsError):
                container.create_container()
    return container


def _url(container: Any) -> str:
    return str(getattr(container, "url", "") or "the audit container").split("?")[0]


def open_container(storage: AuditStorage, *, create: bool = True) -> Any:
    """The storage's ContainerClient, checked reachable (and created if missing): `StoreUnavailable` else.

    A target without shared storage (`NotSupportedError`) propagates unchanged, so callers can tell "no
    shared store configured" from "configured but down".
    """
    where = storage.describe()
    with store_errors(where):
        container = storage.container()
    if create:
        return ensure_container(container, where)
    with store_errors(where):
        container.get_container_properties()
    return container


class AzureAuditStorage:
    """The Azure target's shared store: `https://<audit.account>.blob.core.windows.net/<audit.container>`.

    Nothing is contacted until `container()` is used; the SDK and the credential are created then.
    """

    def __init__(
        self,
        settings: Settings | AuditSettings,
        *,
        credential: Any = None,
        credential_factory: Callable[[], Any] | None = None,
        **client_options: Any,
    ):
        from apexops.settings import AuditSettings

        self.audit: AuditSettings = settings if isinstance(settings, AuditSettings) else settings.audit
        self.environment = str(getattr(settings, "environment", "") or "")
        #: the target's identity, shared with its other clients (built on first use, not at connect)
        self._credential, self._credential_factory = credential, credential_factory
        self._options = client_options
        self._client: Any = None

    @property
    def account_url(self) -> str:
        if not self.audit.account:
            env = self.environment or "<env>"
            raise ConfigError(
                "audit.account is not set: the shared lock and audit trail need a storage account.",
                hint=f"set audit.account (a storage account of its own) in parameters/{env}.yaml.",
            )
        return f"https://{self.audit.account}.blob.core.windows.net"

    def container(self) -> Any:
        if self._client is None:
            from azure.storage.blob import ContainerClient  # lazy: azure-storage-blob costs ~0.3 s

            credential = self._credential
            if credential is None and self._credential_factory is not None:
                credential = self._credential_factory()
            if credential is None:
                from azure.identity import DefaultAzureCredential  # lazy: azure-identity is heavy

                credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
            options: dict[str, Any] = {
                "connection_timeout": CONNECT_TIMEOUT_S,
                "read_timeout": READ_TIMEOUT_S,
                "retry_total": RETRY_TOTAL,
                **self._options,
            }
            self._client = ContainerClient(
                self.account_url, self.audit.container, credential=credential, **options
            )
        return self._client

    def describe(self) -> str:
        try:
            where = f"{self.account_url}/{self.audit.container}"
        except ConfigError:
            where = f"(no account)/{self.audit.container}"
        return f"{where}/{self.audit.prefix.strip('/')}" if self.audit.prefix.strip("/") else where
