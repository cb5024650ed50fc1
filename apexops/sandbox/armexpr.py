"""ARM template expressions, the common subset: enough to evaluate the templates procedure 10 deploys.

`"[concat('st', parameters('env'))]"` and friends: parameters, variables, concat, format, resourceGroup,
subscription, resourceId, uniqueString, toLower/toUpper, string/int/bool, true/false, if, equals, not,
empty, length, union and reference, with property access (`.x`) and indexing (`[0]`). An expression that
only has a value during a deployment (`reference()` before the resource exists, or a function the sandbox
does not know) raises `Unevaluable`; what-if reports such a resource as Unsupported, as Azure does.
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


def _call(name: str, args: list[Any], ctx: ExprContext) -> Any:
    n = name.lower()
    if n == "parameters":
        if args[0] not in ctx.params:
            raise InvalidRequestError(
                f"the template references parameter {args[0]!r}, which is not defined.",
                hint="declare it in the template's parameters section.",
            )
        return ctx.params[args[0]]
    if n == "variables":
        if args[0] not in ctx.variables:
            raise InvalidRequestError(
                f"the template references variable {args[0]!r}, which is not defined.",
                hint="declare it in the template's variables section.",
            )
        return evaluate(ctx.variables[args[0]], ctx)
    if n == "concat":
        return (
            [x for a in args for x in a]
            if args and all(isinstance(a, list) for a in args)
            else "".join(str(a) for a in args)
        )
    if n == "format":
        return re.sub(r"\{(\d+)\}", lambda m: str(args[1 + int(m.group(1))]), args[0])
    if n == "resourcegroup":
        return dict(ctx.resource_group)
    if n == "subscription":
        return {"subscriptionId": SUBSCRIPTION_ID, "id": f"/subscriptions/{SUBSCRIPTION_ID}"}
    if n == "resourceid":
        return ctx.resource_id(args[0], "/".join(str(a) for a in args[1:]))
    if n == "uniquestring":
        return hashlib.sha256("|".join(str(a) for a in args).encode()).hexdigest()[:13]
    if n in ("tolower", "toupper"):
        return str(args[0]).lower() if n == "tolower" else str(args[0]).upper()
    if n in ("string", "int", "bool"):
        return {"string": str, "int": int, "bool": lambda v: str(v).lower() == "true"}[n](args[0])
    if n in ("true", "false"):
        return n == "true"
    if n == "if":
        return args[1] if args[0] else args[2]
    if n == "equals":
        return args[0] == args[1]
    if n == "not":
        return not args[0]
    if n in ("empty", "length"):
        return (len(args[0]) == 0) if n == "empty" else len(args[0])
    if n == "union":
        return {k: v for a in args for k, v in a.items()}
    if n == "reference":
        if ctx.resolve_reference is None:
            raise Unevaluable(f"reference({args[0]!r}) has a value only during deployment")
        return ctx.resolve_reference(str(args[0]))
    raise Unevaluable(f"the template function {name}() is not supported by the sandbox")


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
