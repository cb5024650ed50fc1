"""Applies the image's fault profile inside the replica: errors, latency, degradation, crashes.

The decisions are pure given a clock and a random generator, so they are unit-tested without a process.
The generator is seeded from (profile.seed, replica name): a rehearsal replays the same way, while two
replicas of one revision do not fail in lockstep. Two numbers are drawn per matched request whatever the
profile, so adding latency to a profile does not shift which requests fail.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from apexops.sandbox.images import FaultProfile

__all__ = ["Decision", "FaultInjector", "simulated_error"]


@dataclass(frozen=True)
class Decision:
    delay_s: float = 0.0
    error: bool = False


_NONE = Decision()


def _matches(globs: tuple[str, ...], route: str, path: str) -> bool:
    return any(fnmatchcase(route, g) or fnmatchcase(path, g) for g in globs)


#: (words in the exception type) -> (module, origin, what the failing layer says); the database is the default
_LAYERS = (
    (("blob", "storage"), "apex.storage", "apex.storage.blob.upload",
     "blob storage unavailable: the write to the documents container failed"),
    (("openai", "llm", "model"), "apex.llm", "apex.llm.validate",
     "the Azure OpenAI deployment did not answer"),
)  # fmt: skip
_DATABASE = ("apex.db", "apex.db.execute", "the database did not answer within 30 s")


def simulated_error(profile: FaultProfile, route: str) -> Exception:
    """An exception of the profile's type, raised as the real service's failing layer would raise it (the
    type's name picks the layer), so logs and 80-troubleshooting see the failure where it would happen."""
    name = profile.error_type.rpartition(".")[2]
    module, origin, says = next(
        (layer[1:] for layer in _LAYERS if any(w in name.lower() for w in layer[0])), _DATABASE
    )
    cls = type(name, (Exception,), {"__module__": module})
    exc = cls(f"{says} while serving {route} (simulated by the image's fault profile)")
    exc.origin = origin  # type: ignore[attr-defined]  # problem_id location
    return exc


class FaultInjector:
    def __init__(
        self,
        profile: FaultProfile,
        replica: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.profile = profile
        self.clock = clock
        seed = hashlib.sha256(f"{profile.seed}:{replica}".encode()).digest()
        self.rng = rng or random.Random(int.from_bytes(seed[:8], "big"))
        self.started = clock()
        self.matched_requests = 0
        self.matched_before_faults = 0
        self.active = not profile.is_healthy

    def error_rate_now(self) -> float:
        """The error rate at this moment: constant, or ramping over degrade_s since start."""
        p = self.profile
        if p.degrade_s <= 0:
            return p.error_rate
        return p.error_rate * min(1.0, max(0.0, self.clock() - self.started) / p.degrade_s)

    def warming_up(self) -> bool:
        """True while the first `faults_after_requests` matched requests pass clean (counts this one)."""
        if self.matched_before_faults >= self.profile.faults_after_requests:
            return False
        self.matched_before_faults += 1
        return True

    def decide(self, route: str, path: str) -> Decision:
        """What to do to this request before it is served. Unmatched routes are never touched."""
        if not self.active or route == "unmatched":
            return _NONE
        p = self.profile
        hit_err = _matches(p.error_routes, route, path)
        hit_lat = _matches(p.latency_routes, route, path)
        if not (hit_err or hit_lat):
            return _NONE
        r_err, r_lat = self.rng.random(), self.rng.random()
        if self.warming_up():
            return _NONE
        error = hit_err and r_err < self.error_rate_now()
        delay = p.latency_ms / 1000.0 if hit_lat and p.latency_ms > 0 and r_lat < p.latency_share else 0.0
        return Decision(delay_s=delay, error=error) if (error or delay) else _NONE

    def count(self, route: str, path: str) -> bool:
        """Count a finished request; True (once) when the profile says the process should now die."""
        limit = self.profile.crash_after_requests
        if limit <= 0 or route == "unmatched" or not _matches(self.profile.error_routes, route, path):
            return False
        self.matched_requests += 1
        return self.matched_requests == limit
