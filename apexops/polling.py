"""One way to wait: `poll_until(condition, timeout_s, clock=..., sleep=...)`.

apexops waits on real things (a revision becoming healthy, a process exiting, a file appearing, a lock
being released). Every such loop is this one function, with the clock and the sleep injected (as tenacity
does), so tests drive time instead of waiting for it and no loop forgets its deadline.

Kept by hand rather than taken from tenacity: tenacity retries on exceptions and stops on attempts; these
loops wait for a *value* to become true before a deadline and must hand back the last value seen (a
revision's state, for the timeout message). That is ten lines, not a dependency.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Polled", "poll_until"]

T = TypeVar("T")


@dataclass(frozen=True)
class Polled(Generic[T]):
    """The last value seen, whether it satisfied the condition, and how long the wait took."""

    value: T
    done: bool
    elapsed_s: float
    attempts: int

    def __bool__(self) -> bool:
        return self.done


def poll_until(
    probe: Callable[[], T],
    timeout_s: float,
    *,
    until: Callable[[T], bool] = bool,
    interval_s: float = 0.1,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Polled[T]:
    """Call `probe` until `until(value)` holds or `timeout_s` passes (probed at least once).

    Never sleeps past the deadline; returns the last value either way (check `.done`).
    """
    start = clock()
    deadline = start + max(0.0, timeout_s)
    attempts = 0
    while True:
        value = probe()
        attempts += 1
        now = clock()
        if until(value):
            return Polled(value, True, now - start, attempts)
        if now >= deadline:
            return Polled(value, False, now - start, attempts)
        sleep(min(interval_s, max(0.0, deadline - now)))
