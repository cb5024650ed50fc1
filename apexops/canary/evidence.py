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
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from apexops.canary import stats
from apexops.canary.config import HARM_CHECKS, JudgeConfig
from apexops.canary.observation import HarmState, Observation
from apexops.canary.stats import ArrayLike

__all__ = ["HarmEvidence", "accumulate", "harm_evidence", "harm_share"]

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


def _start_stage(previous: HarmState | None, stage_index: int, cfg: JudgeConfig, grid_size: int) -> HarmState:
    comparative = cfg.comparative_stages
    j = comparative.index(stage_index)
    weights = stats.restart_weights(len(comparative), cfg.restart_reserve)
    wealth = {}
    for name in HARM_CHECKS:
        wealth[name] = math.log(weights[j])
        # carry what the previous comparative stage earned, if that is where the state comes from
        if previous is not None and j > 0 and previous.stage_index == comparative[j - 1]:
            wealth[name] = stats.log_wealth_after_stage(
                previous.log_wealth[name], previous.log_bf[name], weights[j]
            )
    zeros = (0.0,) * grid_size
    return HarmState(stage_index, wealth, dict.fromkeys(HARM_CHECKS, zeros), dict.fromkeys(HARM_CHECKS, 0.0))


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


def accumulate(obs: Observation, cfg: JudgeConfig) -> HarmState | None:
    """The harm tests' state after this poll; None at stages without a concurrent baseline (100%)."""
    if obs.stage_index not in cfg.comparative_stages:
        return obs.state
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
    for name, alpha in cfg.harm_alpha().items():
        log_e = state.log_wealth[name] + state.log_bf[name]
        out[name] = HarmEvidence(
            e_value=math.exp(min(log_e, 700.0)) + reserve_after,
            threshold=1.0 / alpha,
            alpha=alpha,
            stage_log_bf=state.log_bf[name],
            log_wealth=state.log_wealth[name],
        )
    return out
