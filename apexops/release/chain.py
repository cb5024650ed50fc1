"""The release's decisions, as pure functions over the children's records (no processes, no clock).

- `parameters_for`: a child's parameters from the plan plus what earlier children recorded (30's new and old
  revisions to 40 and 50; 40's smoke verdict gates 50), or `Blocked` with the reason it cannot run.
- `stop_reason`: whether the chain stops after a child (the first failing child stops it; a smoke failure
  only continues under an explicit `smoke_override`).
- `rollback_decision`: whether 60-rollback runs: after a failed 50 once traffic moved, or when 50 did not
  finish (the traffic state is then unknown). Not after an interrupt: the operator asked to stop, and the
  canary restores the baseline itself on an interrupt (the release then reads the traffic back and says so).
- `release_verdict`: the overall verdict with its reasons, from a decision table read top to bottom (the
  first rule that applies decides): interrupted, dry run, already_released, promoted, rolled_back,
  rollback_failed, failed. Re-running a release whose revision already serves 100% is idempotent: 30 finds
  the configuration running, 40 and 50 are skipped, the verdict is already_released.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from apexops.errors import ReleaseError
from apexops.release.plan import Approvals, ReleasePlan, Step
from apexops.release.timeline import ChildRecord, NotRun
from apexops.status import Outcome, Status, Verdict

__all__ = [
    "VERDICT_RULES",
    "Blocked",
    "Carried",
    "ReleaseOutcome",
    "RollbackDecision",
    "Situation",
    "parameters_for",
    "release_fact",
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
    shift_reason: str | None = None

    @property
    def already_released(self) -> bool:
        """30 found the release's configuration already running as the only revision serving traffic."""
        return bool(self.new_revision) and self.old_revisions == (self.new_revision,)

    @property
    def smoke_passed(self) -> bool:
        """40 passed the revision 30 created."""
        return self.smoke_verdict == Status.PASS and self.smoke_revision == self.new_revision

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
                canary = f.get("canary") or {}
                reason = canary.get("reason") if isinstance(canary, Mapping) else None
                values["shift_reason"] = reason or r.error
        return cls(**values)


def parameters_for(
    step: Step, plan: ReleasePlan, approvals: Approvals, carried: Carried
) -> dict[str, Any] | Blocked:
    """The parameters this child runs with, or why it cannot run."""
    params = dict(step.parameters)
    if step.role in ("migrate", "deploy"):
        if approvals.approved:
            params["approval"] = getattr(approvals, step.role)
        return params
    if not carried.new_revision:
        return Blocked(
            "30-application-deployment recorded no new_revision, so there is nothing to test or shift"
        )
    if step.role == "smoke":
        return {**params, "revision": carried.new_revision}
    later = {"shift": _shift_parameters, "rollback": _rollback_parameters}
    if step.role not in later:
        raise ValueError(f"unknown release step {step.role!r}")
    return later[step.role](params, plan, approvals, carried)


def _shift_parameters(
    params: dict[str, Any], plan: ReleasePlan, approvals: Approvals, carried: Carried
) -> dict[str, Any] | Blocked:
    revision = str(carried.new_revision)
    override = plan.inputs.smoke_override.strip()
    if not carried.smoke_passed and not override:
        return Blocked(
            f"no passing smoke tests for {revision} (40 recorded {carried.smoke_verdict or 'no verdict'} "
            f"for {carried.smoke_revision or 'no revision'})"
        )
    params["revision"] = revision
    if carried.baseline:
        params["baseline_revision"] = carried.baseline
    if override and not carried.smoke_passed:
        params["smoke_override"] = override
    if approvals.approved:
        params["approval"] = approvals.shift(revision)
    return params


def _rollback_parameters(
    params: dict[str, Any], plan: ReleasePlan, approvals: Approvals, carried: Carried
) -> dict[str, Any] | Blocked:
    to = carried.baseline
    if not to:
        return Blocked(
            "the revision to roll back to is not known (30 did not record exactly one revision serving "
            f"traffic: {list(carried.old_revisions) or 'none'})"
        )
    why = carried.shift_reason or "50-traffic-shifting failed"
    params.update(
        failed_revision=carried.new_revision,
        rollback_to=to,
        reason=f"release {plan.inputs.image_tag}: {why}"[:400],
    )
    if approvals.approved:
        params["approval"] = approvals.rollback(to)
    return params


