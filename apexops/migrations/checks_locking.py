"""Rules about locks, transactions and servers: what blocks other sessions or fails mid-flight.

MIG-008 .. MIG-021 (defaults computed per row, NOT NULL and back, type changes, offline indexes,
validating constraints, backfills, lock timeout, transaction control), MIG-025 (SQL Server server-named
constraints), MIG-028 (identifier length), MIG-030 (SQLite batch rebuilds).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from apexops.migrations.dialects import ident
from apexops.migrations.rules import ACK, BLOCK, INFO, Finding, RevisionContext, Severity, ours, rule_why

#: defaults evaluated per row (not metadata-only when a NOT NULL column is added to existing rows)
_VOLATILE = {
    "postgresql": r"\b(random|gen_random_uuid|uuid_generate_v[14]|clock_timestamp|timeofday|nextval)\s*\(",
    "mssql": r"\b(NEWID|NEWSEQUENTIALID|CRYPT_GEN_RANDOM)\s*\(",
}
_ADD_COLUMN = re.compile(r"ALTER TABLE \S+ ADD (?:COLUMN )?([\w\"\[\]]+) (.*)$", re.I)


def mig008_volatile_default(ctx: RevisionContext) -> Iterator[Finding]:
    volatile = _VOLATILE.get(ctx.dialect)
    if volatile is None:
        return
    for s in ctx.statements:
        m = _ADD_COLUMN.match(s.flat)
        if not (s.verb == "alter table" and m and m.group(1).upper() != "CONSTRAINT") or ctx.is_new(s.table):
            continue
        spec = m.group(2)
        if not re.search(r"\bNOT NULL\b", spec, re.I) or not re.search(r"\bDEFAULT\b", spec, re.I):
            continue
        column = f"{s.table}.{ident(m.group(1))}"
        call = re.search(volatile, spec, re.I)
        if call:
            reason = f"{column} defaults to {call.group(1)}(), evaluated for every existing row: "
            reason += rule_why("MIG-008")
            yield ctx.find("MIG-008", s.text, source="sql", obj=f"column {column}", reason=reason)
        elif ctx.dialect == "mssql" and re.search(r"\((MAX)\)|\b(N?TEXT|IMAGE)\b", spec, re.I):
            reason = f"{column} is a LOB column: SQL Server adds it NOT NULL with a default as a "
            reason += "size-of-data operation under a schema-modification lock"
            yield ctx.find("MIG-008", s.text, source="sql", obj=f"column {column}", reason=reason)


def mig009_set_not_null(ctx: RevisionContext) -> Iterator[Finding]:
    for op in ctx.ops:
        if (
            op.name == "alter_column"
            and op.kwargs.get("nullable") is False
            and op.table
            and op.target
            and op.kwargs.get("existing_nullable") is not False
            and not ctx.is_new(op.table)
        ):
            yield ctx.find("MIG-009", op.source, source="op", obj=op.obj("column"))
    already = {
        (ident(o.table), ident(o.target))
        for o in ctx.ops
        if o.name == "alter_column" and o.table and o.target and o.kwargs.get("existing_nullable") is False
    }
    for s in ctx.statements:
        m = re.search(r"ALTER COLUMN (\S+) SET NOT NULL", s.flat, re.I)
        if m and (s.table, ident(m.group(1))) in already:
            continue  # Alembic restates NOT NULL on a column that already is
        if s.verb == "alter table" and m and not ctx.is_new(s.table):
            yield ctx.find("MIG-009", s.text, source="sql", obj=f"column {s.table}.{ident(m.group(1))}")


def mig010_drop_not_null(ctx: RevisionContext) -> Iterator[Finding]:
    for op in ctx.ops:
        if op.name != "alter_column" or not op.table or not op.target or ctx.is_new(op.table):
            continue
        obj = op.obj("column")
        if op.kwargs.get("nullable") is True and op.kwargs.get("existing_nullable") is not True:
            yield ctx.find("MIG-010", op.source, source="op", obj=obj)
        elif (
            ctx.dialect == "mssql"
            and "type_" in op.kwargs
            and "nullable" not in op.kwargs
            and "existing_nullable" not in op.kwargs
        ):
            why = "SQL Server's ALTER COLUMN restates the whole column: without existing_nullable, "
            why += f"{ident(op.table)}.{ident(op.target)} becomes nullable if it was NOT NULL"
            yield ctx.find("MIG-010", op.source, source="op", obj=obj, reason=why)
    for s in ctx.statements:
        m = re.search(r"ALTER COLUMN (\S+) DROP NOT NULL", s.flat, re.I)
        if s.verb == "alter table" and m and not ctx.is_new(s.table):
            yield ctx.find("MIG-010", s.text, source="sql", obj=f"column {s.table}.{ident(m.group(1))}")


_PREFIX = re.compile(r"^((sa|sqlalchemy|types|mssql|postgresql|mysql|sqlite|oracle|dialects)\.)+", re.I)
#: type families by meaning: SQLAlchemy's generic names and what each server renders them as
_FAMILIES = [
    ("bool", r"BOOL(EAN)?|BIT"),
    (
        "datetimetz",
        r"DATETIMEOFFSET|TIMESTAMPTZ|TIMESTAMP\s*\(?\s*TIMEZONE\s*=\s*TRUE"
        r"|TIMESTAMP.*WITH TIME ZONE",
    ),
    ("datetime", r"DATETIME2?|TIMESTAMP|SMALLDATETIME|UTCDATETIME"),
    ("date", r"DATE"),
    ("time", r"TIME"),
    ("float", r"FLOAT|REAL|DOUBLE( PRECISION)?|DOUBLE_PRECISION"),
    ("binary", r"LARGEBINARY|VARBINARY|BINARY|BLOB|BYTEA|IMAGE|LONGBLOB|MEDIUMBLOB|PICKLETYPE"),
    ("json", r"JSONB?|EXTENDEDJSON"),
    ("uuid", r"UUID|UNIQUEIDENTIFIER|UUIDTYPE"),
]
_INTS = (("BIGINT", 8), ("BIGINTEGER", 8), ("SMALLINT", 2), ("SMALLINTEGER", 2), ("TINYINT", 1),
         ("INTEGER", 4), ("INT", 4))  # fmt: skip


def type_shape(text: str | None) -> tuple[str, tuple[float, ...]] | None:
    """(family, sizes) of a SQL or SQLAlchemy type, by meaning: `sa.String()`, `VARCHAR(max)` and `TEXT`
    are all an unbounded string; `sa.Boolean()` and `BIT` one boolean. None when unreadable."""
    if not text:
        return None
    t = _PREFIX.sub("", text.strip()).upper()
    t = re.sub(r"\bLENGTH\s*=\s*", "", t)
    m = re.match(r"(N?VARCHAR|N?CHAR|STRING|UNICODE|VARBINARY|CHARACTER VARYING|MEDIUMTEXT|LONGTEXT)"
                 r"\s*\(\s*(\d+|MAX)", t)  # fmt: skip
    if m and not m.group(1).endswith("TEXT"):
        family = "binary" if m.group(1) == "VARBINARY" else "string"
        return family, (math.inf if m.group(2) == "MAX" else float(m.group(2)),)
    if re.match(r"(N?TEXT|UNICODETEXT|CLOB|N?VARCHAR|STRING|UNICODE|CHARACTER VARYING|MEDIUMTEXT|LONGTEXT"
                r"|MEDIUMTEXT)\b", t):  # fmt: skip
        return "string", (math.inf,)  # no length: unbounded (SQL Server renders VARCHAR(max))
    m = re.match(r"(NUMERIC|DECIMAL)\s*\(\s*(\d+)\s*(?:,\s*(\d+))?", t)
    if m:
        return "numeric", (float(m.group(2)), float(m.group(3) or 0))
    for name, size in _INTS:
        if re.match(rf"{name}\b", t):
            return "int", (float(size),)
    for family, pattern in _FAMILIES:
        if re.match(rf"({pattern})\b", t):
            return family, ()
    if re.match(r"ENUM\b", t):
        return "string", ()
    return re.split(r"[\s(]", t, maxsplit=1)[0], ()


def same_type(old: str | None, new: str | None) -> bool:
    """The two types mean the same (a restated type on a nullability-only change is no type change)."""
    a, b = type_shape(old), type_shape(new)
    if not a or not b or a[0] != b[0]:
        return False
    if re.search(r"\bEnum\s*\(", f"{old} {new}", re.I):  # an enum's meaning is its values
        return " ".join(str(old).split()) == " ".join(str(new).split())
    return not a[1] or not b[1] or a[1] == b[1]


def _shrinks(old: str | None, new: str | None) -> bool | None:
    a, b = type_shape(old), type_shape(new)
    if not a or not b:
        return None
    if a[0] != b[0]:
        return None
    return any(nb < na for na, nb in zip(a[1], b[1], strict=False))


def _type_verdict(
    ctx: RevisionContext, table: str, column: str, new: str | None, old: str | None
) -> tuple[Severity, str]:
    """Widening a string is information, shrinking blocks, any other change needs acknowledgement."""
    old = old or (ctx.history.type_before(ctx.revision, table, column) if ctx.history else None)
    shrink = _shrinks(old, new)
    sized = bool((type_shape(old) or ("", ()))[1] and (type_shape(new) or ("", ()))[1])
    if shrink is False and sized and (type_shape(new) or ("",))[0] == "string":
        return INFO, (
            f"{table}.{column} widens from {old} to {new}: usually a metadata-only change "
            "(PostgreSQL varchar, SQL Server non-indexed columns)"
        )
    if shrink:
        return BLOCK, (
            f"{table}.{column} shrinks from {old} to {new}: existing values longer than the new "
            "size are truncated or make the migration fail"
        )
    known = f" from {old}" if old else ""
    return ACK, f"{table}.{column} changes type{known} to {new}: " + rule_why("MIG-011")


_Change = tuple[str, str, str, str, str, "str | None"]


def _op_type_changes(ctx: RevisionContext) -> list[_Change]:
    return [
        (op.source, "op", op.table, op.target, op.kw_source["type_"], op.kw_source.get("existing_type"))
        for op in ctx.ops
        if op.name == "alter_column"
        and "type_" in op.kw_source
        and op.table
        and op.target
        and not ctx.is_new(op.table)
        and not same_type(op.kw_source.get("existing_type"), op.kw_source["type_"])
    ]


def _sql_type_changes(ctx: RevisionContext) -> list[_Change]:
    """ALTER COLUMN ... TYPE (PostgreSQL) or ALTER COLUMN c <type> (SQL Server, which restates the type on
    every change: a nullability-only change is not a type change)."""
    alters = [o for o in ctx.ops if o.name == "alter_column" and o.table and o.target]
    declared = {(ident(o.table), ident(o.target)): o.kw_source["existing_type"] for o in alters
                if "existing_type" in o.kw_source}  # fmt: skip
    retyped = {(ident(o.table), ident(o.target)) for o in alters if "type_" in o.kw_source}
    altered = {(ident(o.table), ident(o.target)) for o in alters}
    out: list[_Change] = []
    for s in ctx.statements:
        if s.verb != "alter table" or ctx.is_new(s.table):
            continue
        m = re.search(r"ALTER COLUMN (\S+) (?:SET DATA )?TYPE (.+?)(?: USING .*)?$", s.flat, re.I)
        restated = not m and ctx.dialect == "mssql"
        if restated:
            m = re.search(r"ALTER COLUMN (\S+) (.+?)(?: (?:NOT )?NULL)?$", s.flat, re.I)
        if not m:
            continue
        column, new = ident(m.group(1)), m.group(2)
        if restated and (s.table, column) in altered and (s.table, column) not in retyped:
            continue
        old = declared.get((s.table, column)) or (
            ctx.history.type_before(ctx.revision, s.table, column) if ctx.history else None
        )
        if not old or not same_type(old, new):
            out.append((s.text, "sql", s.table, column, new, old))
    return out


def mig011_type_change(ctx: RevisionContext) -> Iterator[Finding]:
    for text, source, name, col, new, old in _op_type_changes(ctx) + _sql_type_changes(ctx):
        table, column = ident(name), ident(col)  # idempotent: the SQL's names are already bare
        sev, why = _type_verdict(ctx, table, column, new, old)
        yield ctx.find(
            "MIG-011", text, source=source, severity=sev, reason=why, obj=f"column {table}.{column}"
        )


def mig012_index_offline(ctx: RevisionContext) -> Iterator[Finding]:
    if ctx.dialect not in ("postgresql", "mssql"):
        return
    for s in ctx.statements:
        if s.verb != "create index" or ctx.is_new(s.table):
            continue
        online = (
            re.search(r"\bCONCURRENTLY\b", s.upper)
            if ctx.dialect == "postgresql"
            else re.search(r"ONLINE\s*=\s*ON", s.upper)
        )
        if not online:
            yield ctx.find("MIG-012", s.text, source="sql", obj=f"index {s.table}.{s.name}")
    online = "postgresql_concurrently" if ctx.dialect == "postgresql" else "mssql_online"
    for op in ctx.ops:
        if (
            op.name == "create_index"
            and op.table
            and op.target
            and not ctx.is_new(op.table)
            and not op.kwargs.get(online)
            and "ONLINE" not in str(op.kw_source.get("mssql_with", "")).upper()
        ):
            yield ctx.find("MIG-012", op.source, source="op", obj=op.obj("index"))


def _index_owners(ctx: RevisionContext) -> dict[str, str]:
    owners = {o.name: o.table for o in (ctx.history.universe if ctx.history else ()) if o.kind == "index"}
    owners.update(
        {ident(o.target): ident(o.table) for o in ctx.ops if o.name == "drop_index" and o.table and o.target}
    )
    return owners


def mig013_drop_index_offline(ctx: RevisionContext) -> Iterator[Finding]:
    if ctx.dialect != "postgresql":
        return
    owners = _index_owners(ctx)
    dropped = {s.table for s in ctx.statements if s.verb == "drop table"}
    dropped |= {ident(o.table) for o in ctx.ops if o.name == "drop_table" and o.table}

    def exempt(table: str, name: str) -> bool:
        """The table goes too, the index is the upgrade's own (an undo), or the table is new."""
        return table in dropped or ctx.undone_name(name) or bool(table and ctx.is_new(table))

    for op in ctx.ops:
        if op.name != "drop_index" or not op.target or op.kwargs.get("postgresql_concurrently"):
            continue
        table = ident(op.table) or owners.get(ident(op.target), "")
        if not exempt(table, op.target):
            yield ctx.find("MIG-013", op.source, source="op", obj=f"index {table}.{ident(op.target)}")
    for s in ctx.statements:
        if s.verb != "drop index" or re.search(r"\bCONCURRENTLY\b", s.upper):
            continue
        table = s.table or owners.get(s.name, "")
        if not exempt(table, s.name):
            yield ctx.find("MIG-013", s.text, source="sql", obj=f"index {table}.{s.name}")


