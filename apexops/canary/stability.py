"""Procedure 50's last, separate step: after the stability window, deactivate the old revision.

The runbook keeps the old revision active for 24 hours after 100% (the instant rollback target), watching
for alerts, then deactivates it. Here that is a gated step of its own (`deactivate_old=True`), usually in
a later run: it checks that the new revision still serves 100% (read back), that the window has passed
since the promotion recorded in the ledger (or made by this run), and that none of the runbook's rollback
triggers fired on the new revision during the window; only then does its gate open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from apexops.canary.traffic import effective
from apexops.canary.triggers import TriggerReport, bucket_size_s, evaluate_triggers
from apexops.errors import ApexopsError, VerificationError
from apexops.status import Status

if TYPE_CHECKING:
    from apexops.environment import Environment
    from apexops.ports import ContainerApp

__all__ = ["StabilityCheck", "check_stability", "deactivate"]


@dataclass(frozen=True)
class StabilityCheck:
    canary: str
    old: str | None
    window_s: float
    promoted_at: datetime | None
    #: PASS (the gate may open) | SKIPPED (nothing to do now) | FAIL (must not deactivate)
    status: Status
    reason: str
    triggers: TriggerReport | None = None

    @property
    def ready(self) -> bool:
        return self.status is Status.PASS

    def rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [
            {"check": "old revision", "status": Status.INFO, "detail": self.old or "(unknown)"},
            {
                "check": "stability window",
                "status": Status.INFO,
                "detail": f"{self.window_s:g} s from the promotion"
                + (f" ({self.promoted_at:%Y-%m-%d %H:%M:%S} UTC)" if self.promoted_at else ""),
            },
        ]
        if self.triggers is not None:
            rows += [
                {
                    "check": f"trigger {r.name}",
                    "status": Status.FAIL if r.fired else Status.PASS,
                    "detail": r.reason,
                }
                for r in self.triggers.results
            ]
        rows.append({"check": "deactivate the old revision", "status": self.status, "detail": self.reason})
        return rows

    def to_record(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "window_s": self.window_s,
            "promoted_at": self.promoted_at.isoformat(timespec="seconds") if self.promoted_at else None,
            "status": self.status,
            "reason": self.reason,
            "triggers_fired": [r.name for r in self.triggers.fired] if self.triggers else [],
        }


def check_stability(
    env: Environment,
    *,
    canary: str,
    old: str | None,
    promoted_at: datetime | None,
    requested: bool,
    now: datetime,
) -> StabilityCheck:
    """May the old revision be deactivated now? (reads the app and the telemetry; changes nothing)"""
    policy, triggers = env.settings.canary, env.settings.rollback_triggers
    window = policy.stability_window_s

    def result(status: Status, reason: str, report: TriggerReport | None = None) -> StabilityCheck:
        return StabilityCheck(canary, old, window, promoted_at, status, reason, report)

    if not requested:
        return result(
            Status.SKIPPED,
            "deactivate_old=False: the old revision stays active as the instant rollback target; re-run "
            f"with deactivate_old=True after the {window:g} s stability window",
        )
    if old is None:
        return result(Status.FAIL, "the old revision is not known: name it with baseline_revision")
    traffic = effective(env.app.get_traffic())
    if traffic != {canary: 100}:
        return result(Status.FAIL, f"{canary} does not serve 100% (traffic {traffic}): nothing was promoted")
    try:
        if not env.app.get_revision(old).active:
            return result(Status.SKIPPED, f"{old} is already inactive")
    except ApexopsError as exc:
        return result(Status.FAIL, f"{old}: {exc.message}")
    if promoted_at is None:
        return result(
            Status.FAIL,
            f"no record of when {canary} was promoted (no procedure-50 run in the ledger promoted it), "
            "so the stability window cannot be checked",
        )
    until = promoted_at + timedelta(seconds=window)
    if now < until:
        return result(
            Status.SKIPPED,
            f"the stability window runs until {until:%Y-%m-%d %H:%M:%S} UTC "
            f"({(until - now).total_seconds():.0f} s left); re-run with deactivate_old=True then",
        )
    report = None
    if window > 0:
        bucket = bucket_size_s(triggers)
        buckets = env.telemetry.request_buckets(
            promoted_at, now, bucket_s=bucket, revisions=[canary], slow_ms=triggers.p95_ms
        )
        report = evaluate_triggers(buckets, triggers, bucket_s=bucket, revision=canary)
        if report.fired:
            names = ", ".join(r.name for r in report.fired)
            return result(
                Status.FAIL, f"rollback trigger fired during the window ({names}): run 60-rollback", report
            )
    return result(
        Status.PASS,
        f"{canary} has served 100% for the {window:g} s window without a rollback trigger; "
        f"{old} may be deactivated",
        report,
    )


def deactivate(app: ContainerApp, revision: str) -> None:
    """Deactivate and read back (it must be inactive afterwards)."""
    app.deactivate_revision(revision)
    if app.get_revision(revision).active:
        raise VerificationError(
            f"{revision} still reads back as active after the deactivation.",
            hint=f"check `az containerapp revision show --revision {revision}`.",
        )
