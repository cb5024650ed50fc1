"""The deployment lock shared by every operator and machine: a blob lease on `<prefix>/locks/<env>--<app>`.

A lease is Blob Storage's distributed lock: one holder at a time, a fixed duration (Azure accepts 15-60 s),
renewed by the holder while it lives, and gone by itself when the holder dies and stops renewing. So:

    with LeaseLock(container, env="prod", app="apex-backend-prod", duration_s=60, run_id=..., procedure="50"):
        ...   # change the target; a daemon thread renews the lease every duration/3

- The lock blob's metadata names the holder (operator, machine, run id, procedure, start), written right
  after the lease is acquired; a second acquirer anywhere is refused at once with `LockHeldError` naming
  that holder.
- A holder that dies loses the lock when the lease expires; `adopt()` lets a process that knows the lease
  id (the canary's guard, restoring traffic after its parent died) keep it renewed and then release it.
- `break_lock()` ends someone else's lease at once; it is the gated `apexops lock break` command's engine.

The code takes a `ContainerClient` only, so it is the same against Azure Storage and the sandbox's Azurite.
The lease id is never written to the blob, the ledger or any evidence (whoever knows it acts as the holder);
it stays in memory and in the run's private guard journal.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from apexops.errors import ConfigError, LockHeldError
from apexops.kernel import operator_identity
from apexops.shared.store import blob_name, ensure_container, store_errors

__all__ = [
    "LEASE_MAX_S",
    "LEASE_MIN_S",
    "Holder",
    "LeaseLock",
    "LockState",
    "break_lock",
    "held_lease",
    "list_locks",
    "lock_blob_name",
    "read_lock",
]

#: Azure's range for a fixed-duration lease
LEASE_MIN_S, LEASE_MAX_S = 15, 60
#: how long a reader waits for a just-acquired lease's holder metadata before naming it unknown
_METADATA_WAIT_S = 1.0

#: leases this process holds, by (env, app): the canary's guard hands them to its guardian process
_HELD: dict[tuple[str, str], LeaseLock] = {}
_HELD_LOCK = threading.Lock()


def lock_blob_name(prefix: str, env: str, app: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{env}--{app}")
    return blob_name(prefix, "locks", safe)


def check_duration(seconds: int) -> int:
    if not LEASE_MIN_S <= seconds <= LEASE_MAX_S:
        raise ConfigError(
            f"audit.lease_duration_s {seconds} is outside Azure's lease range.",
            hint=f"set audit.lease_duration_s between {LEASE_MIN_S} and {LEASE_MAX_S} seconds.",
        )
    return seconds


def _ascii(value: object) -> str:
    """Metadata travels as HTTP headers: printable ASCII only."""
    return re.sub(r"[^\x20-\x7e]", "?", str(value))[:200]


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a lock, as its blob's metadata says."""

    operator: str = ""
    machine: str = ""
    run_id: str = ""
    procedure: str = ""
    start: str = ""
    pid: str = ""

    @classmethod
    def me(cls, *, run_id: str, procedure: str, start: datetime) -> Holder:
        return cls(
            operator=operator_identity()[0],
            machine=socket.gethostname(),
            run_id=run_id,
            procedure=procedure,
            start=start.isoformat(timespec="seconds"),
            pid=str(os.getpid()),
        )

    @classmethod
    def from_metadata(cls, metadata: dict[str, str]) -> Holder:
        return cls(**{k: str(metadata.get(k, "")) for k in asdict(cls())})

    def metadata(self, state: str) -> dict[str, str]:
        return {**{k: _ascii(v) for k, v in asdict(self).items()}, "state": state}

    def describe(self) -> str:
        run = f"run {self.run_id or '?'}"
        who = f"{self.operator or '?'} on {self.machine or '?'}"
        what = ", ".join(p for p in (self.procedure, f"since {self.start}" if self.start else "") if p)
        return f"{run} by {who}" + (f" ({what})" if what else "")


@dataclass(frozen=True)
class LockState:
    """A lock blob as read: its lease state (available, leased, expired, breaking, broken) and holder."""

    name: str
    lease_state: str
    holder: Holder
    #: the metadata's own word: held (by a live holder, or one that died) or released
    recorded: str = ""

    @property
    def held(self) -> bool:
        return self.lease_state in ("leased", "breaking")

    def row(self) -> dict[str, str]:
        known = bool(self.holder.run_id or self.holder.operator)
        last = self.holder.describe() if known and not self.held else ""
        if last and self.recorded == "held":  # never released: the holder died or lost its lease
            last = f"last held by {last}; not released (lease {self.lease_state})"
        elif last:
            last = f"released by {last}"
        return {
            "lock": self.name,
            "lease": self.lease_state,
            "holder": self.holder.describe() if known and self.held else "",
            "note": last,
        }


