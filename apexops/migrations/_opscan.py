"""Alembic operations read from a revision's source (AST): what `upgrade()` and `downgrade()` call.

The rendered SQL shows what runs; the operations show intent the SQL hides: a column dropped through
SQLite's batch "move and copy" (no DROP COLUMN in the SQL), a drop+add pair that is really a rename, a
`downgrade()` that does nothing, a migration that reads data (which blinds the offline preview).

The code is read as Alembic users write it: names wrapped in `op.f(...)`, arguments given by keyword,
operations on a `batch_alter_table` handle, operations inside module-level helper functions (followed with
the literal arguments of the call bound to their parameters, and `for` loops over literal lists unrolled),
module-level constants, and the order of the operations. An operation under a dialect test
(`if bind.dialect.name == "mysql":`) is marked with the dialects it runs on; one under any other `if` is
marked conditional. Values that are still not literals are left as None rather than guessed.

Source positions are computed once per file (`_Source`): `ast.get_source_segment` re-splits the whole
file on every call, which made one 900-line revision take seconds.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from apexops.migrations.dialects import ident

__all__ = ["DIALECTS", "ColumnSpec", "FunctionScan", "OpCall", "RevisionScan", "scan_revision"]

#: the dialects a guard can name (SQLAlchemy's names)
DIALECTS = frozenset({"postgresql", "mysql", "sqlite", "mssql", "oracle"})

_RESULT_READS = {
    "fetchall",
    "fetchone",
    "fetchmany",
    "scalar",
    "scalars",
    "scalar_one",
    "first",
    "one",
    "one_or_none",
    "mappings",
    "all",
    "yield_per",
}
_WAIVER = re.compile(r"#\s*apexops:\s*allow\s+(MIG-\d{3})\b[\s:,-]*(.*)$", re.I | re.M)
#: `op.` helpers that are not operations (names, literals)
_NOT_OPS = frozenset({"f", "inline_literal"})
_MAX_DEPTH = 4  # helper calls followed this deep
_MAX_UNROLL = 200  # loop iterations unrolled per loop


@dataclass(frozen=True)
class ColumnSpec:
    """An `sa.Column(...)` given to add_column/create_table."""

    name: str | None
    type_text: str
    nullable: bool | None
    server_default: bool
    primary_key: bool

    @property
    def not_null(self) -> bool:
        return self.nullable is False or (self.nullable is None and self.primary_key)


@dataclass(frozen=True)
class OpCall:
    """One `op.<name>(...)` (or `batch.<name>(...)` inside `batch_alter_table`) call, normalised."""

    name: str
    table: str | None
    target: str | None  # the column, index or constraint it is about
    column: ColumnSpec | None
    kwargs: dict[str, Any]
    lineno: int
    source: str
    batch: bool = False
    raw_sql: str | None = None
    columns: tuple[str, ...] = ()  # local columns of a foreign key / index
    kw_source: dict[str, str] = field(default_factory=dict)  # keyword -> source text (types are calls)
    #: named constraints/indexes a create_table declares ("unique t.uq_x", "index t.ix_y", ...)
    declares: tuple[str, ...] = ()
    #: the dialects it runs on (None: all); a dialect test around it decides
    dialects: frozenset[str] | None = None
    #: the source of the `if` (or `try`) it sits under, "" when it always runs
    condition: str = ""
    index: int = 0  # position in the function, in execution order
    #: constraints it declares without a name (SQL Server names them itself): "UNIQUE", "FOREIGN KEY" ...
    unnamed: tuple[str, ...] = ()

    def obj(self, kind: str) -> str:
        """The object a finding names: "column users.email", "index users.ix_email" ..."""
        return f"{kind} {ident(self.table)}.{ident(self.target)}"

    def runs_on(self, dialect: str) -> bool:
        return self.dialects is None or dialect not in DIALECTS or dialect in self.dialects


@dataclass(frozen=True)
class FunctionScan:
    name: str
    exists: bool
    empty: bool
    #: the function only raises (NotImplementedError, RuntimeError ...): there is no way back
    raises_not_implemented: bool
    calls: tuple[OpCall, ...] = ()
    #: (line, source, the dialects it runs on or None for all)
    data_reads: tuple[tuple[int, str, frozenset[str] | None], ...] = ()
    #: what it raises, when it raises instead of migrating ("RuntimeError(...)")
    raises: str = ""


@dataclass(frozen=True)
class RevisionScan:
    revision: str
    path: str
    upgrade: FunctionScan
    downgrade: FunctionScan
    waivers: dict[str, str] = field(default_factory=dict)

    def function(self, direction: str) -> FunctionScan:
        return self.upgrade if direction == "upgrade" else self.downgrade


class _Source:
    """A file's text with its line offsets computed once, for constant-time source segments."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offsets = [0]
        for line in text.splitlines(keepends=True):
            self.offsets.append(self.offsets[-1] + len(line))
        self._utf8 = text.isascii()

    def _pos(self, lineno: int, col: int) -> int:
        start = self.offsets[lineno - 1] if lineno - 1 < len(self.offsets) else len(self.text)
        if self._utf8:
            return start + col
        line = self.text[start : self.offsets[lineno] if lineno < len(self.offsets) else len(self.text)]
        return start + len(line.encode()[:col].decode(errors="ignore"))

    def segment(self, node: ast.AST | None) -> str:
        if node is None or getattr(node, "end_lineno", None) is None:
            return ""
        a = self._pos(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        b = self._pos(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return self.text[a:b]


_UNBOUND = object()


def _callee(call: ast.Call) -> str:
    func = call.func
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    elif isinstance(func, ast.Call):
        parts.append(_callee(func) + "()")
    return ".".join(reversed(parts))


class _Env:
    """Names bound to literal values: module constants, then a helper's parameters, then loop variables."""

    def __init__(
        self, names: Mapping[str, Any] | None = None, nodes: Mapping[str, ast.expr] | None = None
    ) -> None:
        self.names: dict[str, Any] = dict(names or {})
        #: names bound to expressions that are not literals (a module-level `sa.Column(...)`)
        self.nodes: dict[str, ast.expr] = dict(nodes or {})

    def child(self, names: Mapping[str, Any]) -> _Env:
        return _Env({**self.names, **names}, self.nodes)

    def bind(self, target: ast.expr, value: ast.expr) -> None:
        """`name = value`: kept as a literal when it is one, else as the expression."""
        literal = self.value(value)
        if literal is not None:
            self.names.update(_bind_target(target, literal))
        elif isinstance(target, ast.Name):
            self.names.pop(target.id, None)
            self.nodes[target.id] = value

    def resolve(self, node: ast.expr) -> ast.expr:
        return self.nodes.get(node.id, node) if isinstance(node, ast.Name) else node

    def value(self, node: ast.AST | None) -> Any:
        """The literal value of an expression (op.f/sa.text unwrapped, names looked up), or None."""
        if node is None:
            return None
        if isinstance(node, ast.Name):
            found = self.names.get(node.id, _UNBOUND)
            return None if found is _UNBOUND else found
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "__tablename__"
            and isinstance(node.value, ast.Name)
        ):
            return f"<{node.value.id}>"  # an ORM model's table: named by its model, not guessed
        if isinstance(node, ast.Call):
            return self._call_value(node)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [self.value(e) for e in node.elts]
            return None if any(i is None for i in items) else tuple(items)
        if isinstance(node, ast.JoinedStr | ast.BoolOp | ast.BinOp):
            return self._composed_value(node)
        try:
            return ast.literal_eval(node)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None

    def _call_value(self, node: ast.Call) -> Any:
        """op.f("ix")/sa.text("...") unwrapped; `.items()`/`.keys()`/`.values()` of a literal dict."""
        if node.args and _callee(node).split(".")[-1] in ("f", "text"):
            return self.value(node.args[0])
        if isinstance(node.func, ast.Attribute) and not node.args:
            mapping = self.value(node.func.value)
            if isinstance(mapping, dict) and node.func.attr in ("items", "keys", "values"):
                return tuple(getattr(mapping, node.func.attr)())
        return None

    def _composed_value(self, node: ast.JoinedStr | ast.BoolOp | ast.BinOp) -> Any:
        """f-strings and `a + b` of known strings; `found(...) or "uq_x"`: the name the code falls back to."""
        if isinstance(node, ast.JoinedStr):
            parts = [self.value(v.value) if isinstance(v, ast.FormattedValue) else getattr(v, "value", None)
                     for v in node.values]  # fmt: skip
            return "".join(str(p) for p in parts) if all(p is not None for p in parts) else None
        if isinstance(node, ast.BoolOp):
            if not isinstance(node.op, ast.Or):
                return None
            return next((v for v in map(self.value, node.values) if v is not None), None)
        if isinstance(node.op, ast.Add):
            left, right = self.value(node.left), self.value(node.right)
            return left + right if isinstance(left, str) and isinstance(right, str) else None
        return None


def _column(node: ast.AST, src: _Source, env: _Env) -> ColumnSpec | None:
    if not (isinstance(node, ast.Call) and _callee(node).endswith("Column")):
        return None
    name = env.value(node.args[0]) if node.args else env.value(_kw(node, "name"))
    type_node = node.args[1] if len(node.args) > 1 else _kw(node, "type_")
    if type_node is None and node.args and not isinstance(env.value(node.args[0]), str):
        type_node = node.args[0]  # Column(sa.Integer, name="x") is rare; the first positional is the type
    kw = {k.arg: k.value for k in node.keywords if k.arg}
    default = kw.get("server_default")
    return ColumnSpec(
        name=name if isinstance(name, str) else None,
        type_text=src.segment(type_node) if type_node is not None else "",
        nullable=env.value(kw["nullable"]) if "nullable" in kw else None,
        server_default=default is not None
        and not (isinstance(default, ast.Constant) and default.value is None),
        primary_key=bool(env.value(kw.get("primary_key"))),
    )


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


# where each op.* argument is: (table position, table keyword, target position, target keyword)
_Where = tuple[int | None, str | None, int | None, str | None]
_LAYOUT: dict[str, _Where] = {
    "create_table": (0, "table_name", None, None),
    "drop_table": (0, "table_name", None, None),
    "rename_table": (0, "old_table_name", 1, "new_table_name"),
    "add_column": (0, "table_name", None, None),
    "drop_column": (0, "table_name", 1, "column_name"),
    "alter_column": (0, "table_name", 1, "column_name"),
    "create_index": (1, "table_name", 0, "index_name"),
    "drop_index": (1, "table_name", 0, "index_name"),
    "create_foreign_key": (1, "source_table", 0, "constraint_name"),
    "create_unique_constraint": (1, "table_name", 0, "constraint_name"),
    "create_primary_key": (1, "table_name", 0, "constraint_name"),
    "create_check_constraint": (1, "table_name", 0, "constraint_name"),
    "drop_constraint": (1, "table_name", 0, "constraint_name"),
    "bulk_insert": (0, "table", None, None),
    "create_table_comment": (0, "table_name", None, None),
}
# inside batch_alter_table the table is implicit: positions shift left by one
_BATCH_LAYOUT: dict[str, _Where] = {
    "add_column": (None, None, None, None),
    "drop_column": (None, None, 0, "column_name"),
    "alter_column": (None, None, 0, "column_name"),
    "create_index": (None, None, 0, "index_name"),
    "drop_index": (None, None, 0, "index_name"),
    "create_foreign_key": (None, None, 0, "constraint_name"),
    "create_unique_constraint": (None, None, 0, "constraint_name"),
    "create_primary_key": (None, None, 0, "constraint_name"),
    "create_check_constraint": (None, None, 0, "constraint_name"),
    "drop_constraint": (None, None, 0, "constraint_name"),
}


def _arg(call: ast.Call, position: int | None, keyword: str | None, env: _Env) -> Any:
    if position is not None and len(call.args) > position:
        return env.value(call.args[position])
    return env.value(_kw(call, keyword)) if keyword else None


# --------------------------------------------------------------------------- dialect guards

_DIALECT_CLASSES = {
    "sqlite": "sqlite",
    "mysql": "mysql",
    "mariadb": "mysql",
    "pg": "postgresql",
    "postgres": "postgresql",
    "mssql": "mssql",
    "msdialect": "mssql",
    "oracle": "oracle",
}


def _dialect_words(value: Any) -> frozenset[str]:
    items = value if isinstance(value, tuple) else (value,)
    out = {"postgresql" if str(i).lower() == "postgres" else str(i).lower() for i in items}
    return frozenset(out & DIALECTS) if out & DIALECTS else frozenset()


def _guard(test: ast.expr, src: _Source, env: _Env) -> frozenset[str] | None:
    """The dialects an `if` test lets through, when it is a dialect test; None otherwise."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _guard(test.operand, src, env)
        return None if inner is None else DIALECTS - inner
    if isinstance(test, ast.BoolOp):
        parts = [_guard(v, src, env) for v in test.values]
        known = [p for p in parts if p is not None]
        if not known:
            return None
        if isinstance(test.op, ast.Or):
            return frozenset().union(*known) if len(known) == len(parts) else None
        return frozenset(DIALECTS).intersection(*known)
    if isinstance(test, ast.Call) and _callee(test) == "isinstance" and len(test.args) == 2:
        if "dialect" not in src.segment(test.args[0]).lower():
            return None
        names = src.segment(test.args[1]).lower()
        found = frozenset(d for key, d in _DIALECT_CLASSES.items() if key in names)
        return found or None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left = src.segment(test.left).lower()
        if not re.search(r"dialect|\.name\b|engine", left):
            return None
        words = _dialect_words(env.value(test.comparators[0]))
        if not words:
            return None
        op = test.ops[0]
        if isinstance(op, ast.Eq | ast.In | ast.Is):
            return words
        if isinstance(op, ast.NotEq | ast.NotIn | ast.IsNot):
            return DIALECTS - words
    return None


# --------------------------------------------------------------------------- the walk


@dataclass
class _Frame:
    """Where the walk is: bound names, batch handles, the dialects and condition in force, helper depth."""

    env: _Env
    batch: dict[str, str | None]
    dialects: frozenset[str] | None = None
    condition: str = ""
    depth: int = 0
    stack: tuple[str, ...] = ()


class _Walker:
    """Walks a function body in execution order, collecting operations and data reads."""

    def __init__(self, src: _Source, helpers: Mapping[str, ast.FunctionDef]) -> None:
        self.src = src
        self.helpers = helpers
        self.calls: list[OpCall] = []
        self.reads: list[tuple[int, str, frozenset[str] | None]] = []

    # statements ---------------------------------------------------------
    def body(self, stmts: list[ast.stmt], frame: _Frame) -> None:
        for stmt in stmts:
            self.stmt(stmt, frame)
            left = _returns_for(stmt, self.src, frame.env)
            if left is not None:  # `if dialect in (...): return`: the rest runs on the other dialects
                rest = DIALECTS - left if frame.dialects is None else frame.dialects - left
                frame = replace(frame, dialects=rest)

    def stmt(self, node: ast.stmt, frame: _Frame) -> None:
        if isinstance(node, ast.If):
            self._if(node, frame)
        elif isinstance(node, ast.For):
            self._for(node, frame)
        elif isinstance(node, ast.With):
            self._with(node, frame)
        elif isinstance(node, ast.Try):
            cond = replace(frame, condition=frame.condition or "try")
            self.body(node.body, frame)
            for handler in node.handlers:
                self.body(handler.body, cond)
            self.body(node.orelse, frame)
            self.body(node.finalbody, frame)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return  # a nested definition runs only if called; calls to it are not followed
        else:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                frame.env.bind(node.targets[0], node.value)
            self.expr(node, frame)

    def _if(self, node: ast.If, frame: _Frame) -> None:
        allowed = _guard(node.test, self.src, frame.env)
        text = self.src.segment(node.test)[:80]
        self.expr(node.test, frame)
        if allowed is None:
            cond = f"if {text}"
            self.body(node.body, replace(frame, condition=frame.condition or cond))
            self.body(node.orelse, replace(frame, condition=frame.condition or f"not ({text})"))
            return
        inside = allowed if frame.dialects is None else allowed & frame.dialects
        outside = (DIALECTS - allowed) if frame.dialects is None else frame.dialects - allowed
        self.body(node.body, replace(frame, dialects=inside))
        self.body(node.orelse, replace(frame, dialects=outside))

    def _for(self, node: ast.For, frame: _Frame) -> None:
        items = frame.env.value(node.iter)
        self.expr(node.iter, frame)
        if not isinstance(items, tuple | list) or not items or len(items) > _MAX_UNROLL:
            self.body(node.body, replace(frame, condition=frame.condition or "loop"))
            return
        for item in items:
            bound = _bind_target(node.target, item)
            self.body(node.body, replace(frame, env=frame.env.child(bound)))

    def _with(self, node: ast.With, frame: _Frame) -> None:
        batch = dict(frame.batch)
        for item in node.items:
            expr = item.context_expr
            self.expr(expr, frame)
            if (
                isinstance(expr, ast.Call)
                and _callee(expr).endswith("batch_alter_table")
                and isinstance(item.optional_vars, ast.Name)
            ):
                table = _arg(expr, 0, "table_name", frame.env)
                batch[item.optional_vars.id] = table if isinstance(table, str) else None
        self.body(node.body, replace(frame, batch=batch))

    # expressions --------------------------------------------------------
    def expr(self, node: ast.AST, frame: _Frame) -> None:
        for child in _calls_in_order(node):
            self.call(child, frame)

    def call(self, node: ast.Call, frame: _Frame) -> None:
        name = _callee(node)
        owner, _, method = name.rpartition(".")
        batch = owner in frame.batch
        if _reads_data(name, owner, method, batch):
            self.reads.append((node.lineno, self.src.segment(node).splitlines()[0][:120], frame.dialects))
        if (owner == "op" and method not in _NOT_OPS) or batch:
            table = frame.batch[owner] if batch else None
            op = _op_call(node, method, self.src, frame.env, batch, table)
            self.calls.append(
                replace(op, dialects=frame.dialects, condition=frame.condition, index=len(self.calls))
            )
            return
        helper = self.helpers.get(name)
        if helper is not None and frame.depth < _MAX_DEPTH and name not in frame.stack:
            bound = _bind_call(helper, node, frame.env)
            handles = _bind_handles(helper, node, frame)
            inner = replace(frame, env=frame.env.child(bound), depth=frame.depth + 1,
                            stack=(*frame.stack, name), batch={**frame.batch, **handles})  # fmt: skip
            self.body(helper.body, inner)


def _returns_for(stmt: ast.stmt, src: _Source, env: _Env) -> frozenset[str] | None:
    """The dialects an early `if <dialect test>: return` leaves the function on (None: not one)."""
    if not (isinstance(stmt, ast.If) and not stmt.orelse and stmt.body):
        return None
    if not isinstance(stmt.body[-1], ast.Return):
        return None
    return _guard(stmt.test, src, env)


def _calls_in_order(node: ast.AST) -> Iterator[ast.Call]:
    """The calls in an expression statement, outermost first (op.execute(sa.text(..)) then sa.text)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Lambda | ast.FunctionDef | ast.ClassDef):
            continue
        if isinstance(current, ast.Call):
            yield current
        stack.extend(reversed(list(ast.iter_child_nodes(current))))


