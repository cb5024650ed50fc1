"""The `az` command equivalent to each call apexops makes: plan cells and hints speak the runbook's language.

Engineers who know the runbook read a plan faster as the `az` command they would have typed, and an error
hint is only useful when it can be pasted as is. These are pure functions of Settings and the domain types
(no I/O, no Azure SDK), so plan cells show the same text on the sandbox and on Azure. Every value is
shell-quoted; a value that is deliberately a shell expansion (e.g. `$(az account show ...)`) is passed as
`Shell(...)` and rendered unquoted inside double quotes.

Two deliberate differences from the runbook's text, both safer:
- `ingress traffic set` always names EVERY revision of the list, with 0 for those losing traffic: the CLI
  rescales revisions it is not told about proportionally (custom.py `_update_weights`), which surprises.
- `az containerapp restart` does not exist in the Azure CLI; the equivalent is one
  `az containerapp revision restart` per active revision, which is what the adapter does.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from apexops.errors import ConfigError
from apexops.models import AppUpdate, TrafficWeight
from apexops.settings import Settings

__all__ = [
    "Shell",
    "account_get_access_token",
    "acr_repository_show",
    "acr_repository_show_tags",
    "containerapp_exec",
    "containerapp_logs_show",
    "containerapp_restart",
    "containerapp_show",
    "containerapp_update",
    "deployment_group_cancel",
    "deployment_group_create",
    "deployment_group_show",
    "deployment_group_validate",
    "deployment_group_what_if",
    "group_create",
    "group_show",
    "ingress_traffic_set",
    "ingress_traffic_show",
    "login",
    "render",
    "resource_list",
    "revision_activate",
    "revision_deactivate",
    "revision_list",
    "revision_restart",
    "role_assignment_list",
]


@dataclass(frozen=True)
class Shell:
    """A value the shell must expand (command substitution, variable); rendered inside double quotes."""

    text: str


Value = str | Shell
Option = tuple[str, tuple[Value, ...]]


def _q(value: Value) -> str:
    if isinstance(value, Shell):
        return '"' + value.text.replace('"', '\\"') + '"'
    return shlex.quote(value)


def render(words: Sequence[str], options: Sequence[Option], *, oneline: bool = False) -> str:
    """Render like the runbook: the command words, then one option (with its values) per line."""
    head = " ".join(shlex.quote(w) for w in words)
    if oneline:
        return " ".join([head, *(" ".join([flag, *(_q(v) for v in values)]) for flag, values in options)])
    parts = []
    for flag, values in options:
        if len(values) > 3:  # a long list (env vars): one value per line, as the runbook writes it
            parts.append(" \\\n    ".join([flag, *(_q(v) for v in values)]))
        else:
            parts.append(" ".join([flag, *(_q(v) for v in values)]))
    return " \\\n  ".join([head, *parts])


def _opt(flag: str, *values: Value) -> Option:
    return (flag, tuple(values))


def _app(settings: Settings) -> list[Option]:
    return [_opt("--name", settings.app.name), _opt("--resource-group", settings.azure.resource_group)]


def _number(value: float) -> str:
    """CPU cores as the runbook writes them: 2.0, 0.5, 0.25."""
    return repr(float(value))


# --------------------------------------------------------------------------- container app


def containerapp_show(settings: Settings, *, query: str | None = None, oneline: bool = False) -> str:
    opts = _app(settings) + ([_opt("--query", query)] if query else [])
    return render(["az", "containerapp", "show"], opts, oneline=oneline)


def containerapp_update(settings: Settings, change: AppUpdate, *, oneline: bool = False) -> str:
    """`az containerapp update` with exactly the options the change sets (None means 'keep')."""
    if change.is_empty():
        raise ConfigError("the update changes nothing.", hint="set at least one of image, env, cpu, "
                          "memory, min_replicas, max_replicas or revision_suffix.")
    opts = _app(settings)
    if change.image is not None:
        opts.append(_opt("--image", change.image))
    if change.revision_suffix is not None:
        opts.append(_opt("--revision-suffix", change.revision_suffix))
    if change.env:
        opts.append(_opt("--set-env-vars", *(f"{k}={v}" for k, v in change.env.items())))
    if change.cpu is not None:
        opts.append(_opt("--cpu", _number(change.cpu)))
    if change.memory is not None:
        opts.append(_opt("--memory", change.memory))
    if change.min_replicas is not None:
        opts.append(_opt("--min-replicas", str(change.min_replicas)))
    if change.max_replicas is not None:
        opts.append(_opt("--max-replicas", str(change.max_replicas)))
    return render(["az", "containerapp", "update"], opts, oneline=oneline)


def ingress_traffic_set(
    settings: Settings,
    weights: Sequence[TrafficWeight],
    *,
    current: Iterable[TrafficWeight] = (),
    oneline: bool = False,
) -> str:
    """`az containerapp ingress traffic set` with the FULL --revision-weight list.

    Revisions present in `current` but absent from `weights` are written with weight 0, so the CLI has
    nothing left to rescale.
    """
    pairs: list[str] = []
    named: set[str] = set()
    for w in weights:
        key = w.revision_name or ("latest" if w.latest_revision else "")
        if not key:
            raise ConfigError("a traffic weight has no revision name.", hint="name every revision.")
        pairs.append(f"{key}={int(w.weight)}")
        named.add(key)
    for w in current:
        if w.revision_name and w.revision_name not in named:
            pairs.append(f"{w.revision_name}=0")
            named.add(w.revision_name)
    if not pairs:
        raise ConfigError("the traffic list is empty.", hint="give every revision its weight (sum 100).")
    opts = [*_app(settings), _opt("--revision-weight", *pairs)]
    return render(["az", "containerapp", "ingress", "traffic", "set"], opts, oneline=oneline)


def ingress_traffic_show(settings: Settings, *, oneline: bool = False) -> str:
    opts = [*_app(settings), _opt("--output", "table")]
    return render(["az", "containerapp", "ingress", "traffic", "show"], opts, oneline=oneline)


def revision_list(settings: Settings, *, query: str | None = None, oneline: bool = False) -> str:
    opts = [*_app(settings), _opt("--query", query) if query else _opt("--output", "table")]
    return render(["az", "containerapp", "revision", "list"], opts, oneline=oneline)


def _revision_verb(verb: str, settings: Settings, revision: str, *, oneline: bool = False) -> str:
    if not revision:
        raise ConfigError(f"revision {verb}: no revision name given.", hint="name the revision.")
    opts = [*_app(settings), _opt("--revision", revision)]
    return render(["az", "containerapp", "revision", verb], opts, oneline=oneline)


revision_activate = functools.partial(_revision_verb, "activate")
revision_deactivate = functools.partial(_revision_verb, "deactivate")
revision_restart = functools.partial(_revision_verb, "restart")


def containerapp_restart(
    settings: Settings, active_revisions: Sequence[str], *, oneline: bool = False
) -> str:
    """The runbook's `az containerapp restart`: one revision restart per active revision, one per line."""
    if not active_revisions:
        raise ConfigError("there is no active revision to restart.", hint="activate a revision first: "
                          + revision_activate(settings, "<revision>", oneline=True))
    return "\n".join(revision_restart(settings, r, oneline=oneline) for r in active_revisions)


