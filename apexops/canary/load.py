"""Synthetic user traffic while a sandbox canary is judged: without users, a rehearsal canary has nothing
to be judged on and could never be promoted (no data is never a pass).

The rate comes from the canary policy (`synthetic_load_rps`: a few dozen requests per second on the local
sandbox, 0 for staging and prod, which are judged on their real users) or from procedure 50's parameter.
The requests come from the target's `SyntheticLoad` capability (the sandbox's load generator): authenticated,
loopback only, API routes only (the faults of the rehearsal images are injected on /api/*, so the canary
is judged on the requests a fault would hurt, not on health probes), bounded in rate and duration, and
stopped however the stages end (promotion, rollback, exception, interrupt).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from apexops.environment import Environment, connect
from apexops.errors import ConfigError, NotSupportedError

if TYPE_CHECKING:
    from apexops.ports import LoadCounts, LoadRun
    from apexops.settings import CanaryPolicy, Settings

__all__ = ["DEFAULT_RATE", "LoadSummary", "load_duration_s", "resolve_load_rps", "synthetic_load"]

#: parameter value meaning "the policy's rate for this environment"
DEFAULT_RATE = -1.0
MAX_RATE = 1000.0


def resolve_load_rps(
    settings: Settings,
    requested: float,
    *,
    policy: CanaryPolicy | None = None,
    env: Environment | None = None,
) -> float:
    """The synthetic load for this run in requests/s; ConfigError (naming the parameter) when invalid.

    -1 means the policy's `synthetic_load_rps`; 0 means none; a positive rate only where the target has
    the `SyntheticLoad` capability (a load generator must never be pointed at a real environment).
    `env` is the wired environment when the caller has one (else one is wired: that contacts nothing).
    """
    policy = policy or settings.canary
    try:
        rate = float(requested)
    except (TypeError, ValueError):
        raise ConfigError(
            f"synthetic_load_rps must be a number (got {requested!r}).",
            hint="pass -1 for the policy's rate, 0 for none, or a rate in requests/s.",
        ) from None
    if rate == DEFAULT_RATE:
        rate = policy.synthetic_load_rps
    if not 0 <= rate <= MAX_RATE:
        raise ConfigError(
            f"synthetic_load_rps {requested!r} is outside -1 (policy default), 0 (none) .. {MAX_RATE:g}.",
            hint="pass -1, 0, or a rate in requests/s such as 120.",
        )
    if rate > 0:
        try:
            (env or connect(settings.environment, settings=settings)).load.ensure_available()
        except NotSupportedError as exc:
            raise ConfigError(f"synthetic_load_rps {rate:g}: {exc.message}", hint=exc.hint) from None
    return rate


def load_duration_s(policy: CanaryPolicy, *, from_stage: int = 0) -> float:
    """Long enough for the probes' warm-up and every remaining stage at its maximum, one extension
    included; never above an hour.

    The generator stops by itself after this, so a lost handle cannot leave traffic running forever.
    """
    stages = policy.stages[from_stage:]
    worst = sum(s.max_duration_s for s in stages) + max((s.max_duration_s for s in stages), default=0)
    warmup = policy.probes.warmup_s if "probes" in policy.strata and policy.probes.rate_rps > 0 else 0.0
    return float(min(3600.0, worst + warmup + 30.0))


@dataclass(frozen=True)
class LoadSummary:
    """What the synthetic users sent and got back: the ground truth next to the telemetry."""

    rate: float
    sent: int
    completed: int
    transport_errors: int
    by_revision: dict[str, int]
    errors_5xx_by_revision: dict[str, int]

    @classmethod
    def of(cls, rate: float, result: LoadCounts) -> LoadSummary:
        return cls(
            rate,
            result.sent,
            result.completed,
            result.transport_errors,
            {k or "?": v for k, v in sorted(result.by_revision.items())},
            {k or "?": v for k, v in sorted(result.errors_by_revision.items())},
        )

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        return {"rate_rps": record.pop("rate"), **record}


@contextlib.contextmanager
def synthetic_load(
    settings: Settings,
    rate: float,
    duration_s: float,
    *,
    seed: int | None = None,
    env: Environment | None = None,
) -> Iterator[LoadRun | None]:
    """Send `rate` req/s through the target's ingress while the block runs; stopped on any exit."""
    if rate <= 0:
        yield None
        return
    run = (env or connect(settings.environment, settings=settings)).load.start(rate, duration_s, seed=seed)
    try:
        yield run
    finally:
        run.stop()
