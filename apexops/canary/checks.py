"""Evaluate: one Observation -> one CheckResult per check, each a status with a reason quoting numbers.

    canary_guard, baseline_guard   revision states and replica restarts (hard guards)
    data                           telemetry complete, enough requests to ever pass the SLO gate
    duration                       the stage's minimum duration
    harm_errors, harm_latency      anytime-valid canary-vs-baseline tests (fast rollback)
    slo_errors, slo_latency        anytime-valid evidence the canary meets the absolute SLOs (promotion)
    slo_availability               reported (WARN), not gating: see `_availability`

Pure functions of the observation, the policy and the harm tests' state; `apexops.canary.judge` turns
them into a verdict.

With strata (issue 12), harm_errors and harm_latency each judge every enabled stratum on its own (FAIL
when any stratum's e-value reaches its 1/alpha AND that stratum's canary has at least
`min_canary_requests` requests: never a rollback for lack of data), and data / SLO / availability judge
the canary's counts pooled over probes + one users' source (`JudgeConfig.slo_pool`: errors from the
platform's counters, latency from Application Insights). A stratum absent from the
observation or with nothing complete yet contributes nothing; a partial pooled stratum blocks promotion
as partial telemetry always did.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from apexops.canary import stats
from apexops.canary.config import JudgeConfig, strata_key
from apexops.canary.evidence import HarmEvidence, harm_evidence
from apexops.canary.observation import HarmState, Observation, RevisionSnapshot, StratumSnapshot
from apexops.settings import CanaryStage
from apexops.status import Status

__all__ = ["CheckResult", "evaluate", "pooled"]

_BAD_STATES = {
    "provisioning_state": {"Failed"},
    "health_state": {"Unhealthy"},
    "running_state": {"Failed", "Degraded", "Stopped"},
}


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    #: one line quoting the numbers and the threshold
    reason: str
    values: Mapping[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------- formatting


def _pct(x: float) -> str:
    """A percentage with two significant digits, without trailing zeros: 1%, 0.58%, 0.085%, 99.9%."""
    if x <= 0:
        return "0%"
    digits = max(0, min(4, 1 - math.floor(math.log10(x * 100))))
    text = f"{x * 100:.{digits}f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "inf" if x > 0 else "0"
    if x >= 1e5 or (0 < x < 0.01):
        return f"{x:.1e}"
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def _exp(log_value: float) -> float:
    """e-values as numbers without overflow: beyond e^700 the exact size no longer matters."""
    return math.exp(min(log_value, 700.0))


def _rate(bad: int, n: int) -> str:
    return f"{bad}/{n}" + (f" ({_pct(bad / n)})" if n else "")


# ----------------------------------------------------------------------------------- evaluate


def _guard(rev: RevisionSnapshot, name: str, max_restarts: int | None) -> CheckResult:
    problems = [
        f"{attr.split('_')[0]} state {getattr(rev, attr)}"
        for attr, bad in _BAD_STATES.items()
        if getattr(rev, attr) in bad
    ]
    if not rev.active:
        problems.append("not active")
    if max_restarts is not None and rev.restarts > max_restarts:
        problems.append(f"{rev.restarts} replica restarts > limit {max_restarts}")
    values = {
        "revision": rev.name,
        "health_state": rev.health_state,
        "running_state": rev.running_state,
        "provisioning_state": rev.provisioning_state,
        "restarts": rev.restarts,
    }
    if problems:
        role = name.split("_")[0]
        return CheckResult(name, Status.FAIL, f"{role} {rev.name}: " + ", ".join(problems), values)
    unknown = rev.health_state in {"Unknown"} or rev.running_state in {"Unknown"}
    status = Status.WARN if unknown else Status.PASS
    return CheckResult(
        name, status, f"{rev.name}: {rev.health_state}, {rev.running_state}, {rev.restarts} restarts", values
    )


def _data(obs: Observation, cfg: JudgeConfig, comparative: bool) -> CheckResult:
    c, b = obs.canary, obs.baseline
    needed = stats.requests_needed(cfg.max_error_rate, cfg.promote_confidence, prior=cfg.slo_prior)
    values = {"canary_requests": c.requests, "baseline_requests": b.requests, "requests_needed": needed}
    if obs.partial:
        which = ", ".join(r.name for r in (c, b) if r.partial)
        return CheckResult(
            "data", Status.FAIL, f"telemetry partial for {which}: not counted as complete", values
        )
    for role, rev in (("canary", c), ("baseline", b)):
        if rev.requests == 0 and (role == "canary" or comparative):
            return CheckResult(
                "data", Status.INCONCLUSIVE, f"no {role} requests yet (weight {rev.weight}%)", values
            )
    if c.requests < needed:
        return CheckResult(
            "data",
            Status.INCONCLUSIVE,
            f"too little data: {c.requests} canary requests, at least {needed} needed to show "
            f"error rate < {_pct(cfg.max_error_rate)} at {cfg.promote_confidence:.0%}",
            values,
        )
    return CheckResult("data", Status.PASS, f"{c.requests} canary and {b.requests} baseline requests", values)


def _duration(obs: Observation, stage: CanaryStage) -> CheckResult:
    values = {
        "elapsed_s": obs.elapsed_s,
        "min_duration_s": stage.min_duration_s,
        "max_duration_s": stage.max_duration_s,
    }
    if obs.elapsed_s >= stage.min_duration_s:
        return CheckResult(
            "duration", Status.PASS, f"{obs.elapsed_s:.0f} s >= min {stage.min_duration_s:.0f} s", values
        )
    return CheckResult(
        "duration", Status.INCONCLUSIVE, f"{obs.elapsed_s:.0f} s of min {stage.min_duration_s:.0f} s", values
    )


def _harm(obs: Observation, cfg: JudgeConfig, name: str, state: HarmState | None) -> CheckResult:
    label, attr = (
        ("5xx", "errors_5xx") if name == "harm_errors" else (f"slow >= {cfg.latency_ms:.0f} ms", "slow")
    )
    if obs.stage_index not in cfg.comparative_stages or state is None:
        return CheckResult(
            name,
            Status.SKIPPED,
            f"no concurrent baseline at {obs.canary.weight}%: guards and SLO gate only",
            {},
        )
    ev = harm_evidence(state, cfg)[name]
    k, m = getattr(obs.canary, attr), getattr(obs.baseline, attr)
    values = {
        "canary_bad": k,
        "canary_requests": obs.canary.requests,
        "baseline_bad": m,
        "baseline_requests": obs.baseline.requests,
        "canary_share": obs.canary_share,
        "e_value": ev.e_value,
        "threshold": ev.threshold,
        "alpha": ev.alpha,
        "stage_log_bf": ev.stage_log_bf,
        "log_wealth": ev.log_wealth,
    }
    counts = f"canary {label} {_rate(k, obs.canary.requests)} vs baseline {_rate(m, obs.baseline.requests)}"
    versus = f"e-value {_num(ev.e_value)} {{}} 1/α = {_num(ev.threshold)}"
    if obs.partial:
        return CheckResult(
            name,
            Status.INCONCLUSIVE,
            f"{counts}; {versus.format('so far')} (telemetry partial: this poll not counted)",
            values,
        )
    if obs.canary.requests == 0 or obs.baseline.requests == 0:
        return CheckResult(name, Status.INCONCLUSIVE, f"{counts}: nothing to compare yet", values)
    if ev.e_value >= ev.threshold:
        return CheckResult(name, Status.FAIL, f"{counts}; {versus.format('>=')}", values)
    return CheckResult(name, Status.PASS, f"{counts}; {versus.format('<')}", values)


def _shared(obs: Observation, attr: str, limit: float, target: float) -> str:
    """A note when the baseline breaches the same limit: the cause is shared, not the canary's."""
    b = obs.baseline
    bad = getattr(b, attr)
    if b.requests and b.weight > 0 and stats.slo_breach_log_evalue(bad, b.requests, limit) >= target:
        return f"; baseline breaches too ({_rate(bad, b.requests)}): a shared cause, not the canary's"
    return ""


