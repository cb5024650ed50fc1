"""Waiting on Azure long-running operations while telling the operator what is happening."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["wait"]


def wait(
    poller: Any,
    what: str,
    on_progress: Callable[[str], None] | None,
    interval_s: float,
    tick: Callable[[], None] | None = None,
) -> Any:
    """Block until `poller` (an azure-core LROPoller) finishes; report each status change.

    The SDK polls in its own thread at its polling interval; this loop only wakes every `interval_s`
    to report and to run `tick` (e.g. list deployment operations). `tick` runs once more after the
    operation completed, so the final state is always reported, however fast the operation was.
    Exceptions of the operation are re-raised by `poller.result()`, to be translated by the caller's
    `map_azure_errors`.
    """
    last = None
    while not poller.done():
        status = poller.status()
        if on_progress is not None and status != last:
            on_progress(f"{what}: {status}")
            last = status
        if tick is not None:
            tick()
        poller.wait(interval_s)
    result = poller.result()
    if tick is not None:
        tick()
    if on_progress is not None:
        on_progress(f"{what}: {poller.status()}")
    return result
