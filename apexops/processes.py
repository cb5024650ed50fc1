"""Is a process alive, and end it: one place, over psutil.

The runner (abandoned runs), the canary's guard and the sandbox's lifecycle all ask whether a recorded
pid still runs. A zombie (exited, not yet reaped) counts as dead, and a pid reused by a newer process is
told apart by its start time when the caller recorded one.
"""

from __future__ import annotations

import psutil

__all__ = ["alive", "start_time"]


def start_time(pid: int) -> float | None:
    """The process's start time (seconds since the epoch), None when it does not exist."""
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, ValueError):
        return None


def alive(pid: int | None, *, started: float | None = None) -> bool:
    """True when `pid` runs and is not a zombie (and, given `started`, is the same process)."""
    if not pid or pid <= 0:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < 1.0
    except (psutil.Error, ValueError):
        return False
