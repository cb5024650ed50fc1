"""The plan of a release: which procedures run, in which order, with which parameters and approvals.

A release is 20 → 30 → 40 → 50 (and 60 after a failure once traffic moved). What each child gets is known
up front except what an earlier child decides (the revision 30 creates, the revisions it found serving), so
the plan holds each step's static parameters and names the facts it still needs; `chain.parameters_for`
fills them in at run time.

The release is approved once, with a phrase bound to the whole change: `RELEASE <tag> TO <env>`. Each child's
own phrase (`MIGRATE <db> TO <rev>`, `DEPLOY <tag> TO <env>`, `SHIFT TRAFFIC TO <revision> IN <env>`,
`ROLLBACK <app> TO <revision>`) is derived from it only when that approval matches, so an approval of one
release can never drive another, and a dry run derives none (fail closed: the children's own gates stop).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apexops.catalog import resolve
from apexops.errors import ApprovalRequired, ConfigError, UnknownProcedureError
from apexops.procparams import validate_parameters
from apexops.status import Status

__all__ = [
    "CHAIN",
    "ON_INCONCLUSIVE",
    "ROLLBACK_STEP",
    "RUNTIME_PARAMETERS",
    "Approvals",
    "ReleaseInputs",
    "ReleasePlan",
    "Step",
    "check_procedures",
    "plan_release",
]

_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
ON_INCONCLUSIVE = ("", "escalate", "extend", "rollback", "promote_never")


@dataclass(frozen=True)
class Step:
    """One child procedure of the release."""

    role: str  # migrate | deploy | smoke | shift | rollback
    procedure: str
    title: str
    #: parameters known when the release is planned
    parameters: Mapping[str, Any]
    #: facts an earlier child must provide first (filled by chain.parameters_for)
    needs: tuple[str, ...] = ()
    #: False when this release does not run the step; `why_not` says why
    runs: bool = True
    why_not: str = ""


CHAIN: tuple[tuple[str, str, str], ...] = (
    ("migrate", "20-database-migration", "migrate the database"),
    ("deploy", "30-application-deployment", "create the new revision (0% traffic)"),
    ("smoke", "40-smoke-tests", "smoke-test the new revision on its own URL"),
    ("shift", "50-traffic-shifting", "canary stages to 100%"),
)
ROLLBACK_STEP = ("rollback", "60-rollback", "roll back (only after a failure once traffic moved)")


@dataclass(frozen=True)
class ReleaseInputs:
    """The 90 notebook's parameters, validated."""

    env: str = "local"
    dry_run: bool = True
    image_tag: str = "v1.2.3"
    migrate: bool = True
    migration_target: str = "head"
    migrations_dir: str = ""
    acknowledge: str = ""
    backup_reference: str = ""
    smoke_override: str = ""
    on_inconclusive: str = ""
    synthetic_load_rps: float = -1.0
    cell_timeout_s: float = 0.0

    def validate(self) -> ReleaseInputs:
        """Bad input → one ConfigError naming the parameter, before anything runs."""
        tag = (self.image_tag or "").strip()
        if not _TAG.fullmatch(tag):
            raise ConfigError(
                f"image_tag {self.image_tag!r} is not an image tag.", hint='pass e.g. image_tag="v1.2.3".'
            )
        if self.on_inconclusive not in ON_INCONCLUSIVE:
            raise ConfigError(
                f"on_inconclusive {self.on_inconclusive!r} is not a policy.",
                hint="use escalate, extend, rollback or promote_never, or leave it empty for the policy's.",
            )
        if self.synthetic_load_rps != -1.0 and self.synthetic_load_rps < 0:
            raise ConfigError(
                "synthetic_load_rps must be >= 0, or -1 for the policy's default "
                f"(got {self.synthetic_load_rps}).",
                hint="e.g. synthetic_load_rps=20.",
            )
        if self.cell_timeout_s < 0:
            raise ConfigError(
                f"cell_timeout_s must be >= 0 (got {self.cell_timeout_s}).",
                hint="0 keeps each procedure's own cell timeout.",
            )
        if self.migrations_dir and not self.migrate:
            raise ConfigError(
                "migrations_dir is set but migrate=False, so it would not be used.",
                hint="set migrate=True, or leave migrations_dir empty.",
            )
        return self


