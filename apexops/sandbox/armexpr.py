"""ARM template expressions, the common subset: enough to evaluate the templates procedure 10 deploys.

`"[concat('st', parameters('env'))]"` and friends: parameters, variables, concat, format, resourceGroup,
subscription, resourceId, uniqueString, toLower/toUpper, string/int/bool, true/false, if, equals, not,
empty, length, union and reference, with property access (`.x`) and indexing (`[0]`). An expression that
only has a value during a deployment (`reference()` before the resource exists, or a function the sandbox
does not know) raises `Unevaluable`; what-if reports such a resource as Unsupported, as Azure does.

Kept by hand rather than taken from a library: no maintained Python package evaluates ARM expressions
(Bicep and the Azure CLI evaluate them server-side), and the subset procedure 10 needs is a tokenizer, a
recursive-descent parser and one table of functions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from apexops.errors import InvalidRequestError

__all__ = ["SUBSCRIPTION_ID", "ExprContext", "Unevaluable", "evaluate"]

SUBSCRIPTION_ID = "00000000-0000-4000-8000-00000000a9e7"


class Unevaluable(Exception):
    """An expression that only has a value during deployment (e.g. reference())."""


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<p>[(),.\[\]]))"
)


def _tokens(text: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise InvalidRequestError(
                f"cannot parse template expression [{text}] at {text[pos : pos + 10]!r}.",
                hint="check the expression syntax.",
            )
        pos = m.end()
        kind = m.lastgroup or "p"
        value = m.group(kind)
        out.append(
            (
                kind,
                value[1:-1].replace("''", "'") if kind == "str" else int(value) if kind == "num" else value,
            )
        )
    return out


class ExprContext:
    """What expressions can see: parameter values, variables, the resource group, and (while deploying)
    the properties of deployed resources through `reference()`."""

    def __init__(
        self,
        params: Mapping[str, Any],
        variables: Mapping[str, Any],
        resource_group: Mapping[str, str],
        resource_id: Callable[[str, str], str],
        resolve_reference: Callable[[str], Mapping[str, Any]] | None = None,
    ) -> None:
        self.params, self.variables = params, dict(variables)
        self.resource_group, self.resource_id = resource_group, resource_id
        self.resolve_reference = resolve_reference


def _declared(kind: str, table: Mapping[str, Any], name: Any) -> Any:
    if name not in table:
        raise InvalidRequestError(
            f"the template references {kind} {name!r}, which is not defined.",
            hint=f"declare it in the template's {kind}s section.",
        )
    return table[name]


def _concat(args: list[Any], _ctx: ExprContext) -> Any:
    if args and all(isinstance(a, list) for a in args):
        return [x for a in args for x in a]
    return "".join(str(a) for a in args)


def _reference(args: list[Any], ctx: ExprContext) -> Any:
    if ctx.resolve_reference is None:
        raise Unevaluable(f"reference({args[0]!r}) has a value only during deployment")
    return ctx.resolve_reference(str(args[0]))


_Function = Callable[[list[Any], ExprContext], Any]

#: the ARM functions the sandbox evaluates, by lower-case name (ARM function names are case-insensitive)
_FUNCTIONS: dict[str, _Function] = {
    "parameters": lambda a, ctx: _declared("parameter", ctx.params, a[0]),
    "variables": lambda a, ctx: evaluate(_declared("variable", ctx.variables, a[0]), ctx),
    "concat": _concat,
    "format": lambda a, _: re.sub(r"\{(\d+)\}", lambda m: str(a[1 + int(m.group(1))]), a[0]),
    "resourcegroup": lambda _, ctx: dict(ctx.resource_group),
    "subscription": lambda _a, _c: {
        "subscriptionId": SUBSCRIPTION_ID,
        "id": f"/subscriptions/{SUBSCRIPTION_ID}",
    },
    "resourceid": lambda a, ctx: ctx.resource_id(a[0], "/".join(str(x) for x in a[1:])),
    "uniquestring": lambda a, _: hashlib.sha256("|".join(str(x) for x in a).encode()).hexdigest()[:13],
    "tolower": lambda a, _: str(a[0]).lower(),
    "toupper": lambda a, _: str(a[0]).upper(),
    "string": lambda a, _: str(a[0]),
    "int": lambda a, _: int(a[0]),
    "bool": lambda a, _: str(a[0]).lower() == "true",
    "true": lambda _a, _c: True,
    "false": lambda _a, _c: False,
    "if": lambda a, _: a[1] if a[0] else a[2],
    "equals": lambda a, _: a[0] == a[1],
    "not": lambda a, _: not a[0],
    "empty": lambda a, _: len(a[0]) == 0,
    "length": lambda a, _: len(a[0]),
    "union": lambda a, _: {k: v for m in a for k, v in m.items()},
    "reference": _reference,
}


def _call(name: str, args: list[Any], ctx: ExprContext) -> Any:
    function = _FUNCTIONS.get(name.lower())
    if function is None:
        raise Unevaluable(f"the template function {name}() is not supported by the sandbox")
    return function(args, ctx)


def _parse(tokens: list[tuple[str, Any]], i: int, ctx: ExprContext) -> tuple[Any, int]:
    kind, value = tokens[i]
    if kind in ("str", "num"):
        result, i = value, i + 1
    elif kind == "name":
        if i + 1 >= len(tokens) or tokens[i + 1][1] != "(":
            raise InvalidRequestError(f"expected '(' after {value} in a template expression.", hint="fix it.")
        i += 2
        args: list[Any] = []
        while tokens[i][1] != ")":
            arg, i = _parse(tokens, i, ctx)
            args.append(arg)
            if tokens[i][1] == ",":
                i += 1
        result, i = _call(value, args, ctx), i + 1
    else:
        raise InvalidRequestError(f"unexpected {value!r} in a template expression.", hint="fix it.")
    while i < len(tokens) and tokens[i][1] in (".", "["):
        if tokens[i][1] == ".":
            key = tokens[i + 1][1]
            result, i = (result.get(key) if isinstance(result, Mapping) else None), i + 2
        else:
            key, i = _parse(tokens, i + 1, ctx)
            result, i = result[key], i + 1
    return result, i


def evaluate(value: Any, ctx: ExprContext) -> Any:
    """Evaluate ARM template expressions (`"[...]"`) inside any JSON value."""
    if (
        isinstance(value, str)
        and value.startswith("[")
        and value.endswith("]")
        and not value.startswith("[[")
    ):
        tokens = _tokens(value[1:-1])
        result, _ = _parse(tokens, 0, ctx)
        return result
    if isinstance(value, str) and value.startswith("[["):
        return value[1:]
    if isinstance(value, dict):
        return {k: evaluate(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, ctx) for v in value]
    return value
