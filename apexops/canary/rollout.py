"""The stage runner of procedure 50: write each stage's traffic, poll telemetry, let the judge decide.

    result = Rollout(env, canary="app--new", baseline="app--old", on_poll=chart.update).run()
    result.raise_for_failure()        # RolloutError after an automatic rollback or an escalation

Per stage: the complete traffic list is written and read back, then every `poll_interval_s` (injected
`sleep`; time from the injected `clock`) the counts since the stage start, up to now minus the
telemetry's ingestion lag, go to `apexops.canary.judge` with the revisions' states and the canary's
replica restarts. ROLLBACK writes the baseline back to 100 (read back) and saves the evidence; PROMOTE
moves to the next stage; INCONCLUSIVE applies the policy's on_inconclusive ("extend" observes one more
max duration, "rollback" rolls back, "escalate" / "promote_never" restore the baseline and stop for a
person, who may resume with `run(from_stage=..., state=result.state)`).

Safety: a deployment lock keeps a second run off the same app; any exception or interrupt while traffic
is split restores the last verified safe state (the baseline at 100) before it propagates; a guardian
process does the same if this process dies (`apexops.canary.guard`). Deactivating the old revision after
the stability window is a separate, gated step, not part of a rollout.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.canary.config import JudgeConfig
from apexops.canary.guard import TrafficGuard
from apexops.canary.judge import Decision, Judgement, judge
from apexops.canary.lock import DeploymentLock
from apexops.canary.observation import HarmState, measure, restarts_since
from apexops.canary.traffic import effective, split, write_traffic
from apexops.errors import ApexopsError, RolloutError, TrafficError
from apexops.kernel import outputs_root
from apexops.models import RequestStats, TrafficWeight
from apexops.scrubbed import write_scrubbed
from apexops.settings import CanaryPolicy

if TYPE_CHECKING:
    from apexops.environment import Environment

__all__ = ["PollRecord", "Rollout", "RolloutResult"]


@dataclass(frozen=True)
class PollRecord:
    """One poll: a row of the per-interval table and a point of the live chart."""

    at: datetime
    stage_index: int
    weight: int
    elapsed_s: float
    #: the judge's decision at this poll (a `Decision` word: PROMOTE, HOLD, INCONCLUSIVE, ROLLBACK)
    verdict: str
    reason: str
    numbers: Mapping[str, Any]
    #: a telemetry query that failed at this poll (the judge then saw the poll as partial)
    error: str | None = None

    def row(self) -> dict[str, Any]:
        n = self.numbers
        return {
            "time": self.at.strftime("%H:%M:%S"),
            "stage": self.stage_index + 1,
            "weight %": self.weight,
            "elapsed s": round(self.elapsed_s),
            "canary req": n.get("canary_requests"),
            "canary 5xx": n.get("canary_5xx"),
            "canary slow": n.get("canary_slow"),
            "baseline req": n.get("baseline_requests"),
            "baseline 5xx": n.get("baseline_5xx"),
            "baseline slow": n.get("baseline_slow"),
            "e 5xx": n.get("harm_errors_e_value"),
            "e slow": n.get("harm_latency_e_value"),
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class RolloutResult:
    #: promoted | rolled_back | escalated
    outcome: str
    reason: str
    stage_index: int
    decision: Judgement | None
    polls: tuple[PollRecord, ...]
    traffic: tuple[TrafficWeight, ...]
    evidence: tuple[Path, ...] = ()
    #: the harm tests' state, to resume after an escalation
    state: HarmState | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "promoted"

    def raise_for_failure(self) -> None:
        if self.outcome == "rolled_back":
            raise RolloutError(
                f"canary rolled back: {self.reason}",
                hint="traffic is at the baseline; see the evidence folder, then run 60-rollback "
                "for the database and the communication.",
            )
        if self.outcome == "escalated":
            raise RolloutError(
                f"rollout stopped for a decision: {self.reason}",
                hint="traffic is at the baseline; resume with run(from_stage=...) or roll back.",
            )


@dataclass
class _Run:
    polls: list[PollRecord] = field(default_factory=list)
    traffic: list[TrafficWeight] = field(default_factory=list)
    split: bool = False


def _result(outcome: str, decision: Judgement, run: _Run, evidence: tuple[Path, ...] = ()) -> RolloutResult:
    """How the run ended, at the stage the last judgement was made in (its state allows a resume)."""
    polls, traffic = tuple(run.polls), tuple(run.traffic)
    return RolloutResult(
        outcome, decision.reason, decision.stage_index, decision, polls, traffic, evidence, decision.state
    )


class Rollout:
    """Runs the policy's stages for one canary against one baseline (see the module docstring)."""

    def __init__(
        self,
        env: Environment,
        *,
        canary: str,
        baseline: str,
        policy: CanaryPolicy | None = None,
        clock: Callable[[], datetime] = partial(datetime.now, UTC),
        sleep: Callable[[float], None] = time.sleep,
        on_poll: Callable[[PollRecord], None] | None = None,
        evidence_dir: Path | None = None,
        lock_dir: Path | None = None,
        run_id: str = "",
        guard: bool = True,
        on_stage: Callable[[int, int], None] | None = None,
    ) -> None:
        self.app, self.telemetry = env.app, env.telemetry
        self.env_name, self.app_name = env.settings.environment, env.settings.app.name
        self.policy = policy or env.settings.canary
        self.cfg = JudgeConfig.from_policy(self.policy)
        self.canary, self.baseline = canary, baseline
        self.safe = split(canary, baseline, 0)
        self.clock, self.sleep, self.on_poll = clock, sleep, on_poll
        self.evidence_dir, self.run_id, self.guard = evidence_dir, run_id, guard
        #: called with (stage index, canary weight) just BEFORE a stage's traffic list is written, so a
        #: caller can record "traffic may have moved" before it has (a kernel death right after the write
        #: must not leave a record saying nothing moved)
        self.on_stage = on_stage
        self.lock_dir = Path(lock_dir) if lock_dir is not None else outputs_root() / "locks"

    # ------------------------------------------------------------------ the run

    def run(self, *, from_stage: int = 0, state: HarmState | None = None) -> RolloutResult:
        if not 0 <= from_stage < len(self.policy.stages):
            raise TrafficError(
                f"from_stage {from_stage} is not a stage of the policy ({len(self.policy.stages)} stages).",
                hint="use 0 to start from the first.",
            )
        with self._locked():
            self._check_start()
            run = _Run(traffic=self.app.get_traffic())
            with TrafficGuard(
                env=self.env_name, app=self.app_name, safe=self.safe, folder=self.lock_dir, spawn=self.guard
            ) as guard:
                try:
                    return self._stages(run, guard, from_stage, state)
                except BaseException as exc:
                    if run.split:
                        try:
                            self._restore(run)
                        except Exception as failed:
                            raise RolloutError(
                                f"{type(exc).__name__} while traffic was split ({exc}), and restoring "
                                f"{self.baseline}=100 failed too: {failed}. Traffic may still be split.",
                                hint="run 60-rollback now.",
                            ) from exc
                        guard.disarm("restored after an exception")
                    raise

    def _locked(self) -> DeploymentLock:
        """The deployment lock for the run (held while it writes traffic)."""
        return DeploymentLock(self.lock_dir, env=self.env_name, app=self.app_name, run_id=self.run_id)

    def _check_start(self) -> None:
        """Refuse to start from an unknown state: both revisions active, the baseline serving everything."""
        for name in (self.canary, self.baseline):
            rev = self.app.get_revision(name)
            if not rev.active:
                raise TrafficError(
                    f"revision {name} is not active.",
                    hint=f"activate it (az containerapp revision activate --revision {name}).",
                )
        now = effective(self.app.get_traffic())
        if now != {self.baseline: 100}:
            raise TrafficError(
                f"traffic is {now}, not {self.baseline}=100: the rollout starts from the baseline only.",
                hint="run 60-rollback to put the baseline back at 100, then start again.",
            )

    def _stages(
        self, run: _Run, guard: TrafficGuard, from_stage: int, state: HarmState | None
    ) -> RolloutResult:
        restarts_at = {r.name: r.restart_count for r in self.app.list_replicas(self.canary)}
        decision: Judgement | None = None
        for index in range(from_stage, len(self.policy.stages)):
            weight = self.policy.stages[index].weight
            if self.on_stage is not None:
                self.on_stage(index, weight)
            guard.arm(f"stage {index + 1}: {self.canary}={weight}")
            run.split = True
            run.traffic = write_traffic(self.app, split(self.canary, self.baseline, weight))
            decision = self._observe(run, index, state, restarts_at)
            state = decision.state
            if decision.verdict is Decision.ROLLBACK or decision.action == "rollback":
                return self._rollback(run, guard, decision)
            if decision.verdict is Decision.INCONCLUSIVE:
                self._restore(run)
                guard.disarm("escalated")
                return _result("escalated", decision, run, self._save(run, decision, "escalated"))
        guard.disarm("promoted")
        run.split = False
        assert decision is not None
        return _result("promoted", decision, run)

    def _observe(
        self, run: _Run, index: int, state: HarmState | None, restarts_at: dict[str, int]
    ) -> Judgement:
        stage = self.policy.stages[index]
        start = self.clock()
        extensions = 0
        while True:
            self.sleep(self.policy.poll_interval_s)
            now = self.clock()
            stats, error = self._stats(start, now)
            canary, baseline = self.app.get_revision(self.canary), self.app.get_revision(self.baseline)
            elapsed = (now - start).total_seconds() - extensions * stage.max_duration_s
            obs = measure(
                stage_index=index,
                elapsed_s=max(0.0, elapsed),
                canary=canary,
                baseline=baseline,
                weights=effective(run.traffic),
                stats=stats,
                canary_restarts=restarts_since(self.app.list_replicas(self.canary), restarts_at),
                state=state,
                at=now,
            )
            decision = judge(obs, self.cfg)
            state = decision.state
            record = PollRecord(
                now,
                index,
                stage.weight,
                (now - start).total_seconds(),
                decision.verdict,
                decision.reason,
                decision.numbers,
                error,
            )
            run.polls.append(record)
            if self.on_poll is not None:
                self.on_poll(record)
            if decision.verdict is Decision.INCONCLUSIVE and decision.action == "extend" and extensions < 1:
                extensions += 1  # one more max duration, judged as a fresh window of the same evidence
                continue
            if decision.verdict is not Decision.HOLD:
                return decision

    def _stats(self, start: datetime, now: datetime) -> tuple[dict[str, RequestStats], str | None]:
        """Counts since the stage start up to now minus the ingestion lag; a failed query is partial data."""
        names = [self.canary, self.baseline]
        try:
            lag = self.telemetry.ingestion_lag_s()
            until = max(start, now - timedelta(seconds=min(lag, 86400.0)))
            stats = self.telemetry.request_stats(start, until, revisions=names, slow_ms=self.cfg.latency_ms)
            if lag == float("inf"):  # the backend cannot say how complete it is: never count it as complete
                stats = {k: replace(v, partial=True) for k, v in stats.items()}
            return stats, None
        except ApexopsError as exc:
            return {}, f"telemetry query failed: {exc}"

    # ------------------------------------------------------------------ rollback and evidence

    def _restore(self, run: _Run) -> None:
        run.traffic = write_traffic(self.app, self.safe)
        run.split = False

    def _rollback(self, run: _Run, guard: TrafficGuard, decision: Judgement) -> RolloutResult:
        before = list(run.traffic)
        self._restore(run)  # first the users, then the paperwork
        guard.disarm("rolled back")
        return _result("rolled_back", decision, run, self._save(run, decision, "rolled_back", before=before))

    def rollback(self, reason: str) -> list[TrafficWeight]:
        """A person's decision: the baseline back to 100, read back (idempotent)."""
        with self._locked():
            return write_traffic(self.app, self.safe)

    def _save(
        self, run: _Run, decision: Judgement, outcome: str, *, before: list[TrafficWeight] | None = None
    ) -> tuple[Path, ...]:
        if self.evidence_dir is None:
            return ()
        folder = Path(self.evidence_dir)
        folder.mkdir(parents=True, exist_ok=True)
        traffic = {"before": effective(before or []), "after": effective(run.traffic)}
        files = {
            "canary-decision.json": {"outcome": outcome, **decision.to_record()},
            "canary-polls.json": [{**p.row(), "reason": p.reason, "error": p.error} for p in run.polls],
            "canary-traffic.json": traffic,
        }
        saved = []
        for name, data in files.items():
            saved.append(write_scrubbed(folder / name, json.dumps(data, indent=2, default=str)))
        try:  # best effort: the rollback is done already; missing logs must not hide it
            logs = self.telemetry.console_logs(self.canary, tail=1000)
            text = "\n".join(
                f"{line.timestamp.isoformat()} {line.replica} {line.level} {line.message}" for line in logs
            )
            saved.append(write_scrubbed(folder / "failed-revision-logs.txt", text + "\n"))
        except ApexopsError:
            pass
        return tuple(saved)