def mig014_unique_on_existing(ctx: RevisionContext) -> Iterator[Finding]:
    for s in ctx.statements:
        if ours(s.table) or ctx.is_new(s.table):
            continue
        m = re.search(r"\bADD (?:CONSTRAINT (\S+) )?(UNIQUE|PRIMARY KEY)\b", s.flat, re.I)
        if s.verb == "alter table" and m:
            yield ctx.find(
                "MIG-014", s.text, source="sql", obj=f"constraint {s.table}.{ident(m.group(1) or '?')}"
            )
        if s.verb == "create index" and s.upper.startswith("CREATE UNIQUE"):
            yield ctx.find("MIG-014", s.text, source="sql", obj=f"index {s.table}.{s.name}")
    for op in ctx.ops:
        if not op.table or ctx.is_new(op.table):
            continue
        if op.name in ("create_unique_constraint", "create_primary_key"):
            yield ctx.find("MIG-014", op.source, source="op", obj=op.obj("constraint"))
        if op.name == "create_index" and op.kwargs.get("unique"):
            yield ctx.find("MIG-014", op.source, source="op", obj=op.obj("index"))


def mig015_validating_constraint(ctx: RevisionContext) -> Iterator[Finding]:
    if ctx.dialect == "sqlite":
        return  # batch mode rebuilds the table instead (MIG-030); SQLite does not validate on copy
    added = ctx.added_columns

    def severity(table: str, cols: list[str]) -> tuple[Severity, str]:
        if cols and all((table, ident(c)) in added for c in cols):
            return INFO, (
                f"{table}: the constrained columns are new in this revision, so validation cannot fail; "
                "the scan still blocks writes for a time that grows with the table"
            )
        return ACK, f"{table}: " + rule_why("MIG-015")

    deferred = r"\bNOT VALID\b" if ctx.dialect == "postgresql" else r"\bWITH NOCHECK\b"
    found = []
    for s in ctx.statements:
        m = re.search(r"\bADD (?:CONSTRAINT (\S+) )?(FOREIGN KEY\s*\(([^)]*)\)|CHECK\b)", s.flat, re.I)
        if s.verb != "alter table" or not m or ours(s.table) or ctx.is_new(s.table):
            continue
        if not re.search(deferred, s.upper):
            cols = [c.strip() for c in (m.group(3) or "").split(",") if c.strip()]
            found.append((s.text, "sql", s.table, cols, f"constraint {s.table}.{ident(m.group(1) or '?')}"))
    found += [
        (op.source, "op", ident(op.table), list(op.columns), op.obj("constraint"))
        for op in ctx.ops
        if op.name in ("create_foreign_key", "create_check_constraint")
        and op.table
        and not ctx.is_new(op.table)
        and not op.kwargs.get("postgresql_not_valid")
    ]
    for text, source, table, cols, obj in found:
        sev, why = severity(table, cols)
        yield ctx.find("MIG-015", text, source=source, severity=sev, reason=why, obj=obj)