def _bind_target(target: ast.expr, value: Any) -> dict[str, Any]:
    if isinstance(target, ast.Name):
        return {target.id: value}
    if (
        isinstance(target, ast.Tuple | ast.List)
        and isinstance(value, tuple | list)
        and len(target.elts) == len(value)
    ):
        out: dict[str, Any] = {}
        for t, v in zip(target.elts, value, strict=True):
            out.update(_bind_target(t, v))
        return out
    return {}


def _bind_handles(helper: ast.FunctionDef, call: ast.Call, frame: _Frame) -> dict[str, str | None]:
    """A batch handle passed to a helper keeps its meaning under the parameter's name."""
    params = [a.arg for a in helper.args.posonlyargs + helper.args.args]
    given: list[tuple[str, ast.expr]] = list(zip(params, call.args, strict=False))
    given += [(k.arg, k.value) for k in call.keywords if k.arg]
    out: dict[str, str | None] = {}
    for param, arg in given:
        if isinstance(arg, ast.Name) and arg.id in frame.batch and param != arg.id:
            out[param] = frame.batch[arg.id]
    return out


def _bind_call(helper: ast.FunctionDef, call: ast.Call, env: _Env) -> dict[str, Any]:
    """The helper's parameters bound to the call's literal arguments (defaults where not given)."""
    params = [a.arg for a in helper.args.posonlyargs + helper.args.args]
    defaults = helper.args.defaults
    bound: dict[str, Any] = {p: None for p in params}
    for p, d in zip(params[len(params) - len(defaults) :], defaults, strict=True):
        bound[p] = env.value(d)
    for p, d in zip(helper.args.kwonlyargs, helper.args.kw_defaults, strict=True):
        bound[p.arg] = env.value(d)
    for p, a in zip(params, call.args, strict=False):
        bound[p] = env.value(a)
    for k in call.keywords:
        if k.arg:
            bound[k.arg] = env.value(k.value)
    return bound