@dataclass(frozen=True)
class Approvals:
    """The children's approval phrases, derived from an approved release (empty in a dry run)."""

    release: str
    approved: bool
    migrate: str = ""
    deploy: str = ""
    env: str = ""
    app: str = ""

    def shift(self, revision: str) -> str:
        return f"SHIFT TRAFFIC TO {revision} IN {self.env}" if self.approved else ""

    def rollback(self, to: str) -> str:
        return f"ROLLBACK {self.app} TO {to}" if self.approved and to else ""

    def rows(self) -> list[dict[str, str]]:
        if not self.approved:
            return [{"procedure": "all", "approval": "none: dry run (each child runs its own dry run)"}]
        return [
            {"procedure": "20-database-migration", "approval": self.migrate or "(not migrating)"},
            {"procedure": "30-application-deployment", "approval": self.deploy},
            {"procedure": "50-traffic-shifting", "approval": self.shift("<the revision 30 creates>")},
            {"procedure": "60-rollback", "approval": self.rollback("<the revision serving before>")},
        ]


@dataclass(frozen=True)
class ReleasePlan:
    inputs: ReleaseInputs
    app: str
    database: str
    #: the revision `migration_target` resolves to in the chosen history (None when not migrating)
    migration_revision: str | None
    steps: tuple[Step, ...]
    rollback: Step = field(default_factory=lambda: Step(*ROLLBACK_STEP[:3], parameters={}))

    @property
    def approval_phrase(self) -> str:
        return f"RELEASE {self.inputs.image_tag} TO {self.inputs.env}"

    @property
    def dry_run(self) -> bool:
        return self.inputs.dry_run

    def approvals(self, approval: Any) -> Approvals:
        """The children's phrases, when `approval` approves THIS release; fail closed otherwise.

        `approval` is the approval parameter (a string) or the notebook's `Gate` (approved by parameter or
        by the widget). A dry run needs none and derives none.
        """
        if self.dry_run:
            return Approvals(self.approval_phrase, approved=False)
        if isinstance(approval, str):
            given, ok = approval.strip(), approval.strip() == self.approval_phrase
        else:  # a Gate
            given = str(getattr(approval, "phrase", ""))
            ok = bool(getattr(approval, "approved", False)) and given == self.approval_phrase
        if not ok:
            detail = f"{given!r} does not match" if given else "no approval was given"
            raise ApprovalRequired(
                f"'{self.approval_phrase}' was not approved ({detail}); no child procedure ran.",
                hint=f'pass -p approval="{self.approval_phrase}" to approve this release, '
                "or keep dry_run=True.",
            )
        i = self.inputs
        return Approvals(
            self.approval_phrase,
            approved=True,
            migrate=f"MIGRATE {self.database} TO {self.migration_revision}" if i.migrate else "",
            deploy=f"DEPLOY {i.image_tag} TO {i.env}",
            env=i.env,
            app=self.app,
        )

    def rows(self) -> list[dict[str, Any]]:
        """The plan as a table: order, procedure, what it does, its parameters, what it waits for."""
        out = []
        for n, s in enumerate((*self.steps, self.rollback), start=1):
            params = [f"{k}={v!r}" for k, v in s.parameters.items() if k != "env"]
            if s.needs:
                params.append(f"from earlier children: {', '.join(s.needs)}")
            runs = "yes" if s.runs else f"no: {s.why_not}"
            if s.role == "rollback" and s.runs:
                runs = "only if 50 fails after traffic moved"
            out.append(
                {
                    "#": n,
                    "procedure": s.procedure,
                    "does": s.title,
                    "runs": runs,
                    "parameters": "; ".join(params),
                }
            )
        return out

    def facts(self) -> dict[str, Any]:
        i = self.inputs
        return {
            "image_tag": i.image_tag,
            "env": i.env,
            "dry_run": i.dry_run,
            "migrate": i.migrate,
            "migration_revision": self.migration_revision,
            "migrations_dir": i.migrations_dir or None,
            "steps": [s.procedure for s in self.steps if s.runs],
        }


