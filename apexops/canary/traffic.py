"""Traffic lists for a canary: always the complete list, always read back.

`az containerapp ingress traffic set` rescales revisions not named on the command line, and revisions
left out of a PATCH lose their weight, so a stage never writes a partial list: it names the canary and
the baseline explicitly, and checks what the target reports afterwards (runbook step 6, "Verify Traffic
Distribution", done on every write instead of once at the end).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from apexops.errors import TrafficError, VerificationError
from apexops.models import TrafficWeight
from apexops.ports import ContainerApp

__all__ = ["effective", "split", "write_traffic"]


def split(canary: str, baseline: str, canary_weight: int) -> tuple[TrafficWeight, ...]:
    """The complete list for one stage: the canary at `canary_weight`, the baseline at the rest."""
    if canary == baseline:
        raise TrafficError(
            f"canary and baseline are the same revision ({canary}).",
            hint="pass the new revision as canary and the serving one as baseline.",
        )
    if not 0 <= canary_weight <= 100:
        raise TrafficError(f"canary weight {canary_weight} is outside 0..100.", hint="use 0..100.")
    return (TrafficWeight(canary, canary_weight), TrafficWeight(baseline, 100 - canary_weight))


def effective(weights: Iterable[TrafficWeight]) -> dict[str, int]:
    """Revision -> weight with zero entries dropped: what actually receives traffic."""
    out: dict[str, int] = {}
    for w in weights:
        if w.weight:
            out[w.revision_name] = out.get(w.revision_name, 0) + w.weight
    return out


def _show(weights: Mapping[str, int]) -> str:
    return ", ".join(f"{name}={w}" for name, w in sorted(weights.items())) or "(empty)"


def write_traffic(app: ContainerApp, weights: Iterable[TrafficWeight]) -> list[TrafficWeight]:
    """Replace the whole traffic list, then read it back; VerificationError if it is not what was written."""
    wanted = list(weights)
    app.set_traffic(wanted)
    actual = app.get_traffic()
    if effective(actual) != effective(wanted):
        raise VerificationError(
            f"traffic read back as {_show(effective(actual))}, not {_show(effective(wanted))}.",
            hint="check `az containerapp ingress traffic show`; run 60-rollback if the canary has weight.",
        )
    return actual