def containerapp_exec(
    settings: Settings,
    command: str | Sequence[str],
    *,
    revision: str | None = None,
    replica: str | None = None,
    oneline: bool = False,
) -> str:
    text = command if isinstance(command, str) else shlex.join(command)
    opts = _app(settings)
    if revision:
        opts.append(_opt("--revision", revision))
    if replica:
        opts.append(_opt("--replica", replica))
    opts.append(_opt("--command", text))
    return render(["az", "containerapp", "exec"], opts, oneline=oneline)


def containerapp_logs_show(
    settings: Settings,
    *,
    revision: str | None = None,
    tail: int | None = 100,
    follow: bool = False,
    oneline: bool = False,
) -> str:
    opts = _app(settings)
    if revision:
        opts.append(_opt("--revision", revision))
    if tail is not None:
        opts.append(_opt("--tail", str(int(tail))))
    if follow:
        opts.append(_opt("--follow"))
    return render(["az", "containerapp", "logs", "show"], opts, oneline=oneline)


# --------------------------------------------------------------------------- deployments


def _bicep(
    verb: str, settings: Settings, *, name: str = "main", template_file: str = "main.bicep",
    parameters_file: str | None = None, oneline: bool = False, extra: Sequence[Option] = (),
) -> str:
    """`az deployment group <verb>` of a Bicep template with its environment's parameters file."""
    opts = [
        _opt("--resource-group", settings.azure.resource_group),
        _opt("--name", name),
        _opt("--template-file", template_file),
        _opt("--parameters", parameters_file or f"parameters/{settings.environment}.bicepparam"),
        *extra,
    ]
    return render(["az", "deployment", "group", verb], opts, oneline=oneline)


