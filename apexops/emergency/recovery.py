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

On Azure, `ContainerApp.scale_revision` raises NotSupportedError (in multiple-revision mode `az containerapp
update --min-replicas` creates a NEW revision that takes no traffic, so the runbook's option 2 does not
touch the serving revision); the result then carries the adapter's hint: the commands and the alternative.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from apexops import azcli
from apexops.errors import ApexopsError, ConfigError, VerificationError
from apexops.models import AppUpdate, TrafficWeight
from apexops.polling import poll_until
from apexops.status import Status, worst

if TYPE_CHECKING:
    from apexops.models import AppState, Revision
    from apexops.ports import ContainerApp
    from apexops.settings import Settings

__all__ = ["RECOVERIES", "RecoveryPlan", "RecoveryResult", "apply_recovery", "check_choice", "plan_recovery"]

RECOVERIES = ("", "restart", "scale_to_zero_and_back", "activate_last_good")


def check_choice(action: str, last_good_revision: str = "") -> None:
    """ConfigError, naming the parameter, for a recovery that is not an option or a stray revision."""
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
            return [{"step": 1, "change": f"{Status.SKIPPED} ({self.noop})"}]
        return [{"step": i, "change": c} for i, c in enumerate(self.changes, 1)]


@dataclass
class RecoveryResult:
    action: str
    ok: bool = False
    steps: list[dict[str, Any]] = field(default_factory=list)
    read_back: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    hint: str = ""

    def add(self, step: str, status: Status, detail: str, seconds: float = 0.0) -> None:
        self.steps.append({"status": status, "step": step, "detail": detail, "seconds": round(seconds, 1)})

    def check(self, step: str, ok: bool, detail: str, seconds: float = 0.0) -> None:
        """A read-back step: PASS when `ok`, else FAIL."""
        self.add(step, Status.PASS if ok else Status.FAIL, detail, seconds)

    def rows(self) -> list[dict[str, Any]]:
        return list(self.steps)


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class _Choice:
    """The inputs of a plan: the settings, the app and its revisions as read, the operator's choice."""

    settings: Settings
    app: AppState
    revisions: Sequence[Revision]
    last_good: str
    candidates: Sequence[str]
    scale_pause_s: float

    @property
    def by_name(self) -> dict[str, Revision]:
        return {r.name: r for r in self.revisions}


def _plan_restart(c: _Choice) -> RecoveryPlan:
    name = c.settings.app.name
    active = [r.name for r in c.revisions if r.active]
    if not active:
        raise ConfigError(
            "there is no active revision to restart.",
            hint='activate a revision: recovery="activate_last_good".',
        )
    steps = (
        *(f"restart every replica of {r} (rolling: new replicas first)" for r in active),
        "read back: every replica new and ready, the revisions Healthy",
    )
    az = azcli.containerapp_restart(c.settings, active)
    return RecoveryPlan("restart", name, f"RESTART {name}", steps, az, tuple(active))


def _plan_scale(c: _Choice) -> RecoveryPlan:
    s, name, by_name = c.settings, c.settings.app.name, c.by_name
    serving = [w.revision_name for w in c.app.traffic if w.weight > 0 and w.revision_name in by_name]
    if not serving:
        raise ConfigError(
            "no revision takes traffic: there is nothing to scale.",
            hint='use recovery="activate_last_good" to give a revision the traffic.',
        )
    bounds = {}
    for r in serving:
        t = by_name[r].template
        bounds[r] = (t.min_replicas, t.max_replicas) if t else (s.app.min_replicas, s.app.max_replicas)
    steps = [f"scale {r} to 0 replicas (was min {lo}, max {hi})" for r, (lo, hi) in bounds.items()]
    steps += [f"wait {c.scale_pause_s:g} s with no replica (the runbook's 30 seconds)"]
    steps += [f"scale {r} back to min {lo}, max {hi}" for r, (lo, hi) in bounds.items()]
    steps += ["read back: replicas at the minimum, ready, the revisions Healthy"]
    back = AppUpdate(min_replicas=s.app.min_replicas, max_replicas=s.app.max_replicas)
    az = "\n".join(
        [
            "# the runbook's commands (in multiple-revision mode they create NEW revisions: see note)",
            azcli.containerapp_update(s, AppUpdate(min_replicas=0, max_replicas=0)),
            f"sleep {c.scale_pause_s:g}",
            azcli.containerapp_update(s, back),
        ]
    )
    phrase = f"SCALE {name} TO ZERO AND BACK"
    return RecoveryPlan("scale_to_zero_and_back", name, phrase, tuple(steps), az, tuple(serving), bounds)


