"""Steps 5-6 of procedure 30: the new revision's health state, replica count, and its own URL's probes.

The revision URL reaches only that revision (it bypasses the traffic split), so /health/live and
/health/ready there prove the new code answers before procedure 50 gives it any traffic. The probes are
the smoke suite's health checks, so both procedures judge readiness the same way.
"""

from __future__ import annotations

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


def probe_revision_url(revision: Revision, *, timeout_s: float = 10.0) -> list[CheckResult]:
    """GET /health/live and /health/ready on the revision's own URL (no traffic involved).

    Only for a revision that has a URL (the caller reports an inactive one as SKIPPED instead).
    """
    assert revision.url, f"{revision.name} has no revision URL"
    with make_client(revision.url, timeout_s=timeout_s) as client:
        return [check_live(client), check_ready(client)]
