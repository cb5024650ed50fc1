"""The traffic guard: a dead-man's switch that restores the baseline if the process shifting traffic dies.

An exception or an interrupt is handled in-process (the rollout restores the safe list before it
re-raises). A kernel death is not: nothing runs in a killed process. So while traffic is split, a small
guardian process watches its parent. It reads a journal file the rollout keeps up to date:

    safe     traffic is at a verified safe state; nothing to do
    armed    a split is being written or observed; if the parent dies now, write `safe_traffic` back
    done     the rollout is over; exit

If the parent disappears while the journal says `armed`, the guardian connects to the same environment
(`apexops.connect(env)`, same settings and environment variables), writes the complete safe list, reads
it back and records `restored` (or `restore_failed` with the error) in the journal, then exits.

When the run holds the shared deployment lock (a blob lease, `apexops.shared.lock`), the journal also
carries the lease's name and id (this private file only; never the ledger or evidence). The guardian then
adopts the lease before it touches the traffic and keeps it renewed while it restores, so no other
operator's run can start on a half-restored app, and releases it when the traffic is safe again. Had it
not been adopted, the lease would simply expire (the dead parent no longer renews it). It runs
in its own session so that killing the kernel's process group does not take it down too, and it exits by
itself as soon as the journal says `done` or its parent is gone.

    python -m apexops.canary.guard <journal.json>
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from apexops import atomic
from apexops.canary.traffic import effective
from apexops.environment import Environment, connect
from apexops.models import TrafficWeight
from apexops.polling import poll_until
from apexops.processes import alive
from apexops.shared.lock import LeaseLock, held_lease

__all__ = ["TrafficGuard", "read_journal"]

POLL_S = 0.2


def read_journal(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, Any]) -> None:
    # traffic state only, no secret: atomic, so the guardian never reads half a journal
    atomic.write_text(path, json.dumps({**data, "updated": datetime.now(UTC).isoformat(timespec="seconds")}))


class TrafficGuard:
    """with TrafficGuard(env="local", app=..., safe=split(canary, baseline, 0), folder=...) as guard: ..."""

    def __init__(
        self,
        *,
        env: str,
        app: str,
        safe: Sequence[TrafficWeight],
        folder: Path,
        spawn: bool = True,
        lease: LeaseLock | None = None,
    ) -> None:
        self.env, self.app = env, app
        #: the shared lease to hand over if this process dies; default: the one this process holds on the app
        self.lease = lease
        self.safe = [{"revision_name": w.revision_name, "weight": w.weight} for w in safe]
        self.path = Path(folder) / f"traffic-guard-{os.getpid()}.json"
        self.spawn = spawn
        self.process: subprocess.Popen[bytes] | None = None

    def _state(self, state: str, **extra: Any) -> None:
        lease = self.lease or held_lease(self.env, self.app)
        if lease is not None and lease.held:
            extra["lease"] = lease.journal()
        _write(
            self.path,
            {
                "state": state,
                "env": self.env,
                "app": self.app,
                "safe": self.safe,
                "parent_pid": os.getpid(),
                **extra,
            },
        )

    def arm(self, detail: str = "") -> None:
        """Traffic is about to be split (or is split): restore `safe` if this process dies."""
        self._state("armed", detail=detail)

    def disarm(self, detail: str = "") -> None:
        """Traffic is at a verified safe state again."""
        self._state("safe", detail=detail)

    def __enter__(self) -> TrafficGuard:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._state("safe")
        if self.spawn:
            log = (self.path.with_suffix(".log")).open("ab")  # raw write: the guardian's output, no secret
            try:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "apexops.canary.guard", str(self.path)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            finally:
                log.close()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._state("done")
        if self.process is not None:
            try:
                self.process.wait(timeout=10 * POLL_S + 5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
            self.process = None


def _adopt(env: Environment, journal: dict[str, Any]) -> tuple[LeaseLock | None, str]:
    """Keep the dead parent's shared lease while restoring; (None, why not) when it cannot be kept."""
    info = journal.get("lease")
    if not isinstance(info, dict):
        return None, ""
    try:
        lease = LeaseLock.adopt(
            env.audit_storage.container(),
            env=str(journal["env"]),
            app=str(journal["app"]),
            name=str(info["name"]),
            lease_id=str(info["lease_id"]),
            duration_s=int(info["duration_s"]),
        )
    except Exception as exc:  # expired already, or the store is down: restore anyway, say so
        return None, f"; shared lock not kept ({type(exc).__name__})"
    return lease, "; shared lock kept while restoring, then released"


def _restore(journal: dict[str, Any]) -> str:
    env = connect(journal["env"])
    lease, note = _adopt(env, journal)
    try:
        app = env.app
        wanted = [TrafficWeight(w["revision_name"], int(w["weight"])) for w in journal["safe"]]
        app.set_traffic(wanted)
        actual = app.get_traffic()
        if effective(actual) != effective(wanted):
            raise RuntimeError(f"read back {effective(actual)} instead of {effective(wanted)}")
        return ", ".join(f"{w.revision_name}={w.weight}" for w in wanted) + note
    finally:
        if lease is not None:
            lease.release()


def _watch(path: Path, parent: int) -> int | None:
    """One look at the journal and the parent: None to keep watching, else the exit code."""
    journal = read_journal(path)
    if not journal or journal.get("state") == "done":
        return 0
    if os.getppid() == parent and alive(int(journal.get("parent_pid", parent))):
        return None
    if journal.get("state") != "armed":
        return 0
    try:
        restored = _restore(journal)
        _write(path, {**journal, "state": "restored", "detail": f"parent died; restored {restored}"})
        return 0
    except Exception as exc:  # the journal is the only place left to say so
        _write(path, {**journal, "state": "restore_failed", "detail": f"{type(exc).__name__}: {exc}"})
        return 1


def main(argv: list[str] | None = None) -> int:
    """Watch until the journal says done or the parent is gone (no deadline: as long as the rollout)."""
    path = Path((sys.argv[1:] if argv is None else argv)[0])
    parent = os.getppid()
    code = poll_until(
        lambda: _watch(path, parent), math.inf, until=lambda c: c is not None, interval_s=POLL_S
    )
    return code.value or 0


if __name__ == "__main__":
    raise SystemExit(main())
