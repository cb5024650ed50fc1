"""The shared deployment lock on Azurite: taking and letting go of the blob lease, and a refusal.

    . .venv/bin/activate && python benchmarks/shared_lock.py [--repeat 200]

A temporary home with only Azurite running (the sandbox's Blob Storage, as `apexops sandbox up` starts it);
the client is created once, as a run holds one for its whole life. Measured:
  lease acquire+release   `LeaseLock.acquire()` (lease, holder metadata, renewal thread started) then
                          `release()` (thread stopped, metadata marked released, lease released)
  deployment lock         `DeploymentLock(..., storage=...)`: the local fcntl lock and the lease, as a
                          procedure takes it before it changes anything
  refusal                 a second acquirer refused with the holder named (409, then the holder read)
Target (issue 13): acquire + release <= 50 ms median on Azurite. Medians, measured, not asserted (the
machine is shared; the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class _Storage:
    """The AuditStorage port over one container (what the sandbox wires)."""

    def __init__(self, container: Any) -> None:
        self._container = container

    def container(self) -> Any:
        return self._container

    def describe(self) -> str:
        return str(self._container.url)


def _times(repeat: int, once: Callable[[], object]) -> list[float]:
    once()  # warm: the connection, the blob's first creation
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        once()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _line(name: str, ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=10)
    return f"{name:<24} median {statistics.median(ms):6.1f} ms   p90 {q[-1]:6.1f} ms   (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    from apexops.canary.lock import DeploymentLock
    from apexops.errors import LockHeldError
    from apexops.sandbox import azurite
    from apexops.settings import AuditSettings
    from apexops.shared.lock import LeaseLock

    with tempfile.TemporaryDirectory(prefix="bench-lock-") as tmp:
        home = Path(tmp)
        try:
            endpoint = azurite.start(home)
            container = endpoint.container_client("apexops-audit")
            container.create_container()
            storage, audit = _Storage(container), AuditSettings(lease_duration_s=15)

            def lease() -> None:
                LeaseLock(
                    container, env="local", app="apex", duration_s=15, run_id="bench"
                ).acquire().release()

            def deployment() -> None:
                DeploymentLock(
                    home / "locks", env="local", app="apex", run_id="bench", storage=storage, settings=audit
                ).acquire().release()

            holder = LeaseLock(container, env="local", app="held", duration_s=15, run_id="holder").acquire()

            def refused() -> None:
                try:
                    LeaseLock(container, env="local", app="held", duration_s=15).acquire()
                except LockHeldError:
                    return
                raise AssertionError("not refused")

            print(f"Azurite {azurite.AZURITE_VERSION} on loopback; load average {os.getloadavg()[0]:.2f}")
            print(_line("lease acquire+release", _times(args.repeat, lease)))
            print(_line("deployment lock (both)", _times(args.repeat, deployment)))
            print(_line("refusal naming holder", _times(args.repeat, refused)))
            holder.release()
            print("target: lease acquire+release <= 50 ms median")
        finally:
            azurite.stop(home)


if __name__ == "__main__":
    main()
