"""Rules about data: what a migration destroys or rewrites, and what a rollback would destroy.

MIG-001..007 (drops, truncates, renames, NOT NULL without default), MIG-022/023 (downgrade), MIG-026 (data
read during a migration). One function per rule; see `rules.RULES` for reasons and safer alternatives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from apexops.migrations._sqlscan import Stmt
from apexops.migrations.dialects import ident
from apexops.migrations.rules import ACK, BLOCK, Finding, RevisionContext, ours, rule_why


def mig001_drop_table(ctx: RevisionContext) -> Iterator[Finding]:
    dropped = [
        (op.source, "op", ident(op.table), ctx.created_before(op.table, op_index=op.index))
        for op in ctx.ops
        if op.name == "drop_table" and op.table
    ]
    dropped += [
        (s.text, "sql", s.table, ctx.created_before(s.table, stmt=s))
        for s in ctx.statements
        if s.verb == "drop table" and not ours(s.table) and s.table not in ctx.rebuilt_tables
    ]
    for text, source, table, created_earlier in dropped:
        if not created_earlier and not ctx.undone(f"table {table}"):
            why = rule_why("MIG-001") + ctx.rows_note(table)
            yield ctx.find("MIG-001", text, source=source, obj=f"table {table}", reason=why)


_DROP_COLUMN = re.compile(r"DROP COLUMN (?:IF EXISTS )?([\w\"\[\]]+)", re.I)


def _dropped_columns(s: Stmt) -> list[str]:
    """The columns an ALTER TABLE statement drops (not a constraint, index or default)."""
    if s.verb != "alter table":
        return []
    return [
        ident(c) for c in _DROP_COLUMN.findall(s.flat) if c.upper() not in ("CONSTRAINT", "INDEX", "DEFAULT")
    ]


def mig002_drop_column(ctx: RevisionContext) -> Iterator[Finding]:
    mssql = (
        " On SQL Server it also fails while a default, index or constraint uses the column."
        if ctx.dialect == "mssql"
        else ""
    )
    dropped = [
        (op.source, "op", f"{ident(op.table)}.{ident(op.target)}")
        for op in ctx.ops
        if op.name == "drop_column" and op.table and op.target
    ]
    dropped += [
        (s.text, "sql", f"{s.table}.{c}")
        for s in ctx.statements
        if not ours(s.table)
        for c in _dropped_columns(s)
    ]
    for text, source, key in dropped:
        obj = f"column {key}"
        if not ctx.undone(obj) and not ctx.is_new(key.split(".")[0]):
            why = rule_why("MIG-002") + ctx.rows_note(key) + mssql
            yield ctx.find("MIG-002", text, source=source, obj=obj, reason=why)


def mig003_drop_schema(ctx: RevisionContext) -> Iterator[Finding]:
    for s in ctx.statements:
        if s.verb == "drop schema":
            yield ctx.find("MIG-003", s.text, source="sql", obj=s.flat)


def mig004_unbounded_delete(ctx: RevisionContext) -> Iterator[Finding]:
    for s in ctx.statements:
        if ours(s.table) or ctx.is_new(s.table):
            continue
        if s.verb == "truncate" or (s.verb in ("delete", "update") and not re.search(r"\bWHERE\b", s.upper)):
            what = "TRUNCATE" if s.verb == "truncate" else f"{s.verb.upper()} without WHERE"
            why = f"{what} on {s.table}: " + rule_why("MIG-004") + ctx.rows_note(s.table)
            yield ctx.find("MIG-004", s.text, source="sql", obj=f"table {s.table}", reason=why)


def mig005_rename_table(ctx: RevisionContext) -> Iterator[Finding]:
    for op in ctx.ops:
        if op.name == "rename_table" and op.table:
            yield ctx.find("MIG-005", op.source, source="op", obj=f"table {ident(op.table)}")
    for s in ctx.statements:
        m = re.match(r"ALTER TABLE (\S+) RENAME TO (\S+)", s.flat, re.I)
        if m and not ident(m.group(1)).startswith("_alembic_tmp"):
            yield ctx.find("MIG-005", s.text, source="sql", obj=f"table {ident(m.group(1))}")
        m = re.match(r"EXEC(?:UTE)? sp_rename '([^']+)'\s*,\s*'?([^',]+)'?\s*(,\s*'(\w+)')?", s.flat, re.I)
        if m and not m.group(4):
            yield ctx.find("MIG-005", s.text, source="sql", obj=f"table {ident(m.group(1))}")


def mig006_rename_column(ctx: RevisionContext) -> Iterator[Finding]:
    for op in ctx.ops:
        if op.name == "alter_column" and op.kwargs.get("new_column_name") and op.table and op.target:
            yield ctx.find("MIG-006", op.source, source="op", obj=op.obj("column"))
    for s in ctx.statements:
        m = re.search(r"RENAME COLUMN (\S+) TO", s.flat, re.I)
        if s.verb == "alter table" and m:
            yield ctx.find("MIG-006", s.text, source="sql", obj=f"column {s.table}.{ident(m.group(1))}")
        m = re.match(r"EXEC(?:UTE)? sp_rename '([^']+)'.*'COLUMN'", s.flat, re.I)
        if m:
            tbl, _, col = m.group(1).rpartition(".")
            yield ctx.find("MIG-006", s.text, source="sql", obj=f"column {ident(tbl)}.{ident(col)}")
    yield from _drop_add_pairs(ctx)


def _similar(a: str, b: str) -> bool:
    """Names a rename would relate: a shared word, or mostly the same letters."""
    from difflib import SequenceMatcher

    words = lambda n: {w for w in n.lower().split("_") if len(w) > 2}  # noqa: E731
    return bool(words(a) & words(b)) or SequenceMatcher(None, a.lower(), b.lower()).ratio() >= 0.6


def _retyped(ctx: RevisionContext, table: str, old: str, new_type: str) -> bool:
    """The other direction re-adds the dropped column with a type of another kind (cluster_name VARCHAR
    replaced by cluster_id INTEGER): a rework of the column, not a rename."""
    from apexops.migrations.checks_locking import type_shape

    other = ctx.scan.function("downgrade" if ctx.direction == "upgrade" else "upgrade")
    for op in other.calls:
        if op.name != "add_column" or not op.table or not op.column:
            continue
        if ident(op.table) == table and ident(op.column.name) == old:
            a, b = type_shape(op.column.type_text), type_shape(new_type)
            return bool(a and b and a[0] != b[0])
    return False


def _drop_add_pairs(ctx: RevisionContext) -> Iterator[Finding]:
    """One column dropped and one added on the same table, with related names: possibly a rename.

    A drop and a re-add of the *same* name is a type rework (MIG-002 reports the data loss), and several
    drops and adds on one table are a redesign, not a rename."""
    drops: dict[str, list[str]] = {}
    adds: dict[str, list[tuple[str, str, str]]] = {}
    for op in ctx.ops:
        if op.name == "drop_column" and op.table and op.target:
            drops.setdefault(ident(op.table), []).append(ident(op.target))
        elif op.name == "add_column" and op.table and op.column and op.column.name:
            adds.setdefault(ident(op.table), []).append(
                (ident(op.column.name), op.source, op.column.type_text)
            )
    for table, dropped in drops.items():
        added = adds.get(table, [])
        if len(dropped) != 1 or len(added) != 1 or ctx.is_new(table):
            continue
        (old,), ((new, source, new_type),) = dropped, added
        if old == new or not _similar(old, new) or _retyped(ctx, table, old, new_type):
            continue
        why = f"{table} drops {old} and adds {new} in the same revision: if "
        why += "this is a rename (autogenerate cannot tell), the column's data is lost"
        yield ctx.find("MIG-006", source, source="op", obj=f"table {table} drop+add", reason=why)


def mig007_not_null_without_default(ctx: RevisionContext) -> Iterator[Finding]:
    for op in ctx.ops:
        if (
            op.name == "add_column"
            and op.table
            and op.column
            and op.column.not_null
            and not op.column.server_default
            and not ctx.is_new(op.table)
        ):
            yield ctx.find(
                "MIG-007", op.source, source="op", obj=f"column {ident(op.table)}.{ident(op.column.name)}"
            )
    for s in ctx.statements:
        m = re.match(r"ALTER TABLE \S+ ADD (?:COLUMN )?([\w\"\[\]]+) (.*)$", s.flat, re.I)
        if (
            s.verb == "alter table"
            and m
            and m.group(1).upper() != "CONSTRAINT"
            and not ours(s.table)
            and re.search(r"\bNOT NULL\b", m.group(2), re.I)
            and not re.search(r"\bDEFAULT\b", m.group(2), re.I)
            and not ctx.is_new(s.table)
        ):
            yield ctx.find("MIG-007", s.text, source="sql", obj=f"column {s.table}.{ident(m.group(1))}")


def mig022_empty_downgrade(ctx: RevisionContext) -> Iterator[Finding]:
    down, up = ctx.scan.downgrade, ctx.scan.upgrade
    if down.exists and not down.empty and not down.raises_not_implemented:
        return
    if up.empty and not up.calls:
        return  # a merge or no-op revision: nothing to undo
    what = (
        "has no downgrade()"
        if not down.exists
        else f"downgrade() raises {down.raises or 'an error'}"
        if down.raises_not_implemented
        else "downgrade() is empty"
    )
    back = ctx.direction == "downgrade"  # a downgrade through it blocks
    why = "the version would move back while the schema stays" if back else rule_why("MIG-022")
    excerpt = f"{ctx.revision}: {what}"
    reason = f"{ctx.revision} {what}: {why}"
    yield ctx.find(
        "MIG-022", excerpt, source="op", obj="downgrade()", severity=BLOCK if back else None, reason=reason
    )


def mig023_downgrade_destroys(ctx: RevisionContext) -> Iterator[Finding]:
    if ctx.direction == "upgrade":
        created = ctx.created_by_upgrade
        drops = [o for o in ctx.scan.downgrade.calls if o.name in ("drop_table", "drop_column") and o.table]
        lost = sorted(
            {f"table {ident(o.table)}" if o.name == "drop_table" else o.obj("column") for o in drops}
            & created
        )
        if lost:
            objects = ", ".join(lost)
            why = f"rolling this revision back later drops {objects} and the data written there"
            why += " after the upgrade"
            yield ctx.find("MIG-023", f"downgrade(): {objects}", source="op", obj="downgrade()", reason=why)
        return
    destroyed = [
        (
            op.source,
            "op",
            ident(op.table) if op.name == "drop_table" else f"{ident(op.table)}.{ident(op.target)}",
        )
        for op in ctx.ops
        if op.name in ("drop_table", "drop_column") and op.table
    ]
    for s in ctx.statements:
        if s.verb == "drop table" and s.table not in ctx.rebuilt_tables and not ours(s.table):
            destroyed.append((s.text, "sql", s.table))
        destroyed += [(s.text, "sql", f"{s.table}.{c}") for c in _dropped_columns(s)]
    for text, source, key in destroyed:
        obj = f"{'column' if '.' in key else 'table'} {key}"
        if ctx.undone(obj):
            why = f"the downgrade destroys {obj}{ctx.rows_note(key)}"
            yield ctx.find("MIG-023", text, source=source, obj=obj, severity=ACK, reason=why)


def mig026_data_read(ctx: RevisionContext) -> Iterator[Finding]:
    """Reading the database blocks only when the preview could not show what will run; a rendered
    preview shows the statements, and the read is left for the reviewer to acknowledge."""
    reads = [
        (n, text)
        for n, text, dialects in ctx.scan.function(ctx.direction).data_reads
        if dialects is None or ctx.dialect in dialects
    ]
    if not reads:
        return
    severity = ACK if ctx.previewed else BLOCK
    lines = ", ".join(str(n) for n, _ in reads[:5])
    why = (
        rule_why("MIG-026")
        if severity == BLOCK
        else (
            "the migration reads the database (lines "
            + lines
            + "): the rendered preview shows the statements "
            "for an empty result; what runs on real data may differ"
        )
    )
    lineno, text = reads[0]
    yield ctx.find("MIG-026", f"line {lineno}: {text}", source="op", obj="data read", severity=severity,
                   reason=why)  # fmt: skip