deployment_group_validate = functools.partial(_bicep, "validate")
deployment_group_create = functools.partial(_bicep, "create")
deployment_group_what_if = functools.partial(
    _bicep, "what-if", extra=[_opt("--result-format", "FullResourcePayloads")]
)


def deployment_group_cancel(settings: Settings, *, name: str = "main", oneline: bool = False) -> str:
    opts = [_opt("--resource-group", settings.azure.resource_group), _opt("--name", name)]
    return render(["az", "deployment", "group", "cancel"], opts, oneline=oneline)


def deployment_group_show(settings: Settings, *, name: str = "main", oneline: bool = False) -> str:
    opts = [_opt("--resource-group", settings.azure.resource_group), _opt("--name", name),
            _opt("--query", "properties.provisioningState")]
    return render(["az", "deployment", "group", "show"], opts, oneline=oneline)


# --------------------------------------------------------------------------- groups, access, registry


def group_create(settings: Settings, *, oneline: bool = False) -> str:
    opts = [_opt("--name", settings.azure.resource_group), _opt("--location", settings.azure.location)]
    return render(["az", "group", "create"], opts, oneline=oneline)


def group_show(settings: Settings, *, oneline: bool = False) -> str:
    return render(["az", "group", "show"], [_opt("--name", settings.azure.resource_group)], oneline=oneline)


def resource_list(settings: Settings, *, oneline: bool = False) -> str:
    opts = [_opt("--resource-group", settings.azure.resource_group), _opt("--output", "table")]
    return render(["az", "resource", "list"], opts, oneline=oneline)


ME = Shell("$(az account show --query user.name -o tsv)")


def role_assignment_list(
    *, assignee: Value = ME, scope: str | None = None, oneline: bool = False
) -> str:
    opts = [_opt("--assignee", assignee)]
    if scope:
        opts.append(_opt("--scope", scope))
    opts.append(_opt("--output", "table"))
    return render(["az", "role", "assignment", "list"], opts, oneline=oneline)


def acr_repository_show_tags(
    settings: Settings, *, repository: str | None = None, oneline: bool = False
) -> str:
    opts = [_opt("--name", settings.registry.name),
            _opt("--repository", repository or settings.app.image_repository), _opt("--output", "table")]
    return render(["az", "acr", "repository", "show-tags"], opts, oneline=oneline)


def acr_repository_show(
    settings: Settings, tag: str, *, repository: str | None = None, oneline: bool = False
) -> str:
    opts = [_opt("--name", settings.registry.name),
            _opt("--repository", repository or settings.app.image_repository), _opt("--tag", tag),
            _opt("--query", "{digest: digest, created: created}"), _opt("--output", "table")]
    return render(["az", "acr", "repository", "show"], opts, oneline=oneline)


def login(*, tenant: str | None = None, oneline: bool = True) -> str:
    return render(["az", "login"], [_opt("--tenant", tenant)] if tenant else [], oneline=oneline)


def account_get_access_token(audience: str, *, oneline: bool = True) -> str:
    """How to get the same token by hand; the token itself is never shown by apexops."""
    opts = [_opt("--resource", audience), _opt("--query", "expiresOn"), _opt("--output", "tsv")]
    return render(["az", "account", "get-access-token"], opts, oneline=oneline)