def mig016_drop_constraint(ctx: RevisionContext) -> Iterator[Finding]:
    for op in ctx.ops:
        if op.name != "drop_constraint" or not op.table or ctx.undone_name(op.target or ""):
            continue
        if op.target:
            yield ctx.find("MIG-016", op.source, source="op", obj=op.obj("constraint"))
            continue
        why = f"{ident(op.table)}: drops a constraint without naming it (name None): "
        why += "which constraint goes depends on the database's generated names; " + rule_why("MIG-016")
        yield ctx.find("MIG-016", op.source, source="op", obj=f"constraint {ident(op.table)}.?", reason=why)
    for s in ctx.statements:
        m = re.search(r"\bDROP CONSTRAINT (?:IF EXISTS )?(\S+)", s.flat, re.I)
        if s.verb == "alter table" and m and not ours(s.table) and not ctx.undone_name(ident(m.group(1))):
            yield ctx.find("MIG-016", s.text, source="sql", obj=f"constraint {s.table}.{ident(m.group(1))}")


def mig017_raw_sql(ctx: RevisionContext) -> Iterator[Finding]:
    for op in ctx.ops:
        if op.name == "execute":
            yield ctx.find("MIG-017", op.raw_sql or op.source, source="op", obj=f"line {op.lineno}")


