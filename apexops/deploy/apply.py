"""Step 4 of procedure 30: apply the plan, and know for certain which revision the update created.

The runbook finds the new revision as "the first provisioned, inactive one", which in multiple-revision
mode picks an old deactivated revision as readily as the new one. Here the new revision is the app's
`latest_revision_name` after the update, verified to be a name that did not exist before and to run the
requested image. The traffic list is read before and after: this procedure never moves traffic, and a
change is reported at once with the way back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexops.errors import ConflictError, VerificationError

if TYPE_CHECKING:
    from apexops.deploy.plan import DeployPlan
    from apexops.models import AppState, TrafficWeight
    from apexops.ports import ContainerApp, ProgressCallback

__all__ = ["AppliedRevision", "apply_plan", "traffic_key"]


def traffic_key(weights: Sequence[TrafficWeight]) -> tuple[tuple[str, int, str, bool], ...]:
    """A comparable form of a traffic list (order-insensitive)."""
    return tuple(
        sorted((w.revision_name or "", int(w.weight), w.label or "", w.latest_revision) for w in weights)
    )


@dataclass(frozen=True)
class AppliedRevision:
    """The revision the procedure ends up with; `created` is False when the plan said nothing to do."""

    name: str
    image: str
    created: bool
    traffic_before: tuple[TrafficWeight, ...]
    traffic_after: tuple[TrafficWeight, ...]

    @property
    def traffic_unchanged(self) -> bool:
        return traffic_key(self.traffic_before) == traffic_key(self.traffic_after)

    def facts(self) -> dict[str, Any]:
        return {
            "new_revision": self.name,
            "revision_created": self.created,
            "traffic_unchanged": self.traffic_unchanged,
        }


def _traffic_text(weights: Sequence[TrafficWeight]) -> str:
    return ", ".join(f"{w.revision_name or 'latest'}={w.weight}" for w in weights) or "(empty)"


def apply_plan(
    app: ContainerApp, plan: DeployPlan, *, on_progress: ProgressCallback | None = None
) -> AppliedRevision:
    """Create the planned revision (or, for a no-op plan, return the existing one after a re-check)."""
    before: AppState = app.show()
    traffic_before = tuple(app.get_traffic())
    if before.latest_revision_name != plan.base_latest_revision:
        raise ConflictError(
            f"the app changed since the plan was made: latest revision was {plan.base_latest_revision}, "
            f"now {before.latest_revision_name}; nothing was applied.",
            hint="another deployment may be running: re-run 30 from the plan step against the new state.",
        )
    if plan.action == "none":
        existing = app.get_revision(plan.existing or before.latest_revision_name or "")
        return AppliedRevision(existing.name, existing.image, False, traffic_before, traffic_before)
    known = {r.name for r in app.list_revisions()}
    after = app.update(plan.update, on_progress=on_progress)
    new = after.latest_revision_name
    traffic_after = tuple(app.get_traffic())
    if traffic_key(traffic_before) != traffic_key(traffic_after):
        raise VerificationError(
            f"the traffic list changed during the deployment: before {_traffic_text(traffic_before)}, "
            f"after {_traffic_text(traffic_after)}.",
            hint="restore the previous traffic list now: run 60-rollback (it shifts traffic back to "
            f"{_traffic_text(traffic_before)}).",
        )
    if not new or new == before.latest_revision_name or new in known:
        raise VerificationError(
            f"the update did not create a new revision (latest is still {new}); no traffic was moved.",
            hint="an identical template creates no revision: re-run 30 with force_new_revision=True, "
            "or check the app's provisioning state (80-troubleshooting).",
        )
    revision = app.get_revision(new)
    if revision.image != plan.image:
        raise VerificationError(
            f"the new revision {new} runs {revision.image}, not the requested {plan.image}; "
            "no traffic was moved.",
            hint="another change may have raced this one: inspect the revisions (80-troubleshooting) "
            "before re-running 30.",
        )
    return AppliedRevision(new, revision.image, True, traffic_before, traffic_after)