def stop_reason(record: ChildRecord, plan: ReleasePlan, carried: Carried) -> str | None:
    """Why the chain stops after this child (None: go on to the next)."""
    if record.ok:
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
        if record.role == "smoke" and not carried.smoke_passed and not plan.inputs.smoke_override.strip():
            return (
                f"40-smoke-tests tested {carried.smoke_revision or 'an unknown revision'} "
                f"({carried.smoke_verdict}), not {carried.new_revision}"
            )
        return None
    if record.role == "smoke" and record.outcome is Outcome.FAILED and plan.inputs.smoke_override.strip():
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
    if shift.outcome is Outcome.INTERRUPTED:
        return RollbackDecision(
            False,
            "50 was interrupted: the canary restores the baseline itself; after an interrupt the release "
            "starts nothing new (it reads the traffic back instead)",
        )
    moved = shift.facts.get("traffic_moved")
    if shift.outcome in (Outcome.TIMED_OUT, Outcome.KERNEL_DIED):
        return RollbackDecision(True, f"50 did not finish ({shift.outcome}): the traffic state is unknown")
    if not isinstance(moved, bool):
        return RollbackDecision(
            True, "50 failed without recording traffic_moved: the traffic state is unknown"
        )
    if moved:
        return RollbackDecision(True, "50 failed after traffic moved to the canary")
    return RollbackDecision(False, "50 failed before any traffic moved")


# --------------------------------------------------------------------------- the verdict


class ReleaseOutcome(StrEnum):
    """How the release as a whole ended (the `release_verdict` fact; a rehearsal scenario expects one)."""

    PROMOTED = "promoted"
    ALREADY_RELEASED = "already_released"
    DRY_RUN = "dry_run"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"  # a failed release whose traffic is back at the baseline
    ROLLBACK_FAILED = "rollback_failed"
    INTERRUPTED = "interrupted"

    @property
    def status(self) -> Status:
        """PASS for a release that changed what it should (or had nothing to change); FAIL otherwise."""
        passing = (ReleaseOutcome.PROMOTED, ReleaseOutcome.ALREADY_RELEASED, ReleaseOutcome.DRY_RUN)
        return Status.PASS if self in passing else Status.FAIL


def _traffic_text(traffic: Mapping[str, int] | None) -> str:
    if traffic is None:
        return "unknown (could not be read)"
    return ", ".join(f"{k}={v}%" for k, v in traffic.items()) or "empty"


@dataclass(frozen=True)
class Situation:
    """What the verdict reads: the plan, the children, why the chain stopped (`stop`, None when it ran to
    the end), whether it was interrupted, and the effective weights read after the last child (None when
    unreadable). The derived facts below are what the rules decide on."""

    plan: ReleasePlan
    records: Sequence[ChildRecord]
    stop: str | None = None
    interrupted: bool = False
    traffic: Mapping[str, int] | None = None

    @cached_property
    def carried(self) -> Carried:
        return Carried.from_records(self.records)

    @cached_property
    def ran(self) -> list[ChildRecord]:
        return [r for r in self.records if r.ran or r.outcome is NotRun.NOT_STARTED]

    @cached_property
    def failed(self) -> ChildRecord | None:
        """The first failing child (not 60; not 40 when its failure was overridden and not interrupted)."""
        failing = [r for r in self.ran if not r.ok and r.role != "rollback"]
        if self.plan.inputs.smoke_override.strip() and not self.interrupted:
            failing = [r for r in failing if r.role != "smoke"]
        return failing[0] if failing else None

    @property
    def stopped_at(self) -> str | None:
        return self.failed.procedure if self.failed else None

    @property
    def completed(self) -> bool:
        """Every child that ran succeeded and the chain did not stop."""
        return self.failed is None and self.stop is None

    @cached_property
    def shift(self) -> ChildRecord | None:
        return next((r for r in self.ran if r.role == "shift" and r.ran), None)

    @cached_property
    def rollback(self) -> ChildRecord | None:
        return next((r for r in self.ran if r.role == "rollback"), None)

    @property
    def moved(self) -> bool:
        """Traffic moved to the canary (or 50 failed without saying, so it may have)."""
        if self.shift is None:
            return False
        moved = self.shift.facts.get("traffic_moved")
        return moved is True or (not self.shift.ok and not isinstance(moved, bool))

    @property
    def at_baseline(self) -> bool:
        baseline = self.carried.baseline
        return self.traffic is not None and baseline is not None and dict(self.traffic) == {baseline: 100}

    @property
    def migrated(self) -> str:
        """The database heads 20 migrated to ("" when it did not run or did not succeed)."""
        migrate = next((r for r in self.ran if r.role == "migrate" and r.ok), None)
        return ",".join(map(str, migrate.facts.get("heads_after") or ())) if migrate else ""

    @property
    def stopped(self) -> str:
        return f"stopped at {self.stopped_at or 'the chain'} ({self.stop or 'failed'})"