def mig018_backfill_with_ddl(ctx: RevisionContext) -> Iterator[Finding]:
    if not any(s.is_ddl for s in ctx.statements):
        return
    for s in ctx.statements:
        if ours(s.table) or ctx.is_new(s.table):
            continue
        bounded_dml = s.verb in ("update", "delete") and re.search(r"\bWHERE\b", s.upper)
        copy = s.verb == "insert" and re.search(r"\bSELECT\b", s.upper)
        if bounded_dml or copy:
            yield ctx.find("MIG-018", s.text, source="sql", obj=f"table {s.table}")


def mig019_timeout_disabled(ctx: RevisionContext) -> Iterator[Finding]:
    for s in ctx.statements:
        if re.match(
            r"SET (lock_timeout\s*(=|TO)\s*'?0(ms|s)?'?|LOCK_TIMEOUT\s+-1)\s*$", s.flat, re.I
        ) or re.match(r"PRAGMA busy_timeout\s*=\s*0\s*$", s.flat, re.I):
            why = "the migration switches the lock timeout off: " + rule_why("MIG-019")
            yield ctx.find("MIG-019", s.text, source="sql", obj="lock timeout", reason=why)


_NO_TXN = {
    "postgresql": r"\bCONCURRENTLY\b|^VACUUM\b|^(CREATE|DROP|ALTER) DATABASE\b|^ALTER SYSTEM\b"
    r"|^CREATE TABLESPACE\b",
    "mssql": r"^(CREATE|ALTER|DROP) DATABASE\b|^(CREATE|ALTER|DROP) FULLTEXT (CATALOG|INDEX)\b"
    r"|^BACKUP\b|^RESTORE\b|^RECONFIGURE\b",
}


