"""Procedure 50, step 1: what must hold before any traffic moves (runbook "Verify Prerequisites").

The new revision is healthy, the old one is active and serves all traffic, and smoke tests passed for
this exact revision: a succeeded run of procedure 40 in the ledger whose recorded verdict names it, or an
explicit override with a reason (shown as WARN and recorded by the notebook). Each check is data with a
reason, in the judge's vocabulary, so the notebook shows them in one table and `require` refuses with
every failed reason at once, before anything changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from apexops.canary.checks import CheckResult
from apexops.canary.traffic import effective
from apexops.errors import NotFoundError, RolloutError
from apexops.ledger import Ledger
from apexops.ports import ContainerApp
from apexops.status import Status

__all__ = ["check_preconditions", "find_smoke_run", "require", "smoke_run_in_ledger"]

SMOKE_PROCEDURE = "40-"


def find_smoke_run(
    entries: Iterable[Mapping[str, Any]], *, env: str, revision: str
) -> Mapping[str, Any] | None:
    """The newest succeeded smoke run (procedure 40) in `env` whose verdict is PASS for `revision`."""
    found = None
    for entry in entries:
        verdict = (entry.get("facts") or {}).get("smoke_verdict") or {}
        if (
            str(entry.get("procedure", "")).startswith(SMOKE_PROCEDURE)
            and entry.get("environment") == env
            and entry.get("outcome") == "succeeded"
            and verdict.get("revision") == revision
            and verdict.get("verdict") == Status.PASS
        ):
            found = entry
    return found


def smoke_run_in_ledger(outputs: Path, *, env: str, revision: str) -> Mapping[str, Any] | None:
    return find_smoke_run(Ledger(outputs).entries(), env=env, revision=revision)


def _revision_check(app: ContainerApp, name: str, role: str, *, need_healthy: bool) -> CheckResult:
    check = f"{role} revision"
    try:
        rev = app.get_revision(name)
    except NotFoundError as exc:
        return CheckResult(check, Status.FAIL, f"{name} does not exist ({exc.message})")
    values = {
        "revision": name,
        "active": rev.active,
        "health_state": rev.health_state,
        "provisioning_state": rev.provisioning_state,
        "running_state": rev.running_state,
    }
    problems = []
    if not rev.active:
        problems.append("not active")
    if rev.provisioning_state == "Failed" or rev.running_state in {"Failed", "Degraded", "Stopped"}:
        problems.append(f"{rev.provisioning_state}/{rev.running_state}")
    if need_healthy and rev.health_state != "Healthy":
        problems.append(f"health state {rev.health_state} (expected Healthy)")
    elif rev.health_state == "Unhealthy":
        problems.append("health state Unhealthy")
    if problems:
        return CheckResult(check, Status.FAIL, f"{name}: " + ", ".join(problems), values)
    return CheckResult(check, Status.PASS, f"{name}: {rev.health_state}, active, {rev.running_state}", values)


def _smoke_check(canary: str, smoke_run: Mapping[str, Any] | None, override: str) -> CheckResult:
    """A passing smoke run (procedure 40) for the canary, or a person's override reason (WARN)."""
    name = "smoke tests"
    if smoke_run is not None:
        run_id = smoke_run.get("run_id")
        reason = f"run {run_id} passed for {canary} ({smoke_run.get('ended_at', '')})"
        return CheckResult(name, Status.PASS, reason, {"run_id": run_id})
    if override:
        reason = f"no passing smoke run for {canary}; override: {override}"
        return CheckResult(name, Status.WARN, reason, {"override": override})
    return CheckResult(name, Status.FAIL, f"no passing smoke run (procedure 40) for {canary} in the ledger")


def check_preconditions(
    app: ContainerApp,
    *,
    canary: str,
    baseline: str,
    smoke_run: Mapping[str, Any] | None,
    override: str = "",
) -> tuple[CheckResult, ...]:
    """All of step 1's checks; nothing is changed."""
    checks = [
        _revision_check(app, canary, "new", need_healthy=True),
        _revision_check(app, baseline, "old", need_healthy=False),
    ]
    traffic = effective(app.get_traffic())
    at_baseline = traffic == {baseline: 100}
    why = f"{baseline} serves 100%" if at_baseline else f"traffic is {traffic}, expected {baseline}=100"
    status = Status.PASS if at_baseline else Status.FAIL
    checks.append(CheckResult("traffic", status, why, {"traffic": traffic}))
    checks.append(_smoke_check(canary, smoke_run, override.strip()))
    return tuple(checks)


def require(checks: Sequence[CheckResult]) -> None:
    """Refuse to shift traffic when a precondition failed (every failed reason in one message)."""
    failed = [c for c in checks if c.status is Status.FAIL]
    if failed:
        raise RolloutError(
            "preconditions not met: " + "; ".join(f"{c.name}: {c.reason}" for c in failed) + ".",
            hint="run 40-smoke-tests on the new revision (or give an override reason), and 60-rollback "
            "if the traffic is not at the old revision; nothing was changed.",
        )