def _reads_data(name: str, owner: str, method: str, batch: bool) -> bool:
    """An inspector or a result read: the migration looks at the database (MIG-026).

    `op.get_bind()` alone is not a read: migrations take the bind to test its dialect or to run DDL.
    """
    last = owner.rsplit(".", 1)[-1].lower()
    return (
        name in ("sa.inspect", "inspect", "sqlalchemy.inspect")
        or name.endswith("Inspector.from_engine")
        or (method == "query" and "session" in last)
        or (method in _RESULT_READS and bool(owner) and owner not in ("op", "sa") and not batch)
    )


def _op_call(
    node: ast.Call, method: str, src: _Source, env: _Env, batch: bool, batch_table: str | None
) -> OpCall:
    """One `op.<method>(...)` call normalised by the layout of its arguments, plus what only it carries."""
    t_pos, t_kw, x_pos, x_kw = (_BATCH_LAYOUT if batch else _LAYOUT).get(method, (None, None, None, None))
    table = batch_table if batch else _arg(node, t_pos, t_kw, env)
    target = _arg(node, x_pos, x_kw, env)
    given = (*node.args, *(k.value for k in node.keywords if k.arg == "column"))
    column_nodes = [env.resolve(a) for a in given]
    call = OpCall(
        method,
        table if isinstance(table, str) else None,
        target if isinstance(target, str) else None,
        next((c for c in (_column(a, src, env) for a in column_nodes) if c), None),
        {k.arg: env.value(k.value) for k in node.keywords if k.arg},
        node.lineno,
        src.segment(node) or method,
        batch,
        kw_source={k.arg: src.segment(k.value) for k in node.keywords if k.arg},
    )
    extra = _EXTRAS.get(method)
    return replace(call, **extra(node, call, src, env)) if extra else call


