"""The release's decisions, as pure functions over the children's records (no processes, no clock).

- `parameters_for`: a child's parameters from the plan plus what earlier children recorded (30's new and old
  revisions to 40 and 50; 40's smoke verdict gates 50), or `Blocked` with the reason it cannot run.
- `stop_reason`: whether the chain stops after a child (the first failing child stops it; a smoke failure
  only continues under an explicit `smoke_override`).
- `rollback_decision`: whether 60-rollback runs: after a failed 50 once traffic moved, or when 50 did not
  finish (the traffic state is then unknown). Not after an interrupt: the operator asked to stop, and the
  canary restores the baseline itself on an interrupt (the release then reads the traffic back and says so).
- `release_verdict`: the overall verdict with its reasons (promoted, already_released, dry_run, failed,
  rolled_back, rollback_failed, interrupted). Re-running a release whose revision already serves 100% is
  idempotent: 30 finds the configuration running, 40 and 50 are skipped, the verdict is already_released.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from apexops.errors import ReleaseError
from apexops.release.plan import Approvals, ReleasePlan, Step
from apexops.release.timeline import ChildRecord

__all__ = [
    "Blocked",
    "Carried",
    "ReleaseError",
    "ReleaseVerdict",
    "RollbackDecision",
    "parameters_for",
    "release_verdict",
    "rollback_decision",
    "stop_reason",
]


@dataclass(frozen=True)
class Blocked:
    """A child that cannot run: what is missing, in words for the operator."""

    reason: str


@dataclass(frozen=True)
class Carried:
    """What earlier children decided that later ones need."""

    new_revision: str | None = None
    old_revisions: tuple[str, ...] = ()
    smoke_revision: str | None = None
    smoke_verdict: str | None = None
    traffic_moved: bool | None = None
    shift_reason: str | None = None

    @property
    def already_released(self) -> bool:
        """30 found the release's configuration already running as the only revision serving traffic."""
        return bool(self.new_revision) and self.old_revisions == (self.new_revision,)

    @property
    def baseline(self) -> str | None:
        """The revision that served all traffic before the release (when it was exactly one)."""
        return self.old_revisions[0] if len(self.old_revisions) == 1 else None

    @classmethod
    def from_records(cls, records: Sequence[ChildRecord]) -> Carried:
        values: dict[str, Any] = {}
        for r in records:
            f = r.facts
            if r.role == "deploy":
                if f.get("new_revision"):
                    values["new_revision"] = str(f["new_revision"])
                if isinstance(f.get("old_revisions"), list):
                    values["old_revisions"] = tuple(map(str, f["old_revisions"]))
            elif r.role == "smoke":
                verdict = f.get("smoke_verdict") or {}
                if isinstance(verdict, Mapping):
                    values["smoke_revision"] = verdict.get("revision")
                    values["smoke_verdict"] = verdict.get("verdict")
            elif r.role == "shift":
                moved = f.get("traffic_moved")
                values["traffic_moved"] = moved if isinstance(moved, bool) else None
                canary = f.get("canary") or {}
                reason = canary.get("reason") if isinstance(canary, Mapping) else None
                values["shift_reason"] = reason or r.error
        return cls(**values)