def _error_code(exc: BaseException) -> str:
    return str(getattr(exc, "error_code", "") or "")


def read_lock(container: Any, name: str, *, where: str = "", wait_s: float = _METADATA_WAIT_S) -> LockState:
    """The lock blob's lease state and holder; a lease acquired a moment ago whose holder has not written
    its metadata yet is re-read for up to `wait_s` (then its holder is reported unknown)."""
    from azure.core.exceptions import ResourceNotFoundError  # lazy: azure-core only once the store is used

    blob = container.get_blob_client(name)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with store_errors(where or _where(container)):
                props = blob.get_blob_properties()
        except ResourceNotFoundError:
            return LockState(name, "available", Holder())
        state = str(props.lease.state or "available")
        metadata = dict(props.metadata or {})
        recorded = metadata.get("state", "")
        if state != "leased" or recorded == "held" or time.monotonic() >= deadline:
            holder = Holder.from_metadata(metadata) if recorded == "held" or state != "leased" else Holder()
            return LockState(name, state, holder, recorded)
        time.sleep(0.05)


def list_locks(container: Any, prefix: str, *, where: str = "") -> list[LockState]:
    """Every lock blob under `<prefix>/locks/` (each read once; no waiting for fresh metadata)."""
    from azure.core.exceptions import ResourceNotFoundError  # lazy: azure-core only once the store is used

    folder = blob_name(prefix, "locks") + "/"
    try:
        with store_errors(where or _where(container)):
            names = [b.name for b in container.list_blobs(name_starts_with=folder)]
    except ResourceNotFoundError:  # no container yet: no lock was ever taken
        return []
    return [read_lock(container, n, where=where, wait_s=0) for n in names]


def break_lock(container: Any, name: str, *, where: str = "") -> LockState:
    """End the lease on `name` at once (break period 0), whoever holds it; returns the state before."""
    from azure.storage.blob import BlobLeaseClient  # lazy: azure-storage-blob costs ~0.3 s

    before = read_lock(container, name, where=where, wait_s=0)
    if before.held:
        with store_errors(where or _where(container)):
            BlobLeaseClient(container.get_blob_client(name)).break_lease(lease_break_period=0)
    return before


def held_lease(env: str, app: str) -> LeaseLock | None:
    """The lease this process holds on (env, app), if any (the canary guard passes it to its guardian)."""
    with _HELD_LOCK:
        return _HELD.get((env, app))


def _where(container: Any) -> str:
    return str(getattr(container, "url", "") or "the audit container").split("?")[0]


