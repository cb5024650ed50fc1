"""Fold one poll into the sequential harm tests: the e-process state the judge carries from poll to poll.

Per harm check (5xx; slow requests) and per comparative stage, the evidence is a mixture over odds ratios
of products of per-interval likelihood ratios (`stats.harm_log_lr`), each interval judged with the
canary's share as known before it (`harm_share`). Across stages, the rollout's e-value is

    E = wealth_s * BF_s(t) + (weights of the restarts of later stages)

where wealth_1 is the first restart weight and wealth_{s+1} = wealth_s * BF_s(end) + w_{s+1}. Every
term is a test supermartingale, so Ville's inequality bounds the false-rollback probability of the whole
rollout by the check's alpha, whenever and however often it is polled.

Partial telemetry is never folded in (the counts may still grow for those intervals): the state stays
where it was and the next complete poll catches up. Counts that went backwards (telemetry revised) fold
in as zero.

With strata (issue 12) there is one such e-process per (harm check, stratum), each with its share of the
check's alpha (`JudgeConfig.strata_alpha`). Within a stratum the log likelihood ratios of every (route)
cell and poll interval are summed per grid point, under ONE common odds ratio psi (the alternative "the
canary is psi times likelier to fail, on every route"). Each cell's increment is judged with its own null
share: the canary's share of THAT increment's requests in that cell. Given which requests are in the
increment and which of them the canary served, a canary that is no worse makes its count of bad events
hypergeometric, which is dominated in convex order by the binomial the ratio assumes (Hoeffding 1963), so
the ratio's expectation stays <= 1 whatever the routing: a canary that receives more of a slow endpoint
is not harm, harm on any route still is. The state keeps, per cell, the largest cumulative counts folded
in so far, so data arriving late for past times is folded in once, when it arrives.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from apexops.canary import stats
from apexops.canary.config import HARM_CHECKS, JudgeConfig, strata_key
from apexops.canary.observation import CellCounts, HarmState, Observation, StratumSnapshot
from apexops.canary.stats import ArrayLike

__all__ = [
    "HarmEvidence",
    "accumulate",
    "cell_log_lr",
    "harm_evidence",
    "harm_share",
    "reference_share",
    "stratum_checks",
]

#: which counts of Observation.counts() each harm check uses: (canary bad, baseline bad)
_INDEX = {"harm_errors": (1, 4), "harm_latency": (2, 5)}


@dataclass(frozen=True)
class HarmEvidence:
    """One harm check's standing at this poll, as numbers."""

    e_value: float
    threshold: float
    alpha: float
    stage_log_bf: float
    log_wealth: float


def _start_stage(
    previous: HarmState | None,
    stage_index: int,
    cfg: JudgeConfig,
    grid_size: int,
    names: tuple[str, ...] = HARM_CHECKS,
) -> HarmState:
    comparative = cfg.comparative_stages
    j = comparative.index(stage_index)
    weights = stats.restart_weights(len(comparative), cfg.restart_reserve)
    wealth = {}
    for name in names:
        wealth[name] = math.log(weights[j])
        # carry what the previous comparative stage earned, if that is where the state comes from
        if (
            previous is not None
            and j > 0
            and previous.stage_index == comparative[j - 1]
            and name in previous.log_wealth
        ):
            wealth[name] = stats.log_wealth_after_stage(
                previous.log_wealth[name], previous.log_bf[name], weights[j]
            )
    zeros = (0.0,) * grid_size
    return HarmState(stage_index, wealth, dict.fromkeys(names, zeros), dict.fromkeys(names, 0.0))


def harm_share(weight: float, canary_requests: ArrayLike, baseline_requests: ArrayLike) -> ArrayLike:
    """The canary share the next interval is judged with: max(configured weight, observed share so far).

    Routing is random at the configured weight, so the weight is the exact H0 share; the observed share
    (up to the previous poll, so it is fixed before the interval's events are seen) takes over when the
    ingress sends the canary more than its weight, which would otherwise look like harm.
    """
    nc = np.asarray(canary_requests, dtype=float)
    n = nc + np.asarray(baseline_requests, dtype=float)
    observed = np.divide(nc, n, out=np.zeros_like(n), where=n > 0)
    out = np.maximum(weight, observed)
    return float(out) if out.ndim == 0 else out


def reference_share(stratum: str, weight: float) -> float:
    """The canary share a stratum's harm mixture is laid out for (only the prior's shape depends on it):
    probes go to both revisions at the same rate (1/2); users and platform follow the traffic weight."""
    return 0.5 if stratum == "probes" else weight


def stratum_checks(cfg: JudgeConfig, stratum: str) -> tuple[tuple[str, str], ...]:
    """(harm check, state key) pairs the configuration runs on one stratum."""
    alphas = cfg.strata_alpha()
    return tuple(
        (check, strata_key(check, stratum)) for check in HARM_CHECKS if strata_key(check, stratum) in alphas
    )


def cell_log_lr(
    log_psi: np.ndarray,
    canary_requests: ArrayLike,
    canary_bad: ArrayLike,
    baseline_requests: ArrayLike,
    baseline_bad: ArrayLike,
) -> np.ndarray:
    """Log likelihood ratio per grid point of one cell's increment (or of many, as arrays).

    The null share is the canary's share of the increment's own requests; bad events beyond a side's
    requests (inconsistent counts) are not counted, so an increment never claims more than it holds.
    """
    nc = np.asarray(canary_requests, dtype=float)
    nb = np.asarray(baseline_requests, dtype=float)
    n = nc + nb
    share = np.divide(nc, n, out=np.zeros_like(n), where=n > 0)
    kc = np.minimum(np.asarray(canary_bad, dtype=float), nc)
    kb = np.minimum(np.asarray(baseline_bad, dtype=float), nb)
    return stats.harm_log_lr(log_psi, kc, kb, share)