def mig020_not_in_transaction(ctx: RevisionContext) -> Iterator[Finding]:
    pattern = _NO_TXN.get(ctx.dialect)
    if not pattern:
        return
    for s in ctx.statements:
        if s.in_transaction and re.search(pattern, s.upper):
            yield ctx.find("MIG-020", s.text, source="sql", obj=s.flat[:60])


def mig021_transaction_control(ctx: RevisionContext) -> Iterator[Finding]:
    for op in ctx.ops:
        if (
            op.name == "execute"
            and op.raw_sql
            and re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)\b", op.raw_sql, re.I)
        ):
            yield ctx.find("MIG-021", op.raw_sql, source="op", obj=f"line {op.lineno}")


#: constraints SQL Server names itself when the DDL does not (DF__, UQ__, CK__, FK__ + a random suffix)
_UNNAMED = {
    "DEFAULT": r"\bDEFAULT\b",
    "UNIQUE": r"\bUNIQUE\b",
    "CHECK": r"\bCHECK\s*\(",
    "FOREIGN KEY": r"\bFOREIGN KEY\b",
}


def mig025_server_named(ctx: RevisionContext) -> Iterator[Finding]:
    if ctx.dialect != "mssql":
        return
    unnamed_pk: list[str] = []
    for s in ctx.statements:
        if s.verb not in ("create table", "alter table"):
            continue
        rest = re.sub(
            r"\bCONSTRAINT \S+ (PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY|DEFAULT)\b", " ", s.flat, flags=re.I
        )
        kinds = [k for k, p in _UNNAMED.items() if re.search(p, rest, re.I)]
        if kinds:
            why = f"{s.table}: unnamed {', '.join(kinds)} constraint; " + rule_why("MIG-025")
            yield ctx.find("MIG-025", s.text, source="sql", obj=f"table {s.table} unnamed", reason=why)
        if re.search(r"\bPRIMARY KEY\b", rest, re.I):
            unnamed_pk.append(s.table)
    creates = ("create_foreign_key", "create_unique_constraint", "create_check_constraint")
    for op in ctx.ops:
        if op.name in creates and op.table and not op.target:  # name None: the server names it
            kind = op.name.removeprefix("create_").replace("_", " ").upper().replace(" CONSTRAINT", "")
            why = f"{ident(op.table)}: {kind} created without a name; " + rule_why("MIG-025")
            yield ctx.find(
                "MIG-025", op.source, source="op", obj=f"table {ident(op.table)} unnamed", reason=why
            )
    for op in ctx.ops:
        if op.unnamed and op.table:
            why = f"{ident(op.table)}: unnamed {', '.join(op.unnamed)} constraint; " + rule_why("MIG-025")
            yield ctx.find(
                "MIG-025", op.source, source="op", obj=f"table {ident(op.table)} unnamed", reason=why
            )
    if unnamed_pk:
        pks = "PRIMARY KEY without a name on " + ", ".join(unnamed_pk)
        why = "primary keys get server-generated names (PK__...); harmless until one is dropped"
        yield ctx.find("MIG-025", pks, source="sql", obj="primary keys", severity=INFO, reason=why)


