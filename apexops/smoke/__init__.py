"""Procedure 40: the runbook's smoke tests as data-producing checks, with a real latency baseline.

    session = SmokeSession(url, acquire_token=..., expected_audience=..., options=SmokeOptions(...))
    session.token(); session.health(); ...; session.cleanup()
    apexops.finish(session)          # session.verdict() (a status.Verdict) and session.facts()

`latency` (pure statistics) and `load` (the concurrent request runner) are usable on their own.
"""

from __future__ import annotations

from apexops.smoke.results import CheckResult, SmokeReport, show_checks
from apexops.smoke.suite import SmokeOptions, SmokeSession

__all__ = [
    "CheckResult",
    "SmokeOptions",
    "SmokeReport",
    "SmokeSession",
    "show_checks",
]
