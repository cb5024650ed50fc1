"""Step 3 of procedure 30: what the update will change, shown as a diff and as the runbook's `az` command.

The requested template comes from `parameters/<env>.yaml` (app.env, cpu, memory, min/max replicas), the
image tag (image, APP_VERSION) and the operator's environment for `${env:NAME}` references. The plan is
also where idempotency lives: when the app already runs exactly this configuration, the plan says which
revision that is and that nothing will happen, unless `force_new_revision` asks for a fresh revision
(with a revision suffix, since an identical template creates no revision otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from apexops import azcli
from apexops.errors import ConfigError, ConflictError
from apexops.models import AppTemplate, AppUpdate
from apexops.redact import HIDDEN, looks_secret
from apexops.status import Status

if TYPE_CHECKING:
    from apexops.models import AppState, Revision
    from apexops.settings import Settings

__all__ = [
    "DeployPlan",
    "PlanRow",
    "desired_update",
    "plan_deploy",
    "resolve_env",
    "revision_suffix_for",
]

_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_TEMPLATE_FIELDS = ("image", "cpu", "memory", "min_replicas", "max_replicas")


def resolve_env(env: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """Replace `${env:NAME}` with the operator's NAME; ConfigError naming the key when NAME is unset."""
    out: dict[str, str] = {}
    for key, value in env.items():
        text = str(value)

        def sub(m: re.Match[str], key: str = key) -> str:
            name = m.group(1)
            if not environ.get(name):
                raise ConfigError(
                    f"app.env.{key} refers to ${{env:{name}}}, but {name} is not set in this environment.",
                    hint=f"export {name} in the shell (or CI job) that runs the procedure, then re-run.",
                )
            return environ[name]

        out[key] = _REF.sub(sub, text)
    return out


def desired_update(settings: Settings, image: str, tag: str, *, environ: Mapping[str, str]) -> AppUpdate:
    """The full requested change: image, env (settings + APP_VERSION), cpu, memory, replicas."""
    env = resolve_env(settings.app.env, environ)
    env["APP_VERSION"] = tag
    a = settings.app
    return AppUpdate(
        image=image,
        env=env,
        cpu=a.cpu,
        memory=a.memory,
        min_replicas=a.min_replicas,
        max_replicas=a.max_replicas,
    )


def revision_suffix_for(tag: str, now: datetime) -> str:
    """A revision suffix ACA accepts (lowercase alphanumerics and '-'), unique per second and tag."""
    slug = re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")[:20].strip("-") or "rev"
    return f"{slug}-{now.astimezone(UTC):%m%d%H%M%S}"


def _merged(current: AppTemplate, update: AppUpdate) -> AppTemplate:
    """The template after `update`: None keeps the current value; env is merged into the current one."""
    given = {f: v for f in _TEMPLATE_FIELDS if (v := getattr(update, f)) is not None}
    return AppTemplate(**{**asdict(current), **given, "env": {**current.env, **(update.env or {})}})


def _same(a: AppTemplate, b: AppTemplate) -> bool:
    return (
        a.image == b.image
        and dict(a.env) == dict(b.env)
        and float(a.cpu) == float(b.cpu)
        and a.memory == b.memory
        and a.min_replicas == b.min_replicas
        and a.max_replicas == b.max_replicas
    )


@dataclass(frozen=True)
class PlanRow:
    """One line of the diff; values of secret-looking names are hidden."""

    setting: str
    current: str
    requested: str
    change: Literal["unchanged", "changed", "added"]

    def row(self) -> dict[str, Any]:
        return asdict(self)


def _shown(name: str, value: Any) -> str:
    if value is None or value == "":
        return "" if value is None else '""'
    return HIDDEN if looks_secret(name) else str(value)


def _diff(current: AppTemplate, requested: AppTemplate) -> list[PlanRow]:
    rows: list[PlanRow] = []

    def add(name: str, shown_as: str, before: Any, after: Any, *, absent: bool = False) -> None:
        if absent:
            change: Literal["unchanged", "changed", "added"] = "added"
        else:
            change = "unchanged" if str(before) == str(after) else "changed"
        rows.append(PlanRow(shown_as, "" if absent else _shown(name, before), _shown(name, after), change))

    add("image", "image", current.image, requested.image)
    add("cpu", "cpu", current.cpu, requested.cpu)
    add("memory", "memory", current.memory, requested.memory)
    add("min_replicas", "min replicas", current.min_replicas, requested.min_replicas)
    add("max_replicas", "max replicas", current.max_replicas, requested.max_replicas)
    for key, value in requested.env.items():
        add(key, f"env {key}", current.env.get(key), value, absent=key not in current.env)
    return rows