#: the longest name each server keeps whole (PostgreSQL counts bytes, NAMEDATALEN - 1)
_MAX_IDENTIFIER = {"postgresql": 63, "mssql": 128}
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_NAME = re.compile(r'"([^"]+)"|\[([^\]]+)\]|\b([A-Za-z_][A-Za-z0-9_$#@]*)\b')


def mig028_identifier_too_long(ctx: RevisionContext) -> Iterator[Finding]:
    limit = _MAX_IDENTIFIER.get(ctx.dialect)
    if limit is None:
        return
    seen: set[str] = set()
    for s in ctx.statements:
        for m in _NAME.finditer(_LITERAL.sub("''", s.flat)):
            name = next(g for g in m.groups() if g is not None)
            size = len(name.encode()) if ctx.dialect == "postgresql" else len(name)
            if size > limit and name not in seen:
                seen.add(name)
                unit = "bytes" if ctx.dialect == "postgresql" else "characters"
                why = f"{name} is {size} {unit}, over {ctx.dialect}'s {limit}: " + rule_why("MIG-028")
                yield ctx.find("MIG-028", s.text, source="sql", obj=f"name {name[:40]}…", reason=why)


def mig030_table_rebuild(ctx: RevisionContext) -> Iterator[Finding]:
    for table in sorted(ctx.rebuilt_tables):
        sql = f"CREATE TABLE _alembic_tmp_{table} ... ALTER TABLE _alembic_tmp_{table} RENAME TO {table}"
        why = f"{table} is rebuilt by copy{ctx.rows_note(table)}: " + rule_why("MIG-030")
        yield ctx.find("MIG-030", sql, source="sql", obj=f"table {table}", reason=why)