def _last_good(c: _Choice) -> Revision:
    """The revision the operator named, if it exists and provisioned."""
    shown = ", ".join(c.candidates[:5])
    if not c.last_good:
        raise ConfigError(
            'last_good_revision is required for recovery="activate_last_good".',
            hint="name the revision to restore, e.g. one of: "
            f"{shown or 'none found: list the revisions in step 2'}.",
        )
    rev = c.by_name.get(c.last_good)
    if rev is None:
        known = ", ".join(r.name for r in list(c.revisions)[-6:])
        raise ConfigError(f"last_good_revision {c.last_good!r} does not exist.", hint=f"use one of: {known}.")
    if rev.provisioning_state == "Failed":
        raise ConfigError(
            f"last_good_revision {rev.name} failed to provision; it is not a good revision.",
            hint=f"choose another: {shown or 'see step 2'}.",
        )
    return rev


def _plan_activate(c: _Choice) -> RecoveryPlan:
    s, name, rev = c.settings, c.settings.app.name, _last_good(c)
    traffic = {w.revision_name: w.weight for w in c.app.traffic if w.weight > 0}
    current = [TrafficWeight(w.revision_name, w.weight) for w in c.app.traffic if w.revision_name]
    az = "\n".join(
        ([azcli.revision_activate(s, rev.name)] if not rev.active else [])
        + [azcli.ingress_traffic_set(s, [TrafficWeight(rev.name, 100)], current=current)]
    )
    plan = RecoveryPlan(
        "activate_last_good", name, f"ACTIVATE {rev.name} AT 100% ON {name}", (), az, (rev.name,)
    )
    if traffic == {rev.name: 100} and rev.active:
        return replace(plan, noop=f"already: {rev.name} is active and takes 100% of the traffic")
    now = ", ".join(f"{k}={v}" for k, v in traffic.items()) or "none"
    steps = (
        f"{rev.name} is already active" if rev.active else f"activate {rev.name} (inactive now)",
        f"wait until {rev.name} is Healthy with ready replicas (traffic untouched until then)",
        f"write the full traffic list: {rev.name}=100, every other revision 0 (now: {now})",
        "read back: the traffic list and the revision's health",
    )
    return replace(plan, changes=steps)


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
    check_choice(action, last_good_revision)
    if not action:
        return None
    choice = _Choice(settings, app, revisions, last_good_revision, candidates, scale_pause_s)
    return _OPTIONS[action][0](choice)


# --------------------------------------------------------------------------- apply with read-back


def _replicas_ready(
    app: ContainerApp, revision: str, *, at_least: int, exclude: set[str]
) -> tuple[bool, str]:
    reps = app.list_replicas(revision)
    ready = [r for r in reps if r.name not in exclude and r.ready]
    old = [r for r in reps if r.name in exclude]
    rev = app.get_revision(revision)
    ok = len(ready) >= at_least and not old and rev.health_state == "Healthy"
    return ok, (
        f"{len(ready)}/{len(reps)} replica(s) ready"
        + (f", {len(old)} old still running" if old else "")
        + f", health {rev.health_state}"
    )


def _no_replica(app: ContainerApp, revision: str) -> tuple[bool, str]:
    count = len(app.list_replicas(revision))
    return count == 0, f"{count} replica(s)"