def _verdict(
    outcome: ReleaseOutcome,
    reasons: Sequence[str],
    hint: str = "",
    *,
    stopped_at: str | None = None,
    traffic_moved: bool = False,
    rolled_back: bool = False,
) -> Verdict:
    facts = {"verdict": outcome, "stopped_at": stopped_at, "traffic_moved": traffic_moved}
    return Verdict(
        outcome.status,
        tuple(reasons),
        {**facts, "rolled_back": rolled_back},
        hint,
        title=f"release {outcome}",
        error=ReleaseError,
    )


def interrupted(s: Situation) -> Verdict | None:
    """Ctrl-C / SIGTERM: where, and whether the traffic read back is safe."""
    if not s.interrupted:
        return None
    where = next((r.procedure for r in s.ran if r.outcome is Outcome.INTERRUPTED), None)
    where = where or s.stopped_at or "between children"
    if s.moved:
        state = "verified at the baseline" if s.at_baseline else "NOT at the baseline"
        traffic = f"traffic had moved; after the interrupt it is {_traffic_text(s.traffic)} ({state})"
    else:
        traffic = f"no traffic had moved; traffic: {_traffic_text(s.traffic)}"
    unsafe = s.moved and not s.at_baseline
    return _verdict(
        ReleaseOutcome.INTERRUPTED,
        [f"interrupted during {where}; no further child was started", traffic],
        "run 60-rollback now." if unsafe else "re-run 90 when ready.",
        stopped_at=where,
        traffic_moved=s.moved,
    )


def dry_run_passed(s: Situation) -> Verdict | None:
    if not (s.plan.dry_run and s.completed):
        return None
    checked = ", ".join(f"{r.procedure[:2]} {r.outcome}" for r in s.ran) or "nothing"
    i = s.plan.inputs
    return _verdict(
        ReleaseOutcome.DRY_RUN,
        [
            f"dry run of RELEASE {i.image_tag} TO {i.env}: the children's own dry runs passed ({checked})",
            "40 and 50 need the revision 30 creates; they run only in the real release",
        ],
    )


def dry_run_stopped(s: Situation) -> Verdict | None:
    if not s.plan.dry_run:
        return None
    return _verdict(
        ReleaseOutcome.FAILED,
        [f"dry run stopped: {s.stop or s.stopped_at}"],
        "fix what the failing child reports, then dry-run again.",
        stopped_at=s.stopped_at,
    )


def already_released(s: Situation) -> Verdict | None:
    """Re-running a release whose revision serves 100%: 30 found it running, 40 and 50 were skipped."""
    if not (s.completed and s.shift is None and s.carried.already_released):
        return None
    reason = f"{s.plan.inputs.image_tag} already serves 100% as {s.carried.new_revision}: nothing to release"
    return _verdict(ReleaseOutcome.ALREADY_RELEASED, [reason + " (40 and 50 skipped)"])


def _promotion(s: Situation) -> tuple[bool, list[str]] | None:
    """(the new revision serves 100% as read back, reasons) when 50 promoted and nothing failed."""
    if not (s.completed and s.shift is not None and s.shift.ok):
        return None
    new, tag = s.carried.new_revision, s.plan.inputs.image_tag
    at_new = s.traffic is not None and dict(s.traffic) == {new: 100}
    reasons = [f"{tag} promoted: {new} serves 100% (read back)" if at_new else f"{tag} promoted by 50"]
    if s.migrated:
        reasons.append(f"database at {s.migrated}")
    serving = at_new or s.traffic is None or not new
    return serving, reasons


def not_serving_after_promotion(s: Situation) -> Verdict | None:
    """50 promoted, but the traffic read back is not the new revision at 100%."""
    promotion = _promotion(s)
    if promotion is None or promotion[0]:
        return None
    expected = f"expected {s.carried.new_revision}=100%"
    return _verdict(
        ReleaseOutcome.FAILED,
        [*promotion[1], f"but traffic is {_traffic_text(s.traffic)}, {expected}"],
        "run 80 then 60.",
        stopped_at="50-traffic-shifting",
        traffic_moved=True,
    )


def promoted(s: Situation) -> Verdict | None:
    promotion = _promotion(s)
    if promotion is None:
        return None
    reasons = promotion[1]
    override = s.plan.inputs.smoke_override.strip()
    if override and s.carried.smoke_verdict != Status.PASS:
        reasons.append(f"smoke tests overridden: {override}")
    return _verdict(ReleaseOutcome.PROMOTED, reasons, traffic_moved=True)


