"""Procedure 50 as one object the notebook's thin cells call: resolve, check, plan, gate, run, decide.

    shift = TrafficShift(env, revision="", baseline_revision="", dry_run=True)
    shift.preconditions(); shift.require()          # step 1: shown, then enforced (a dry run only reports)
    gate = shift.gate(approval)                     # step 3: "SHIFT TRAFFIC TO <revision> IN <env>"
    if gate.check(): shift.run()                    # step 4: stages, live chart, synthetic load (sandbox)
    shift.escalation(); shift.resolve(decision)     # step 6: a person decides when the judge could not
    shift.stability(); shift.deactivate_gate(...)   # step 7: old revision, after the stability window
    apexops.finish(shift)                           # step 8: verdict() and facts() recorded, shown, raised

The stages themselves are `apexops.canary.rollout.Rollout` (complete traffic lists read back, the judge
at every poll, automatic rollback, deployment lock, restore on exception/interrupt, guardian process on
kernel death). This module adds what a run of the procedure needs around it: which revisions, whether a
concurrent run holds the lock, the synthetic users on the sandbox, the records for the ledger kept up to
date as the run goes (so an interrupt or a kernel death still leaves them), and the evidence.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops import azcli, kernel
from apexops.canary.approvals import NoGate, approval_for
from apexops.canary.chart import RolloutChart
from apexops.canary.checks import CheckResult
from apexops.canary.escalation import EscalationDecision
from apexops.canary.load import LoadSummary, load_duration_s, resolve_load_rps, synthetic_load
from apexops.canary.lock import lock_for
from apexops.canary.pollnote import poll_note
from apexops.canary.preconditions import check_preconditions, require, smoke_run_in_ledger
from apexops.canary.report import (
    shift_verdict,
    stage_rows,
    stage_table,
    strata_rows,
    traffic_rows,
    verdict_for,
)
from apexops.canary.resolve import find_promotion, resolve_name, resolve_shift
from apexops.canary.rollout import PROCEDURE, PollRecord, Rollout, RolloutResult, no_evidence
from apexops.canary.stability import StabilityCheck, check_stability, deactivate
from apexops.canary.traffic import split
from apexops.display import show_message, step_skipped
from apexops.errors import ApexopsError, ConfigError, LockHeldError, NotSupportedError, RolloutError
from apexops.gates import Gate, require_approval
from apexops.ledger import Ledger
from apexops.scrubbed import write_scrubbed
from apexops.settings import CanaryPolicy
from apexops.shared.store import StoreUnavailable
from apexops.status import Status, Verdict

if TYPE_CHECKING:
    from apexops.canary.observation import HarmState
    from apexops.environment import Environment

__all__ = ["ON_INCONCLUSIVE", "TrafficShift"]

ON_INCONCLUSIVE = ("escalate", "extend", "rollback")


class TrafficShift:
    """One run of procedure 50 (see the module docstring)."""

    def __init__(
        self,
        env: Environment,
        *,
        revision: str = "",
        baseline_revision: str = "",
        smoke_override: str = "",
        on_inconclusive: str = "",
        synthetic_load_rps: float = -1.0,
        deactivate_old: bool = False,
        dry_run: bool = True,
        outputs: Path | None = None,
        lock_dir: Path | None = None,
        guard: bool = True,
        clock: Callable[[], datetime] = partial(datetime.now, UTC),
        record: Callable[[str, Any], None] | None = None,
        evidence_dir: Path | None = None,
        run_id: str = "",
        policy: CanaryPolicy | None = None,
    ) -> None:
        self.env, self.settings, self.app = env, env.settings, env.app
        self.env_name, self.app_name = self.settings.environment, self.settings.app.name
        if on_inconclusive and on_inconclusive not in ON_INCONCLUSIVE:
            raise ConfigError(
                f"on_inconclusive {on_inconclusive!r} is not known.",
                hint=f"use one of {', '.join(ON_INCONCLUSIVE)}, or '' for the policy's "
                f"({self.settings.canary.on_inconclusive}).",
            )
        policy = policy or self.settings.canary
        self.policy = (
            policy.model_copy(update={"on_inconclusive": on_inconclusive}) if on_inconclusive else policy
        )
        self.load_rps = resolve_load_rps(self.settings, synthetic_load_rps, policy=self.policy, env=self.env)
        self.smoke_override = smoke_override.strip()
        self.deactivate_old, self.dry_run = deactivate_old, dry_run
        self.outputs = Path(outputs) if outputs else kernel.outputs_root()
        self.lock_dir = Path(lock_dir) if lock_dir else self.outputs / "locks"
        self.guard, self.clock = guard, clock
        self._record = record or kernel.record
        self._evidence_dir = evidence_dir
        self.run_id = run_id or kernel.run_context().run_id
        entries = self._ledger()
        state = self.app.show()
        latest = state.latest_revision_name
        revisions = self.app.list_revisions()
        canary = latest or ""
        if revision:
            canary = resolve_name(revisions, revision, app=self.app_name, parameter="revision")
        found = find_promotion(entries, env=self.env_name, revision=canary) if canary else (None, None)
        #: when a procedure-50 run promoted the canary (ledger): a re-run with nothing to shift reads as
        #: that promotion only if it happened; otherwise the run changed nothing and says so (SKIPPED)
        self.promoted_before, previous = found
        self.resolution = resolve_shift(
            app=self.app_name,
            revisions=revisions,
            traffic=state.traffic,
            latest=latest,
            revision=revision,
            baseline_revision=baseline_revision,
            previous_baseline=previous,
        )
        self.canary, self.baseline = self.resolution.canary, self.resolution.baseline
        self.action = self.resolution.action
        self.checks: tuple[CheckResult, ...] = ()
        self.polls: list[PollRecord] = []
        self.result: RolloutResult | None = None
        self._last_rollout: Rollout | None = None
        self.load: LoadSummary | None = None
        self.promoted_at: datetime | None = None
        self.decision: EscalationDecision | None = None
        self.stability_check: StabilityCheck | None = None
        self.deactivated: bool = False
        self._facts: dict[str, Any] = {"traffic_moved": False}
        self._record("traffic_moved", False)

    # ------------------------------------------------------------------ step 0-2: context, checks, plan

    def _ledger(self) -> list[dict[str, Any]]:
        try:
            return Ledger(self.outputs).entries()
        except (ApexopsError, OSError):
            return []

    def evidence_dir(self) -> Path:
        if self._evidence_dir is None:
            self._evidence_dir = kernel.evidence()
        return self._evidence_dir

    def summary_rows(self) -> list[dict[str, Any]]:
        stages = " → ".join(f"{s.weight}%" for s in self.policy.stages)
        return [
            {"item": "canary (new revision)", "value": self.canary},
            {"item": "baseline (serving now)", "value": self.baseline or "(none)"},
            {"item": "action", "value": f"{self.action}: {self.resolution.reason}"},
            {"item": "stages", "value": stages},
            {"item": "on inconclusive", "value": self.policy.on_inconclusive},
            {"item": "promotion confidence per stage", "value": f"{self.policy.promote_confidence:.0%}"},
            {"item": "false-rollback budget (alpha)", "value": self.policy.alpha},
            {"item": "evidence strata", "value": ", ".join(self.policy.strata)},
            {"item": "probes", "value": self._probes_text()},
            {"item": "synthetic load", "value": f"{self.load_rps:g} req/s" if self.load_rps else "none"},
        ]

    def _probes_text(self) -> str:
        probes = self.policy.probes
        if "probes" not in self.policy.strata or probes.rate_rps <= 0:
            return "none"
        return (
            f"{probes.rate_rps:g} req/s to each revision's URL ({', '.join(probes.routes)}), "
            f"{probes.warmup_s:g} s warm-up before the first stage"
        )

    def _lock_check(self) -> CheckResult:
        lock = lock_for(self.env, procedure=PROCEDURE, lock_dir=self.lock_dir, run_id=self.run_id)
        try:
            lock.acquire()
        except LockHeldError as exc:
            return CheckResult("deployment lock", Status.FAIL, exc.message, dict(lock.holder()))
        except StoreUnavailable as exc:  # the shared lock is required and cannot be reached
            return CheckResult("deployment lock", Status.FAIL, exc.message, {"hint": exc.hint or ""})
        lock.release()
        return CheckResult(
            "deployment lock", Status.PASS, f"no other run is shifting traffic for {self.app_name}"
        )

    def preconditions(self) -> tuple[CheckResult, ...]:
        """Step 1 (runbook "Verify Prerequisites"), plus the deployment lock; nothing is changed."""
        if self.action == "none":
            self.checks = (CheckResult("traffic", Status.PASS, self.resolution.reason),)
            return self.checks
        lock = self._lock_check()
        if self.action == "refuse" or self.baseline is None:
            self.checks = (CheckResult("traffic", Status.FAIL, self.resolution.reason), lock)
            return self.checks
        smoke = smoke_run_in_ledger(self.outputs, env=self.env_name, revision=self.canary)
        found = check_preconditions(
            self.app,
            canary=self.canary,
            baseline=self.baseline,
            smoke_run=smoke,
            override=self.smoke_override,
        )
        self.checks = (*found, *self._evidence_checks(), lock)
        if smoke is None and self.smoke_override:
            self._record("smoke_override", {"revision": self.canary, "reason": self.smoke_override})
        return self.checks

    def _evidence_checks(self) -> tuple[CheckResult, ...]:
        """The policy's strata can be had here: the probes reach both revisions' URLs, the platform's
        metrics answer. A stratum that can never answer would block every promotion: refused now, in
        one line, before anything moves."""
        from apexops.canary.probes import probe_targets  # lazy: the prober's HTTP stack

        assert self.baseline is not None
        out = []
        problem = no_evidence(self.policy)
        if problem:
            out.append(CheckResult("evidence", Status.FAIL, problem))
        probes = self.policy.probes
        if "probes" in self.policy.strata and probes.rate_rps > 0:
            try:
                probe_targets(self.app, self.canary, self.baseline)
                out.append(
                    CheckResult(
                        "probes", Status.PASS, f"both revisions have their own URL: {self._probes_text()}"
                    )
                )
            except ApexopsError as exc:
                out.append(
                    CheckResult("probes", Status.FAIL, f"canary.probes: {exc.message}", {"hint": exc.hint})
                )
        if "platform" in self.policy.strata:
            now = self.clock()
            try:
                self.env.platform_metrics.request_counts(
                    now - timedelta(minutes=5), now, revisions=[self.canary, self.baseline]
                )
                out.append(CheckResult("platform metrics", Status.PASS, "per-revision request counts answer"))
            except NotSupportedError as exc:
                out.append(CheckResult(
                    "platform metrics", Status.FAIL,
                    f"canary.strata names 'platform' but {exc.message} Remove it from canary.strata.",
                ))  # fmt: skip
            except ApexopsError as exc:
                out.append(CheckResult(
                    "platform metrics", Status.WARN,
                    f"no answer ({exc.message}); the platform stratum stays partial until there is one",
                ))  # fmt: skip
        return tuple(out)

    def precondition_rows(self) -> list[dict[str, Any]]:
        return [{"check": c.name, "status": c.status, "detail": c.reason} for c in self.checks]

    def require(self) -> None:
        """Refuse before anything changes (a dry run only reports, like every dry-run step)."""
        if self.dry_run or self.action == "none":
            return
        require(self.checks or self.preconditions())

    def plan_rows(self) -> list[dict[str, Any]]:
        if self.action != "shift" or self.baseline is None:
            return []
        return [
            {
                "stage": i + 1,
                "traffic list (complete, read back)": f"{self.canary}={s.weight}, "
                f"{self.baseline}={100 - s.weight}",
                "min s": s.min_duration_s,
                "max s": s.max_duration_s,
                "judged by": "harm tests vs baseline + SLO gate" if s.weight < 100 else "SLO gate only",
            }
            for i, s in enumerate(self.policy.stages)
        ]

    def plan_message(self) -> tuple[str, Status]:
        slo = self.policy.slo
        if self.action == "none":
            return self.resolution.reason, Status.SKIPPED
        if self.action == "refuse":
            return f"a real run refuses: {self.resolution.reason}", Status.FAIL
        return (
            f"each stage passes when the canary shows error rate < {slo.max_error_rate:.0%} and P95 < "
            f"{slo.latency_ms:g} ms at {self.policy.promote_confidence:.0%} confidence after its minimum "
            f"duration; harm against the baseline rolls back at once (alpha {self.policy.alpha:g}); on any "
            f"failure, interrupt or kernel death the traffic goes back to {self.baseline}=100",
            Status.INFO,
        )

    def az_commands(self) -> str:
        if self.action != "shift" or self.baseline is None:
            return azcli.ingress_traffic_show(self.settings)
        lines = [
            f"# stage {i + 1}\n"
            + azcli.ingress_traffic_set(self.settings, split(self.canary, self.baseline, s.weight))
            for i, s in enumerate(self.policy.stages)
        ]
        lines.append(
            "# rollback (any failure)\n"
            + azcli.ingress_traffic_set(self.settings, split(self.canary, self.baseline, 0))
        )
        return "\n\n".join(lines)

    # ------------------------------------------------------------------ step 3-4: gate and stages

    @property
    def approval_phrase(self) -> str:
        return f"SHIFT TRAFFIC TO {self.canary} IN {self.env_name}"

    def gate(self, approval: str) -> Gate | NoGate:
        if self.action == "none":
            step_skipped(self.resolution.reason)
            return NoGate(self.resolution.reason)
        return require_approval(
            self.approval_phrase, approval=approval_for(approval, self.approval_phrase), dry_run=self.dry_run
        )

    @property
    def skip_reason(self) -> str:
        if self.action == "none":
            return self.resolution.reason
        return "dry run: no traffic moved" if self.dry_run else self.resolution.reason

    def _on_stage(self, index: int, weight: int) -> None:
        if weight > 0 and not self._facts.get("traffic_moved"):
            self._facts["traffic_moved"] = True
            self._record("traffic_moved", True)

    def _rollout(self, on_poll: Callable[[PollRecord], None]) -> Rollout:
        assert self.baseline is not None
        return Rollout(
            self.env,
            canary=self.canary,
            baseline=self.baseline,
            policy=self.policy,
            on_poll=on_poll,
            evidence_dir=self.evidence_dir(),
            lock_dir=self.lock_dir,
            run_id=self.run_id,
            guard=self.guard,
            on_stage=self._on_stage,
        )

    def run(self, *, live: bool = True, from_stage: int = 0, state: HarmState | None = None) -> RolloutResult:
        """The stages, with the live chart and (sandbox) the synthetic users; see Rollout for the safety."""
        if self.action != "shift":
            raise RolloutError(f"nothing to run: {self.resolution.reason}.", hint="see the preconditions.")
        chart = RolloutChart(title=f"Canary {self.canary} against {self.baseline}", live=live)

        def on_poll(record: PollRecord) -> None:
            self.polls.append(record)
            chart.update(record)
            kernel.note_progress(poll_note(record, self.policy))  # what the judge sees, for `apexops run`

        self._record_canary("running", "stages in progress")
        rollout = self._rollout(on_poll)
        self._last_rollout = rollout
        gen = None
        try:
            with synthetic_load(
                self.settings,
                self.load_rps,
                load_duration_s(self.policy, from_stage=from_stage),
                env=self.env,
            ) as gen:
                result = rollout.run(from_stage=from_stage, state=state)
        except BaseException as exc:
            self._note_load(gen)
            self._after_exception(exc)
            raise
        finally:
            chart.finish()  # promoted, rolled back or interrupted: the notebook keeps the final figure
        self._note_load(gen)
        self.chart, self.result = chart, result
        if result.outcome == "promoted":
            self.promoted_at = self.clock()
        self._record_canary(result.outcome, result.reason)
        return result

    def _note_load(self, gen: Any) -> None:
        if gen is not None:
            self.load = LoadSummary.of(self.load_rps, gen.result)

    def _after_exception(self, exc: BaseException) -> None:
        """Record what happened and where the traffic is; save the polls. Never masks `exc`."""
        verdict = "interrupted" if isinstance(exc, KeyboardInterrupt) else "error"
        try:
            folder = self.evidence_dir()
            folder.mkdir(parents=True, exist_ok=True)
            rows = [p.to_record() for p in self.polls]
            write_scrubbed(folder / "canary-polls.json", json.dumps(rows, indent=2, default=str))
        except OSError:
            pass
        self._record_canary(verdict, f"{type(exc).__name__} during the stages: {exc}".rstrip(": "))

    def _traffic_now(self) -> list[dict[str, Any]]:
        try:
            return traffic_rows(self.app.get_traffic())
        except ApexopsError:
            return []

    def _record_canary(self, verdict: str, reason: str) -> None:
        final = self._traffic_now()
        canary: dict[str, Any] = {
            "revision": self.canary,
            "baseline": self.baseline,
            "verdict": verdict,
            "reason": reason,
            "stages": stage_rows(self.polls),
            "strata": strata_rows(self.polls),
            "traffic_final": final,
            "rolled_back": bool(self._facts.get("traffic_moved"))
            and {t["revision"]: t["weight"] for t in final if t["weight"]} == {self.baseline: 100},
        }
        if self.promoted_at is not None:
            canary["promoted_at"] = self.promoted_at.isoformat(timespec="seconds")
        if self.load is not None:
            canary["load"] = self.load.to_record()
        rollout = self._last_rollout
        if rollout is not None and rollout.probe_summary:
            canary["probes"] = rollout.probe_summary
            canary["probes_left_behind"] = list(rollout.probes_left_behind)
        if self.decision is not None and self.decision.choice:
            canary["escalation"] = self.decision.to_record()
        self._facts["canary"] = canary
        self._record("canary", canary)

    # ------------------------------------------------------------------ step 5: what the judge said

    def poll_rows(self) -> list[dict[str, Any]]:
        return [p.row() for p in self.polls]

    def decision_rows(self) -> list[dict[str, Any]]:
        """The decision per stage, seven readable columns (the full rows stay in the facts)."""
        return stage_table(stage_rows(self.polls))

    def strata_rows(self) -> list[dict[str, Any]]:
        """Per stage and stratum: probes next to users, and how far each one's data was complete."""
        return strata_rows(self.polls)

    def check_rows(self) -> list[dict[str, Any]]:
        decision = self.result.decision if self.result else None
        if decision is None:
            return []
        return [{"check": c.name, "status": c.status, "reason": c.reason} for c in decision.checks]

    def probe_rows(self) -> list[dict[str, Any]]:
        """What the probes sent to each revision and got back (none when the policy has no probes)."""
        return list(self._last_rollout.probe_summary) if self._last_rollout is not None else []

    def load_rows(self) -> list[dict[str, Any]]:
        if self.load is None:
            return []
        return [
            {"revision": r, "requests": n, "5xx": self.load.errors_5xx_by_revision.get(r, 0)}
            for r, n in self.load.by_revision.items()
        ]

    # ------------------------------------------------------------------ step 6: escalation

    @property
    def escalated(self) -> bool:
        return self.result is not None and self.result.outcome == "escalated"

    def escalation(self, *, headless: bool | None = None) -> EscalationDecision | None:
        """The decision cell: None when nothing escalated; headless, the parameter already decided."""
        if not self.escalated:
            step_skipped("no escalation: the judge decided every stage" if self.polls else "no stage ran")
            return None
        assert self.result is not None
        if headless is None:
            headless = kernel.unattended()
        self.decision = EscalationDecision(
            stage_index=self.result.stage_index, reason=self.result.reason, headless=headless
        )
        if headless:
            show_message(
                f"headless, on_inconclusive={self.policy.on_inconclusive}: no one to ask; the run stops "
                f"with traffic at {self.baseline}=100 ({self.result.reason})",
                Status.INCONCLUSIVE,
            )
        else:
            self.decision.show()
        return self.decision

    def resolve(self, decision: EscalationDecision | None, *, live: bool = True) -> RolloutResult | None:
        """Act on the person's choice (next cell): resume the stage, or roll back. Headless: nothing."""
        if decision is None or decision.headless or self.result is None:
            step_skipped("no decision to act on")
            return None
        choice = decision.require()
        if choice == "resume":
            return self.run(live=live, from_stage=self.result.stage_index, state=self.result.state)
        stage = decision.stage_index + 1
        reason = f"escalation at stage {stage}: rolled back by {decision.by} ({self.result.reason})"
        self._rollout(lambda _: None).rollback(reason)
        traffic = tuple(self.app.get_traffic())
        self.result = replace(self.result, outcome="rolled_back", reason=reason, traffic=traffic)
        self._record_canary("rolled_back", reason)
        return self.result

    # ------------------------------------------------------------------ step 7: old revision

    def stability(self) -> StabilityCheck:
        promoted_at = self.promoted_at
        if promoted_at is None and self.action == "none":
            promoted_at = self.promoted_before
        promoted = promoted_at is not None or (self.result is not None and self.result.outcome == "promoted")
        if not promoted:
            why = "the canary was not promoted in this run"
            if self.action == "none":
                why = f"no procedure-50 run promoted {self.canary}: there is no old revision to deactivate"
            self.stability_check = StabilityCheck(
                self.canary, self.baseline, self.policy.stability_window_s, None, Status.SKIPPED, why
            )
        else:
            self.stability_check = check_stability(
                self.env,
                canary=self.canary,
                old=self.baseline,
                promoted_at=promoted_at,
                requested=self.deactivate_old,
                now=self.clock(),
            )
        return self.stability_check

    @property
    def deactivate_phrase(self) -> str:
        return f"DEACTIVATE {self.baseline} IN {self.env_name}"

    def deactivate_gate(self, approval: str) -> Gate | NoGate:
        check = self.stability_check or self.stability()
        if not check.ready:
            return NoGate(check.reason)
        return require_approval(
            self.deactivate_phrase,
            approval=approval_for(approval, self.deactivate_phrase),
            dry_run=self.dry_run,
        )

    @property
    def deactivate_skip_reason(self) -> str:
        check = self.stability_check or self.stability()
        if check.ready and self.dry_run:
            return f"dry run: {self.baseline} stays active"
        return check.reason

    def deactivate_old_revision(self) -> None:
        assert self.baseline is not None
        deactivate(self.app, self.baseline)
        self.deactivated = True
        self._record("old_revision_deactivated", self.baseline)

    # ------------------------------------------------------------------ verdict

    def verdict(self) -> Verdict:
        if self.dry_run:
            reason = {"shift": f"plan only: {self.resolution.reason}", "none": self.resolution.reason}.get(
                self.action, f"a real run would refuse: {self.resolution.reason}"
            )
            failed = [f"{c.name}: {c.reason}" for c in self.checks if c.status is Status.FAIL]
            self._record_canary("dry_run", reason)
            self._record("traffic_moved", False)
            return shift_verdict("dry_run", (reason, *(f"a real run would stop: {f}" for f in failed)))
        if self.action == "none" and self.result is None:
            self._record("traffic_moved", False)
            if self.promoted_before is None:
                why = f"{self.resolution.reason}; no procedure-50 run in the ledger promoted it"
                self._record_canary("unchanged", why)
            else:
                self._record_canary("promoted", self.resolution.reason)
        extra = []
        if self.stability_check is not None:
            extra.append(f"old revision: {self.stability_check.reason}")
        if self.deactivated:
            extra.append(f"{self.baseline} deactivated (read back inactive)")
        return verdict_for(self._facts, extra)

    def facts(self) -> dict[str, Any]:
        out = dict(self._facts)
        if self.stability_check is not None:
            out["stability"] = self.stability_check.to_record()
        return out