def parameters_for(
    step: Step, plan: ReleasePlan, approvals: Approvals, carried: Carried
) -> dict[str, Any] | Blocked:
    """The parameters this child runs with, or why it cannot run."""
    params = dict(step.parameters)
    approved = approvals.approved
    if step.role == "migrate":
        if approved:
            params["approval"] = approvals.migrate
        return params
    if step.role == "deploy":
        if approved:
            params["approval"] = approvals.deploy
        return params
    revision = carried.new_revision
    if not revision:
        return Blocked(
            "30-application-deployment recorded no new_revision, so there is nothing to test or shift"
        )
    if step.role == "smoke":
        params["revision"] = revision
        return params
    if step.role == "shift":
        override = plan.inputs.smoke_override.strip()
        passed = carried.smoke_verdict == "PASS" and carried.smoke_revision == revision
        if not passed and not override:
            return Blocked(
                f"no passing smoke tests for {revision} (40 recorded {carried.smoke_verdict or 'no verdict'} "
                f"for {carried.smoke_revision or 'no revision'})"
            )
        params["revision"] = revision
        if carried.baseline:
            params["baseline_revision"] = carried.baseline
        if override and not passed:
            params["smoke_override"] = override
        if approved:
            params["approval"] = approvals.shift(revision)
        return params
    if step.role == "rollback":
        to = carried.baseline
        if not to:
            return Blocked(
                "the revision to roll back to is not known (30 did not record exactly one revision serving "
                f"traffic: {list(carried.old_revisions) or 'none'})"
            )
        params.update(
            failed_revision=revision,
            rollback_to=to,
            reason=f"release {plan.inputs.image_tag}: {carried.shift_reason or '50-traffic-shifting failed'}"[
                :400
            ],
        )
        if approved:
            params["approval"] = approvals.rollback(to)
        return params
    raise ValueError(f"unknown release step {step.role!r}")


def stop_reason(record: ChildRecord, plan: ReleasePlan, carried: Carried) -> str | None:
    """Why the chain stops after this child (None: go on to the next)."""
    if record.outcome == "succeeded":
        if record.role == "deploy" and not plan.dry_run:
            if not carried.new_revision:
                return "30-application-deployment succeeded but recorded no new_revision"
            if carried.already_released:
                return None  # the orchestrator skips 40 and 50: nothing to release (idempotent re-run)
            if carried.new_revision in carried.old_revisions:
                return (
                    f"{plan.inputs.image_tag} ({carried.new_revision}) already serves part of the traffic "
                    f"({', '.join(carried.old_revisions)}): finish or undo that rollout with 50 or 60 first"
                )
        tested = carried.smoke_verdict == "PASS" and carried.smoke_revision == carried.new_revision
        if record.role == "smoke" and not tested and not plan.inputs.smoke_override.strip():
            return (
                f"40-smoke-tests tested {carried.smoke_revision or 'an unknown revision'} "
                f"({carried.smoke_verdict}), not {carried.new_revision}"
            )
        return None
    if record.role == "smoke" and record.outcome == "failed" and plan.inputs.smoke_override.strip():
        return None  # the override is recorded by 50 and in the release verdict
    what = record.note or record.error or "no error recorded"
    return f"{record.outcome}: {what if len(what) <= 300 else what[:299] + '…'}"


@dataclass(frozen=True)
class RollbackDecision:
    needed: bool
    reason: str


def rollback_decision(plan: ReleasePlan, records: Sequence[ChildRecord]) -> RollbackDecision:
    """Does 60-rollback run? Only after 50 ran and failed once traffic moved (or with an unknown state)."""
    shift = next((r for r in records if r.role == "shift" and r.ran), None)
    if plan.dry_run or shift is None:
        return RollbackDecision(False, "no traffic was shifted")
    if shift.ok:
        return RollbackDecision(False, "the canary was promoted")
    if shift.outcome == "interrupted":
        return RollbackDecision(
            False,
            "50 was interrupted: the canary restores the baseline itself; after an interrupt the release "
            "starts nothing new (it reads the traffic back instead)",
        )
    moved = shift.facts.get("traffic_moved")
    if shift.outcome in ("timed_out", "kernel_died"):
        return RollbackDecision(True, f"50 did not finish ({shift.outcome}): the traffic state is unknown")
    if not isinstance(moved, bool):
        return RollbackDecision(
            True, "50 failed without recording traffic_moved: the traffic state is unknown"
        )
    if moved:
        return RollbackDecision(True, "50 failed after traffic moved to the canary")
    return RollbackDecision(False, "50 failed before any traffic moved")