def _traffic_after_rollback(s: Situation) -> str:
    """Who put the traffic back (60, or the canary itself), and where it is."""
    rb, traffic = s.rollback, _traffic_text(s.traffic)
    if rb is not None and rb.ok:
        return f"60-rollback (run {rb.run_id}) put the traffic back: {traffic}"
    if s.at_baseline:
        why = (
            f"60-rollback {rb.outcome}: {rb.note or rb.error}"
            if rb is not None
            else "60-rollback did not run"
        )
        return f"the canary restored the baseline ({traffic}); {why}"
    why = f"60-rollback {rb.outcome}" if rb is not None else "60-rollback did not run"
    return f"{why}; traffic is {traffic}"


def rolled_back(s: Situation) -> Verdict | None:
    """Traffic moved and is back: at the baseline as read back (or unreadable after 60 succeeded)."""
    back = s.at_baseline or (s.traffic is None and s.rollback is not None and s.rollback.ok)
    if not (s.moved and back):
        return None
    reasons = [s.stopped, _traffic_after_rollback(s)]
    if s.migrated:
        reasons.append(
            f"the database stays at {s.migrated}; a downgrade is a separate decision "
            "(60-rollback with downgrade_to)"
        )
    return _verdict(
        ReleaseOutcome.ROLLED_BACK,
        reasons,
        "read 50's decisions and 60's record; fix the release and run 90 again.",
        stopped_at=s.stopped_at,
        traffic_moved=True,
        rolled_back=True,
    )


def rollback_failed(s: Situation) -> Verdict | None:
    """Traffic moved and is not verified back at the baseline (after `rolled_back` did not apply)."""
    if not s.moved:
        return None
    baseline = s.carried.baseline or "(unknown)"
    return _verdict(
        ReleaseOutcome.ROLLBACK_FAILED,
        [s.stopped, _traffic_after_rollback(s), f"traffic is not verified at the baseline {baseline}=100%"],
        "run 60-rollback now (then 70-emergency).",
        stopped_at=s.stopped_at,
        traffic_moved=True,
    )


_FAILED_HINTS = {
    "migrate": "read 20's lint and preview, fix the migration, run 90 again.",
    "deploy": "read 30's troubleshooting step, fix the image, run 90 again.",
    "smoke": "read 40's failing checks; do not shift traffic to this revision.",
    "shift": "read 50's preconditions; nothing moved.",
}


def failed(s: Situation) -> Verdict:
    """The chain stopped before any traffic moved: what stays behind (the new revision, the database)."""
    reasons = [s.stopped]
    if s.traffic is not None:
        baseline = s.carried.baseline
        state = " (as before the release)" if s.at_baseline else ""
        if baseline is not None and not s.at_baseline:
            state = f" (NOT {baseline}=100% as before the release)"
        reasons.append(f"no traffic moved: {_traffic_text(s.traffic)}{state}")
    new, role = s.carried.new_revision, s.failed.role if s.failed else ""
    if new and role in ("deploy", "smoke"):
        reasons.append(
            f"the new revision {new} stays at 0% for inspection (80-troubleshooting); "
            "60-rollback deactivates it"
        )
    if s.migrated:
        reasons.append(
            f"the database stays migrated to {s.migrated} (20's lint passed it for the "
            "running release); a downgrade is a separate decision (60-rollback with downgrade_to)"
        )
    hint = _FAILED_HINTS.get(role, "read the failing child's record.")
    return _verdict(ReleaseOutcome.FAILED, reasons, hint, stopped_at=s.stopped_at)


#: the decision table, read top to bottom: the first rule that gives a verdict decides
VERDICT_RULES: tuple[Callable[[Situation], Verdict | None], ...] = (
    interrupted,
    dry_run_passed,
    dry_run_stopped,
    already_released,
    not_serving_after_promotion,
    promoted,
    rolled_back,
    rollback_failed,
    failed,
)


def release_verdict(
    plan: ReleasePlan,
    records: Sequence[ChildRecord],
    *,
    stop: str | None,
    interrupted: bool = False,
    traffic: Mapping[str, int] | None = None,
) -> Verdict:
    """The overall verdict, with reasons a reviewer can act on (see `Situation` for the inputs).

    Its facts hold the release's outcome (`verdict`), `stopped_at`, `traffic_moved` and `rolled_back`.
    """
    situation = Situation(plan, tuple(records), stop, interrupted, traffic)
    return next(v for rule in VERDICT_RULES if (v := rule(situation)) is not None)


def release_fact(verdict: Verdict) -> dict[str, Any]:
    """The verdict as the 90 run's `release` fact keeps it."""
    return {
        "verdict": verdict.facts["verdict"],
        "status": verdict.status,
        **verdict.facts,
        "reasons": list(verdict.reasons),
    }
