"""Procedure 70: the runbook's Emergency Procedures (complete outage, database connection failures, blob
storage access) as diagnostics first, then one explicit, gated recovery with read-back.

    from apexops.emergency import EmergencyProcedure
    proc = EmergencyProcedure(env, scenario="outage", recovery="restart", dry_run=False)
    proc.diagnose(); proc.dependencies(); proc.summarize(); proc.make_plan(); proc.apply()
"""

from __future__ import annotations

from apexops.emergency.diagnose import SCENARIOS, Diagnostics, Summary, last_good_candidates, summarize
from apexops.emergency.procedure import EmergencyProcedure
from apexops.emergency.recovery import RECOVERIES, RecoveryPlan, RecoveryResult, apply_recovery, plan_recovery

__all__ = [
    "RECOVERIES",
    "SCENARIOS",
    "Diagnostics",
    "EmergencyProcedure",
    "RecoveryPlan",
    "RecoveryResult",
    "Summary",
    "apply_recovery",
    "last_good_candidates",
    "plan_recovery",
    "summarize",
]