def _raw_sql(node: ast.Call, call: OpCall, src: _Source, env: _Env) -> dict[str, Any]:
    """op.execute("..."): the SQL text, when it is a literal (or text() of one)."""
    value = env.value(node.args[0] if node.args else _kw(node, "sqltext"))
    return {"raw_sql": value if isinstance(value, str) else None}


def _foreign_key_columns(node: ast.Call, call: OpCall, src: _Source, env: _Env) -> dict[str, Any]:
    """create_foreign_key(name, [source,] referent, local_cols, ...): the local columns."""
    pos = 2 if call.batch else 3
    local = _arg(node, pos, "local_cols", env)
    return {"columns": tuple(local) if isinstance(local, list | tuple) else ()}


def _index_columns(node: ast.Call, call: OpCall, src: _Source, env: _Env) -> dict[str, Any]:
    cols = _arg(node, 1 if call.batch else 2, "columns", env)
    return {"columns": tuple(c for c in cols if isinstance(c, str)) if isinstance(cols, tuple) else ()}


_DECLARED = {"UniqueConstraint": "unique", "PrimaryKeyConstraint": "primary key",
             "ForeignKeyConstraint": "foreign key", "CheckConstraint": "check", "Index": "index"}  # fmt: skip


def _table_declarations(node: ast.Call, call: OpCall, src: _Source, env: _Env) -> dict[str, Any]:
    """create_table(...): its named constraints and indexes (which a downgrade may drop as an undo), and
    the constraints it leaves for the server to name."""
    out = []
    table = ident(call.table)
    for arg in node.args[1:]:
        if not isinstance(arg, ast.Call):
            continue
        kind = _DECLARED.get(_callee(arg).split(".")[-1])
        name = env.value(_kw(arg, "name"))
        if kind == "index" and arg.args:
            name = env.value(arg.args[0])
        if kind and isinstance(name, str):
            out.append(f"{kind} {table}.{ident(name)}")
    out += _named_column_keys(list(node.args[1:]), table, env)
    return {"declares": tuple(out), "unnamed": _unnamed(node.args[1:], env)}


