"""Bounded synthetic user traffic, so a canary has requests to be judged on.

A `LoadGenerator` sends authenticated requests at a fixed rate (evenly spaced or Poisson arrivals) over a
mix of API routes, for a fixed duration, then stops by itself. It refuses any URL that is not loopback, a
rate above 1000 req/s, or a duration above an hour, so it cannot turn into a load test of something real.
It runs in a background thread (`start()` / `wait()` / `stop()`) so a notebook or a canary can poll
telemetry while traffic flows. The result counts responses per status and per revision (from
`x-apex-revision`) for cross-checking telemetry.

Sessions: with `affinity=<revision>` every request carries the ingress' affinity cookie naming that revision,
so the generator's users stay on it while it receives traffic (and follow the weights while it does not).
Two generators, one random over the weights and one of report-heavy sessions pinned to a canary, give the
canary another endpoint mix than its baseline, as pinned clients do in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from apexops.errors import ConfigError, TargetUnavailableError
from apexops.sandbox.identity import SandboxIdentity
from apexops.sandbox.ingress import AFFINITY_COOKIE
from apexops.sandbox.lifecycle import probe

if TYPE_CHECKING:
    from apexops.settings import Settings
    from apexops.tokens import AccessToken

__all__ = ["DEFAULT_MIX", "ROUTES", "LoadGenerator", "LoadResult", "for_sandbox"]

#: route key -> (method, path); {project_id} is a project the generator creates for itself
ROUTES: dict[str, tuple[str, str]] = {
    "list_projects": ("GET", "/api/v1/projects/?page=1&page_size=10"),
    "get_project": ("GET", "/api/v1/projects/{project_id}"),
    "health_live": ("GET", "/health/live"),
    "health_ready": ("GET", "/health/ready"),
}
DEFAULT_MIX: dict[str, float] = {"list_projects": 0.6, "get_project": 0.4}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_RATE, MAX_DURATION_S = 1000.0, 3600.0
_REVISION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # also a valid cookie value


@dataclass
class LoadResult:
    """What the generator sent and got back (the canary's ground truth)."""

    sent: int = 0
    completed: int = 0
    transport_errors: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_revision: Counter = field(default_factory=Counter)
    errors_by_revision: Counter = field(default_factory=Counter)

    @property
    def errors_5xx(self) -> int:
        return sum(n for status, n in self.by_status.items() if status >= 500)


def _validate(url: str, rate: float, duration_s: float, mix: Mapping[str, float]) -> None:
    host = urlsplit(url).hostname
    if host not in _LOOPBACK:
        raise ConfigError(
            f"the load generator only targets loopback addresses (got {url!r}).",
            hint="use the sandbox URL, e.g. http://127.0.0.1:8480.",
        )
    if not 0 < rate <= MAX_RATE:
        raise ConfigError(
            f"rate must be above 0 and at most {MAX_RATE:g} req/s (got {rate}).", hint="pass e.g. rate=20."
        )
    if not 0 < duration_s <= MAX_DURATION_S:
        raise ConfigError(
            f"duration_s must be above 0 and at most {MAX_DURATION_S:g} (got {duration_s}).",
            hint="pass e.g. duration_s=30.",
        )
    unknown = set(mix) - set(ROUTES)
    if unknown or not mix or any(w < 0 for w in mix.values()) or sum(mix.values()) <= 0:
        raise ConfigError(
            f"mix {dict(mix)!r} is not a valid route mix.",
            hint=f"use positive weights over {', '.join(ROUTES)}.",
        )


class LoadGenerator:
    """Sends `rate` req/s for `duration_s` seconds in a background thread, then stops by itself."""

    def __init__(
        self,
        url: str,
        token: AccessToken | None,
        *,
        rate: float,
        duration_s: float,
        mix: Mapping[str, float] | None = None,
        arrival: str = "uniform",
        concurrency: int = 64,
        seed: int | None = None,
        timeout_s: float = 30.0,
        setup: bool = True,
        affinity: str | None = None,
    ) -> None:
        self.mix = dict(mix or DEFAULT_MIX)
        _validate(url, rate, duration_s, self.mix)
        if arrival not in ("uniform", "poisson"):
            raise ConfigError(f"arrival {arrival!r} is not known.", hint="use uniform or poisson.")
        if affinity is not None and not _REVISION_NAME.fullmatch(affinity):
            raise ConfigError(
                f"affinity {affinity!r} is not a revision name.",
                hint="pass the full name of the revision the sessions stay on, e.g. apex-api--v1-2-3.",
            )
        self.url, self.rate, self.duration_s, self.arrival = url.rstrip("/"), rate, duration_s, arrival
        self._headers = dict(token.authorization_header()) if token is not None else {}
        if affinity is not None:  # every request of these sessions asks for the same revision
            self._headers["cookie"] = f"{AFFINITY_COOKIE}={affinity}"
        self.affinity = affinity
        self.concurrency, self.timeout_s, self.setup = concurrency, timeout_s, setup
        self._rng = random.Random(seed)
        self.result = LoadResult()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._project_id: int | None = None

    def start(self) -> LoadGenerator:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="loadgen", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout_s: float | None = None) -> LoadResult:
        """Block until the run finished by itself (or `timeout_s` passed); returns the result."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self.result

    def stop(self) -> LoadResult:
        """Stop early (in-flight requests finish); returns the result."""
        self._stop.set()
        return self.wait(self.timeout_s + 5)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    async def _main(self) -> None:
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(
            base_url=self.url, headers=self._headers, limits=limits, timeout=self.timeout_s
        ) as client:
            if self.setup and "get_project" in self.mix:
                await self._create_project(client)
            keys = [k for k in self.mix if k != "get_project" or self._project_id is not None]
            weights = [self.mix[k] for k in keys]
            sem = asyncio.Semaphore(self.concurrency)
            tasks: set[asyncio.Task] = set()
            t0 = time.monotonic()
            next_at = 0.0
            while not self._stop.is_set():
                next_at += self._rng.expovariate(self.rate) if self.arrival == "poisson" else 1.0 / self.rate
                if next_at >= self.duration_s:
                    break
                delay = t0 + next_at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if self._stop.is_set():
                    break
                await sem.acquire()
                key = self._rng.choices(keys, weights)[0] if keys else "health_live"
                task = asyncio.get_running_loop().create_task(self._one(client, key, sem))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if tasks:
                await asyncio.wait(tasks, timeout=self.timeout_s)
            if self.setup and self._project_id is not None:
                with contextlib.suppress(httpx.HTTPError):
                    await client.delete(f"/api/v1/projects/{self._project_id}")

    async def _create_project(self, client: httpx.AsyncClient) -> None:
        body = {
            "project_number": f"LOADGEN-{uuid.uuid4().hex[:10]}",
            "project_name": "synthetic load",
            "voltage_level": 230,
            "line_miles": 12.5,
            "terrain_type": "flat",
        }
        for _ in range(5):
            with contextlib.suppress(httpx.HTTPError):
                r = await client.post("/api/v1/projects/", json=body)
                if r.status_code == 201:
                    self._project_id = int(r.json()["id"])
                    return
            await asyncio.sleep(0.1)

    async def _one(self, client: httpx.AsyncClient, key: str, sem: asyncio.Semaphore) -> None:
        method, path = ROUTES[key]
        path = path.format(project_id=self._project_id)
        self.result.sent += 1
        try:
            r = await client.request(method, path)
        except httpx.HTTPError:
            self.result.transport_errors += 1
            return
        finally:
            sem.release()
        self.result.completed += 1
        self.result.by_status[r.status_code] += 1
        revision = r.headers.get("x-apex-revision", "")
        self.result.by_revision[revision] += 1
        if r.status_code >= 500:
            self.result.errors_by_revision[revision] += 1


def for_sandbox(
    settings: Settings, *, rate: float, duration_s: float, url: str | None = None, **kwargs: Any
) -> LoadGenerator:
    """A generator aimed at the running sandbox's ingress (or `url`, e.g. a revision URL), with a token."""
    target = url or probe(settings).url
    if not target:
        raise TargetUnavailableError("the sandbox is not running.", hint="run `apexops sandbox up`")
    token = SandboxIdentity(settings.sandbox_home()).mint(
        settings.api_audience, ttl_s=max(3600, duration_s + 600)
    )
    return LoadGenerator(target, token, rate=rate, duration_s=duration_s, **kwargs)
