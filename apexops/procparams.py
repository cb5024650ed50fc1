"""Procedure parameters: checked against the notebook's parameters cell before anything runs.

Papermill injects whatever it is given (an unknown name is only a warning) and writes it into the
executed notebook. So every parameter is checked here first, against what `papermill.inspect_notebook`
reads from the parameters cell: the name must exist, the value must fit the annotation (`int`, `bool`,
`str | None`, `Literal[...]`; un-annotated parameters must match their default's type), and nothing may
look like a secret. Each refusal is one line naming the parameter and the fix. Command-line values
(`-p name=value`) are typed the same way, so `-p dry_run=false` is False and `-p migration=0002` stays a
string.

Ranges are declared next to the parameter, at the start of its help comment, as an interval ended by `;`:

    tail = 100  # [1, 5000]; console log lines to show
    window_minutes = 15.0  # (0, 1440]; telemetry window
    health_timeout_s = 0.0  # [0, inf); seconds; 0 means the parameters file's
    synthetic_load_rps = -1.0  # [0, 1000] or -1; synthetic users (req/s); -1: the policy's rate

`[`/`]` include the bound, `(`/`)` exclude it; `inf` is allowed only by `inf]`; `or N` adds allowed values
outside the interval (a sentinel such as -1, or `nan`). Every numeric parameter must be finite unless its
declaration allows otherwise. (Interval notation because papermill drops a parameter line holding a second
`=`, so `>= 0` cannot be written there.) `apexops procedures` shows the comment as written.

The annotation text becomes a Python type (only builtin and `typing` names, checked before it is
evaluated) and pydantic validates against it: strictly for values from Python callers, leniently (as
text) for values from the command line.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Optional, Union, get_args, get_origin

import yaml
from pydantic import TypeAdapter, ValidationError

from apexops.catalog import Parameter, Procedure
from apexops.errors import ConfigError
from apexops.redact import check_parameters

__all__ = ["Range", "check_cell_timeout", "coerce_cli_value", "parse_cli_parameters", "validate_parameters"]

#: the names an annotation may use; anything else (Any, a custom class) leaves the parameter unchecked
_TYPES: dict[str, Any] = {
    "int": int, "float": float, "bool": bool, "str": str, "list": list, "List": list, "Sequence": list,
    "tuple": tuple, "dict": dict, "Dict": dict, "Mapping": dict, "None": None, "NoneType": type(None),
    "Literal": Literal, "Optional": Optional,
}  # fmt: skip
_ANNOTATION_NODES = (ast.Expression, ast.Name, ast.Load, ast.Subscript, ast.BinOp, ast.BitOr, ast.Constant,
                     ast.Tuple)  # fmt: skip
_EXAMPLES: dict[Any, str] = {bool: "true", int: "3", float: "0.5", list: "'[a, b]'", dict: "'{k: v}'"}
_NONE_WORDS = ("none", "null", "~")
_NUM = r"[-+]?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|inf|nan)"
_RANGE = re.compile(
    rf"^\s*(?P<lo_edge>[\[(])\s*(?P<lo>{_NUM})\s*,\s*(?P<hi>{_NUM})\s*(?P<hi_edge>[\])])"
    rf"(?P<also>(?:\s+or\s+{_NUM})*)\s*;",
    re.I,
)


@dataclass(frozen=True)
class Range:
    """The values a numeric parameter accepts, as declared at the start of its help comment."""

    lo: float = -math.inf
    hi: float = math.inf
    closed: tuple[bool, bool] = (False, False)
    also: tuple[float, ...] = ()
    text: str = "a finite number"

    @classmethod
    def declared(cls, help_text: str) -> Range:
        """`[0, 1000] or -1; ...` -> its Range; no declaration -> any finite number."""
        m = _RANGE.match(help_text or "")
        if not m:
            return cls()
        also = tuple(float(num) for num in re.findall(_NUM, m["also"], re.I))
        text = f"in {m['lo_edge']}{m['lo']}, {m['hi']}{m['hi_edge']}" + "".join(f" or {a:g}" for a in also)
        return cls(float(m["lo"]), float(m["hi"]), (m["lo_edge"] == "[", m["hi_edge"] == "]"), also, text)

    def allows(self, value: float) -> bool:
        try:
            number = float(value)
        except OverflowError:  # an int beyond float: as good as infinite
            number = math.inf if value > 0 else -math.inf
        if any(v == number or (math.isnan(v) and math.isnan(number)) for v in self.also):
            return True
        above = number >= self.lo if self.closed[0] else number > self.lo
        below = number <= self.hi if self.closed[1] else number < self.hi
        return above and below


def check_cell_timeout(seconds: float | None) -> float | None:
    """`--cell-timeout`: None (the notebook's own) or a positive, finite number of seconds."""
    if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
        raise ConfigError(
            f"--cell-timeout must be a positive number of seconds (got {seconds:g}).",
            hint="pass e.g. --cell-timeout 600, or leave it out for the notebook's own timeout.",
        )
    return seconds


def parameter_type(type_text: str | None, default_text: str = "") -> Any:
    """The type a parameter accepts, from its annotation or else its default's type; None = anything."""
    if not type_text:
        try:
            default = ast.literal_eval(default_text)
        except (ValueError, SyntaxError):
            return None
        return type(default) if isinstance(default, bool | int | float | str) else None
    try:
        tree = ast.parse(type_text.strip().replace("typing.", ""), mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, _ANNOTATION_NODES) or (isinstance(node, ast.Name) and node.id not in _TYPES):
            return None  # Any, custom types: papermill cannot say, so neither can we
    return eval(compile(tree, "<annotation>", "eval"), {"__builtins__": {}}, dict(_TYPES))  # checked above


def _alternatives(tp: Any) -> tuple[Any, ...]:
    return get_args(tp) if get_origin(tp) in (Union, types.UnionType) else (tp,)


def _describe(tp: Any) -> str:
    """`bool`, `str | None`, `'plan' or 'apply'`: the type as the error messages name it."""
    names = []
    for alt in _alternatives(tp):
        if alt is type(None):
            names.append("None")
        elif get_origin(alt) is Literal:
            names.append(" or ".join(repr(v) for v in get_args(alt)))
        else:
            names.append(getattr(get_origin(alt) or alt, "__name__", str(alt)))
    return " | ".join(names)


def _example(tp: Any) -> str:
    first = next((a for a in _alternatives(tp) if a is not type(None)), str)
    if get_origin(first) is Literal:
        return repr(get_args(first)[0])
    return _EXAMPLES.get(get_origin(first) or first, "<value>")


def _fits(tp: Any, value: Any, *, strict: bool) -> tuple[bool, Any]:
    try:
        return True, TypeAdapter(tp).validate_python(value, strict=strict)
    except ValidationError:
        return False, None


def coerce_cli_value(name: str, raw: str, type_text: str | None, default_text: str = "") -> Any:
    """Turn `-p name=raw` into the parameter's type (bool accepts true/false/yes/no/on/off/1/0)."""
    tp = parameter_type(type_text, default_text)
    if tp is None:  # nothing to go by: YAML, like papermill -p
        try:
            return yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            return raw
    if type(None) in _alternatives(tp) and raw.strip().lower() in _NONE_WORDS:
        return None
    ok, value = _fits(tp, raw, strict=False)
    if not ok:  # lists, dicts and non-text Literal values are written as YAML
        try:
            ok, value = _fits(tp, yaml.safe_load(raw), strict=False)
        except yaml.YAMLError:
            pass
    if ok:
        return value
    raise ConfigError(
        f"parameter {name!r} expects {_describe(tp)}, got {raw!r}.",
        hint=f"pass e.g. -p {name}={_example(tp)}",
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
        _check_value(procedure, declared, name, value)
    return params


def _check_value(procedure: Procedure, declared: Mapping[str, Parameter], name: str, value: Any) -> None:
    p = declared.get(name)
    if p is None:
        close = difflib.get_close_matches(name, list(declared), n=1)
        raise ConfigError(
            f"unknown parameter {name!r} for procedure {procedure.slug}.",
            hint=(f"did you mean {close[0]!r}? " if close else "")
            + f"known parameters: {', '.join(declared) or 'none'} (see `apexops procedures`).",
        )
    tp = parameter_type(p.type, p.default)
    if tp is not None and not _fits(tp, value, strict=True)[0]:
        raise ConfigError(
            f"parameter {name!r} of {procedure.slug} expects {_describe(tp)}, "
            f"got {type(value).__name__} {value!r}.",
            hint=f"pass a {_describe(tp)} value for {name} (default {p.default}).",
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        allowed = Range.declared(p.help)
        if not allowed.allows(value):
            raise ConfigError(
                f"parameter {name!r} of {procedure.slug} must be {allowed.text} (got {value!r}).",
                hint=f"pass e.g. -p {name}={p.default} (its default).",
            )
