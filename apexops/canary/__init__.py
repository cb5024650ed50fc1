"""The canary: pure judgement (statistics, checks, decisions, rollback triggers) and the stage runner.

    obs = measure(stage_index=0, elapsed_s=..., canary=rev, baseline=old, weights=..., stats=...,
                  state=previous_judgement.state)
    judgement = judge(obs, JudgeConfig.from_policy(settings.canary))  # .verdict (a Decision), .reason
    report = evaluate_triggers(buckets, settings.rollback_triggers, bucket_s=60)
    result = rollout.Rollout(env, canary=new, baseline=old).run()    # stages, polling, rollback

The judgement has no I/O and no clock (time and telemetry are passed in). It imports scipy, so
`import apexops` does not import this package. The runner is imported from `apexops.canary.rollout`
(not here: the guardian runs as `python -m apexops.canary.guard`, which must not be loaded before).

Procedure 50 around the runner: `apexops.canary.shift.TrafficShift` (resolve, preconditions, plan, gate,
stages with the live chart and the sandbox's synthetic users, escalation, the old revision after the
stability window, facts and verdict), with `resolve`, `load`, `report`, `escalation`, `stability` and
`approvals` as its parts. Procedure 60 lives in `apexops.rollback`.
"""

from __future__ import annotations

from apexops.canary.config import JudgeConfig
from apexops.canary.evidence import accumulate
from apexops.canary.judge import CheckResult, Decision, Judgement, assess, evaluate, judge
from apexops.canary.observation import (
    Counts,
    HarmState,
    Observation,
    RevisionSnapshot,
    Stratum,
    StratumSnapshot,
    measure,
    restarts_since,
)
from apexops.canary.triggers import TriggerReport, TriggerResult, evaluate_triggers

__all__ = [
    "CheckResult",
    "Counts",
    "Decision",
    "HarmState",
    "JudgeConfig",
    "Judgement",
    "Observation",
    "RevisionSnapshot",
    "Stratum",
    "StratumSnapshot",
    "TriggerReport",
    "TriggerResult",
    "accumulate",
    "assess",
    "evaluate",
    "evaluate_triggers",
    "judge",
    "measure",
    "restarts_since",
]
