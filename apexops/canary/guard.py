"""The traffic guard: a dead-man's switch that restores the baseline if the process shifting traffic dies.

An exception or an interrupt is handled in-process (the rollout restores the safe list before it
re-raises). A kernel death is not: nothing runs in a killed process. So while traffic is split, a small
guardian process watches its parent. It reads a journal file the rollout keeps up to date:

    safe     traffic is at a verified safe state; nothing to do
    armed    a split is being written or observed; if the parent dies now, write `safe_traffic` back
    done     the rollout is over; exit

If the parent disappears while the journal says `armed`, the guardian connects to the same environment
(`apexops.connect(env)`, same settings and environment variables), writes the complete safe list, reads
it back and records `restored` (or `restore_failed` with the error) in the journal, then exits. It runs
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
from apexops.environment import connect
from apexops.models import TrafficWeight
from apexops.polling import poll_until
from apexops.processes import alive

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
    ) -> None:
        self.env, self.app = env, app
        self.safe = [{"revision_name": w.revision_name, "weight": w.weight} for w in safe]
        self.path = Path(folder) / f"traffic-guard-{os.getpid()}.json"
        self.spawn = spawn
        self.process: subprocess.Popen[bytes] | None = None

    def _state(self, state: str, **extra: Any) -> None:
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


def _restore(journal: dict[str, Any]) -> str:
    app = connect(journal["env"]).app
    wanted = [TrafficWeight(w["revision_name"], int(w["weight"])) for w in journal["safe"]]
    app.set_traffic(wanted)
    actual = app.get_traffic()
    if effective(actual) != effective(wanted):
        raise RuntimeError(f"read back {effective(actual)} instead of {effective(wanted)}")
    return ", ".join(f"{w.revision_name}={w.weight}" for w in wanted)


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
