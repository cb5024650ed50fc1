"""The deployment lock: one traffic-shifting run per app and environment at a time.

Two runs shifting the same app would overwrite each other's traffic lists and judge each other's
canaries. The lock is an exclusive `fcntl` lock on `<outputs>/locks/<env>--<app>.lock`; the file says who
holds it (run id, pid, since) so the refusal names the other run. The operating system drops the lock
when its process ends, however it ends (kernel death included), so a lock is never left stale.

It covers runs that share an outputs folder, which is every run on one machine (notebooks, CI jobs,
child runs of 90-release). Runs on different machines against the same Azure app need a lock on the
target itself (e.g. a blob lease); that is not implemented here.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from apexops.errors import LockHeldError

__all__ = ["DeploymentLock"]


class DeploymentLock:
    """with DeploymentLock(root, env="prod", app="apex-backend-prod", run_id=...): shift traffic"""

    def __init__(self, root: Path, *, env: str, app: str, run_id: str = "") -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{env}--{app}")
        self.path = Path(root) / f"{safe}.lock"
        self.env, self.app, self.run_id = env, app, run_id
        self._fd: int | None = None

    def holder(self) -> dict[str, object]:
        """Who holds (or last held) the lock, as written in the file; {} if unknown."""
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
        return self

    def release(self) -> None:
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