@dataclass(frozen=True)
class ReleaseVerdict:
    #: promoted | already_released | dry_run | failed | rolled_back | rollback_failed | interrupted
    outcome: str
    #: the display status: PASS | ROLLBACK | FAIL
    status: str
    reasons: tuple[str, ...]
    stopped_at: str | None = None
    traffic_moved: bool = False
    rolled_back: bool = False
    hint: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "PASS"

    def raise_for_failure(self) -> None:
        if not self.ok:
            raise ReleaseError(
                f"release {self.outcome}: " + "; ".join(self.reasons[:3]), hint=self.hint or None
            )

    def to_fact(self) -> dict[str, Any]:
        return {
            "verdict": self.outcome,
            "status": self.status,
            "stopped_at": self.stopped_at,
            "traffic_moved": self.traffic_moved,
            "rolled_back": self.rolled_back,
            "reasons": list(self.reasons),
        }


def _traffic_text(traffic: Mapping[str, int] | None) -> str:
    if traffic is None:
        return "unknown (could not be read)"
    return ", ".join(f"{k}={v}%" for k, v in traffic.items()) or "empty"


def release_verdict(
    plan: ReleasePlan,
    records: Sequence[ChildRecord],
    *,
    stop: str | None,
    interrupted: bool = False,
    traffic: Mapping[str, int] | None = None,
) -> ReleaseVerdict:
    """The overall verdict, with reasons a reviewer can act on.

    `stop` is why the chain stopped (None when it ran to the end); `traffic` the effective weights read
    after the last child (None when unreadable).
    """
    carried = Carried.from_records(records)
    tag, env = plan.inputs.image_tag, plan.inputs.env
    ran = [r for r in records if r.ran or r.outcome == "not_started"]
    failed = next((r for r in ran if not r.ok and r.role != "rollback"), None)
    stopped_at = failed.procedure if failed else None
    if failed and failed.role == "smoke" and plan.inputs.smoke_override.strip() and not interrupted:
        failed = next((r for r in ran if not r.ok and r.role not in ("rollback", "smoke")), None)
        stopped_at = failed.procedure if failed else None
    shift = next((r for r in ran if r.role == "shift" and r.ran), None)
    rollback = next((r for r in ran if r.role == "rollback"), None)
    moved = bool(
        shift
        and (
            shift.facts.get("traffic_moved") is True
            or (not shift.ok and not isinstance(shift.facts.get("traffic_moved"), bool))
        )
    )
    baseline, new = carried.baseline, carried.new_revision
    at_baseline = traffic is not None and baseline is not None and dict(traffic) == {baseline: 100}
    reasons: list[str] = []
    migrate = next((r for r in ran if r.role == "migrate" and r.ok), None)
    migrated = migrate.facts.get("heads_after") if migrate else None

    if interrupted:
        where = next(
            (r.procedure for r in ran if r.outcome == "interrupted"), stopped_at or "between children"
        )
        reasons.append(f"interrupted during {where}; no further child was started")
        if moved:
            state = "verified at the baseline" if at_baseline else "NOT at the baseline"
            reasons.append(f"traffic had moved; after the interrupt it is {_traffic_text(traffic)} ({state})")
        else:
            reasons.append(f"no traffic had moved; traffic: {_traffic_text(traffic)}")
        hint = "" if (at_baseline or not moved) else "run 60-rollback now."
        return ReleaseVerdict(
            "interrupted", "FAIL", tuple(reasons), where, moved, False, hint or "re-run 90 when ready."
        )

    if plan.dry_run:
        checked = ", ".join(f"{r.procedure[:2]} {r.outcome}" for r in ran) or "nothing"
        if failed is None and stop is None:
            reasons.append(
                f"dry run of RELEASE {tag} TO {env}: the children's own dry runs passed ({checked})"
            )
            reasons.append("40 and 50 need the revision 30 creates; they run only in the real release")
            return ReleaseVerdict("dry_run", "PASS", tuple(reasons))
        reasons.append(f"dry run stopped: {stop or stopped_at}")
        return ReleaseVerdict(
            "failed",
            "FAIL",
            tuple(reasons),
            stopped_at,
            hint="fix what the failing child reports, then dry-run again.",
        )

    if failed is None and stop is None and shift is None and carried.already_released:
        reasons.append(f"{tag} already serves 100% as {new}: nothing to release (40 and 50 skipped)")
        return ReleaseVerdict("already_released", "PASS", tuple(reasons))

    if failed is None and stop is None and shift is not None and shift.ok:
        at_new = traffic is not None and dict(traffic) == {new: 100}
        reasons.append(
            f"{tag} promoted: {new} serves 100% (read back)" if at_new else f"{tag} promoted by 50"
        )
        if migrated:
            reasons.append(f"database at {','.join(map(str, migrated))}")
        if traffic is not None and new and dict(traffic) != {new: 100}:
            reasons.append(f"but traffic is {_traffic_text(traffic)}, expected {new}=100%")
            return ReleaseVerdict(
                "failed", "FAIL", tuple(reasons), "50-traffic-shifting", True, hint="run 80 then 60."
            )
        if plan.inputs.smoke_override.strip() and carried.smoke_verdict != "PASS":
            reasons.append(f"smoke tests overridden: {plan.inputs.smoke_override.strip()}")
        return ReleaseVerdict("promoted", "PASS", tuple(reasons), traffic_moved=True)

    reasons.append(f"stopped at {stopped_at or 'the chain'} ({stop or 'failed'})")
    if moved:
        if rollback is not None and rollback.ok:
            reasons.append(
                f"60-rollback (run {rollback.run_id}) put the traffic back: {_traffic_text(traffic)}"
            )
            outcome = "rolled_back" if (at_baseline or traffic is None) else "rollback_failed"
        elif at_baseline:
            why = (
                f"60-rollback {rollback.outcome}: {rollback.note or rollback.error}"
                if rollback is not None
                else "60-rollback did not run"
            )
            reasons.append(f"the canary restored the baseline ({_traffic_text(traffic)}); {why}")
            outcome = "rolled_back"
        else:
            why = f"60-rollback {rollback.outcome}" if rollback is not None else "60-rollback did not run"
            reasons.append(f"{why}; traffic is {_traffic_text(traffic)}")
            outcome = "rollback_failed"
        if outcome == "rollback_failed":
            reasons.append(f"traffic is not verified at the baseline {baseline or '(unknown)'}=100%")
            return ReleaseVerdict(
                outcome,
                "FAIL",
                tuple(reasons),
                stopped_at,
                True,
                False,
                "run 60-rollback now (then 70-emergency).",
            )
        if migrated:
            reasons.append(
                f"the database stays at {','.join(map(str, migrated))}; a downgrade is a separate decision "
                "(60-rollback with downgrade_to)"
            )
        return ReleaseVerdict(
            "rolled_back",
            "ROLLBACK",
            tuple(reasons),
            stopped_at,
            True,
            True,
            "read 50's decisions and 60's record; fix the release and run 90 again.",
        )

    if traffic is not None:
        state = " (as before the release)" if at_baseline else ""
        if baseline is not None and not at_baseline:
            state = f" (NOT {baseline}=100% as before the release)"
        reasons.append(f"no traffic moved: {_traffic_text(traffic)}{state}")
    if new and failed is not None and failed.role in ("deploy", "smoke"):
        reasons.append(
            f"the new revision {new} stays at 0% for inspection (80-troubleshooting); "
            "60-rollback deactivates it"
        )
    if migrated:
        reasons.append(
            f"the database stays migrated to {','.join(map(str, migrated))} (20's lint passed it for the "
            "running release); a downgrade is a separate decision (60-rollback with downgrade_to)"
        )
    hint = {
        "migrate": "read 20's lint and preview, fix the migration, run 90 again.",
        "deploy": "read 30's troubleshooting step, fix the image, run 90 again.",
        "smoke": "read 40's failing checks; do not shift traffic to this revision.",
        "shift": "read 50's preconditions; nothing moved.",
    }.get(failed.role if failed else "", "read the failing child's record.")
    return ReleaseVerdict("failed", "FAIL", tuple(reasons), stopped_at, False, False, hint)
