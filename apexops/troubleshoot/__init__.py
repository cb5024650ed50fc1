"""Procedure 80: the runbook's Common Troubleshooting (logs, log analyzer, exec, App Insights queries,
network from the app, database performance), plus the app-side probes and manual `az` steps that
procedure 70 shares.

    from apexops.troubleshoot import Troubleshooter
    t = Troubleshooter(env, revision="", tail=100, level="ERROR", window_minutes=60)
    t.logs(); t.analyze().summary(); t.error_rate(); t.network_check(); t.database()
"""

from __future__ import annotations

from apexops.troubleshoot.procedure import Troubleshooter

__all__ = ["Troubleshooter"]