def _resolve_migration(migration_target: str, migrations_dir: str) -> str:
    # lazy: the migrations library loads alembic and sqlalchemy
    from apexops.migrations._alembic import script_directory
    from apexops.migrations.state import resolve_target

    try:
        sd = script_directory(Path(migrations_dir) if migrations_dir else None)
    except Exception as exc:  # MigrationError: not an Alembic folder, unreadable history
        raise ConfigError(
            f"migrations_dir: {getattr(exc, 'message', exc)}", hint=getattr(exc, "hint", None)
        ) from None
    try:
        revision = resolve_target(sd, migration_target)
    except ConfigError as exc:
        raise ConfigError(
            exc.message.replace("target ", "migration_target ", 1),
            hint=(exc.hint or "").replace("set target", "set migration_target"),
        ) from None
    if revision == "heads":
        raise ConfigError(
            "migration_target 'head' is ambiguous: the migration history has several heads.",
            hint="merge the heads first (20's lint explains), or name one revision.",
        )
    return revision


#: what each child gets at run time besides its static parameters (from earlier children or the approval)
RUNTIME_PARAMETERS: dict[str, tuple[str, ...]] = {
    "migrate": ("approval",),
    "deploy": ("approval",),
    "smoke": ("revision",),
    "shift": ("revision", "baseline_revision", "approval", "smoke_override"),
    "rollback": ("failed_revision", "rollback_to", "reason", "approval"),
}


def check_procedures(plan: ReleasePlan, notebooks: Path | None = None) -> list[dict[str, Any]]:
    """Every child exists and declares every parameter the release will pass it, checked before anything
    runs: a missing procedure or a renamed parameter must not surface after the database was migrated."""
    rows = []
    for step in (*plan.steps, plan.rollback):
        try:
            proc = resolve(step.procedure, notebooks)
        except UnknownProcedureError as exc:
            raise ConfigError(
                f"the release needs procedure {step.procedure}, and {exc.message}", hint=exc.hint
            ) from None
        sample = {**step.parameters, **dict.fromkeys(RUNTIME_PARAMETERS[step.role], "")}
        try:
            validate_parameters(proc, plan.inputs.env, sample)
        except ConfigError as exc:
            raise ConfigError(
                f"the release cannot run {step.procedure}: {exc.message}",
                hint="the child's parameters cell and apexops.release.plan disagree; nothing was run.",
            ) from None
        rows.append(
            {
                "procedure": step.procedure,
                "notebook": proc.path.name,
                "parameters the release passes": ", ".join(k for k in sample if k != "env"),
                "check": Status.PASS,
            }
        )
    return rows


def plan_release(settings: Any, inputs: ReleaseInputs, *, resolve_migration: Any = None) -> ReleasePlan:
    """Validate the inputs and lay out the children with their static parameters.

    `settings` gives the app and database names (for the derived phrases); `resolve_migration(target, dir)`
    resolves the migration target to a revision id (default: the Alembic history on disk, no database).
    """
    i = inputs.validate()
    migration_revision = None
    if i.migrate:
        migration_revision = (resolve_migration or _resolve_migration)(i.migration_target, i.migrations_dir)
    dry = i.dry_run
    migrate_params: dict[str, Any] = {"env": i.env, "dry_run": dry, "target": i.migration_target or "head"}
    for key in ("migrations_dir", "acknowledge", "backup_reference"):
        if getattr(i, key):
            migrate_params[key] = getattr(i, key)
    shift_params: dict[str, Any] = {"env": i.env, "dry_run": dry}
    if i.on_inconclusive:
        shift_params["on_inconclusive"] = i.on_inconclusive
    if i.synthetic_load_rps != -1.0:
        shift_params["synthetic_load_rps"] = float(i.synthetic_load_rps)
    later = "needs the revision 30 creates; a dry run creates none"
    steps = (
        Step(
            *CHAIN[0], parameters=migrate_params, runs=i.migrate, why_not="" if i.migrate else "migrate=False"
        ),
        Step(*CHAIN[1], parameters={"env": i.env, "dry_run": dry, "image_tag": i.image_tag}),
        Step(*CHAIN[2], parameters={"env": i.env}, needs=("revision",), runs=not dry, why_not=later),
        Step(
            *CHAIN[3],
            parameters=shift_params,
            needs=("revision", "baseline_revision"),
            runs=not dry,
            why_not=later,
        ),
    )
    rollback = Step(
        *ROLLBACK_STEP,
        parameters={"env": i.env, "dry_run": dry},
        needs=("failed_revision", "rollback_to", "reason"),
        runs=not dry,
        why_not="never in a dry run" if dry else "",
    )
    return ReleasePlan(i, settings.app.name, settings.database.name, migration_revision, steps, rollback)
