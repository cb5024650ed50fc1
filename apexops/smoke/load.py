"""A small concurrent request runner for the latency baseline: N requests at concurrency C.

Threads with one shared synchronous httpx client rather than asyncio: notebook cells already run inside
an event loop (asyncio.run would refuse), and C is small. Every request is timed with the injected clock,
so tests can pin durations; a request that fails at the transport level is kept as a sample with its
error and the time it took, because a timeout is a slow request, not a missing one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

__all__ = ["RequestSample", "error_summary", "run_requests"]


@dataclass(frozen=True)
class RequestSample:
    """One timed request: status None means no HTTP response (timeout, refused, reset)."""

    index: int
    started_s: float
    duration_ms: float
    status: int | None
    error: str | None = None
    revision: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def run_requests(
    client: httpx.Client,
    path: str,
    *,
    n: int,
    concurrency: int,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[RequestSample]:
    """Issue `n` requests to `path` with at most `concurrency` in flight; samples in request order.

    The response body is read fully before the clock stops (curl's time_total).
    """
    import httpx  # lazy: httpx loads only when requests are sent

    if n < 0 or concurrency < 1:
        raise ValueError(f"need n >= 0 and concurrency >= 1 (got n={n}, concurrency={concurrency})")
    samples: list[RequestSample | None] = [None] * n
    lock = threading.Lock()
    next_index = iter(range(n))

    def take() -> int | None:
        with lock:
            return next(next_index, None)

    def worker() -> None:
        while (i := take()) is not None:
            start = clock()
            status: int | None = None
            error: str | None = None
            revision: str | None = None
            try:
                response = client.request(method, path, headers=dict(headers or {}))
                response.read()
                status = response.status_code
                revision = response.headers.get("x-apex-revision")
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            samples[i] = RequestSample(i, start, (clock() - start) * 1000.0, status, error, revision)

    workers = min(concurrency, n)
    if workers:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apexops-latency") as pool:
            for future in [pool.submit(worker) for _ in range(workers)]:
                future.result()
    return [s for s in samples if s is not None]


def error_summary(samples: Sequence[RequestSample]) -> str:
    """'3 of 100 failed: HTTP 500 x2, ReadTimeout x1', or '' when every request returned 2xx."""
    failed = [s for s in samples if not s.ok]
    if not failed:
        return ""
    kinds: dict[str, int] = {}
    for s in failed:
        key = f"HTTP {s.status}" if s.status is not None else (s.error or "error").split(":")[0]
        kinds[key] = kinds.get(key, 0) + 1
    parts = ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
    return f"{len(failed)} of {len(samples)} failed: {parts}"
