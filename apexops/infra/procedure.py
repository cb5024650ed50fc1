"""Procedure 10 as one object a notebook steps through: prepare → validate → what-if review → deploy →
outputs → inventory, with the runbook's troubleshooting folded in.

Each method is one numbered step and returns data to display. Bad parameters raise ConfigError in the
constructor, before anything is contacted. A run makes ONE change, named by its approval phrase:
`DEPLOY INFRASTRUCTURE TO <env>` (default) or, with `cancel_deployment=True`, `CANCEL DEPLOYMENT <name> IN
<resource group>` for a deployment stuck in provisioning. The deploy refuses, before any call, a template
that did not validate, a review with unacknowledged unexpected changes, or a deployment of the same name
still running.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops import azcli
from apexops.deploy.image import validate_tag
from apexops.deploy.live import LiveTable
from apexops.errors import ApexopsError, ConfigError, ConflictError
from apexops.infra.hints import hint_for, infra_hints, known_issues, stuck_deployment
from apexops.infra.inventory import Inventory, OutputsCheck, check_outputs, compare_inventory
from apexops.infra.outcome import InfraRun, infra_verdict
from apexops.infra.prepare import parameters_document, prepare_rows, redacted
from apexops.infra.prepare import row as _row
from apexops.infra.review import Review, parse_acknowledge, review_changes
from apexops.infra.template import LoadedTemplate, load_template, parameters_for
from apexops.models import ResourceInfo
from apexops.polling import poll_until
from apexops.scrubbed import write_scrubbed
from apexops.status import Status, Verdict

if TYPE_CHECKING:
    from collections.abc import Sequence

    from apexops.environment import Environment
    from apexops.models import DeploymentOperation, DeploymentResult, DeploymentValidation

__all__ = ["InfraProcedure"]

MODES = ("Incremental", "Complete")
_NAME = re.compile(r"^[A-Za-z0-9_.()-]{1,64}$")
#: a deployment in these states has not finished (a cancel waits them out)
_IN_FLIGHT = ("Running", "Accepted", "Canceling")


def _operation_rows(ops: Sequence[DeploymentOperation]) -> list[dict[str, Any]]:
    return [
        {
            "resource": o.resource_name,
            "type": o.resource_type,
            "operation": o.operation,
            "state": o.provisioning_state,
            "message": o.status_message,
        }
        for o in ops
    ]


class InfraProcedure:
    """One run of procedure 10 against an environment (sandbox or Azure, through the Deployments port)."""

    def __init__(
        self,
        env: Environment,
        *,
        template_file: str = "",
        image_tag: str = "",
        mode: str = "Incremental",
        acknowledge: str = "",
        deployment_name: str = "main",
        cancel_deployment: bool = False,
        dry_run: bool = True,
        evidence_dir: Path | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.env, self.settings = env, env.settings
        if mode not in MODES:
            raise ConfigError(
                f"mode {mode!r} is not valid.",
                hint="use Incremental (the runbook's) or Complete (also DELETES resources the template "
                "does not declare).",
            )
        if not _NAME.match(deployment_name or ""):
            raise ConfigError(
                f"deployment_name {deployment_name!r} is not a valid deployment name.",
                hint="use 1-64 letters, digits, '.', '_', '-', '(' or ')', e.g. main.",
            )
        if cancel_deployment and (image_tag.strip() or acknowledge.strip()):
            raise ConfigError(
                "cancel_deployment=True is a run of its own: it only cancels the running deployment.",
                hint="leave image_tag and acknowledge empty, or set cancel_deployment=False.",
            )
        self.mode, self.name = mode, deployment_name
        self.image_tag = validate_tag(image_tag) if image_tag.strip() else ""
        self.acknowledge = parse_acknowledge(acknowledge)
        self.cancel_deployment, self.dry_run = bool(cancel_deployment), bool(dry_run)
        self.template: LoadedTemplate = load_template(template_file)
        self.evidence_dir = evidence_dir
        self._now, self._clock, self._sleep = now, clock, sleep
        self._parameters: dict[str, Any] | None = None
        self.preparation: list[dict[str, Any]] = []
        self.validation: DeploymentValidation | None = None
        self.review: Review | None = None
        self.result: DeploymentResult | None = None
        self.canceled: DeploymentResult | None = None
        self.outputs_check: OutputsCheck | None = None
        self.inventory_check: Inventory | None = None
        self.template_coverage: Inventory | None = None

    # ------------------------------------------------------------------ parameters

    @property
    def parameters(self) -> dict[str, Any]:
        """The deployment parameters: the environment's, with the app's container spec as it runs now."""
        if self._parameters is None:
            app = self.env.app.show().template
            image = self.settings.image(self.image_tag) if self.image_tag else None
            object_id = self.settings.reference("APEX_SQL_ADMIN_GROUP_OBJECT_ID") or ""
            self._parameters = parameters_for(
                self.settings, app, image=image, sql_admin_group_object_id=object_id
            )
        return self._parameters

    def parameter_rows(self) -> list[dict[str, Any]]:
        shown = redacted(self.parameters)
        rows = []
        for k, v in shown.items():
            if k == "containerEnv":
                v = ", ".join(
                    f"{e['name']}={e.get('value', 'secretref:' + str(e.get('secretRef')))}" for e in v
                )
            rows.append({"parameter": k, "value": v})
        return rows

    @property
    def parameters_file(self) -> Path | None:
        if self.evidence_dir is None:
            return None
        return self.evidence_dir / f"parameters.{self.settings.environment}.json"

    @property
    def approval_phrase(self) -> str:
        if self.cancel_deployment:
            return f"CANCEL DEPLOYMENT {self.name} IN {self.settings.azure.resource_group}"
        return f"DEPLOY INFRASTRUCTURE TO {self.settings.environment}"

    # ------------------------------------------------------------------ step 1

    def prepare(self) -> list[dict[str, Any]]:
        """Identity, subscription and resource group, template, current deployment, the app's image."""
        self.preparation = prepare_rows(
            self.env, self.template, name=self.name, image_tag=self.image_tag, now=self._now()
        )
        if self.parameters_file is not None and self.preparation[-1]["status"] != Status.FAIL:  # app read
            self.parameters_file.parent.mkdir(parents=True, exist_ok=True)
            write_scrubbed(self.parameters_file, json.dumps(parameters_document(self.parameters), indent=2))
        return self.preparation

    def require_prepared(self) -> None:
        """Stop before validating when the target itself is not usable (identity, resource group, app)."""
        for r in self.preparation:
            if r["status"] == Status.FAIL and r["check"] in ("identity", "resource group", "subscription"):
                raise ConfigError(f"{r['check']}: {r['detail']}", hint=r["hint"] or None)

    # ------------------------------------------------------------------ step 2

    def validate(self) -> DeploymentValidation:
        with infra_hints(self.settings):
            self.validation = self.env.deployments.validate(
                self.template.document, self.parameters, name=self.name
            )
        return self.validation

    def validation_rows(self) -> list[dict[str, Any]]:
        v = self.validation
        if v is None:
            return []
        if v.ok:
            return [_row("validate", Status.PASS, f'"provisioningState": "{v.provisioning_state}"')]
        hint = hint_for(f"{v.error_code} {v.error_message}", self.settings) or ""
        rows = [_row("validate", Status.FAIL, f"{v.error_code}: {v.error_message}", hint)]
        rows += [_row("detail", Status.FAIL, d) for d in v.details]
        rows += [_row("diagnostic", Status.WARN, d) for d in v.diagnostics]
        return rows

    # ------------------------------------------------------------------ step 3

    def what_if(self) -> Review:
        """Predict with full payloads, judge every change with the review rules, save the payloads."""
        with infra_hints(self.settings):
            result = self.env.deployments.what_if(
                self.template.document, self.parameters, name=self.name, mode=self.mode
            )
        self.review = review_changes(result, self.acknowledge)
        declared = [
            ResourceInfo(c.name, c.resource_type, provisioning_state="Succeeded")
            for c in result.changes
            if c.change_type not in ("Ignore", "Delete")
        ]
        self.template_coverage = compare_inventory(self.settings.expected_resources, declared)
        if self.evidence_dir is not None:
            self.evidence_dir.mkdir(parents=True, exist_ok=True)
            payload = {
                "status": result.status,
                "error_message": result.error_message,
                "mode": self.mode,
                "changes": [
                    {
                        "resource_id": c.resource_id,
                        "type": c.resource_type,
                        "name": c.name,
                        "change_type": c.change_type,
                        "before": c.before,
                        "after": c.after,
                        "delta": [d.__dict__ for d in c.delta],
                        "unsupported_reason": c.unsupported_reason,
                    }
                    for c in result.changes
                ],
            }
            write_scrubbed(self.evidence_dir / "what-if.json", json.dumps(payload, indent=2, default=str))
        return self.review

    def coverage_message(self) -> tuple[str, Status]:
        """Does the template declare every resource of expected_resources? (message, status)"""
        cov = self.template_coverage
        if cov is None:
            return "not checked", Status.SKIPPED
        if cov.missing:
            return (
                f"the template does not declare {', '.join(cov.missing)} (expected_resources in "
                f"parameters/{self.settings.environment}.yaml)",
                Status.WARN,
            )
        return f"the template declares all {cov.expected_count} expected resources", Status.PASS

    # ------------------------------------------------------------------ step 4

    def progress_table(self, title: str = "Deployment progress") -> Callable[[str], None]:
        """An on_progress callback redrawing one table of per-resource operations in place."""
        table = LiveTable(title=title, status_column="state")
        started = self._clock()

        def on_progress(message: str) -> None:
            try:
                ops = self.env.deployments.operations(self.name)
            except ApexopsError:
                ops = []
            table.update(
                _operation_rows(ops) or [{"message": message}],
                caption=f"elapsed {self._clock() - started:.0f} s — {message}",
            )

        return on_progress

    def require_reviewed(self) -> None:
        """Stop a real deployment here when the review blocks it (a cancel run deploys nothing)."""
        if self.review is not None and not self.cancel_deployment:
            self.review.require(dry_run=self.dry_run)

    def _require_deployable(self) -> None:
        if self.validation is None or self.review is None:
            raise ConfigError("validate and what-if have not run.", hint="run steps 2 and 3 first.")
        if not self.validation.ok:
            raise ConfigError(
                f"the template did not validate: {self.validation.error_message}",
                hint=hint_for(f"{self.validation.error_code}", self.settings) or "fix the template.",
            )
        if self.review.failed:
            raise ConfigError(f"the what-if failed: {self.review.error_message}", hint="fix the template.")
        self.review.require(dry_run=False)
        current = self.env.deployments.get(self.name)
        if current is not None and stuck_deployment(current, self._now())[0] in ("running", "stuck"):
            raise ConflictError(
                f"deployment {self.name} is still running (DeploymentActive).",
                hint=hint_for("DeploymentActive", self.settings),
            )

    def apply(self, *, on_progress: Callable[[str], None] | None = None) -> DeploymentResult:
        """Create-or-update (after the gate); returns the final state with per-resource operations."""
        if self.cancel_deployment:
            raise ConfigError("this is a cancel run.", hint="call cancel(), or set cancel_deployment=False.")
        self._require_deployable()
        from apexops.canary.lock import lock_for  # lazily: the apexops.canary package loads scipy

        with lock_for(self.env, procedure="10-infrastructure"), infra_hints(self.settings):
            self.result = self.env.deployments.create_or_update(
                self.template.document,
                self.parameters,
                name=self.name,
                on_progress=on_progress,
                mode=self.mode,
            )
        return self.result

    def cancel(self, *, timeout_s: float = 60.0, poll_s: float = 0.2) -> DeploymentResult | None:
        """Cancel the running deployment (after the gate) and wait until it is no longer running."""
        from apexops.canary.lock import lock_for  # lazily: the apexops.canary package loads scipy

        with lock_for(self.env, procedure="10-infrastructure"), infra_hints(self.settings):
            if not self.env.deployments.cancel(self.name):
                self.canceled = self.env.deployments.get(self.name)
                return self.canceled
            polled = poll_until(
                lambda: self.env.deployments.get(self.name),
                timeout_s,
                until=lambda d: d is None or d.provisioning_state not in _IN_FLIGHT,
                interval_s=poll_s,
                clock=self._clock,
                sleep=self._sleep,
            )
        self.canceled = polled.value
        return self.canceled

    def execute(self, *, on_progress: Callable[[str], None] | None = None) -> DeploymentResult | None:
        """The one change of this run (after the gate): cancel the running deployment, or deploy."""
        if self.cancel_deployment:
            return self.cancel()
        return self.apply(on_progress=on_progress or self.progress_table())

    def result_summary(self) -> tuple[str, Status]:
        """(one line, status) about what the execute step did."""
        if self.cancel_deployment:
            if self.canceled is None:
                return f"deployment {self.name}: nothing to cancel (no deployment of that name)", Status.INFO
            state = self.canceled.provisioning_state
            still = state in ("Running", "Accepted")
            return f"deployment {self.name} is {state}", Status.FAIL if still else Status.PASS
        r = self.result
        if r is None:
            return "nothing was deployed", Status.SKIPPED
        done = sum(1 for o in r.operations if o.provisioning_state == "Succeeded")
        text = f"deployment {r.name} {r.provisioning_state}: {done}/{len(r.operations)} resource operations"
        if r.error_message:
            text += f" — {r.error_message}"
        return text, Status.PASS if r.provisioning_state == "Succeeded" else Status.FAIL

    def result_rows(self) -> list[dict[str, Any]]:
        r = self.result or self.canceled
        return _operation_rows(r.operations) if r is not None else []

    # ------------------------------------------------------------------ steps 5-6

    def outputs(self) -> OutputsCheck | None:
        """The deployment's outputs checked against the parameters file; the last run's in a dry run."""
        source = self.result or self.env.deployments.get(self.name)
        if source is None or source.provisioning_state != "Succeeded":
            return None
        sql = next(
            (r.name for r in self.settings.expected_resources if r.type == "Microsoft.Sql/servers"), None
        )
        try:
            app_url = self.env.app.show().url
        except ApexopsError:
            app_url = None
        self.outputs_check = check_outputs(
            source.outputs,
            deployment=source.name,
            provisioning_state=source.provisioning_state,
            storage_account=self.settings.storage.account,
            key_vault=self.settings.key_vault.name,
            sql_server=sql,
            app_url=app_url,
        )
        return self.outputs_check

    def inventory(self) -> Inventory:
        with infra_hints(self.settings):
            resources = self.env.deployments.list_resources()
        self.inventory_check = compare_inventory(self.settings.expected_resources, resources)
        return self.inventory_check

    # ------------------------------------------------------------------ troubleshooting

    def _seen_text(self) -> str:
        parts = [
            f"{r['detail']} {r['hint']}"
            for r in self.preparation
            if r["status"] in (Status.FAIL, Status.WARN)
        ]
        if self.validation is not None and not self.validation.ok:
            parts.append(f"{self.validation.error_code} {self.validation.error_message}")
        for r in (self.result, self.canceled):
            if r is not None and r.error_message:
                parts.append(r.error_message)
        return " ".join(parts)

    def troubleshooting(self) -> list[dict[str, Any]]:
        """The runbook's three known issues: whether this run saw each one, and what to do."""
        return known_issues(self.settings, self._seen_text())

    # ------------------------------------------------------------------ az equivalents

    def az_commands(self) -> dict[str, str]:
        s, file = self.settings, self.parameters_file
        pf = f"@{file}" if file else f"parameters/{s.environment}.json"
        complete = " \\\n  --mode Complete" if self.mode == "Complete" else ""

        def with_files(command: Callable[..., str]) -> str:
            return command(s, name=self.name, template_file=self.template.label, parameters_file=pf)

        return {
            "show": "az account show",
            "validate": with_files(azcli.deployment_group_validate),
            "what_if": with_files(azcli.deployment_group_what_if) + complete,
            "create": with_files(azcli.deployment_group_create) + complete,
            "status": azcli.deployment_group_show(s, name=self.name),
            "cancel": azcli.deployment_group_cancel(s, name=self.name),
            "resources": azcli.resource_list(s),
        }

    # ------------------------------------------------------------------ outcome

    def verdict(self) -> Verdict:
        return infra_verdict(
            InfraRun(
                self.settings,
                self.name,
                self.dry_run,
                self.env.traits.deployments_change_running_app,
                self.cancel_deployment,
                self.canceled,
                self.validation,
                self.review,
                self.result,
                self.outputs_check,
                self.inventory_check,
            )
        )

    def facts(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "template": self.template.label,
            "template_sha256": self.template.sha256,
            "deployment_name": self.name,
            "mode": self.mode,
        }
        if self._parameters is not None:
            out["container_image"] = self._parameters.get("containerImage")
        if self.review is not None:
            out.update(self.review.facts())
        if self.result is not None:
            out["deployment_state"] = self.result.provisioning_state
        if self.canceled is not None:
            out["canceled_state"] = self.canceled.provisioning_state
        if self.outputs_check is not None:
            out.update(self.outputs_check.facts())
        if self.inventory_check is not None:
            out.update(self.inventory_check.facts())
        out["infra_verdict"] = str(self.verdict().status)
        return out