def _slo(obs: Observation, cfg: JudgeConfig, name: str) -> CheckResult:
    conf = cfg.promote_confidence
    target = math.log(1.0 / (1.0 - conf))
    if name == "slo_latency":
        what, attr, limit = f"slow share (>= {cfg.latency_ms:.0f} ms)", "slow", cfg.max_slow_share
    else:
        what, attr, limit = "error rate", "errors_5xx", cfg.max_error_rate
    k, n = getattr(obs.canary, attr), obs.canary.requests
    values: dict[str, Any] = {"bad": k, "requests": n, "limit": limit, "confidence": conf}
    if n == 0:
        return CheckResult(name, Status.INCONCLUSIVE, f"no canary requests yet for the {what}", values)
    breach = float(stats.slo_breach_log_evalue(k, n, limit, prior=cfg.slo_prior))
    meet = float(stats.slo_meet_log_evalue(k, n, limit, prior=cfg.slo_prior))
    upper = stats.slo_upper_bound(k, n, conf, prior=cfg.slo_prior)
    values.update(breach_e=_exp(breach), meet_e=_exp(meet), upper=upper)
    if breach >= target:
        return CheckResult(
            name,
            Status.FAIL,
            f"canary {what} {_rate(k, n)} is above {_pct(limit)} "
            f"(breach e-value {_num(_exp(breach))} >= {_num(1 / (1 - conf))})"
            f"{_shared(obs, attr, limit, target)}",
            values,
        )
    if meet >= target:
        if obs.partial:
            return CheckResult(
                name,
                Status.INCONCLUSIVE,
                f"canary {what} <= {_pct(upper)} but telemetry is partial: not counted",
                values,
            )
        return CheckResult(
            name,
            Status.PASS,
            f"canary {what} <= {_pct(upper)} ({conf:.0%} anytime bound; {k}/{n}) < {_pct(limit)}",
            values,
        )
    return CheckResult(
        name,
        Status.INCONCLUSIVE,
        f"canary {what} bound {_pct(upper)} ({k}/{n}) not yet below {_pct(limit)}",
        values,
    )