def _fold_stratum(
    snap: StratumSnapshot,
    cfg: JudgeConfig,
    weight: float,
    previous: Mapping[str, CellCounts],
    log_lr: dict[str, np.ndarray],
) -> dict[str, CellCounts]:
    """Add one stratum's increments to `log_lr` (per state key); returns its cells' new high-water marks."""
    log_psi, _ = stats.harm_grid(reference_share(snap.stratum, weight), prior=cfg.harm_prior)
    cells = dict(previous)
    checks = stratum_checks(cfg, snap.stratum)
    for route, (c, b) in snap.routes.items():
        now = (c.requests, c.errors_5xx, c.slow or 0, b.requests, b.errors_5xx, b.slow or 0)
        before = cells.get(route, (0, 0, 0, 0, 0, 0))
        high = tuple(max(x, y) for x, y in zip(now, before, strict=True))
        d = [h - x for h, x in zip(high, before, strict=True)]
        cells[route] = high  # type: ignore[assignment]
        for check, key in checks:
            if check == "harm_latency" and (c.slow is None or b.slow is None):
                continue
            ci, bi = _INDEX[check]
            log_lr[key] = log_lr[key] + cell_log_lr(log_psi, d[0], d[ci], d[3], d[bi])
    return cells


def _accumulate_strata(obs: Observation, cfg: JudgeConfig) -> HarmState:
    weight = cfg.stages[obs.stage_index].weight / 100.0
    keys = tuple(cfg.strata_alpha())
    grid = len(stats.harm_grid(weight, prior=cfg.harm_prior)[0])
    state = obs.state
    if state is None or state.stage_index != obs.stage_index or set(state.log_lr) != set(keys):
        fresh = state if state is not None and state.stage_index != obs.stage_index else None
        state = _start_stage(fresh, obs.stage_index, cfg, grid, keys)
    log_lr = {k: np.asarray(v, dtype=float) for k, v in state.log_lr.items()}
    cells = {s: dict(c) for s, c in state.cells.items()}
    for snap in obs.strata:
        if snap.stratum in cfg.enabled_strata and snap.usable:
            cells[snap.stratum] = _fold_stratum(snap, cfg, weight, cells.get(snap.stratum, {}), log_lr)
    log_w = stats.harm_grid(weight, prior=cfg.harm_prior)[1]
    return HarmState(
        obs.stage_index,
        state.log_wealth,
        {k: tuple(float(x) for x in v) for k, v in log_lr.items()},
        {k: float(stats.mixture_log_evalue(v, log_w)) for k, v in log_lr.items()},
        cells=cells,
    )


def accumulate(obs: Observation, cfg: JudgeConfig) -> HarmState | None:
    """The harm tests' state after this poll; None at stages without a concurrent baseline (100%)."""
    if obs.stage_index not in cfg.comparative_stages:
        return obs.state
    if obs.strata:
        return _accumulate_strata(obs, cfg)
    weight = cfg.stages[obs.stage_index].weight / 100.0
    log_psi, log_w = stats.harm_grid(weight, prior=cfg.harm_prior)
    state = obs.state
    if state is None or state.stage_index != obs.stage_index:
        state = _start_stage(state, obs.stage_index, cfg, len(log_psi))
    if obs.partial:
        return state
    now = obs.counts()
    delta = [max(0, a - b) for a, b in zip(now, state.counts, strict=True)]
    share = harm_share(weight, state.counts[0], state.counts[3])
    log_lr, log_bf = {}, {}
    for name in HARM_CHECKS:
        ci, bi = _INDEX[name]
        step = stats.harm_log_lr(log_psi, delta[ci], delta[bi], share)
        acc = np.asarray(state.log_lr[name]) + step
        log_lr[name] = tuple(float(x) for x in acc)
        log_bf[name] = float(stats.mixture_log_evalue(acc, log_w))
    return HarmState(obs.stage_index, state.log_wealth, log_lr, log_bf, now)


def harm_evidence(state: HarmState, cfg: JudgeConfig) -> Mapping[str, HarmEvidence]:
    """The rollout e-value of each harm check from a state, against its threshold 1/alpha."""
    comparative = cfg.comparative_stages
    j = comparative.index(state.stage_index)
    weights = stats.restart_weights(len(comparative), cfg.restart_reserve)
    reserve_after = sum(weights[j + 1 :])  # later stages' restarts count at 1 until their stage begins
    out = {}
    alphas = {**cfg.harm_alpha(), **cfg.strata_alpha()}
    for name, alpha in ((k, a) for k, a in alphas.items() if k in state.log_wealth):
        log_e = state.log_wealth[name] + state.log_bf[name]
        out[name] = HarmEvidence(
            e_value=math.exp(min(log_e, 700.0)) + reserve_after,
            threshold=1.0 / alpha,
            alpha=alpha,
            stage_log_bf=state.log_bf[name],
            log_wealth=state.log_wealth[name],
        )
    return out
