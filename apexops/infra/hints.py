"""The runbook's infrastructure troubleshooting as error hints: known failure text -> the next step.

Like the BDC troubleshooting guides' `error_hints`, each rule recognises a failure by its text (ARM error
codes are stable strings) and names what to do, as the exact `az` command where there is one:

    ResourceGroupNotFound    -> create it (az group create), then re-run 10
    InsufficientPermissions  -> check role assignments; Contributor or Owner is required
    DeploymentActive / stuck -> az deployment group show; cancel (gated) when stuck > 30 minutes

`infra_hints(settings)` wraps a call and re-raises a matching apexops error with the rule's hint (same
error class, same message), so the notebook stops with the hint the runbook would give.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from apexops import azcli
from apexops.errors import ApexopsError
from apexops.status import Status

if TYPE_CHECKING:
    from apexops.models import DeploymentResult
    from apexops.settings import Settings

__all__ = ["ERROR_HINTS", "ErrorHint", "hint_for", "infra_hints", "known_issues", "stuck_deployment"]

#: the runbook: "If stuck for >30 minutes, cancel and retry"
STUCK_AFTER_S = 30 * 60


@dataclass(frozen=True)
class ErrorHint:
    id: str
    pattern: re.Pattern[str]
    hint: Callable[[Settings], str]


def _rg_missing(s: Settings) -> str:
    return (
        f"the resource group {s.azure.resource_group} does not exist: create it with "
        f"`{azcli.group_create(s, oneline=True)}`, then re-run 10-infrastructure."
    )


def _permissions(s: Settings) -> str:
    return (
        "your identity lacks a role on the subscription or resource group: check with "
        f"`{azcli.role_assignment_list(oneline=True)}`; Contributor or Owner on "
        f"{s.azure.resource_group} is required (00-preflight checks access)."
    )


def _active(s: Settings) -> str:
    return (
        f"a deployment is still running: `{azcli.deployment_group_show(s, oneline=True)}`; if it has "
        "been stuck for more than 30 minutes, re-run 10-infrastructure with cancel_deployment=True "
        "(gated), then deploy again."
    )


def _invalid(s: Settings) -> str:
    return (
        "the template or its parameters are not valid: step 2 (validate) shows the details; fix the "
        f"template or the parameters file parameters/{s.environment}.yaml and re-run."
    )


def _quota(s: Settings) -> str:
    return (
        f"a subscription quota or SKU is not available in {s.azure.location}: request a quota increase "
        "or choose another SKU/region in the parameters, then re-run."
    )


#: first match wins; a rule matches its id (an ARM error code, searched: `AuthorizationFailed` also finds
#: LinkedAuthorizationFailed) or the other texts of that failure
ERROR_HINTS: tuple[ErrorHint, ...] = tuple(
    ErrorHint(rule_id, re.compile(f"{rule_id}|{texts}", re.I), hint)
    for rule_id, texts, hint in (
        ("ResourceGroupNotFound", r"resource group .* (could not be found|does not exist)", _rg_missing),
        ("InsufficientPermissions", r"AuthorizationFailed|does not have authorization", _permissions),
        ("DeploymentActive", r"still running|is already running", _active),
        ("InvalidTemplate", r"is not valid", _invalid),
        ("QuotaExceeded", r"SkuNotAvailable|OperationNotAllowed", _quota),
    )
)


def hint_for(text: str, settings: Settings) -> str | None:
    """The hint of the first rule whose pattern occurs in `text`, or None."""
    for rule in ERROR_HINTS:
        if rule.pattern.search(text or ""):
            return rule.hint(settings)
    return None


#: the runbook's Troubleshooting section: rule id -> the issue as the runbook titles it
RUNBOOK_ISSUES = {
    "ResourceGroupNotFound": "Deployment fails with ResourceGroupNotFound",
    "InsufficientPermissions": "Deployment fails with InsufficientPermissions",
    "DeploymentActive": "Deployment stuck at Provisioning",
}


def known_issues(settings: Settings, seen: str) -> list[dict[str, str]]:
    """One row per runbook issue: whether `seen` (the run's error texts) shows it, and what to do."""
    rows = []
    for rule in ERROR_HINTS:
        if rule.id in RUNBOOK_ISSUES:
            hit = bool(rule.pattern.search(seen))
            rows.append(
                {
                    "status": Status.FAIL if hit else Status.INFO,
                    "issue": RUNBOOK_ISSUES[rule.id],
                    "this run": "SEEN" if hit else "not seen",
                    "what to do": rule.hint(settings),
                }
            )
    return rows


@contextmanager
def infra_hints(settings: Settings) -> Iterator[None]:
    """Re-raise apexops errors from the block with the runbook's hint when one applies."""
    try:
        yield
    except ApexopsError as exc:
        hint = hint_for(f"{exc.message} {exc.hint or ''}", settings)
        if hint is None or hint == exc.hint:
            raise
        try:
            better = type(exc)(exc.message, hint=hint)
        except TypeError:  # a subclass with its own constructor: keep the original
            raise exc from None
        raise better from exc


def stuck_deployment(
    result: DeploymentResult | None, now: datetime, *, stuck_after_s: float = STUCK_AFTER_S
) -> tuple[str, float | None]:
    """("none" | "finished" | "running" | "stuck", age in seconds) of the deployment of that name."""
    if result is None:
        return "none", None
    age = (now - result.timestamp).total_seconds() if result.timestamp else None
    if result.provisioning_state not in ("Running", "Accepted", "Creating", "Updating", "Waiting"):
        return "finished", age
    if age is not None and age >= stuck_after_s:
        return "stuck", age
    return "running", age