def _availability(obs: Observation, cfg: JudgeConfig) -> CheckResult:
    """Reported, not gating: a per-canary 99.9% needs >= 3000 clean requests to show, and a baseline that
    runs at its SLO would block every release. The canary's share of unavailability is gated by the
    harm detector (no worse than the baseline) and the error-rate SLO; this check warns when there is
    evidence the canary's own availability is below the SLO."""
    conf = cfg.promote_confidence
    target = math.log(1.0 / (1.0 - conf))
    limit = 1.0 - cfg.min_availability
    k, n = obs.canary.errors_5xx, obs.canary.requests
    values: dict[str, Any] = {"bad": k, "requests": n, "limit": limit, "confidence": conf}
    slo = f"{cfg.min_availability * 100:g}%"
    if n == 0:
        return CheckResult("slo_availability", Status.INCONCLUSIVE, "no canary requests yet", values)
    breach = float(stats.slo_breach_log_evalue(k, n, limit, prior=cfg.slo_prior))
    values["breach_e"] = _exp(breach)
    if breach >= target:
        return CheckResult(
            "slo_availability",
            Status.WARN,
            f"canary availability {100 * (1 - k / n):.2f}% "
            f"({k} 5xx of {n}) below {slo} (breach e-value {_num(_exp(breach))} >= "
            f"{_num(1 / (1 - conf))}){_shared(obs, 'errors_5xx', limit, target)}",
            values,
        )
    return CheckResult(
        "slo_availability",
        Status.PASS,
        f"no evidence of availability < {slo}: canary 5xx {_rate(k, n)}",
        values,
    )


# ----------------------------------------------------------------------------------- strata


def pooled(obs: Observation, cfg: JudgeConfig, metric: str) -> Observation:
    """The observation with the canary's and baseline's counts pooled over the SLO pool's strata.

    Strata that are absent or have nothing complete contribute nothing; a partial one marks the pooled
    counts partial (so they never promote). For "latency", strata without latency are left out.
    """
    sums = [0, 0, 0, 0, 0, 0]
    partial = False
    for name in cfg.slo_pool(metric):
        snap = obs.stratum(name)
        if snap is None or snap.complete_until is None:
            continue
        if metric == "latency" and not snap.has_latency:
            continue
        partial = partial or snap.partial
        c, b = snap.totals()
        for i, x in enumerate((c.requests, c.errors_5xx, c.slow or 0, b.requests, b.errors_5xx, b.slow or 0)):
            sums[i] += x
    return replace(
        obs,
        canary=replace(obs.canary, requests=sums[0], errors_5xx=sums[1], slow=sums[2], partial=partial),
        baseline=replace(obs.baseline, requests=sums[3], errors_5xx=sums[4], slow=sums[5], partial=partial),
        strata=(),
    )