_UNNAMED_KINDS = {
    "UniqueConstraint": "UNIQUE",
    "ForeignKeyConstraint": "FOREIGN KEY",
    "CheckConstraint": "CHECK",
}


def _unnamed(args: list[ast.expr], env: _Env) -> tuple[str, ...]:
    """Constraints declared without a name: SQL Server names them DF__/UQ__/FK__<random> (MIG-025)."""
    kinds: list[str] = []
    for arg in args:
        if not isinstance(arg, ast.Call):
            continue
        callee = _callee(arg).split(".")[-1]
        if callee in _UNNAMED_KINDS and env.value(_kw(arg, "name")) is None:
            kinds.append(_UNNAMED_KINDS[callee])
        if callee != "Column":
            continue
        kinds += [
            "FOREIGN KEY"
            for inner in arg.args
            if isinstance(inner, ast.Call)
            and _callee(inner).split(".")[-1] == "ForeignKey"
            and env.value(_kw(inner, "name")) is None
        ]
        for k in arg.keywords:
            if k.arg == "unique" and env.value(k.value) is True:
                kinds.append("UNIQUE")
            if k.arg == "server_default" and not (
                isinstance(k.value, ast.Constant) and k.value.value is None
            ):
                kinds.append("DEFAULT")
    return tuple(dict.fromkeys(kinds))


