"""The runbook's three recovery options as explicit, gated, one-at-a-time actions with read-back.

    restart                 az containerapp restart (one revision restart per active revision)
    scale_to_zero_and_back  min/max replicas 0, wait, back to the previous bounds (the serving revisions)
    activate_last_good      activate <revision>, wait until it is healthy, traffic <revision>=100

`plan_recovery` is pure: it validates the choice against the current state (bad input is a ConfigError
naming the parameter, before anything changes) and returns what will change, the `az` equivalent and the
approval phrase bound to the action and the app. `apply_recovery` performs it (after the gate) and reads
back the result: new ready replicas for a restart, zero then the old bounds for the scale, the revision
healthy with 100% read back for the activation. Traffic is never moved to a revision that did not become
healthy: the activation stops before the traffic write and says so.

On Azure, scaling a revision in place has no port (in multiple-revision mode `az containerapp update
--min-replicas` creates a NEW revision that takes no traffic, so the runbook's option 2 does not touch the
serving revision); that option is NotSupported there and the hint gives the commands and the alternative.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apexops import azcli
from apexops.errors import ApexopsError, ConfigError, NotSupportedError, VerificationError
from apexops.models import AppUpdate, TrafficWeight

if TYPE_CHECKING:
    from apexops.models import AppState, Revision
    from apexops.ports import ContainerApp
    from apexops.settings import Settings

__all__ = ["RECOVERIES", "RecoveryPlan", "RecoveryResult", "apply_recovery", "plan_recovery"]

RECOVERIES = ("", "restart", "scale_to_zero_and_back", "activate_last_good")


@dataclass(frozen=True)
class RecoveryPlan:
    action: str
    app: str
    phrase: str
    changes: tuple[str, ...]
    az: str
    revisions: tuple[str, ...] = ()  # the revisions the action touches
    bounds: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # scale: previous (min, max)
    noop: str = ""  # non-empty: nothing to do, and why

    def rows(self) -> list[dict[str, Any]]:
        if self.noop:
            return [{"step": 1, "change": f"SKIPPED ({self.noop})"}]
        return [{"step": i, "change": c} for i, c in enumerate(self.changes, 1)]


@dataclass
class RecoveryResult:
    action: str
    ok: bool = False
    steps: list[dict[str, Any]] = field(default_factory=list)
    read_back: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    hint: str = ""

    def add(self, step: str, status: str, detail: str, seconds: float = 0.0) -> None:
        self.steps.append({"status": status, "step": step, "detail": detail, "seconds": round(seconds, 1)})

    def rows(self) -> list[dict[str, Any]]:
        return list(self.steps)


def _serving(app: AppState) -> list[str]:
    return [w.revision_name for w in app.traffic if w.weight > 0 and w.revision_name]


def plan_recovery(
    settings: Settings,
    action: str,
    *,
    app: AppState,
    revisions: Sequence[Revision],
    last_good_revision: str = "",
    candidates: Sequence[str] = (),
    scale_pause_s: float = 30.0,
) -> RecoveryPlan | None:
    """Validate the chosen recovery against the current state; None for '' (diagnose only)."""
    name = settings.app.name
    if action not in RECOVERIES:
        raise ConfigError(
            f"recovery {action!r} is not a recovery option.",
            hint="use restart, scale_to_zero_and_back, activate_last_good, or '' to diagnose only.",
        )
    if last_good_revision and action != "activate_last_good":
        raise ConfigError(
            'last_good_revision only applies to recovery="activate_last_good".',
            hint='set recovery="activate_last_good" or leave last_good_revision empty.',
        )
    if not action:
        return None
    active = [r.name for r in revisions if r.active]
    by_name = {r.name: r for r in revisions}
    if action == "restart":
        if not active:
            raise ConfigError(
                "there is no active revision to restart.",
                hint='activate a revision: recovery="activate_last_good".',
            )
        return RecoveryPlan(
            action,
            name,
            f"RESTART {name}",
            (
                *(f"restart every replica of {r} (rolling: new replicas first)" for r in active),
                "read back: every replica new and ready, the revisions Healthy",
            ),
            azcli.containerapp_restart(settings, active),
            tuple(active),
        )
    if action == "scale_to_zero_and_back":
        serving = [r for r in _serving(app) if r in by_name]
        if not serving:
            raise ConfigError(
                "no revision takes traffic: there is nothing to scale.",
                hint='use recovery="activate_last_good" to give a revision the traffic.',
            )
        bounds = {}
        for r in serving:
            t = by_name[r].template
            bounds[r] = (
                (t.min_replicas, t.max_replicas)
                if t
                else (settings.app.min_replicas, settings.app.max_replicas)
            )
        steps = [f"scale {r} to 0 replicas (was min {lo}, max {hi})" for r, (lo, hi) in bounds.items()]
        steps += [f"wait {scale_pause_s:g} s with no replica (the runbook's 30 seconds)"]
        steps += [f"scale {r} back to min {lo}, max {hi}" for r, (lo, hi) in bounds.items()]
        steps += ["read back: replicas at the minimum, ready, the revisions Healthy"]
        az = "\n".join(
            [
                "# the runbook's commands (in multiple-revision mode they create NEW revisions: see note)",
                azcli.containerapp_update(settings, AppUpdate(min_replicas=0, max_replicas=0)),
                f"sleep {scale_pause_s:g}",
                azcli.containerapp_update(
                    settings,
                    AppUpdate(min_replicas=settings.app.min_replicas, max_replicas=settings.app.max_replicas),
                ),
            ]
        )
        return RecoveryPlan(
            action, name, f"SCALE {name} TO ZERO AND BACK", tuple(steps), az, tuple(serving), bounds
        )
    # activate_last_good
    if not last_good_revision:
        shown = ", ".join(candidates[:5]) or "none found: list the revisions in step 2"
        raise ConfigError(
            'last_good_revision is required for recovery="activate_last_good".',
            hint=f"name the revision to restore, e.g. one of: {shown}.",
        )
    rev = by_name.get(last_good_revision)
    if rev is None:
        known = ", ".join(r.name for r in list(revisions)[-6:])
        raise ConfigError(
            f"last_good_revision {last_good_revision!r} does not exist.", hint=f"use one of: {known}."
        )
    if rev.provisioning_state == "Failed":
        raise ConfigError(
            f"last_good_revision {rev.name} failed to provision; it is not a good revision.",
            hint=f"choose another: {', '.join(candidates[:5]) or 'see step 2'}.",
        )
    traffic = {w.revision_name: w.weight for w in app.traffic if w.weight > 0}
    current = [TrafficWeight(w.revision_name, w.weight) for w in app.traffic if w.revision_name]
    az = "\n".join(
        ([azcli.revision_activate(settings, rev.name)] if not rev.active else [])
        + [azcli.ingress_traffic_set(settings, [TrafficWeight(rev.name, 100)], current=current)]
    )
    phrase = f"ACTIVATE {rev.name} AT 100% ON {name}"
    if traffic == {rev.name: 100} and rev.active:
        return RecoveryPlan(
            action,
            name,
            phrase,
            (),
            az,
            (rev.name,),
            noop=f"already: {rev.name} is active and takes 100% of the traffic",
        )
    steps = [f"activate {rev.name} (inactive now)"] if not rev.active else [f"{rev.name} is already active"]
    steps += [
        f"wait until {rev.name} is Healthy with ready replicas (traffic untouched until then)",
        f"write the full traffic list: {rev.name}=100, every other revision 0 (now: "
        f"{', '.join(f'{k}={v}' for k, v in traffic.items()) or 'none'})",
        "read back: the traffic list and the revision's health",
    ]
    return RecoveryPlan(action, name, phrase, tuple(steps), az, (rev.name,))


def _wait(
    condition: Callable[[], tuple[bool, str]],
    timeout_s: float,
    *,
    poll_s: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> tuple[bool, str, float]:
    start = clock()
    while True:
        ok, detail = condition()
        elapsed = clock() - start
        if ok or elapsed >= timeout_s:
            return ok, detail, elapsed
        sleep(poll_s)


def _replicas_ready(
    app: ContainerApp, revision: str, *, at_least: int, exclude: set[str]
) -> tuple[bool, str]:
    reps = app.list_replicas(revision)
    fresh = [r for r in reps if r.name not in exclude]
    ready = [r for r in fresh if r.ready]
    old = [r for r in reps if r.name in exclude]
    rev = app.get_revision(revision)
    ok = len(ready) >= at_least and not old and rev.health_state == "Healthy"
    return ok, (
        f"{len(ready)}/{len(reps)} replica(s) ready"
        + (f", {len(old)} old still running" if old else "")
        + f", health {rev.health_state}"
    )


def apply_recovery(
    app: ContainerApp,
    plan: RecoveryPlan,
    *,
    timeout_s: float = 120.0,
    poll_s: float = 0.5,
    scale_pause_s: float = 30.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> RecoveryResult:
    """Perform the planned action and read it back; failures are in the result, with a hint."""
    result = RecoveryResult(plan.action)
    if plan.noop:
        result.ok = True
        result.add(plan.action, "SKIPPED", plan.noop)
        return result
    wait = lambda cond, t=timeout_s: _wait(cond, t, poll_s=poll_s, clock=clock, sleep=sleep)  # noqa: E731
    try:
        if plan.action == "restart":
            _restart(app, plan, result, wait, clock)
        elif plan.action == "scale_to_zero_and_back":
            _scale(app, plan, result, wait, clock, sleep, scale_pause_s)
        elif plan.action == "activate_last_good":
            _activate(app, plan, result, wait, clock)
        result.ok = all(s["status"] in ("PASS", "SKIPPED", "INFO") for s in result.steps)
    except ApexopsError as exc:
        result.ok = False
        result.error, result.hint = exc.message, exc.hint or ""
        result.add("error", "FAIL", str(exc))
    if not result.ok and not result.hint:
        result.hint = "run 80-troubleshooting for the revision's logs; 60-rollback if a release caused this"
    return result


def _restart(app: ContainerApp, plan: RecoveryPlan, result: RecoveryResult, wait: Any, clock: Any) -> None:
    before = {r: {x.name for x in app.list_replicas(r)} for r in plan.revisions}
    t0 = clock()
    app.restart()
    result.add("restart", "PASS", f"restart requested for {', '.join(plan.revisions)}", clock() - t0)
    for rev in plan.revisions:
        need = 1 if before[rev] else 0
        ok, detail, took = wait(lambda r=rev, n=need: _replicas_ready(app, r, at_least=n, exclude=before[r]))
        result.add(f"read back {rev}", "PASS" if ok else "FAIL", detail, took)
        result.read_back[rev] = detail


def _scale(
    app: ContainerApp,
    plan: RecoveryPlan,
    result: RecoveryResult,
    wait: Any,
    clock: Any,
    sleep: Callable[[float], None],
    pause_s: float,
) -> None:
    scale = getattr(app, "scale_revision", None)
    if scale is None:
        raise NotSupportedError(
            "scaling a revision in place is not available on this target.",
            hint="in multiple-revision mode `az containerapp update --min-replicas 0` creates a new revision "
            'that takes no traffic; use recovery="restart" (restarts the serving revisions\' replicas), or '
            "activate a known good revision.",
        )
    done: list[str] = []
    try:
        for rev in plan.revisions:
            t0 = clock()
            scale(rev, 0)
            done.append(rev)
            ok, detail, took = wait(
                lambda r=rev: (len(app.list_replicas(r)) == 0, f"{len(app.list_replicas(r))} replica(s)")
            )
            result.add(
                f"scale {rev} to zero",
                "PASS" if ok else "FAIL",
                detail if ok else f"{detail}: requests keep a replica warm",
                clock() - t0 + took,
            )
        sleep(pause_s)
        result.add("pause", "INFO", f"waited {pause_s:g} s")
    finally:
        for rev in done:  # always restore the previous bounds, even after a failure above
            lo, hi = plan.bounds[rev]
            t0 = clock()
            scale(rev, lo, hi)
            result.add(f"scale {rev} back", "PASS", f"min {lo}, max {hi}", clock() - t0)
    for rev in plan.revisions:
        lo, _ = plan.bounds[rev]
        ok, detail, took = wait(
            lambda r=rev, n=max(lo, 1): _replicas_ready(app, r, at_least=n, exclude=set())
        )
        result.add(f"read back {rev}", "PASS" if ok else "FAIL", detail, took)
        result.read_back[rev] = detail


def _activate(app: ContainerApp, plan: RecoveryPlan, result: RecoveryResult, wait: Any, clock: Any) -> None:
    from apexops.canary.traffic import effective, write_traffic

    rev = plan.revisions[0]
    t0 = clock()
    if not app.get_revision(rev).active:
        app.activate_revision(rev)
        result.add(f"activate {rev}", "PASS", "activated", clock() - t0)
    else:
        result.add(f"activate {rev}", "SKIPPED", "already active")
    ok, detail, took = wait(lambda: _replicas_ready(app, rev, at_least=1, exclude=set()))
    result.add(f"{rev} healthy", "PASS" if ok else "FAIL", detail, took)
    if not ok:
        raise VerificationError(
            f"{rev} did not become healthy ({detail}); the traffic list was NOT changed.",
            hint=f"look at {rev}'s logs in 80-troubleshooting, or choose another last_good_revision.",
        )
    t0 = clock()
    weights = [TrafficWeight(rev, 100)]
    actual = write_traffic(app, weights)  # the full list, read back (VerificationError if it differs)
    shown = ", ".join(f"{k}={v}" for k, v in effective(actual).items())
    result.add("traffic", "PASS", f"read back: {shown}", clock() - t0)
    result.read_back["traffic"] = effective(actual)
    final = app.get_revision(rev)
    healthy = final.health_state == "Healthy" and final.traffic_weight == 100
    result.add(
        f"read back {rev}",
        "PASS" if healthy else "FAIL",
        f"{final.health_state}, {final.traffic_weight}% traffic, {final.replicas} replica(s)",
    )