def _stratum_harm(
    snap: StratumSnapshot | None, cfg: JudgeConfig, name: str, label: str, ev: HarmEvidence, stratum: str
) -> tuple[Status, str, dict[str, Any]]:
    values: dict[str, Any] = {"e_value": ev.e_value, "threshold": ev.threshold, "alpha": ev.alpha}
    versus = f"e-value {_num(ev.e_value)} {{}} 1/α = {_num(ev.threshold)}"
    if snap is None or snap.complete_until is None:
        return Status.INCONCLUSIVE, f"{stratum}: no complete data yet", values
    c, b = snap.totals()
    k, m = (c.errors_5xx, b.errors_5xx) if name == "harm_errors" else (c.slow, b.slow)
    values.update(canary_bad=k, canary_requests=c.requests, baseline_bad=m, baseline_requests=b.requests)
    if k is None or m is None:
        return Status.INCONCLUSIVE, f"{stratum}: no latency in this source", values
    counts = f"{stratum}: canary {label} {_rate(k, c.requests)} vs baseline {_rate(m, b.requests)}"
    if snap.partial:
        return Status.INCONCLUSIVE, f"{counts}; {versus.format('so far')} (partial: not counted)", values
    if c.requests == 0 or b.requests == 0:
        return Status.INCONCLUSIVE, f"{counts}: nothing to compare yet", values
    if ev.e_value < ev.threshold:
        return Status.PASS, f"{counts}; {versus.format('<')}", values
    if c.requests < cfg.min_canary_requests:
        return (
            Status.INCONCLUSIVE,
            f"{counts}; {versus.format('>=')} but only {c.requests} canary requests "
            f"< {cfg.min_canary_requests}: never a rollback for lack of data",
            values,
        )
    return Status.FAIL, f"{counts}; {versus.format('>=')}", values


def _harm_strata(obs: Observation, cfg: JudgeConfig, name: str, state: HarmState | None) -> CheckResult:
    """One harm check over every enabled stratum: FAIL when any stratum fails (see the module docstring)."""
    label = "5xx" if name == "harm_errors" else f"slow >= {cfg.latency_ms:.0f} ms"
    if obs.stage_index not in cfg.comparative_stages or state is None:
        return CheckResult(
            name,
            Status.SKIPPED,
            f"no concurrent baseline at {obs.canary.weight}%: guards and SLO gate only",
            {},
        )
    evidence = harm_evidence(state, cfg)
    results: dict[str, tuple[Status, str, dict[str, Any]]] = {}
    for stratum in cfg.enabled_strata:
        key = strata_key(name, stratum)
        if key in evidence:
            results[stratum] = _stratum_harm(obs.stratum(stratum), cfg, name, label, evidence[key], stratum)
    if not results:
        return CheckResult(name, Status.SKIPPED, "no stratum measures this", {})
    statuses = [r[0] for r in results.values()]
    status = (
        Status.FAIL
        if Status.FAIL in statuses
        else Status.PASS
        if Status.PASS in statuses
        else Status.INCONCLUSIVE
    )
    shown = [r[1] for r in results.values() if r[0] is Status.FAIL] or [r[1] for r in results.values()]
    closest = max(results, key=lambda s: results[s][2]["e_value"] / results[s][2]["threshold"])
    values: dict[str, Any] = {
        "e_value": results[closest][2]["e_value"],
        "threshold": results[closest][2]["threshold"],
        "stratum": closest,
        "strata": {s: {"status": r[0], **r[2]} for s, r in results.items()},
    }
    return CheckResult(name, status, "; ".join(shown), values)


def evaluate(obs: Observation, cfg: JudgeConfig, state: HarmState | None = None) -> tuple[CheckResult, ...]:
    """Every check on one observation, in a fixed order (the order tables show them in).

    `state` is `accumulate(obs, cfg)`: the harm tests with this poll folded in.
    """
    if not 0 <= obs.stage_index < len(cfg.stages):
        raise ValueError(f"stage_index {obs.stage_index} outside the policy's {len(cfg.stages)} stages")
    stage = cfg.stages[obs.stage_index]
    comparative = obs.stage_index in cfg.comparative_stages
    # with strata, the gate reads the SLO pools and the harm tests run per stratum; without, one users' view
    errors, latency = (pooled(obs, cfg, "errors"), pooled(obs, cfg, "latency")) if obs.strata else (obs, obs)
    harm = _harm_strata if obs.strata else _harm
    return (
        _guard(obs.canary, "canary_guard", cfg.max_replica_restarts),
        _guard(obs.baseline, "baseline_guard", None)
        if comparative
        else CheckResult("baseline_guard", Status.SKIPPED, "baseline serves no traffic at 100%", {}),
        _data(errors, cfg, comparative),
        _duration(obs, stage),
        harm(obs, cfg, "harm_errors", state),
        harm(obs, cfg, "harm_latency", state),
        _slo(errors, cfg, "slo_errors"),
        _slo(latency, cfg, "slo_latency"),
        _availability(errors, cfg),
    )
