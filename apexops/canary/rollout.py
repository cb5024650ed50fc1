"""The stage runner of procedure 50: write each stage's traffic, poll telemetry, let the judge decide.

    result = Rollout(env, canary="app--new", baseline="app--old", on_poll=chart.update).run()
    result.raise_for_failure()        # RolloutError after an automatic rollback or an escalation

Evidence comes in strata (`policy.strata`, each judged on its own, see `apexops.canary.strata`): before
the first stage writes any traffic the prober (`apexops.canary.probes`) sends its marked requests to both
revisions' URLs for `policy.probes.warmup_s`, and keeps probing through every stage; it is stopped however
the run ends (promotion, rollback, exception, interrupt). Per stage: the complete traffic list is written
and read back, then every `poll_interval_s` (injected `sleep`; time from the injected `clock`) each
stratum's counts since the stage start (probes: since the warm-up, for the first stage) go to
`apexops.canary.judge` with the revisions' states and the canary's replica restarts: the probes' counts
(live), the platform's per-revision counters minus the probes they include, and the users' requests per
route up to where their telemetry is complete (never read as zero beyond it). The users' totals up to now
minus the ingestion lag also fill the revisions' snapshots, as before strata. ROLLBACK writes the
baseline back to 100 (read back) and saves the evidence; PROMOTE moves to the next stage (the decisions
and the polls are saved too); INCONCLUSIVE applies the policy's on_inconclusive ("extend" observes one
more max duration, "rollback" rolls back, "escalate" / "promote_never" restore the baseline and stop for
a person, who may resume with `run(from_stage=..., state=result.state)`).

Safety: a deployment lock keeps a second run off the same app; any exception or interrupt while traffic
is split restores the last verified safe state (the baseline at 100) before it propagates; a guardian
process does the same if this process dies (`apexops.canary.guard`). Deactivating the old revision after
the stability window is a separate, gated step, not part of a rollout.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from apexops.canary.config import JudgeConfig
from apexops.canary.guard import TrafficGuard
from apexops.canary.judge import Decision, Judgement, judge
from apexops.canary.lock import DeploymentLock, lock_for
from apexops.canary.observation import HarmState, Stratum, StratumSnapshot, measure, restarts_since
from apexops.canary.strata import completeness, counts_text, stratum_from_window, totals
from apexops.canary.traffic import effective, split, write_traffic
from apexops.errors import ApexopsError, CanaryRolledBack, ConfigError, RolloutError, TrafficError
from apexops.kernel import outputs_root
from apexops.models import CountsWindow, RequestStats, TrafficWeight
from apexops.scrubbed import write_scrubbed
from apexops.settings import CanaryPolicy

if TYPE_CHECKING:
    from apexops.environment import Environment

#: how the deployment lock names this procedure to other operators
PROCEDURE = "50-traffic-shifting"

__all__ = ["NOT_IN_YET", "PollRecord", "ProbeSource", "Rollout", "RolloutResult", "no_evidence"]

#: what a table shows for a stratum with nothing complete yet (not zeros: zeros would read as data)
NOT_IN_YET = "not in yet"


def no_evidence(policy: CanaryPolicy) -> str | None:
    """Why the policy's strata could give the judge no evidence at all (probes only, at rate 0), or None."""
    if set(policy.strata) == {"probes"} and policy.probes.rate_rps <= 0:
        return "canary.strata is only 'probes' but canary.probes.rate_rps is 0: the judge would see nothing."
    return None


