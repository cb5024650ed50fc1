"""What the canary judge sees at a poll, as one line for the runner's progress display.

A stage runs for tens of seconds (minutes in production) between two notebook steps; without this line the
terminal shows only the step's heading for all of it. `TrafficShift.run`'s poll callback hands it to
`apexops.kernel.note_progress`, and `apexops run` / `apexops rehearse` show it beside the spinner:

    stage 1/2 · 10% · 12 s in, 18 s left at most (promotion possible in 3 s) · canary 41 req · 0 5xx ·
    2 slow | baseline 380 req · 1 5xx · 9 slow · e 5xx 1.3/20 · e slow 0.8/20 · HOLD: ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apexops.canary.rollout import PollRecord
from apexops.settings import CanaryPolicy

__all__ = ["poll_note"]

#: a decision's reason is shown up to this many characters (the whole reason is in the table and the facts)
REASON_CHARS = 100


def _side(numbers: Mapping[str, Any], side: str) -> str:
    requests = numbers.get(f"{side}_requests")
    if requests is None:
        return f"{side}: no data yet"
    text = f"{side} {requests} req · {numbers.get(f'{side}_5xx', '?')} 5xx"
    slow = numbers.get(f"{side}_slow")
    return text if slow is None else f"{text} · {slow} slow"


def _e(numbers: Mapping[str, Any], check: str, label: str) -> str | None:
    value, threshold = numbers.get(f"{check}_e_value"), numbers.get(f"{check}_threshold")
    if value is None:
        return None
    bound = f"/{float(threshold):.3g}" if threshold is not None else ""
    return f"{label} {float(value):.3g}{bound}"


def _time_left(record: PollRecord, policy: CanaryPolicy) -> str:
    elapsed = max(0.0, record.elapsed_s)
    if not 0 <= record.stage_index < len(policy.stages):
        return f"{elapsed:.0f} s in"
    stage = policy.stages[record.stage_index]
    left = max(0.0, stage.max_duration_s - elapsed)
    text = f"{elapsed:.0f} s in, {left:.0f} s left at most"
    if elapsed < stage.min_duration_s:
        text += f" (promotion possible in {stage.min_duration_s - elapsed:.0f} s)"
    return text


def poll_note(record: PollRecord, policy: CanaryPolicy) -> str:
    """One line: the stage and its weight, the time in it and left, requests per revision (5xx, slow),
    the harm tests' evidence against their thresholds, and the judge's decision at this poll."""
    try:
        return _note(record, policy)
    except (TypeError, ValueError):  # an odd number never costs a poll: the decision alone still says a lot
        return f"stage {record.stage_index + 1} · {record.weight}% · {record.verdict}"


def _note(record: PollRecord, policy: CanaryPolicy) -> str:
    n = record.numbers
    stages = len(policy.stages)
    parts = [
        f"stage {record.stage_index + 1}/{stages} · {record.weight}%",
        _time_left(record, policy),
        f"{_side(n, 'canary')} | {_side(n, 'baseline')}",
        *(e for e in (_e(n, "harm_errors", "e 5xx"), _e(n, "harm_latency", "e slow")) if e),
    ]
    reason = record.reason.removeprefix(f"stage {record.stage_index + 1} ({record.weight}%): ")  # said first
    reason = reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"
    parts.append(f"{record.verdict}: {reason}" if reason else str(record.verdict))
    if record.error:
        parts.append("a telemetry query failed (partial poll)")
    return " · ".join(parts)
