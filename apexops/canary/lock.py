"""The deployment lock: one traffic-shifting run per app and environment at a time.

Two runs shifting the same app would overwrite each other's traffic lists and judge each other's
canaries. The lock is an exclusive `fcntl` lock on `<outputs>/locks/<env>--<app>.lock`; the file says who
holds it (run id, pid, since) so the refusal names the other run. The operating system drops the lock
when its process ends, however it ends (kernel death included), so a lock is never left stale.

It covers runs that share an outputs folder, which is every run on one machine (notebooks, CI jobs,
child runs of 90-release). Runs on different machines (or with different outputs folders) are kept apart
by the shared lock: given the environment's `audit_storage`, the lock also takes the blob lease
`<prefix>/locks/<env>--<app>` (`apexops.shared.lock`), which names its holder, is renewed while the run
lives and expires when it dies. When the store cannot be reached, a run on an environment whose
`audit.required` is true refuses to start (`StoreUnavailable`, nothing changed); otherwise it goes on under
the local lock and says so.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from apexops.errors import LockHeldError, NotSupportedError
from apexops.shared.lock import LeaseLock, LockState
from apexops.shared.store import StoreUnavailable

if TYPE_CHECKING:
    from apexops.environment import Environment
    from apexops.ports import AuditStorage
    from apexops.settings import AuditSettings

__all__ = ["DeploymentLock", "lock_for"]

log = logging.getLogger(__name__)


class DeploymentLock:
    """with DeploymentLock(root, env="prod", app="apex-backend-prod", run_id=...): shift traffic"""

    def __init__(
        self,
        root: Path,
        *,
        env: str,
        app: str,
        run_id: str = "",
        storage: AuditStorage | None = None,
        settings: AuditSettings | None = None,
        procedure: str = "",
    ) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{env}--{app}")
        self.path = Path(root) / f"{safe}.lock"
        self.env, self.app, self.run_id = env, app, run_id
        self.storage, self.settings, self.procedure = storage, settings, procedure
        self._fd: int | None = None
        #: the shared lease while held (None: no storage given, or the store was optional and unreachable)
        self.lease: LeaseLock | None = None
        #: why the shared lock was not taken although a storage was given ("" when taken or not asked for)
        self.shared_skipped = ""
        self._refused_by: dict[str, object] = {}

    def holder(self) -> dict[str, object]:
        """Who holds (or last held) the lock: the shared holder that refused us, else the local file's."""
        if self._refused_by:
            return dict(self._refused_by)
        try:
            data = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def acquire(self) -> DeploymentLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # raw write: flock + holder (run id, pid)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            h = self.holder()
            who = f"run {h.get('run_id') or '?'} (pid {h.get('pid', '?')}, since {h.get('since', '?')})"
            raise LockHeldError(
                f"another run is shifting traffic for {self.app} in {self.env}: {who}.",
                hint="wait for it to finish (see `apexops runs list`), or stop it; its traffic is restored "
                "to the baseline when it stops.",
            ) from None
        since = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"run_id": self.run_id, "pid": os.getpid(), "since": since}).encode())
        self._fd = fd
        try:
            self._acquire_shared()
        except BaseException:
            self.release()
            raise
        return self

    def _acquire_shared(self) -> None:
        """The blob lease, when a storage is given (see the module docstring for an unreachable store)."""
        if self.storage is None:
            return
        from apexops.settings import AuditSettings

        audit = self.settings or AuditSettings()
        where = _describe(self.storage)
        lease: LeaseLock | None = None
        try:
            container = self.storage.container()
            lease = LeaseLock(
                container,
                env=self.env,
                app=self.app,
                duration_s=audit.lease_duration_s,
                prefix=audit.prefix,
                run_id=self.run_id,
                procedure=self.procedure,
                where=where,
            )
            self.lease = lease.acquire()
        except LockHeldError:
            self._refused_by = _holder_row(lease.refused_by if lease is not None else None)
            raise
        except NotSupportedError as exc:
            self._optional(audit.required, f"this target has no shared store ({exc.message})", where)
        except StoreUnavailable as exc:
            self._optional(audit.required, exc.message, where, exc)

    def _optional(self, required: bool, why: str, where: str, exc: StoreUnavailable | None = None) -> None:
        if required:
            raise StoreUnavailable(
                f"refusing to start: {self.env} requires the shared deployment lock and {why.rstrip('.')}.",
                hint=(exc.hint if exc and exc.hint else "")
                + " Nothing was changed; run again once the store answers.",
            ) from None
        self.shared_skipped = f"shared lock not taken ({where}): {why}"
        log.warning("%s; going on under the local lock only (audit.required is false)", self.shared_skipped)

    def release(self) -> None:
        if self.lease is not None:
            if self.lease.lost:  # broken by `apexops lock break`, or expired through a store outage
                log.warning("shared lock %s not held to the end: %s", self.lease.name, self.lease.lost)
            self.lease.release()
            self.lease = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> DeploymentLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def lock_for(
    env: Environment, *, procedure: str, lock_dir: Path | None = None, run_id: str = ""
) -> DeploymentLock:
    """The deployment lock a procedure takes before it changes `env`'s app: the local lock in the run's
    outputs folder and the environment's shared lease, the holder named by this run and procedure."""
    from apexops.kernel import outputs_root, run_context

    context = run_context() if not run_id else None
    return DeploymentLock(
        lock_dir or outputs_root() / "locks",
        env=env.settings.environment,
        app=env.settings.app.name,
        run_id=run_id or (context.run_id if context else ""),
        storage=getattr(env, "audit_storage", None),  # a stand-in environment may have no store
        settings=getattr(env.settings, "audit", None),
        procedure=procedure,
    )


def _describe(storage: AuditStorage) -> str:
    try:
        return storage.describe()
    except Exception:  # a storage that cannot even say where it is: the message still needs a name
        return type(storage).__name__


def _holder_row(state: LockState | None) -> dict[str, object]:
    """The refusing holder as the shared lock's metadata names it (for the precondition table)."""
    if state is None:
        return {}
    h = state.holder
    return {
        "run_id": h.run_id,
        "operator": h.operator,
        "machine": h.machine,
        "procedure": h.procedure,
        "since": h.start,
        "lease": state.lease_state,
    }