class ProbeSource(Protocol):
    """What the rollout needs of a prober (`apexops.canary.probes.Prober`; tests pass their own)."""

    def start(self) -> Any: ...

    def stop(self) -> None: ...

    def counts(self, since: datetime) -> CountsWindow: ...

    def per_minute(self, revision: str, since: datetime) -> dict[datetime, tuple[int, int]]: ...


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
    #: the evidence per stratum the judge saw at this poll (probes, platform, users)
    strata: tuple[StratumSnapshot, ...] = ()

    def stratum(self, name: str) -> StratumSnapshot | None:
        return next((s for s in self.strata if s.stratum == name), None)

    def strata_columns(self) -> dict[str, Any]:
        """Per stratum: canary and baseline as "requests · 5xx · slow" and how complete its data is."""
        out: dict[str, Any] = {}
        for snap in self.strata:
            canary, baseline = totals(snap)
            known = snap.complete_until is not None  # nothing complete is "not in yet", never zeros
            out[f"{snap.stratum} canary"] = counts_text(canary) if known else NOT_IN_YET
            out[f"{snap.stratum} baseline"] = counts_text(baseline) if known else NOT_IN_YET
            out[f"{snap.stratum} data"] = completeness(snap)
        return out

    def to_record(self) -> dict[str, Any]:
        """The poll as the evidence keeps it: the table row, the reason, a failed query, and per stratum
        its counts per route and how far they were complete (None: nothing complete yet)."""
        strata = [
            {
                "stratum": str(s.stratum),
                "complete_until": s.complete_until.isoformat() if s.complete_until else None,
                "lag_s": round(s.lag_s, 1),
                "partial": s.partial,
                "routes": {
                    route: {"canary": asdict(c), "baseline": asdict(b)} for route, (c, b) in s.routes.items()
                },
            }
            for s in self.strata
        ]
        return {**self.row(), "at": self.at.isoformat(), "error": self.error, "strata": strata}

    def row(self) -> dict[str, Any]:
        """The per-interval table's row: with strata, each stratum's counts (the revisions' pooled counts
        would mix what the judge keeps apart); without, the revisions' counts as before strata."""
        n = self.numbers
        revisions = {
            "canary req": n.get("canary_requests"),
            "canary 5xx": n.get("canary_5xx"),
            "canary slow": n.get("canary_slow"),
            "baseline req": n.get("baseline_requests"),
            "baseline 5xx": n.get("baseline_5xx"),
            "baseline slow": n.get("baseline_slow"),
        }
        return {
            "time": self.at.strftime("%H:%M:%S"),
            "stage": self.stage_index + 1,
            "weight %": self.weight,
            "elapsed s": round(self.elapsed_s),
            **(self.strata_columns() if self.strata else revisions),
            "e 5xx": n.get("harm_errors_e_value"),
            "e slow": n.get("harm_latency_e_value"),
            "verdict": self.verdict,
            "reason": self.reason,
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
            raise CanaryRolledBack(
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
        prober: Callable[[Mapping[str, str]], ProbeSource] | None = None,
    ) -> None:
        self.env = env
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
        #: builds the prober from {revision: revision URL}; default: `apexops.canary.probes.Prober` with
        #: the identity's API token (the smoke tests' way), the run id as its marker, the injected clock
        self._make_prober = prober or self._default_prober
        self._prober: ProbeSource | None = None
        #: when the probes began (the warm-up): the first stage's probe evidence counts from here
        self._probes_since: datetime | None = None
        #: after the run: per revision, what the probes sent and got back (empty without probes)
        self.probe_summary: list[dict[str, Any]] = []
        #: after the run: probe projects the prober could not delete (delete them by hand)
        self.probes_left_behind: tuple[str, ...] = ()

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
                    self._warm_up()
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
                finally:  # after the users are safe: the probes stop however the run ends
                    self._stop_probes()

    # ------------------------------------------------------------------ probes

    @property
    def _probing(self) -> bool:
        return "probes" in self.policy.strata and self.policy.probes.rate_rps > 0

    def _default_prober(self, targets: Mapping[str, str]) -> ProbeSource:
        from apexops.canary.probes import Prober  # lazy: the HTTP client only when probes run

        env = self.env
        audience = env.settings.api_audience
        return Prober(
            targets,
            self.policy.probes,
            token=lambda: env.identity.api_token(audience),  # the smoke tests' way (apexops.smoke.target)
            run_id=self.run_id or "rollout",
            latency_ms=self.cfg.latency_ms,
            clock=self.clock,
        )

    def _warm_up(self) -> None:
        """Start the probes on both revisions' URLs and let them run `warmup_s` before traffic moves."""
        if not self._probing:
            return
        from apexops.canary.probes import probe_targets  # lazy: as above

        self._prober = self._make_prober(probe_targets(self.app, self.canary, self.baseline))
        self._probes_since = self.clock()
        self._prober.start()
        if self.policy.probes.warmup_s > 0:
            self.sleep(self.policy.probes.warmup_s)

    def _stop_probes(self) -> None:
        """Stop the prober (joins its thread, deletes its probe projects) and keep what it says it sent."""
        prober, self._prober = self._prober, None
        if prober is not None:
            prober.stop()
            self.probe_summary = list(getattr(prober, "summary", list)())
            self.probes_left_behind = tuple(getattr(prober, "left_behind", ()))

    def _locked(self) -> DeploymentLock:
        """The deployment lock for the run (held while it writes traffic)."""
        return lock_for(self.env, procedure=PROCEDURE, lock_dir=self.lock_dir, run_id=self.run_id)

    def _check_start(self) -> None:
        """Refuse to start from an unknown state: both revisions active, the baseline serving everything;
        and refuse a policy whose strata can give the judge no evidence at all."""
        problem = no_evidence(self.policy)
        if problem:
            raise ConfigError(
                problem, hint="set canary.probes.rate_rps above 0, or add 'users' to canary.strata."
            )
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
            if index > from_stage:
                self._probes_since = None  # later stages: probe evidence since their own start
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
        return _result("promoted", decision, run, self._save(run, decision, "promoted"))

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
            strata, failed = self._strata(start, now)
            error = "; ".join(e for e in (error, *failed) if e) or None
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
            decision = judge(replace(obs, strata=strata), self.cfg)
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
                strata,
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

    def _strata(self, start: datetime, now: datetime) -> tuple[tuple[StratumSnapshot, ...], list[str]]:
        """This poll's evidence per stratum of the policy; a failed source is a partial stratum, not a crash.

        users: the users' requests per route since the stage start, as complete as the telemetry is;
        platform: per-revision counters minus the probes they counted; probes: the prober's own counts.
        """
        names = [self.canary, self.baseline]
        snapshots: list[StratumSnapshot] = []
        failed: list[str] = []
        for name in self.policy.strata:
            stratum = Stratum(name)
            try:
                window, subtract = self._window(stratum, start, now, names)
            except ApexopsError as exc:
                failed.append(f"{name} query failed: {exc}")
                snapshots.append(StratumSnapshot(stratum=stratum, routes={}, partial=True))
                continue
            if window is not None:
                snapshots.append(
                    stratum_from_window(stratum, window, self.canary, self.baseline, now, subtract)
                )
        return tuple(snapshots), failed

    def _window(
        self, stratum: Stratum, start: datetime, now: datetime, names: Sequence[str]
    ) -> tuple[CountsWindow | None, dict[str, dict[datetime, tuple[int, int]]] | None]:
        """One source's counts since the stage start (None: the stratum has no source in this run)."""
        prober = self._prober
        if stratum is Stratum.PROBES:
            if prober is None:
                return None, None
            return prober.counts(self._probes_since or start), None
        if stratum is Stratum.PLATFORM:
            window = self.env.platform_metrics.request_counts(start, now, revisions=names)
            if prober is None:
                return window, None
            # the platform's first bucket holds the whole minute the stage started in: so do the probes'
            minute = window.since.replace(second=0, microsecond=0)
            return window, {name: prober.per_minute(name, minute) for name in names}
        slow_ms = self.cfg.latency_ms
        return self.telemetry.user_requests_by_route(start, now, revisions=names, slow_ms=slow_ms), None

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
            "canary-polls.json": [p.to_record() for p in run.polls],
            "canary-traffic.json": traffic,
        }
        saved = []
        for name, data in files.items():
            saved.append(write_scrubbed(folder / name, json.dumps(data, indent=2, default=str)))
        if outcome == "promoted":
            return tuple(saved)  # the decisions and the polls: a promotion is audited on its evidence too
        try:  # best effort: the rollback is done already; missing logs must not hide it
            logs = self.telemetry.console_logs(self.canary, tail=1000)
            text = "\n".join(
                f"{line.timestamp.isoformat()} {line.replica} {line.level} {line.message}" for line in logs
            )
            saved.append(write_scrubbed(folder / "failed-revision-logs.txt", text + "\n"))
        except ApexopsError:
            pass
        return tuple(saved)
