"""Steps 5-6 of procedure 30: the new revision's health state, replica count, and its own URL's probes.

The revision URL reaches only that revision (it bypasses the traffic split), so /health/live and
/health/ready there prove the new code answers before procedure 50 gives it any traffic. The probes are
the smoke suite's health checks, so both procedures judge readiness the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from apexops.smoke.checks import check_live, check_ready, make_client
from apexops.smoke.results import CheckResult
from apexops.status import Status

if TYPE_CHECKING:
    from apexops.models import Revision

__all__ = ["check_revision_state", "probe_revision_url"]


def check_revision_state(revision: Revision, *, min_replicas: int) -> list[CheckResult]:
    """The runbook's `revision show --query properties.healthState` and `properties.replicas`."""
    health_ok = revision.health_state == "Healthy"
    health = CheckResult(
        "revision: health state",
        Status.PASS if health_ok else Status.FAIL,
        0.0,
        f"{revision.name}: {revision.health_state} (provisioning {revision.provisioning_state}, "
        f"running {revision.running_state})",
        "" if health_ok else "see the logs below; run 80-troubleshooting for more",
    )
    enough = revision.replicas >= min_replicas
    replicas = CheckResult(
        "revision: replicas",
        Status.PASS if enough else Status.FAIL,
        0.0,
        f"{revision.replicas} running, at least {min_replicas} expected",
        "" if enough else "replicas are not starting: check the logs and the scale settings",
    )
    return [health, replicas]


def probe_revision_url(
    revision: Revision,
    *,
    timeout_s: float = 10.0,
    clock: Callable[[], float] = time.perf_counter,
    transport: object = None,
) -> list[CheckResult]:
    """GET /health/live and /health/ready on the revision's own URL (no traffic involved)."""
    if not revision.url:
        reason = f"{revision.name} has no revision URL (inactive, or ingress disabled)"
        return [
            CheckResult("health: live", Status.FAIL, 0.0, reason, "activate the revision, then re-run"),
            CheckResult("health: ready", Status.SKIPPED, 0.0, reason),
        ]
    with make_client(revision.url, timeout_s=timeout_s, transport=transport) as client:
        return [check_live(client, clock=clock), check_ready(client, clock=clock)]
