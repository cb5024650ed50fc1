"""Procedure 30 as one object a notebook steps through: image → snapshot → plan → apply → watch → verify.

Each method is one numbered step of the notebook and returns data to display. Nothing here raises for a
revision that turns out unhealthy: the watch, the checks and the troubleshooting are results, and the
verdict at the end fails the run (so the logs are in the notebook before it stops). Bad input and a
missing image tag raise at once, before anything changes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.deploy.apply import AppliedRevision, apply_plan, traffic_key
from apexops.deploy.image import ImageCheck, check_image, validate_tag
from apexops.deploy.plan import DeployPlan, desired_update, plan_deploy
from apexops.deploy.snapshot import ConfigSnapshot, take_snapshot
from apexops.deploy.troubleshoot import NEXT_STEP, Troubleshooting, gather_troubleshooting
from apexops.deploy.verify import check_revision_state, probe_revision_url
from apexops.deploy.watch import RevisionStatus, WatchResult, watch_revision
from apexops.errors import ConfigError, VerificationError
from apexops.smoke.results import CheckResult
from apexops.status import Status, Verdict

if TYPE_CHECKING:
    from apexops.environment import Environment
    from apexops.ports import ProgressCallback

__all__ = ["Deployment"]


def _verdict(status: Status, *reasons: str, hint: str = "") -> Verdict:
    """PASS, FAIL, or SKIPPED (dry run), with the reasons; a FAIL raises VerificationError."""
    return Verdict(status, reasons, hint=hint, title="deployment failed", error=VerificationError)


class Deployment:
    """One run of procedure 30 against an environment (sandbox or Azure, through the ports)."""

    def __init__(
        self,
        env: Environment,
        image_tag: str,
        *,
        force_new_revision: bool = False,
        health_timeout_s: float | None = None,
        poll_s: float = 1.0,
        crash_restarts: int = 2,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.env = env
        self.settings = env.settings
        self.tag = validate_tag(image_tag)
        timeout = self.settings.app.health_timeout_s if health_timeout_s in (None, 0) else health_timeout_s
        if timeout is None or timeout <= 0:
            raise ConfigError(
                f"health_timeout_s must be positive (got {health_timeout_s}).",
                hint=f"leave it empty for the environment's {self.settings.app.health_timeout_s:g} s.",
            )
        self.health_timeout_s = float(timeout)
        self.force_new_revision = bool(force_new_revision)
        self.poll_s = poll_s
        self.crash_restarts = crash_restarts
        self._environ = os.environ if environ is None else environ
        self._clock, self._sleep, self._now = clock, sleep, now
        self.image: ImageCheck | None = None
        self.snapshot: ConfigSnapshot | None = None
        self.plan: DeployPlan | None = None
        self.applied: AppliedRevision | None = None
        self.watch: WatchResult | None = None
        self.checks: list[CheckResult] = []
        self.troubleshooting: Troubleshooting | None = None

    # ------------------------------------------------------------------ steps

    def check_image(self) -> ImageCheck:
        """Step 1: the tag exists (digest, age); NotFoundError with the known tags otherwise."""
        self.image = check_image(
            self.env.registry, self.settings.app.image_repository, self.tag, now=self._now()
        )
        return self.image

    def take_snapshot(self, folder: Path | None) -> ConfigSnapshot:
        """Step 2: current configuration into the evidence folder; active revisions and traffic."""
        state = self.env.app.show()
        self.snapshot = take_snapshot(state, self.env.app.list_revisions(), folder)
        return self.snapshot

    def make_plan(self) -> DeployPlan:
        """Step 3: the diff against the current template, the `az` command, and what will happen."""
        if self.image is None:
            self.check_image()
        assert self.image is not None
        update = desired_update(self.settings, self.image.image, self.tag, environ=self._environ)
        self.plan = plan_deploy(
            self.settings,
            self.env.app.show(),
            self.env.app.list_revisions(),
            update,
            tag=self.tag,
            force_new_revision=self.force_new_revision,
            now=self._now(),
        )
        return self.plan

    @property
    def approval_phrase(self) -> str:
        """The gate's phrase, bound to this change: DEPLOY <tag> TO <env>."""
        return f"DEPLOY {self.tag} TO {self.settings.environment}"

    def apply(self, *, on_progress: ProgressCallback | None = None) -> AppliedRevision:
        """Step 4: create the revision (no traffic), under the deployment lock (local and shared); the new
        revision is identified and verified."""
        if self.plan is None:
            raise ConfigError("there is no plan to apply.", hint="run the plan step (3) first.")
        from apexops.canary.lock import lock_for  # lazily: the apexops.canary package loads scipy

        with lock_for(self.env, procedure="30-application-deployment"):
            self.applied = apply_plan(self.env.app, self.plan, on_progress=on_progress)
        return self.applied

    def watch_health(
        self, *, on_status: Callable[[RevisionStatus, tuple[RevisionStatus, ...]], None] | None = None
    ) -> WatchResult | None:
        """Step 5: watch the revision until healthy / failed / timeout. None when nothing was applied."""
        if self.applied is None:
            return None
        self.watch = watch_revision(
            self.env.app,
            self.applied.name,
            min_replicas=self.settings.app.min_replicas,
            timeout_s=self.health_timeout_s,
            poll_s=self.poll_s,
            crash_restarts=self.crash_restarts,
            clock=self._clock,
            sleep=self._sleep,
            on_status=on_status,
        )
        return self.watch

    def verify(self) -> list[CheckResult]:
        """Step 6: health state, replicas ≥ min, and /health/live + /health/ready on the revision URL."""
        if self.applied is None:
            return []
        revision = self.env.app.get_revision(self.applied.name)
        checks = check_revision_state(revision, min_replicas=self.settings.app.min_replicas)
        if revision.url and revision.active:
            checks += probe_revision_url(revision, timeout_s=self.settings.smoke.request_timeout_s)
        else:
            checks.append(
                CheckResult("health: live", Status.SKIPPED, 0.0, "the revision has no URL (inactive)")
            )
        traffic_now = tuple(self.env.app.get_traffic())
        unchanged = traffic_key(traffic_now) == traffic_key(self.applied.traffic_before)
        checks.append(
            CheckResult(
                "traffic: unchanged",
                Status.PASS if unchanged else Status.FAIL,
                0.0,
                f"{self.applied.name} has {revision.traffic_weight}% traffic; the traffic list is "
                + ("unchanged" if unchanged else "CHANGED since the deployment started"),
                "" if unchanged else "restore it now: run 60-rollback",
            )
        )
        self.checks = checks
        return checks

    @property
    def failed(self) -> bool:
        if self.applied is None:
            return False
        watch_bad = self.watch is not None and not self.watch.ok
        return watch_bad or any(c.status.failed for c in self.checks)

    def troubleshoot(self, *, tail: int = 100) -> Troubleshooting | None:
        """On failure: the revision's logs, startup errors, replicas, registry credentials; else None."""
        if not self.failed or self.applied is None:
            return None
        self.troubleshooting = gather_troubleshooting(
            self.env.app, self.env.telemetry, self.applied.name, tail=tail
        )
        return self.troubleshooting

    # ------------------------------------------------------------------ outcome

    def verdict(self) -> Verdict:
        """The run's verdict: PASS, FAIL (raises VerificationError), or SKIPPED for a dry run."""
        if self.plan is None:
            return _verdict(Status.FAIL, "no plan was made", hint="run the procedure from the start")
        if self.applied is None:
            return _verdict(Status.SKIPPED, f"dry run: plan shown ({self.plan.action}), nothing changed")
        name = self.applied.name
        if self.failed:
            reasons = []
            if self.watch is not None and not self.watch.ok:
                reasons.append(self.watch.reason)
            reasons += [f"{c.name}: {c.detail}" for c in self.checks if c.status.failed]
            if self.troubleshooting and self.troubleshooting.errors:
                reasons.append(f"startup error: {self.troubleshooting.errors[0].message}")
            return _verdict(Status.FAIL, *reasons, hint=NEXT_STEP)
        what = "created" if self.applied.created else "already existed (nothing done)"
        replicas = self.watch.revision.replicas if self.watch and self.watch.revision else "?"
        return _verdict(
            Status.PASS,
            f"{name} {what}: image {self.tag}, Healthy, {replicas} replica(s), 0% traffic; "
            "procedure 50 shifts traffic",
        )

    def facts(self) -> dict[str, Any]:
        """The ledger facts (JSON-safe): old revision(s), new revision, image, digest, what happened."""
        out: dict[str, Any] = {
            "image": self.image.image if self.image else self.settings.image(self.tag),
            "digest": self.image.digest if self.image else None,
            "image_tag": self.tag,
        }
        if self.snapshot is not None:
            out.update(self.snapshot.facts())
        if self.plan is not None:
            out["plan_action"] = self.plan.action
        if self.applied is not None:
            out.update(self.applied.facts())
        out["deploy_verdict"] = self.verdict().status
        return out