@dataclass(frozen=True)
class DeployPlan:
    """What procedure 30 will do, decided before anything changes.

    action: "create" (a new revision) or "none" (this configuration already runs; see `existing`).
    `base_latest_revision` is the latest revision the plan was made against: apply refuses to run if the
    app changed in between.
    """

    app: str
    image: str
    tag: str
    update: AppUpdate
    action: Literal["create", "none"]
    reason: str
    rows: tuple[PlanRow, ...]
    az_command: str
    base_latest_revision: str | None
    existing: str | None = None
    forced: bool = False

    @property
    def changes(self) -> list[PlanRow]:
        return [r for r in self.rows if r.change != "unchanged"]

    def table(self, *, changed_only: bool = False) -> list[dict[str, Any]]:
        """The diff as rows, what changes first (the rest keeps its order)."""
        rows = self.changes if changed_only else sorted(self.rows, key=lambda r: r.change == "unchanged")
        return [r.row() for r in rows]

    @property
    def status(self) -> Status:
        """How the plan's message is shown: WARN when a revision will be created, SKIPPED for a no-op."""
        return Status.WARN if self.action == "create" else Status.SKIPPED


def _activity(rev: Revision) -> str:
    return "active" if rev.active else "inactive"


def _describe(rev: Revision) -> str:
    state = rev.health_state if rev.health_state not in ("", "None") else rev.provisioning_state
    return (
        f"revision {rev.name} already runs image {rev.image.rsplit(':', 1)[-1]} "
        f"({state}, {rev.traffic_weight}% traffic, {rev.replicas} replica(s), "
        f"{_activity(rev)})"
    )


def _refuse_traffic_following_latest(state: AppState) -> None:
    """A traffic entry on `latestRevision` would hand traffic to the new revision at once: stop."""
    follows = [t for t in state.traffic if t.latest_revision and t.weight > 0]
    if follows:
        weight = sum(t.weight for t in follows)
        current = state.latest_revision_name or "<current revision>"
        raise ConflictError(
            f"{weight}% of traffic follows the latest revision: a new revision would receive it at once; "
            "nothing was changed.",
            hint=f"pin traffic to the current revision first (run 50-traffic-shifting, or az containerapp "
            f"ingress traffic set --revision-weight {current}=100), then re-run 30.",
        )


def plan_deploy(
    settings: Settings,
    state: AppState,
    revisions: Sequence[Revision],
    update: AppUpdate,
    *,
    tag: str,
    force_new_revision: bool = False,
    now: datetime | None = None,
) -> DeployPlan:
    """Diff the requested template against the app's current one and decide what will happen."""
    image = update.image
    if image is None:
        raise ValueError("the deploy update must name an image")
    _refuse_traffic_following_latest(state)
    requested = _merged(state.template, update)
    rows = tuple(_diff(state.template, requested))
    latest = next((r for r in revisions if r.name == state.latest_revision_name), None)
    same = _same(state.template, requested)
    earlier = [r for r in revisions if r.image == update.image and r.name != state.latest_revision_name]
    existing = None
    forced = False
    if same and not force_new_revision:
        action: Literal["create", "none"] = "none"
        existing = state.latest_revision_name
        what = _describe(latest) if latest else f"revision {existing} already runs this configuration"
        reason = f"{what}. Nothing will be done (set force_new_revision=True to create a fresh revision)."
        if latest is not None and not latest.healthy:
            reason += f" It is {latest.health_state}: fix the image and deploy another tag, or force."
    else:
        action = "create"
        if same:
            forced = True
            update = replace(update, revision_suffix=revision_suffix_for(tag, now or datetime.now(UTC)))
            reason = (
                f"force_new_revision: the app already runs this configuration "
                f"({state.latest_revision_name}); a fresh revision with suffix "
                f"{update.revision_suffix} will be created."
            )
        else:
            n = sum(1 for r in rows if r.change != "unchanged")
            reason = f"{n} setting(s) change: a new revision will be created from {update.image}."
        if earlier:
            shown = "; ".join(f"{r.name} ({r.health_state}, {_activity(r)})" for r in earlier)
            reason += f" Earlier revision(s) with this image: {shown}."
        reason += " It gets no traffic here (traffic is procedure 50's job)."
    shown_env = {k: (HIDDEN if looks_secret(k) else v) for k, v in (update.env or {}).items()}
    command = azcli.containerapp_update(settings, replace(update, env=shown_env))
    return DeployPlan(
        app=state.name,
        image=image,
        tag=tag,
        update=update,
        action=action,
        reason=reason,
        rows=rows,
        az_command=command,
        base_latest_revision=state.latest_revision_name,
        existing=existing,
        forced=forced,
    )
