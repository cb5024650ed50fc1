"""Procedure 10's verdict as data: what the run did, judged, with the reasons and the next step.

Pure: it reads the results of the steps and never calls the target. The verdict is a decision table,
`GATES`, in the order the steps run: each gate decides (a `Verdict`) or passes the run on, so a run that did
not validate is judged on that, not on its inventory. A deployed run is judged on two rule lists,
`PROBLEMS` (FAIL) and `WARNINGS` (WARN). Each gate and rule is testable alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apexops.errors import VerificationError
from apexops.infra.hints import hint_for
from apexops.status import Finding, Rule, Status, Verdict, judge

if TYPE_CHECKING:
    from apexops.infra.inventory import Inventory, OutputsCheck
    from apexops.infra.review import Review
    from apexops.models import DeploymentResult, DeploymentValidation
    from apexops.settings import Settings

__all__ = ["GATES", "PROBLEMS", "WARNINGS", "InfraRun", "infra_verdict"]


@dataclass(frozen=True)
class InfraRun:
    """What one run of procedure 10 did, as its verdict reads it."""

    settings: Settings
    name: str
    dry_run: bool
    #: the target's trait: an ARM deployment of the container app changes the running app
    deployments_change_running_app: bool = True
    cancel_deployment: bool = False
    canceled: DeploymentResult | None = None
    validation: DeploymentValidation | None = None
    review: Review | None = None
    result: DeploymentResult | None = None
    outputs: OutputsCheck | None = None
    inventory: Inventory | None = None

    def context(self) -> list[str]:
        """What the what-if and the inventory said: the reasons every verdict after the review carries."""
        out = [f"what-if: {self.review.summary()}"] if self.review is not None else []
        return out + ([f"inventory: {self.inventory.summary()}"] if self.inventory is not None else [])


def _verdict(status: Status, *reasons: str, hint: str | None = "") -> Verdict:
    title = "infrastructure procedure failed"
    return Verdict(status, reasons, hint=hint or "", title=title, error=VerificationError)


def cancel_run(run: InfraRun) -> Verdict | None:
    """A cancel run is judged on the deployment's state after the cancel, nothing else."""
    if not run.cancel_deployment:
        return None
    if run.dry_run:
        return _verdict(Status.SKIPPED, f"dry run: deployment {run.name} was not canceled")
    state = run.canceled.provisioning_state if run.canceled else "absent"
    if state in ("Running", "Accepted"):
        hint = hint_for("DeploymentActive", run.settings)
        return _verdict(Status.FAIL, f"deployment {run.name} is still {state} after the cancel", hint=hint)
    return _verdict(Status.PASS, f"deployment {run.name} is {state}; deploy again with this procedure")


def not_validated(run: InfraRun) -> Verdict | None:
    v, start = run.validation, "run the procedure from the start"
    if v is None:
        return _verdict(Status.FAIL, "the template was not validated", hint=start)
    if v.ok:
        return None
    hint = hint_for(f"{v.error_code}", run.settings)
    return _verdict(Status.FAIL, f"validation failed: {v.error_message}", hint=hint)


def what_if_failed(run: InfraRun) -> Verdict | None:
    if run.review is not None and not run.review.failed:
        return None
    why = run.review.error_message if run.review else "what-if did not run"
    return _verdict(Status.FAIL, f"what-if failed: {why}", hint="fix the template and re-run")


def review_blocked(run: InfraRun) -> Verdict | None:
    if run.review is None or not run.review.blocked:
        return None
    keys = ",".join(i.key for i in run.review.blocked)
    hint = f'the deployment would be refused; if intended: acknowledge="{keys}"'
    return _verdict(Status.FAIL, f"what-if: {run.review.summary()}", *run.review.reasons(), hint=hint)


def not_deployed(run: InfraRun) -> Verdict | None:
    """A dry run (or a run that stopped before deploying): validated and previewed, nothing deployed."""
    if not run.dry_run and run.result is not None:
        return None
    out = run.outputs
    last = [f"outputs of the last deployment {out.deployment}: {out.verdict}"] if out else []
    return _verdict(
        Status.SKIPPED, "dry run: validated and previewed, nothing deployed", *run.context(), *last
    )


def deployment_failed(run: InfraRun) -> Verdict | None:
    r = run.result
    if r is None or r.provisioning_state == "Succeeded":
        return None
    failed = [o for o in r.operations if o.provisioning_state == "Failed"]
    why = r.error_message or (failed[0].status_message if failed else "")
    hint = hint_for(why, run.settings) or "see the operations table; fix and re-run 10"
    reason = f"deployment {r.name} {r.provisioning_state}: {why}"
    return _verdict(Status.FAIL, reason, *run.context(), hint=hint)


def outputs_consistent(run: InfraRun) -> Finding | None:
    if run.outputs is None or run.outputs.verdict.failed:
        return Finding(Status.FAIL, "outputs missing or inconsistent")
    return None


def inventory_complete(run: InfraRun) -> Finding | None:
    if run.inventory is None or run.inventory.verdict.failed:
        return Finding(Status.FAIL, "inventory incomplete")
    return None


def review_warnings(run: InfraRun) -> Finding | None:
    if run.review is not None and run.review.warnings:
        return Finding(Status.WARN, f"what-if warnings: {', '.join(i.key for i in run.review.warnings)}")
    return None


def inventory_warnings(run: InfraRun) -> Finding | None:
    if run.inventory is not None and run.inventory.verdict is Status.WARN:
        return Finding(Status.WARN, f"not Succeeded: {', '.join(run.inventory.not_succeeded)}")
    return None


#: after a deployment that Succeeded: what fails it (the runbook's steps 5 and 6), what makes it WARN
PROBLEMS: tuple[Rule[InfraRun], ...] = (outputs_consistent, inventory_complete)
WARNINGS: tuple[Rule[InfraRun], ...] = (review_warnings, inventory_warnings)


def not_verified(run: InfraRun) -> Verdict | None:
    problems = judge(PROBLEMS, run)
    if not problems.status.failed:
        return None
    return _verdict(
        Status.FAIL, *problems.reasons, *run.context(), hint="see the outputs and inventory tables"
    )


def deployed(run: InfraRun) -> Verdict:
    """The deployment Succeeded and was verified: PASS, or WARN when the review or inventory warned."""
    reasons = [f"deployment {run.result.name if run.result else run.name} Succeeded", *run.context()]
    changes = run.review.changes() if run.review else ()
    if not run.deployments_change_running_app and any(
        c.change.resource_type.lower() == _APP for c in changes
    ):
        reasons.append(
            "this target's resource group is an inventory: the container app resource changed, "
            "the running app did not (procedure 30 deploys revisions)"
        )
    return _verdict(judge(WARNINGS, run).status, *reasons)


_APP = "microsoft.app/containerapps"


#: the first gate that decides wins; `deployed` always decides
GATES: tuple[Callable[[InfraRun], Verdict | None], ...] = (
    cancel_run,
    not_validated,
    what_if_failed,
    review_blocked,
    not_deployed,
    deployment_failed,
    not_verified,
    deployed,
)


def infra_verdict(run: InfraRun) -> Verdict:
    """The verdict of one run of procedure 10: the first gate of `GATES` that decides."""
    return next(v for gate in GATES if (v := gate(run)) is not None)
