"""The canary: pure judgement (statistics, checks, decisions, rollback triggers) and the stage runner.

    obs = measure(stage_index=0, elapsed_s=..., canary=rev, baseline=old, weights=..., stats=...,
                  state=previous_decision.state)
    decision = judge(obs, JudgeConfig.from_policy(settings.canary))  # .verdict, .reason, .numbers
    report = evaluate_triggers(buckets, settings.rollback_triggers, bucket_s=60)
    result = Rollout(env, canary=new, baseline=old).run()            # stages, polling, rollback

The judgement has no I/O and no clock (time and telemetry are passed in). It imports scipy, so
`import apexops` does not import this package; the runner's names load on first use.

Procedure 50 around the runner: `apexops.canary.shift.TrafficShift` (resolve, preconditions, plan, gate,
stages with the live chart and the sandbox's synthetic users, escalation, the old revision after the
stability window, facts and verdict), with `resolve`, `load`, `report`, `escalation`, `stability` and
`approvals` as its parts. Procedure 60 lives in `apexops.rollback`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from apexops.canary.config import JudgeConfig
from apexops.canary.evidence import accumulate
from apexops.canary.judge import CheckResult, Decision, Status, Verdict, assess, evaluate, judge
from apexops.canary.observation import HarmState, Observation, RevisionSnapshot, measure, restarts_since
from apexops.canary.triggers import TriggerReport, TriggerResult, evaluate_triggers

if TYPE_CHECKING:
    from apexops.canary.rollout import PollRecord, Rollout, RolloutResult

__all__ = [
    "CheckResult",
    "Decision",
    "HarmState",
    "JudgeConfig",
    "Observation",
    "PollRecord",
    "RevisionSnapshot",
    "Rollout",
    "RolloutResult",
    "Status",
    "TriggerReport",
    "TriggerResult",
    "Verdict",
    "accumulate",
    "assess",
    "evaluate",
    "evaluate_triggers",
    "judge",
    "measure",
    "restarts_since",
]

_LAZY = {"PollRecord", "Rollout", "RolloutResult"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'apexops.canary' has no attribute {name!r}")
    value = getattr(importlib.import_module("apexops.canary.rollout"), name)
    globals()[name] = value
    return value
