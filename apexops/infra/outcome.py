"""Procedure 10's verdict as data: what the run did, judged, with the reasons and the next step.

Pure: it reads the results of the steps (validation, review, deployment, outputs, inventory) and never
calls the target, so every branch is unit-testable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from apexops.errors import VerificationError
from apexops.infra.hints import hint_for

if TYPE_CHECKING:
    from apexops.infra.inventory import Inventory, OutputsCheck
    from apexops.infra.review import Review
    from apexops.models import DeploymentResult, DeploymentValidation
    from apexops.settings import Settings

__all__ = ["InfraVerdict", "infra_verdict"]


@dataclass(frozen=True)
class InfraVerdict:
    status: Literal["PASS", "WARN", "FAIL", "SKIPPED"]
    reasons: tuple[str, ...]
    hint: str = ""

    def raise_for_failure(self) -> None:
        if self.status == "FAIL":
            raise VerificationError(
                "infrastructure procedure failed: " + "; ".join(self.reasons), hint=self.hint or None
            )


def _cancel_verdict(s: Settings, name: str, dry_run: bool, canceled: DeploymentResult | None) -> InfraVerdict:
    if dry_run:
        return InfraVerdict("SKIPPED", (f"dry run: deployment {name} was not canceled",))
    state = canceled.provisioning_state if canceled else "absent"
    if state in ("Running", "Accepted"):
        return InfraVerdict(
            "FAIL",
            (f"deployment {name} is still {state} after the cancel",),
            hint_for("DeploymentActive", s) or "",
        )
    return InfraVerdict("PASS", (f"deployment {name} is {state}; deploy again with this procedure",))


def infra_verdict(
    s: Settings,
    *,
    target: str,
    name: str,
    dry_run: bool,
    cancel_deployment: bool = False,
    canceled: DeploymentResult | None = None,
    validation: DeploymentValidation | None = None,
    review: Review | None = None,
    result: DeploymentResult | None = None,
    outputs: OutputsCheck | None = None,
    inventory: Inventory | None = None,
) -> InfraVerdict:
    if cancel_deployment:
        return _cancel_verdict(s, name, dry_run, canceled)
    if validation is None:
        return InfraVerdict("FAIL", ("the template was not validated",), "run the procedure from the start")
    if not validation.ok:
        return InfraVerdict(
            "FAIL",
            (f"validation failed: {validation.error_message}",),
            hint_for(f"{validation.error_code}", s) or "",
        )
    if review is None or review.failed:
        reason = review.error_message if review else "what-if did not run"
        return InfraVerdict("FAIL", (f"what-if failed: {reason}",), "fix the template and re-run")
    reasons = [f"what-if: {review.summary()}"]
    if review.blocked:
        keys = ",".join(i.key for i in review.blocked)
        return InfraVerdict(
            "FAIL",
            (*reasons, *review.reasons()),
            f'the deployment would be refused; if intended: acknowledge="{keys}"',
        )
    if inventory is not None:
        reasons.append(f"inventory: {inventory.summary()}")
    if dry_run or result is None:
        if outputs is not None:
            reasons.append(f"outputs of the last deployment {outputs.deployment}: {outputs.verdict}")
        return InfraVerdict("SKIPPED", ("dry run: validated and previewed, nothing deployed", *reasons))
    if result.provisioning_state != "Succeeded":
        failed = [o for o in result.operations if o.provisioning_state == "Failed"]
        why = result.error_message or (failed[0].status_message if failed else "")
        return InfraVerdict(
            "FAIL",
            (f"deployment {result.name} {result.provisioning_state}: {why}", *reasons),
            hint_for(why, s) or "see the operations table; fix and re-run 10",
        )
    problems = []
    if outputs is None or outputs.verdict == "FAIL":
        problems.append("outputs missing or inconsistent")
    if inventory is None or inventory.verdict == "FAIL":
        problems.append("inventory incomplete")
    if problems:
        return InfraVerdict("FAIL", (*problems, *reasons), "see the outputs and inventory tables")
    app_changed = any(
        c.change.resource_type.lower() == "microsoft.app/containerapps" for c in review.changes()
    )
    if target == "sandbox" and app_changed:
        reasons.append(
            "sandbox: the resource group is an inventory; the container app resource changed, "
            "the running app did not (procedure 30 deploys revisions)"
        )
    warn = bool(review.warnings) or (inventory is not None and inventory.verdict == "WARN")
    return InfraVerdict("WARN" if warn else "PASS", (f"deployment {result.name} Succeeded", *reasons))
