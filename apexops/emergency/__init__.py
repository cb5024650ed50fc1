"""Procedure 70: the runbook's Emergency Procedures (complete outage, database connection failures, blob
storage access) as diagnostics first, then one explicit, gated recovery with read-back.

    from apexops.emergency import EmergencyProcedure
    proc = EmergencyProcedure(env, scenario="outage", recovery="restart", dry_run=False)
    proc.diagnose(); proc.dependencies(); proc.summarize(); proc.make_plan(); proc.apply()
"""

from __future__ import annotations

from apexops.emergency.procedure import EmergencyProcedure

__all__ = ["EmergencyProcedure"]