def _column_constraints(node: ast.Call, call: OpCall, src: _Source, env: _Env) -> dict[str, Any]:
    """add_column(...): the constraints the new column brings, named (an undo may drop them) or not."""
    args = [env.resolve(a) for a in (*node.args, *(k.value for k in node.keywords if k.arg == "column"))]
    return {"unnamed": _unnamed(args, env), "declares": _named_column_keys(args, ident(call.table), env)}


def _named_column_keys(args: list[ast.expr], table: str, env: _Env) -> tuple[str, ...]:
    """`sa.Column(..., sa.ForeignKey(..., name="fk_x"))`: the named foreign keys columns declare."""
    out = []
    for arg in args:
        if isinstance(arg, ast.Call) and _callee(arg).endswith("Column"):
            for inner in arg.args:
                name = env.value(_kw(inner, "name")) if isinstance(inner, ast.Call) else None
                if isinstance(name, str) and _callee(inner).split(".")[-1] == "ForeignKey":  # type: ignore[arg-type]
                    out.append(f"foreign key {table}.{ident(name)}")
    return tuple(out)


#: what some operations carry beyond table, target and column
_EXTRAS: dict[str, Callable[[ast.Call, OpCall, _Source, _Env], dict[str, Any]]] = {
    "execute": _raw_sql,
    "create_foreign_key": _foreign_key_columns,
    "create_index": _index_columns,
    "create_table": _table_declarations,
    "add_column": _column_constraints,
}