class LeaseLock:
    """One holder's lease on `<prefix>/locks/<env>--<app>` (see the module docstring)."""

    def __init__(
        self,
        container: Any,
        *,
        env: str,
        app: str,
        duration_s: int = LEASE_MAX_S,
        prefix: str = "",
        run_id: str = "",
        procedure: str = "",
        where: str = "",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        renew_every_s: float | None = None,
    ) -> None:
        self.container = container
        self.env, self.app = env, app
        self.duration_s = check_duration(duration_s)
        self.name = lock_blob_name(prefix, env, app)
        self.run_id, self.procedure = run_id, procedure
        self.where = where or _where(container)
        self.clock = clock
        self.renew_every_s = renew_every_s if renew_every_s is not None else self.duration_s / 3
        self.lease_id: str = ""
        self.holder_info: Holder | None = None
        #: why the lease was lost while held (broken by someone, expired during an outage), else ""
        self.lost = ""
        #: the lock as read when `acquire()` was refused (its holder), else None
        self.refused_by: LockState | None = None
        self._lease: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self._lease is not None

    # ------------------------------------------------------------------ acquire / release

    def acquire(self) -> LeaseLock:
        """Take the lease (or refuse at once with `LockHeldError` naming the holder), name the holder in the
        blob's metadata, start renewing."""
        from azure.storage.blob import BlobLeaseClient  # lazy: azure-storage-blob costs ~0.3 s

        blob = self.container.get_blob_client(self.name)
        lease = BlobLeaseClient(blob, lease_id=str(uuid.uuid4()))
        self._take(lease)
        holder = Holder.me(run_id=self.run_id, procedure=self.procedure, start=self.clock())
        try:
            with store_errors(self.where):
                blob.set_blob_metadata(holder.metadata("held"), lease=lease)
        except BaseException:
            with contextlib.suppress(Exception):
                lease.release()
            raise
        self._lease, self.lease_id, self.holder_info = lease, lease.id, holder
        self._start_renewing()
        return self

    def _take(self, lease: Any) -> None:
        from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

        for attempt in range(3):
            try:
                with store_errors(self.where):
                    lease.acquire(lease_duration=self.duration_s)
                return
            except ResourceNotFoundError:  # first lock of this app (or container): create, then try again
                if attempt:
                    raise
                ensure_container(self.container, self.where)
                with store_errors(self.where), contextlib.suppress(ResourceExistsError):
                    self.container.get_blob_client(self.name).upload_blob(b"", overwrite=False)
            except HttpResponseError as exc:
                if exc.status_code != 409:
                    raise
                state = read_lock(self.container, self.name, where=self.where)
                if state.held:
                    self.refused_by = state
                    raise LockHeldError(
                        f"another run holds the deployment lock for {self.app} in {self.env}: "
                        f"{state.holder.describe()} [shared lock {self.name}, lease {state.lease_state}].",
                        hint="wait for it to finish; if its process is gone, the lease expires within "
                        f"{self.duration_s} s (see `apexops lock status --env {self.env}`).",
                    ) from None
                # released or expired between our try and our read: try once more
        raise LockHeldError(
            f"the deployment lock for {self.app} in {self.env} changed hands three times while taking it.",
            hint="another run is starting at the same moment; wait and try again.",
        )

    def release(self) -> None:
        """Stop renewing, mark the metadata released and end the lease (idempotent)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        lease, self._lease = self._lease, None
        with _HELD_LOCK:
            if _HELD.get((self.env, self.app)) is self:
                del _HELD[(self.env, self.app)]
        if lease is None:
            return
        holder = self.holder_info or Holder(run_id=self.run_id, procedure=self.procedure)
        blob = self.container.get_blob_client(self.name)
        with contextlib.suppress(Exception):  # a lost or expired lease: nothing of ours left to release
            blob.set_blob_metadata(holder.metadata("released"), lease=lease)
        with contextlib.suppress(Exception):
            lease.release()

    # ------------------------------------------------------------------ renewal

    def _start_renewing(self) -> None:
        self._stop.clear()
        with _HELD_LOCK:
            _HELD[(self.env, self.app)] = self
        self._thread = threading.Thread(
            target=self._renew_loop, name=f"lease-{self.env}--{self.app}", daemon=True
        )
        self._thread.start()

    def _renew_loop(self) -> None:
        """Renew every duration/3 until released; a lease someone broke is noted in `lost` and left."""
        from azure.core.exceptions import HttpResponseError  # lazy: azure-core only once the store is used

        while not self._stop.wait(self.renew_every_s):
            lease = self._lease
            if lease is None:
                return
            try:
                lease.renew()
                self.lost = ""
            except HttpResponseError as exc:
                if exc.status_code in (409, 412):  # broken, or taken by another after it expired
                    why = _error_code(exc) or exc.status_code
                    self.lost = f"lease lost at {datetime.now(UTC):%H:%M:%S}: {why}"
                    return
                self.lost = f"renewal failed ({exc.status_code}); retrying"
            except Exception as exc:  # the store is unreachable: keep trying until the lease would expire
                self.lost = f"renewal failed ({type(exc).__name__}); retrying"

    def renew(self) -> None:
        """Renew now (the guardian does so when it adopts a lease); raises if the lease is gone."""
        if self._lease is None:
            raise ConfigError("renew() on a lease that is not held.", hint="acquire() or adopt() first.")
        with store_errors(self.where):
            self._lease.renew()

    @classmethod
    def adopt(
        cls, container: Any, *, env: str, app: str, name: str, lease_id: str, duration_s: int
    ) -> LeaseLock:
        """Hold a lease another process of this run acquired (its id is known): renew it at once and keep
        renewing until `release()`. Raises (azure-core / StoreUnavailable) when the lease is gone."""
        from azure.storage.blob import BlobLeaseClient  # lazy: azure-storage-blob costs ~0.3 s

        lock = cls(container, env=env, app=app, duration_s=duration_s)
        lock.name = name
        lock._lease = BlobLeaseClient(container.get_blob_client(lock.name), lease_id=lease_id)
        lock.lease_id = lease_id
        try:
            lock.renew()
        except BaseException:
            lock._lease = None
            raise
        lock.holder_info = read_lock(container, name, wait_s=0).holder
        lock._start_renewing()
        return lock

    def journal(self) -> dict[str, Any]:
        """What the guardian needs to adopt this lease (kept in the run's private guard journal only)."""
        return {"name": self.name, "lease_id": self.lease_id, "duration_s": self.duration_s}

    def __enter__(self) -> LeaseLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
