"""Canary judges side by side: apexops' sequential judge vs the runbook, Argo Rollouts, Flagger, Kayenta.

    python benchmarks/canary_judges.py            # full run (a few minutes on 2 cores)
    python benchmarks/canary_judges.py --quick    # smoke run (seconds), same table
    python benchmarks/canary_judges.py --verify 5 # also re-run 5 rollouts per scenario calling the judge
                                                  # at EVERY poll and check the fast path agrees

Every judge gets the same simulated request streams (benchmarks/canary_sim.py: Poisson arrivals with
time-of-day drift, per-request 5xx, lognormal latency, bursts, a dependency outage) and the production
stage policy (parameters/prod.yaml: 10% for >= 10 min, 50% for >= 5 min; the baselines use the runbook's
fixed 10 + 5 min windows). The apexops judge is the library's own `apexops.canary.judge`, called on
Observations built from the stream at each poll (poll interval and ingestion lag included: two settings,
the sandbox's small lag and a production-like one). Measured, printed, never asserted.

Fast path (honest by construction): a poll where the judge *could* leave HOLD is one where a harm
e-value, the SLO gate's evidence, or the max duration is near its threshold. Those quantities come from
the same `apexops.canary.stats` functions evaluated on all polls at once (numpy); the real judge is then
called at those candidate polls, in order, and its verdict is the outcome. `--verify` checks this against
calling the judge at every poll.

Tuning (what was chosen and why; no scenario is special-cased, every knob is a library default):
  * false-rollback budget alpha = 0.01 (the policy's), split over the two harm checks (errors, latency):
    1/alpha_i = 200. Stages are not split further: one e-process per check spans the rollout (95% of its
    weight bets from stage 1, a 5% reserve restarts at stage 2), so the first stage, where the blast
    radius is smallest, gets the whole budget.
  * the canary share each poll interval is judged with is max(configured weight, observed share so far):
    exact under random routing (an outage on both revisions moves nothing), robust to an ingress that
    gives the canary more than its weight. Judging each interval by its *own* observed split was tried
    first: valid, but at 2 s intervals it throws away most of the evidence (10% errors at 1 rps: median
    750 s instead of ~270 s).
  * harm prior: at 10% weight a canary bad event is worth at most a factor 10, so the third canary error
    with none on the baseline is the earliest any valid test at 1/200 can act; every Beta(a >= 1, b)
    gets there. Measured with `--harm-prior`, 200 rollouts each (median TTD, poll 2 s, lag 2 s):
        prior        10% errors  2% errors  10% @ 1 rps  false rollbacks (healthy 20 rps, blips, outage)
        Beta(1,1)       20 s       108 s       297 s        0.25% / 0% / 0.25%
        Beta(2,1)       18 s       105 s       273 s        0.25% / 0% / 0.25%
        Beta(1,.5)      18 s       105 s       267 s        0.25% / 0% / 0.25%
    Beta(2,1) (density rising towards "every bad event is the canary's") is the default.
  * SLO gate: 95% anytime-valid evidence for error rate < 1% and slow share < 5%. At 10% weight and
    <= 1 req/s the canary cannot show < 1% within the stage's 30 minutes (449 clean requests are
    needed), so those rollouts end INCONCLUSIVE and escalate, as the policy says, never a pass.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from canary_baselines import JUDGES, Outcome
from canary_sim import SCENARIOS, Stream, canary_failures_before, served, simulate

from apexops.canary import stats
from apexops.canary.config import JudgeConfig
from apexops.canary.evidence import accumulate, harm_share
from apexops.canary.judge import Decision, judge
from apexops.canary.observation import HarmState, Observation, RevisionSnapshot
from apexops.settings import load_settings

SETTINGS = {"sandbox": (2.0, 2.0), "prod": (30.0, 60.0)}  # name -> (poll interval s, ingestion lag s)
SCREEN_MARGIN = math.log(4.0)  # candidates: within x4 of any threshold (floating point is far closer)


def prod_config(harm_prior: tuple[float, float] | None = None, reserve: float | None = None) -> JudgeConfig:
    """The production policy as the judge reads it; the tuning knobs can be overridden to compare."""
    cfg = JudgeConfig.from_policy(load_settings("prod").canary)
    if harm_prior is not None:
        cfg = replace(cfg, harm_prior=stats.BetaPrior(*harm_prior))
    if reserve is not None:
        cfg = replace(cfg, restart_reserve=reserve)
    return cfg


def horizon(cfg: JudgeConfig) -> float:
    return sum(cfg.stages[i].max_duration_s for i in cfg.comparative_stages) + 60.0


def _observation(
    i: int,
    stage_index: int,
    elapsed: float,
    weight: int,
    counts: tuple[np.ndarray, ...],
    state: HarmState | None,
) -> Observation:
    nc, ec, sc, nb, eb, sb = (int(c[i]) for c in counts)
    return Observation(
        stage_index=stage_index,
        elapsed_s=elapsed,
        canary=RevisionSnapshot("canary", weight, nc, ec, sc),
        baseline=RevisionSnapshot("baseline", 100 - weight, nb, eb, sb),
        state=state,
    )


def _state_before(
    i: int, start: HarmState, paths: dict[str, np.ndarray], log_w: np.ndarray, counts: tuple[np.ndarray, ...]
) -> HarmState:
    """The HarmState the judge holds after poll i-1 when called at every poll, from the vectorised path."""
    if i == 0:
        return start
    log_lr = {name: tuple(float(x) for x in path[i - 1]) for name, path in paths.items()}
    log_bf = {name: float(stats.mixture_log_evalue(path[i - 1], log_w)) for name, path in paths.items()}
    now = tuple(int(c[i - 1]) for c in counts)
    return HarmState(start.stage_index, start.log_wealth, log_lr, log_bf, now)  # type: ignore[arg-type]


def run_apexops(
    stream: Stream, cfg: JudgeConfig, poll: float, lag: float, *, every_poll: bool = False
) -> tuple[Outcome, int]:
    """Drive the library judge through the comparative stages; returns the outcome and judge calls made."""
    t0, schedule, state, calls = 0.0, [], None, 0
    weights = stats.restart_weights(len(cfg.comparative_stages), cfg.restart_reserve)
    alpha = cfg.harm_alpha()
    needed = stats.requests_needed(cfg.max_error_rate, cfg.promote_confidence, prior=cfg.slo_prior)
    slo_target = math.log(1 / (1 - cfg.promote_confidence)) - SCREEN_MARGIN
    for j, stage_index in enumerate(cfg.comparative_stages):
        stage = cfg.stages[stage_index]
        schedule.append((t0, stage.weight))
        can, base = (served(stream, schedule, c, lag) for c in (True, False))
        elapsed = poll * np.arange(1, math.ceil(stage.max_duration_s / poll) + 1)
        counts = (*can.counts_at(t0 + elapsed), *base.counts_at(t0 + elapsed))
        nc, ec, sc = counts[:3]
        # the stage's starting state, exactly as the judge makes it (previous stage's wealth carried)
        start = accumulate(
            _observation(0, stage_index, 0.0, stage.weight, tuple(np.zeros(1, int) for _ in counts), state),
            cfg,
        )
        log_psi, log_w = stats.harm_grid(stage.weight / 100.0, prior=cfg.harm_prior)
        d = [np.diff(c, prepend=0) for c in counts]
        share = harm_share(
            stage.weight / 100.0, np.concatenate([[0], counts[0][:-1]]), np.concatenate([[0], counts[3][:-1]])
        )
        paths = {
            "harm_errors": np.cumsum(stats.harm_log_lr(log_psi, d[1], d[4], share), axis=0),
            "harm_latency": np.cumsum(stats.harm_log_lr(log_psi, d[2], d[5], share), axis=0),
        }
        if every_poll:
            candidates = np.arange(len(elapsed))
        else:
            harm = np.zeros(len(elapsed), dtype=bool)
            for name, path in paths.items():
                limit = stats.stage_log_threshold(alpha[name], start.log_wealth[name], sum(weights[j + 1 :]))
                harm |= stats.mixture_log_evalue(path, log_w) >= limit - SCREEN_MARGIN
            meet = (
                stats.slo_meet_log_evalue(ec, nc, cfg.max_error_rate, prior=cfg.slo_prior) >= slo_target
            ) & (stats.slo_meet_log_evalue(sc, nc, cfg.max_slow_share, prior=cfg.slo_prior) >= slo_target)
            promote = (elapsed >= stage.min_duration_s) & (nc >= needed) & meet
            candidates = np.nonzero(harm | promote | (elapsed >= stage.max_duration_s))[0]
        previous = start
        for i in candidates:
            calls += 1
            if not every_poll:
                previous = _state_before(int(i), start, paths, log_w, counts)
            decision = judge(
                _observation(i, stage_index, float(elapsed[i]), stage.weight, counts, previous), cfg
            )
            previous = decision.state
            if decision.verdict is Decision.HOLD:
                continue
            at = t0 + float(elapsed[i])
            if decision.verdict is Decision.ROLLBACK:
                return Outcome("rollback", at, tuple(schedule)), calls
            if decision.verdict is Decision.INCONCLUSIVE:
                return Outcome("inconclusive", at, tuple(schedule)), calls
            state, t0 = decision.state, at
            break
    return Outcome("promote", t0, tuple(schedule)), calls


@dataclass
class Tally:
    kinds: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def add(self, outcome: Outcome, failed: int) -> None:
        self.kinds.append(outcome.kind)
        self.times.append(outcome.at)
        self.failed.append(failed)

    def share(self, kind: str) -> float:
        return self.kinds.count(kind) / len(self.kinds)

    def stat(self, kind: str, q: float, values: list[float] | list[int]) -> float:
        picked = [v for k, v in zip(self.kinds, values, strict=True) if k == kind]
        return float(np.percentile(picked, q)) if picked else math.nan


def _fmt_t(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.0f} s"


def _fmt(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.0f}"


def run(
    runs: int,
    healthy_runs: int,
    seed: int,
    verify: int,
    *,
    scenario_filter: str = "",
    judge_filter: str = "",
    cfg: JudgeConfig | None = None,
) -> tuple[dict[tuple[str, str], Tally], int]:
    """Every scenario x judge; returns the tallies and how many --verify re-runs disagreed."""
    cfg = cfg or prod_config()
    h = horizon(cfg)
    judges = {
        **{name: fn for name, fn in JUDGES.items()},
        **{f"apexops (poll {p:.0f} s, lag {lag:.0f} s)": (p, lag) for p, lag in SETTINGS.values()},
    }
    judges = {name: how for name, how in judges.items() if judge_filter in name}
    results: dict[tuple[str, str], Tally] = {}
    mismatches = 0
    for si, scenario in enumerate(SCENARIOS):
        if scenario_filter not in scenario.name:
            continue
        n = runs if scenario.bad else healthy_runs
        rng = np.random.default_rng([seed, si])
        for r in range(n):
            stream = simulate(scenario, rng, h)
            for name, how in judges.items():
                if isinstance(how, tuple):
                    outcome, _ = run_apexops(stream, cfg, *how)
                    if r < verify:
                        full, _ = run_apexops(stream, cfg, *how, every_poll=True)
                        mismatches += full != outcome
                else:
                    outcome = how(stream, SETTINGS["sandbox"][1])
                failed = canary_failures_before(stream, list(outcome.schedule), outcome.at)
                results.setdefault((scenario.name, name), Tally()).add(outcome, failed)
    return results, mismatches


def table(results: dict[tuple[str, str], Tally]) -> str:
    head = (
        f"{'scenario':<26} {'judge':<29} {'n':>4} {'rollback':>8} {'promoted':>8} {'inconcl':>7} "
        f"{'TTD med':>8} {'TTD p90':>8} {'failed med':>10} {'failed p90':>10} {'promote med':>11}"
    )
    lines = [head, "-" * len(head)]
    previous = None
    for (scenario, name), t in results.items():
        if previous and previous != scenario:
            lines.append("")
        previous = scenario
        lines.append(
            f"{scenario if name.startswith('runbook (end') else '':<26} {name:<29} {len(t.kinds):>4} "
            f"{t.share('rollback'):>8.1%} {t.share('promote'):>8.1%} {t.share('inconclusive'):>7.1%} "
            f"{_fmt_t(t.stat('rollback', 50, t.times)):>8} {_fmt_t(t.stat('rollback', 90, t.times)):>8} "
            f"{_fmt(float(np.median(t.failed))):>10} {_fmt(float(np.percentile(t.failed, 90))):>10} "
            f"{_fmt_t(t.stat('promote', 50, t.times)):>11}"
        )
    return "\n".join(lines)


def targets(results: dict[tuple[str, str], Tally]) -> str:
    poll, lag = SETTINGS["sandbox"]
    me = f"apexops (poll {poll:.0f} s, lag {lag:.0f} s)"

    def get(s: str) -> Tally:
        return results[(s, me)]

    ten, two, slow = get("10% errors 20 rps"), get("2% errors 20 rps"), get("P95 regression 20 rps")
    healthy = [s.name for s in SCENARIOS if not s.bad]
    fr = {s: get(s).share("rollback") for s in healthy}
    rows = [
        ("10%-error canary: median TTD <= 20 s", ten.stat("rollback", 50, ten.times), 20.0, "s"),
        ("10%-error canary: median failed requests <= 5", float(np.median(ten.failed)), 5.0, ""),
        ("2%-error canary: median TTD <= 120 s", two.stat("rollback", 50, two.times), 120.0, "s"),
        ("2%-error canary: promoted = 0%", 100 * two.share("promote"), 0.0, "%"),
        ("P95 regression: median TTD <= 20 s", slow.stat("rollback", 50, slow.times), 20.0, "s"),
        ("healthy (all healthy scenarios): worst false rollbacks <= 1%", 100 * max(fr.values()), 1.0, "%"),
        ("healthy 0.1 rps: rollbacks for lack of data = 0", 100 * fr["healthy 0.1 rps"], 0.0, "%"),
    ]
    out = [f"issue 7 targets, {me}, 20 rps, 10% weight unless stated:"]
    for label, value, limit, unit in rows:
        ok = not math.isnan(value) and value <= limit
        out.append(f"  {'PASS' if ok else 'FAIL'}  {label:<62} measured {value:.1f}{unit}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rollouts: a smoke run of the harness")
    parser.add_argument("--runs", type=int, default=None, help="rollouts per bad-canary scenario")
    parser.add_argument("--healthy-runs", type=int, default=None, help="rollouts per healthy scenario")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--verify",
        type=int,
        default=0,
        metavar="N",
        help="re-run N rollouts per scenario with the judge called at every poll",
    )
    parser.add_argument("--scenario", default="", help="only scenarios whose name contains this")
    parser.add_argument("--judge", default="", help="only judges whose name contains this")
    parser.add_argument(
        "--harm-prior",
        default=None,
        metavar="A,B",
        help="tuning: the harm mixture's Beta(a, b) (default 1,1)",
    )
    parser.add_argument("--reserve", type=float, default=None, help="tuning: restart reserve (default 0.05)")
    args = parser.parse_args(argv)
    runs = args.runs or (20 if args.quick else 200)
    healthy_runs = args.healthy_runs or (20 if args.quick else 400)
    started = time.perf_counter()
    prior = tuple(float(x) for x in args.harm_prior.split(",")) if args.harm_prior else None
    cfg = prod_config(prior, args.reserve)  # type: ignore[arg-type]
    results, mismatches = run(
        runs,
        healthy_runs,
        args.seed,
        args.verify,
        scenario_filter=args.scenario,
        judge_filter=args.judge,
        cfg=cfg,
    )
    if args.verify:
        print(
            f"verify: fast path vs the judge called at every poll, {args.verify} rollouts per scenario and "
            f"setting: {mismatches} mismatches"
        )
    print(
        f"canary judges: {runs} rollouts per bad scenario, {healthy_runs} per healthy one, "
        f"seed {args.seed}; stages 10% then 50% (prod policy); "
        f"baselines see lag {SETTINGS['sandbox'][1]:.0f} s"
    )
    print(
        "TTD = time from the traffic shift to the rollback decision; failed = canary 5xx served before the "
        "decision; promote = time to 100%\n"
    )
    print(table(results))
    if not (args.scenario or args.judge):
        print()
        print(targets(results))
        if args.quick:
            print("  (--quick: too few rollouts for the targets to be more than indicative)")
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