def _is_noise(stmt: ast.stmt) -> bool:
    """Docstrings, `pass`, and logging/printing: a body of only these does nothing to the schema."""
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr):
        if isinstance(stmt.value, ast.Constant):
            return True
        if isinstance(stmt.value, ast.Call):
            name = _callee(stmt.value)
            return name == "print" or name.split(".")[0] in ("log", "logger", "logging")
    return False


def _scan_function(tree: ast.Module, name: str, src: _Source, module_env: _Env,
                   helpers: Mapping[str, ast.FunctionDef]) -> FunctionScan:  # fmt: skip
    func = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if func is None:
        return FunctionScan(name, exists=False, empty=True, raises_not_implemented=False)
    body = [s for s in func.body if not _is_noise(s)]
    walker = _Walker(src, helpers)
    walker.body(func.body, _Frame(env=module_env.child({}), batch={}))
    first_raise = next((s for s in body if isinstance(s, ast.Raise)), None)
    raised = src.segment(first_raise.exc)[:120] if first_raise is not None and first_raise.exc else ""
    before_raise = body[: body.index(first_raise)] if first_raise is not None else body
    irreversible = (
        first_raise is not None
        and not any(c for c in walker.calls if c.lineno < first_raise.lineno and not c.condition)
        and all(not isinstance(s, ast.If | ast.For | ast.With | ast.Try) for s in before_raise)
    )
    return FunctionScan(
        name,
        True,
        not body,
        irreversible,
        tuple(walker.calls),
        tuple(walker.reads),
        raised if irreversible else "",
    )