@dataclass
class _Recovery:
    """One recovery being applied: the app, the plan, the result it fills, and how to wait."""

    app: ContainerApp
    plan: RecoveryPlan
    result: RecoveryResult
    timeout_s: float
    poll_s: float
    pause_s: float
    clock: Callable[[], float]
    sleep: Callable[[float], None]

    def wait(self, condition: Callable[[], tuple[bool, str]]) -> tuple[bool, str, float]:
        polled = poll_until(
            condition,
            self.timeout_s,
            until=lambda v: v[0],
            interval_s=self.poll_s,
            clock=self.clock,
            sleep=self.sleep,
        )
        return polled.value[0], polled.value[1], polled.elapsed_s

    def read_back(self, rev: str, *, at_least: int, exclude: set[str]) -> None:
        ok, detail, took = self.wait(
            lambda: _replicas_ready(self.app, rev, at_least=at_least, exclude=exclude)
        )
        self.result.check(f"read back {rev}", ok, detail, took)
        self.result.read_back[rev] = detail

    def restart(self) -> None:
        app, revisions = self.app, self.plan.revisions
        before = {r: {x.name for x in app.list_replicas(r)} for r in revisions}
        t0 = self.clock()
        app.restart()
        self.result.add(
            "restart", Status.PASS, f"restart requested for {', '.join(revisions)}", self.clock() - t0
        )
        for rev in revisions:
            self.read_back(rev, at_least=1 if before[rev] else 0, exclude=before[rev])

    def scale_to_zero_and_back(self) -> None:
        """Scale to zero, pause, and always restore the previous bounds (even after a failure)."""
        app, result, done = self.app, self.result, []
        try:
            for rev in self.plan.revisions:
                t0 = self.clock()
                app.scale_revision(rev, 0)  # NotSupportedError on Azure: its hint is the manual route
                done.append(rev)
                ok, detail, took = self.wait(partial(_no_replica, app, rev))
                shown = detail if ok else f"{detail}: requests keep a replica warm"
                result.check(f"scale {rev} to zero", ok, shown, self.clock() - t0 + took)
            self.sleep(self.pause_s)
            result.add("pause", Status.INFO, f"waited {self.pause_s:g} s")
        finally:
            for rev in done:
                lo, hi = self.plan.bounds[rev]
                t0 = self.clock()
                app.scale_revision(rev, lo, hi)
                result.add(f"scale {rev} back", Status.PASS, f"min {lo}, max {hi}", self.clock() - t0)
        for rev in self.plan.revisions:
            self.read_back(rev, at_least=max(self.plan.bounds[rev][0], 1), exclude=set())

    def activate_last_good(self) -> None:
        # lazily: the apexops.canary package loads scipy (the canary judge) on import
        from apexops.canary.traffic import effective, write_traffic

        app, result, rev = self.app, self.result, self.plan.revisions[0]
        t0 = self.clock()
        if not app.get_revision(rev).active:
            app.activate_revision(rev)
            result.add(f"activate {rev}", Status.PASS, "activated", self.clock() - t0)
        else:
            result.add(f"activate {rev}", Status.SKIPPED, "already active")
        ok, detail, took = self.wait(lambda: _replicas_ready(app, rev, at_least=1, exclude=set()))
        result.check(f"{rev} healthy", ok, detail, took)
        if not ok:
            raise VerificationError(
                f"{rev} did not become healthy ({detail}); the traffic list was NOT changed.",
                hint=f"look at {rev}'s logs in 80-troubleshooting, or choose another last_good_revision.",
            )
        t0 = self.clock()
        actual = effective(write_traffic(app, [TrafficWeight(rev, 100)]))  # the full list, read back
        shown = ", ".join(f"{k}={v}" for k, v in actual.items())
        result.add("traffic", Status.PASS, f"read back: {shown}", self.clock() - t0)
        result.read_back["traffic"] = actual
        final = app.get_revision(rev)
        result.check(
            f"read back {rev}",
            final.health_state == "Healthy" and final.traffic_weight == 100,
            f"{final.health_state}, {final.traffic_weight}% traffic, {final.replicas} replica(s)",
        )


#: each recovery option: how it is planned (pure, validated) and how it is applied with read-back
_OPTIONS: dict[str, tuple[Callable[[_Choice], RecoveryPlan], Callable[[_Recovery], None]]] = {
    "restart": (_plan_restart, _Recovery.restart),
    "scale_to_zero_and_back": (_plan_scale, _Recovery.scale_to_zero_and_back),
    "activate_last_good": (_plan_activate, _Recovery.activate_last_good),
}


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
        result.add(plan.action, Status.SKIPPED, plan.noop)
        return result
    try:
        _OPTIONS[plan.action][1](_Recovery(app, plan, result, timeout_s, poll_s, scale_pause_s, clock, sleep))
        result.ok = worst(s["status"] for s in result.steps).rank <= Status.PASS.rank
    except ApexopsError as exc:
        result.ok = False
        result.error, result.hint = exc.message, exc.hint or ""
        result.add("error", Status.FAIL, str(exc))
    if not result.ok and not result.hint:
        result.hint = "run 80-troubleshooting for the revision's logs; 60-rollback if a release caused this"
    return result
