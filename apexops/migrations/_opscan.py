"""Alembic operations read from a revision's source (AST): what `upgrade()` and `downgrade()` call.

The rendered SQL shows what runs; the operations show intent the SQL hides: a column dropped through
SQLite's batch "move and copy" (no DROP COLUMN in the SQL), a drop+add pair that is really a rename, a
`downgrade()` that does nothing, a migration that reads data (which blinds the offline preview).
Values that are not literals (loop variables, helpers) are left as None rather than guessed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from apexops.migrations.dialects import ident

__all__ = ["ColumnSpec", "FunctionScan", "OpCall", "RevisionScan", "scan_revision"]

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
}
_WAIVER = re.compile(r"#\s*apexops:\s*allow\s+(MIG-\d{3})\b[\s:,-]*(.*)$", re.I | re.M)


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

    def obj(self, kind: str) -> str:
        """The object a finding names: "column users.email", "index users.ix_email" ..."""
        return f"{kind} {ident(self.table)}.{ident(self.target)}"


@dataclass(frozen=True)
class FunctionScan:
    name: str
    exists: bool
    empty: bool
    raises_not_implemented: bool
    calls: tuple[OpCall, ...] = ()
    data_reads: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class RevisionScan:
    revision: str
    path: str
    upgrade: FunctionScan
    downgrade: FunctionScan
    waivers: dict[str, str] = field(default_factory=dict)

    def function(self, direction: str) -> FunctionScan:
        return self.upgrade if direction == "upgrade" else self.downgrade


def _literal(node: ast.AST | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return None


def _column(node: ast.AST, source: str) -> ColumnSpec | None:
    if not (isinstance(node, ast.Call) and _callee(node).endswith("Column")):
        return None
    name = _literal(node.args[0]) if node.args else None
    type_node = (
        node.args[1]
        if len(node.args) > 1
        else next((k.value for k in node.keywords if k.arg == "type_"), None)
    )
    kw = {k.arg: k.value for k in node.keywords if k.arg}
    return ColumnSpec(
        name=name if isinstance(name, str) else None,
        type_text=(ast.get_source_segment(source, type_node) or "") if type_node is not None else "",
        nullable=_literal(kw.get("nullable")) if "nullable" in kw else None,
        server_default="server_default" in kw
        and not (isinstance(kw["server_default"], ast.Constant) and kw["server_default"].value is None),
        primary_key=bool(_literal(kw.get("primary_key"))),
    )


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


def _sql_text(node: ast.AST | None) -> str | None:
    value = _literal(node)
    if isinstance(value, str):
        return value
    if isinstance(node, ast.Call) and _callee(node).split(".")[-1] == "text" and node.args:
        inner = _literal(node.args[0])
        return inner if isinstance(inner, str) else None
    return None


# positional layout of op.* calls: which argument is the table, which the target
_LAYOUT: dict[str, tuple[int | str | None, int | None]] = {
    "create_table": (0, None),
    "drop_table": (0, None),
    "rename_table": (0, 1),
    "add_column": (0, None),
    "drop_column": (0, 1),
    "alter_column": (0, 1),
    "create_index": (1, 0),
    "drop_index": ("table_name", 0),
    "create_foreign_key": (1, 0),
    "create_unique_constraint": (1, 0),
    "create_primary_key": (1, 0),
    "create_check_constraint": (1, 0),
    "drop_constraint": (1, 0),
    "bulk_insert": (0, None),
}
# inside batch_alter_table the table is implicit: positions shift left by one
_BATCH_LAYOUT: dict[str, tuple[int | str | None, int | None]] = {
    "add_column": (None, None),
    "drop_column": (None, 0),
    "alter_column": (None, 0),
    "create_index": (None, 0),
    "drop_index": (None, 0),
    "create_foreign_key": (None, 0),
    "create_unique_constraint": (None, 0),
    "create_primary_key": (None, 0),
    "create_check_constraint": (None, 0),
    "drop_constraint": (None, 0),
}


def _arg(call: ast.Call, where: int | str | None) -> Any:
    if where is None:
        return None
    if isinstance(where, str):
        return _literal(next((k.value for k in call.keywords if k.arg == where), None))
    return _literal(call.args[where]) if len(call.args) > where else None


class _Visitor(ast.NodeVisitor):
    def __init__(self, source: str) -> None:
        self.source = source
        self.calls: list[OpCall] = []
        self.reads: list[tuple[int, str]] = []
        self.batch_tables: dict[str, str | None] = {}

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            expr = item.context_expr
            if (
                isinstance(expr, ast.Call)
                and _callee(expr).endswith("batch_alter_table")
                and isinstance(item.optional_vars, ast.Name)
            ):
                self.batch_tables[item.optional_vars.id] = (
                    _arg(expr, 0) if expr.args else _arg(expr, "table_name")
                )
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _callee(node)
        owner, _, method = name.rpartition(".")
        batch = owner in self.batch_tables
        segment = ast.get_source_segment(self.source, node) or name
        if _reads_data(name, owner, method, batch):
            self.reads.append((node.lineno, segment.splitlines()[0][:120]))
        if owner == "op" or batch:
            table = self.batch_tables[owner] if batch else None
            self.calls.append(_op_call(node, method, segment, self.source, batch, table))
        self.generic_visit(node)


def _reads_data(name: str, owner: str, method: str, batch: bool) -> bool:
    """A bind, an inspector, or a result read: the migration looks at data (MIG-026)."""
    return (
        method == "get_bind"
        or name in ("sa.inspect", "inspect", "sqlalchemy.inspect")
        or (method in _RESULT_READS and bool(owner) and owner not in ("op", "sa") and not batch)
    )


def _op_call(
    node: ast.Call, method: str, segment: str, source: str, batch: bool, batch_table: str | None
) -> OpCall:
    """One `op.<method>(...)` call normalised by the layout of its arguments, plus what only it carries."""
    layout = (_BATCH_LAYOUT if batch else _LAYOUT).get(method, (None, None))
    table = batch_table if batch else _arg(node, layout[0])
    target = _arg(node, layout[1])
    call = OpCall(
        method,
        table if isinstance(table, str) else None,
        target if isinstance(target, str) else None,
        next((c for c in (_column(a, source) for a in node.args) if c), None),
        {k.arg: _literal(k.value) for k in node.keywords if k.arg},
        node.lineno,
        segment,
        batch,
        kw_source={k.arg: ast.get_source_segment(source, k.value) or "" for k in node.keywords if k.arg},
    )
    extra = _EXTRAS.get(method)
    return replace(call, **extra(node, call)) if extra else call


def _raw_sql(node: ast.Call, call: OpCall) -> dict[str, Any]:
    """op.execute("..."): the SQL text, when it is a literal (or text() of one)."""
    return {"raw_sql": _sql_text(node.args[0]) if node.args else None}


def _foreign_key_columns(node: ast.Call, call: OpCall) -> dict[str, Any]:
    """create_foreign_key(name, [source,] referent, local_cols, ...): the local columns."""
    pos = 2 if call.batch else 3
    local = _literal(node.args[pos]) if len(node.args) > pos else call.kwargs.get("local_cols")
    return {"columns": tuple(local) if isinstance(local, list | tuple) else ()}


#: what some operations carry beyond table, target and column
_EXTRAS: dict[str, Callable[[ast.Call, OpCall], dict[str, Any]]] = {
    "execute": _raw_sql,
    "create_foreign_key": _foreign_key_columns,
}


def _scan_function(tree: ast.Module, name: str, source: str) -> FunctionScan:
    func = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if func is None:
        return FunctionScan(name, exists=False, empty=True, raises_not_implemented=False)
    body = [s for s in func.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    empty = all(isinstance(s, ast.Pass) for s in body)
    raises = (
        any(
            isinstance(s, ast.Raise) and "NotImplemented" in (ast.get_source_segment(source, s) or "")
            for s in body
        )
        and len(body) == 1
    )
    visitor = _Visitor(source)
    for stmt in func.body:
        visitor.visit(stmt)
    return FunctionScan(name, True, empty, raises, tuple(visitor.calls), tuple(visitor.reads))


def scan_revision(revision: str, path: str | Path) -> RevisionScan:
    source = Path(path).read_text()
    waivers = {m.group(1).upper(): m.group(2).strip() for m in _WAIVER.finditer(source)}
    try:
        tree = ast.parse(source)
    except SyntaxError:  # nothing to read; the preview's rendering error reports the file
        up, down = (FunctionScan(name, False, True, False) for name in ("upgrade", "downgrade"))
        return RevisionScan(revision, str(path), up, down, waivers)
    return RevisionScan(
        revision,
        str(path),
        _scan_function(tree, "upgrade", source),
        _scan_function(tree, "downgrade", source),
        waivers,
    )
