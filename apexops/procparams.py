"""Procedure parameters: checked against the notebook's parameters cell before anything runs.

Papermill injects whatever it is given (an unknown name is only a warning) and writes it into the
executed notebook. So every parameter is checked here first, against what `papermill.inspect_notebook`
reads from the parameters cell: the name must exist, the value must fit the annotation (`int`, `bool`,
`str | None`, `Literal[...]`; un-annotated parameters must match their default's type), and nothing may
look like a secret. Each refusal is one line naming the parameter and the fix. Command-line values
(`-p name=value`) are typed the same way, so `-p dry_run=false` is False and `-p migration=0002` stays a
string.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
from collections.abc import Mapping
from typing import Any

from apexops.catalog import Procedure
from apexops.errors import ConfigError
from apexops.redact import check_parameters

__all__ = ["coerce_cli_value", "parse_cli_parameters", "validate_parameters"]


def _alternatives(type_text: str | None, default_text: str) -> list[Any] | None:
    """The accepted kinds of a parameter: python types, None, or ("literal", values); None = anything."""
    if not type_text:
        try:
            default = ast.literal_eval(default_text)
        except (ValueError, SyntaxError):
            return None
        if default is None:
            return None
        return [type(default)] if isinstance(default, bool | int | float | str) else None
    text = type_text.strip().replace("typing.", "")
    if text.startswith("Optional[") and text.endswith("]"):
        text = text[len("Optional[") : -1] + " | None"
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "|" and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    kinds: list[Any] = []
    base_types = {
        "int": int, "float": float, "bool": bool, "str": str, "list": list, "List": list,
        "Sequence": list, "tuple": list, "dict": dict, "Dict": dict, "Mapping": dict,
    }  # fmt: skip
    for part in parts:
        base = part.split("[", 1)[0].strip()
        if base in ("None", "NoneType"):
            kinds.append(None)
        elif base == "Literal":
            try:
                values = ast.literal_eval("(" + part.split("[", 1)[1].rsplit("]", 1)[0] + ",)")
            except (ValueError, SyntaxError, IndexError):
                return None
            kinds.append(("literal", tuple(values)))
        elif base in base_types:
            kinds.append(base_types[base])
        else:
            return None  # Any, custom types: papermill cannot say, so neither can we
    return kinds


def _accepts(kinds: list[Any], value: Any) -> bool:
    for kind in kinds:
        if kind is None and value is None:
            return True
        if isinstance(kind, tuple) and value in kind[1]:
            return True
        if kind is bool and isinstance(value, bool):
            return True
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if kind in (str, list, dict) and isinstance(value, kind):
            return True
        if kind is list and isinstance(value, tuple):
            return True
    return False


def _kinds_text(kinds: list[Any]) -> str:
    names = []
    for k in kinds:
        if k is None:
            names.append("None")
        elif isinstance(k, tuple):
            names.append(" or ".join(repr(v) for v in k[1]))
        else:
            names.append(k.__name__)
    return " | ".join(names)


def coerce_cli_value(name: str, raw: str, type_text: str | None, default_text: str = "") -> Any:
    """Turn `-p name=raw` into the parameter's type (bool accepts true/false/yes/no/1/0)."""
    kinds = _alternatives(type_text, default_text)
    if kinds is None:
        import yaml

        try:
            return yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            return raw
    low = raw.strip().lower()
    for kind in kinds:
        if kind is None and low in ("none", "null", "~"):
            return None
        if isinstance(kind, tuple):
            for v in kind[1]:
                if str(v) == raw:
                    return v
        if kind is bool and low in ("true", "false", "yes", "no", "1", "0", "on", "off"):
            return low in ("true", "yes", "1", "on")
        if kind is int:
            with contextlib.suppress(ValueError):
                return int(raw)
        if kind is float:
            with contextlib.suppress(ValueError):
                return float(raw)
        if kind in (list, dict):
            import yaml

            with contextlib.suppress(yaml.YAMLError):
                value = yaml.safe_load(raw)
                if isinstance(value, kind):
                    return value
    if str in kinds:
        return raw
    example = {bool: "true", int: "3", float: "0.5", list: "'[a, b]'", dict: "'{k: v}'"}
    first = next((k for k in kinds if k is not None), str)
    sample = example.get(first, "<value>") if not isinstance(first, tuple) else repr(first[1][0])
    raise ConfigError(
        f"parameter {name!r} expects {_kinds_text(kinds)}, got {raw!r}.",
        hint=f"pass e.g. -p {name}={sample}",
    )


def parse_cli_parameters(procedure: Procedure, pairs: list[str]) -> dict[str, Any]:
    """`["k=v", ...]` from the command line, typed by the notebook's parameters cell."""
    declared = {p.name: p for p in procedure.parameters()}
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"-p expects name=value, got {pair!r}.", hint="write e.g. -p dry_run=false")
        p = declared.get(name)
        out[name] = coerce_cli_value(name, raw, p.type, p.default) if p else raw
    return out


def validate_parameters(procedure: Procedure, env: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Check names, types and secrets against the parameters cell; returns what papermill will inject.

    `env` is injected when the notebook declares it; a conflicting `-p env=...` is an error.
    """
    params = dict(parameters)
    check_parameters(params)
    declared = {p.name: p for p in procedure.parameters()}
    if "env" in params and params["env"] != env:
        raise ConfigError(
            f"parameter 'env' ({params['env']!r}) contradicts --env {env}.",
            hint=f"choose the environment with --env only (e.g. --env {params['env']}).",
        )
    if "env" in declared:
        params["env"] = env
    for name, value in params.items():
        p = declared.get(name)
        if p is None:
            close = difflib.get_close_matches(name, list(declared), n=1)
            known = ", ".join(declared) or "none"
            raise ConfigError(
                f"unknown parameter {name!r} for procedure {procedure.slug}.",
                hint=(f"did you mean {close[0]!r}? " if close else "")
                + f"known parameters: {known} (see `apexops procedures`).",
            )
        kinds = _alternatives(p.type, p.default)
        if kinds is not None and not _accepts(kinds, value):
            raise ConfigError(
                f"parameter {name!r} of {procedure.slug} expects {_kinds_text(kinds)}, "
                f"got {type(value).__name__} {value!r}.",
                hint=f"pass a {_kinds_text(kinds)} value for {name} (default {p.default}).",
            )
    return params