def _module_env(tree: ast.Module) -> tuple[_Env, dict[str, ast.FunctionDef]]:
    """Module-level constants (literal assignments) and helper functions."""
    env = _Env()
    helpers: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                env.bind(target, node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            env.bind(node.target, node.value)
        elif isinstance(node, ast.FunctionDef) and node.name not in ("upgrade", "downgrade"):
            helpers[node.name] = node
    return env, helpers


_SCANS: dict[tuple[str, str, int, int], RevisionScan] = {}


def scan_revision(revision: str, path: str | Path) -> RevisionScan:
    """The revision's operations, read once per file version (an upgrade and a downgrade plan, or a plan
    and its re-lint with row counts, read the same file)."""
    stat = Path(path).stat()
    key = (revision, str(path), stat.st_mtime_ns, stat.st_size)
    found = _SCANS.get(key)
    if found is None:
        found = _SCANS[key] = _scan(revision, path)
    return found


def _scan(revision: str, path: str | Path) -> RevisionScan:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    waivers = {m.group(1).upper(): m.group(2).strip() for m in _WAIVER.finditer(text)}
    try:
        tree = ast.parse(text)
    except SyntaxError:  # nothing to read; the preview's rendering error reports the file
        up, down = (FunctionScan(name, False, True, False) for name in ("upgrade", "downgrade"))
        return RevisionScan(revision, str(path), up, down, waivers)
    src = _Source(text)
    env, helpers = _module_env(tree)
    return RevisionScan(
        revision,
        str(path),
        _scan_function(tree, "upgrade", src, env, helpers),
        _scan_function(tree, "downgrade", src, env, helpers),
        waivers,
    )
