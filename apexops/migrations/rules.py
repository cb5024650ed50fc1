"""The migration lint rules: one small function per rule, each looking at the operations and the SQL.

Every rule is anchored in a published linter or vendor document (see the table in RULES and
notes/migration_anchors.md): squawk, Atlas `migrate lint`, strong_migrations, and the SQL Server docs.
Severities (`Severity`) are the linter's own vocabulary: `block` stops the run (only a reviewed waiver in
the migration source lifts it), `acknowledge` needs an acknowledgement parameter bound to rule and revision
(e.g. "MIG-012@0002"), `info` is shown and recorded. What became of a finding (`Disposition`) is shown with
the one status vocabulary of apexops (`apexops.status.Status`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from apexops.migrations._opscan import OpCall, RevisionScan
from apexops.migrations._sqlscan import Stmt, excerpt
from apexops.migrations.dialects import ident
from apexops.migrations.schema_map import SchemaHistory
from apexops.status import Status

#: BLOCK, ACK and INFO are short names of the severities for the rule functions
__all__ = ["RULES", "Disposition", "Finding", "RevisionContext", "Rule", "Severity"]


class Severity(StrEnum):
    """How much a rule's finding weighs, most severe first (`rank`); `status` is how it is shown."""

    BLOCK = "block"
    ACKNOWLEDGE = "acknowledge"
    WARN = "warn"  # shown as a warning, never blocks
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most severe: findings sort by it, and merging keeps the lowest."""
        return list(Severity).index(self)

    @property
    def status(self) -> Status:
        shown = {Severity.BLOCK: Status.FAIL, Severity.ACKNOWLEDGE: Status.WARN, Severity.WARN: Status.WARN}
        return shown.get(self, Status.INFO)


BLOCK, ACK, WARN, INFO = Severity.BLOCK, Severity.ACKNOWLEDGE, Severity.WARN, Severity.INFO


class Disposition(StrEnum):
    """What became of a finding (the findings table's words), and the status it is shown with."""

    BLOCK = "BLOCK"
    NEEDS_ACK = "NEEDS ACK"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    WAIVED = "WAIVED"
    WARN = Status.WARN
    INFO = Status.INFO

    @property
    def status(self) -> Status:
        shown = {
            Disposition.BLOCK: Status.FAIL,
            Disposition.NEEDS_ACK: Status.WARN,
            Disposition.WARN: Status.WARN,
        }
        return shown.get(self, Status.INFO if self is Disposition.INFO else Status.PASS)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    why: str
    alternative: str
    anchors: str


@dataclass(frozen=True)
class Finding:
    """One thing the reviewer must see: rule, revision, the statement, why it matters, what to do instead."""

    rule: str
    severity: Severity
    revision: str
    excerpt: str
    reason: str
    alternative: str
    source: str  # op | sql | op+sql | history | preview
    object: str = ""
    acknowledged: bool = False
    waiver: str | None = None

    @property
    def key(self) -> str:
        return f"{self.rule}@{self.revision}"

    @property
    def blocking(self) -> bool:
        if self.waiver is not None:
            return False
        return self.severity == BLOCK or (self.severity == ACK and not self.acknowledged)

    @property
    def status(self) -> Disposition:
        if self.waiver is not None:
            return Disposition.WAIVED
        if self.severity == BLOCK:
            return Disposition.BLOCK
        if self.severity == ACK:
            return Disposition.ACKNOWLEDGED if self.acknowledged else Disposition.NEEDS_ACK
        return Disposition.WARN if self.severity == WARN else Disposition.INFO


#: a table: each rule's id, severity and title on its first line
# fmt: off
RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        Rule("MIG-001", BLOCK, "table dropped",
             "drops the table and every row in it; clients still reading it break",
             "expand/contract: stop using the table in a release first, back it up, and drop it in a later, "
             "separately approved migration",
             "squawk ban-drop-table; Atlas DS102"),
        Rule("MIG-002", BLOCK, "column dropped",
             "drops the column's data; running app versions that select it fail",
             "expand/contract: stop reading/writing the column in a release first, then drop it later "
             "(SQL Server: mssql_drop_default=True / drop its constraints first)",
             "squawk ban-drop-column; Atlas DS103; SM"),
        Rule("MIG-003", BLOCK, "schema or database dropped",
             "catastrophic, irreversible loss of everything in it",
             "never from a migration: a separate, manual and approved procedure with a verified backup",
             "Atlas DS101; squawk ban-drop-database"),
        Rule("MIG-004", BLOCK, "truncate or unbounded delete/update",
             "rewrites or deletes every row under a lock held to the end of the migration; log growth",
             "backfill/cleanup in bounded batches (WHERE on a key range) outside the DDL transaction",
             "squawk ban-truncate-cascade; SM backfilling data"),
        Rule("MIG-005", ACK, "table renamed",
             "running app versions still use the old name and fail during the deploy",
             "create the new table (or a view under the old name), move readers and writers, "
             "drop the old name later",
             "squawk renaming-table; Atlas BC101; SM"),
        Rule("MIG-006", ACK, "column renamed (or dropped and re-added)",
             "old app versions use the old name; a drop+add pair loses the column's data",
             "add the new column, dual-write and backfill, switch readers, drop the old column later",
             "squawk renaming-column; Atlas BC102; Alembic autogenerate cannot detect renames"),
        Rule("MIG-007", BLOCK, "NOT NULL column added without a default",
             "fails on a table that has rows, and old app versions' INSERTs fail",
             "add it NULL (or with a constant server_default), backfill in batches, "
             "then make it NOT NULL in a later revision",
             "squawk adding-required-field; Atlas MF103; SQL Server ALTER TABLE docs"),
        Rule("MIG-008", ACK, "NOT NULL column added with a default computed per row",
             "a volatile default (PostgreSQL: random(), gen_random_uuid(), clock_timestamp(), nextval(); "
             "SQL Server: NEWID()) or a LOB column on SQL Server cannot be a metadata-only change: every row "
             "is rewritten under an exclusive lock",
             "add the column nullable (or with a constant default), backfill in batches, then set NOT NULL",
             "squawk adding-field-with-default; Atlas PG302; SQL Server online NOT NULL rules"),
        Rule("MIG-009", ACK, "existing column made NOT NULL",
             "fails if any row holds NULL; scans the whole table under an exclusive lock",
             "PostgreSQL: add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL; SQL Server: "
             "ALTER COLUMN ... WITH (ONLINE = ON) after checking for NULLs",
             "Atlas MF104/PG303; squawk"),
        Rule(
            "MIG-010",
            ACK,
            "column made nullable",
            "clients written against NOT NULL may fail on NULL; on SQL Server an ALTER COLUMN that does not "
            "restate NOT NULL makes the column nullable without saying so",
            "keep NOT NULL unless every reader handles NULL; on SQL Server pass existing_nullable=False with "
            "type_= so Alembic restates NOT NULL",
            "squawk ban-drop-not-null; Alembic ddl/mssql.py warning",
        ),
        Rule("MIG-011", ACK, "column type changed",
             "rewrites the table under an exclusive lock; a smaller type truncates or fails on existing data",
             "add a new column of the new type, backfill, switch, drop the old one later; "
             "never shrink in place",
             "squawk changing-column-type; Atlas PG301; SQL Server ALTER COLUMN rules"),
        Rule("MIG-012", ACK, "index built offline",
             "blocks writes to the table for the whole build",
             "PostgreSQL: CREATE INDEX CONCURRENTLY in an autocommit block; SQL Server: WITH (ONLINE = ON, "
             "RESUMABLE = ON) via op.execute",
             "squawk require-concurrent-index-creation; Atlas PG101; MS docs"),
        Rule("MIG-013", ACK, "index dropped offline",
             "takes an ACCESS EXCLUSIVE lock on the table",
             "DROP INDEX CONCURRENTLY in an autocommit block",
             "squawk require-concurrent-index-deletion; Atlas PG102"),
        Rule("MIG-014", ACK, "unique or primary key constraint on an existing table",
             "validates every row under a lock and fails on duplicates",
             "check for duplicates first; build the unique index online (CONCURRENTLY / ONLINE = ON), "
             "then attach the constraint to it",
             "Atlas MF101/MF102/PG104; squawk disallowed-unique-constraint"),
        Rule("MIG-015", ACK, "constraint validated against the whole table",
             "a FOREIGN KEY or CHECK scans every row while blocking writes, and fails on violating rows",
             "PostgreSQL: ADD ... NOT VALID, then VALIDATE CONSTRAINT in a later step; "
             "SQL Server: WITH NOCHECK, then WITH CHECK CHECK CONSTRAINT off-peak",
             "squawk adding-foreign-key-constraint; Atlas PG305; MS docs"),
        Rule("MIG-016", ACK, "constraint dropped",
             "removes an integrity guarantee the application may rely on",
             "drop it only after the code no longer depends on it; document why",
             "Atlas CD101"),
        Rule("MIG-017", INFO, "raw SQL",
             "op-level rules cannot read it; only the SQL rules check it",
             "prefer Alembic operations; keep raw SQL small and reviewed",
             "strong_migrations executing SQL"),
        Rule("MIG-018", ACK, "data backfill in the same migration as DDL",
             "the DDL locks are held until the backfill commits; long transaction, log growth",
             "backfill in a separate revision or job, in batches, outside the DDL transaction",
             "strong_migrations backfilling data"),
        Rule("MIG-019", ACK, "no lock timeout for the session",
             "DDL waits forever behind a long transaction while every other session queues behind it",
             "set a short lock timeout (database.lock_timeout_ms) and retry off-peak if it expires",
             "squawk require-lock-timeout; strong_migrations Migration Timeouts; SET LOCK_TIMEOUT"),
        Rule("MIG-020", BLOCK, "statement not allowed in a transaction",
             "fails inside Alembic's transaction (CONCURRENTLY, CREATE/ALTER DATABASE, FULLTEXT, BACKUP ...)",
             "wrap it in `with op.get_context().autocommit_block():` in its own revision",
             "squawk ban-concurrent-index-creation-in-transaction; Atlas PG103; MS transactions docs"),
        Rule("MIG-021", INFO, "explicit transaction control in a migration",
             "BEGIN/COMMIT inside a migration breaks Alembic's all-or-nothing transaction",
             "use op.get_context().autocommit_block() for statements that need it",
             "squawk transaction-nesting"),
        Rule("MIG-022", WARN, "downgrade() does nothing",
             "there is no rollback except a database restore (a downgrade through it is blocked)",
             "write the inverse operations, or acknowledge that the pre-migration backup is the rollback",
             "strong_migrations check_down"),
        Rule("MIG-023", INFO, "downgrade drops what the upgrade created",
             "a rollback destroys the data written to these objects since the upgrade",
             "prefer rolling the application back and leaving the additive schema in place",
             "(no linter anchor; strong_migrations skips down-checks by default)"),
        Rule("MIG-024", BLOCK, "multiple heads",
             "`upgrade head` is ambiguous and the order of revisions undefined",
             "merge the heads (alembic merge heads) in the code repository",
             "Atlas non-linear; Alembic"),
        Rule("MIG-025", ACK, "server-named constraint (SQL Server)",
             "SQL Server names it DF__/FK__/UQ__<random>; later drops need a catalog lookup (alembic#1413)",
             "name every constraint (MetaData naming_convention, or name= / explicit CONSTRAINT name)",
             "Atlas NM10x; Alembic autogenerate limits"),
        Rule("MIG-026", BLOCK, "migration reads data",
             "the offline preview cannot run it, so the review is blind to what it will do",
             "move the data step into a separate, reviewed job; keep migrations to DDL and bounded DML",
             "Alembic offline docs; galaxy#20430, dify#24794"),
        Rule("MIG-028", INFO, "identifier too long for the server",
             "PostgreSQL silently truncates names over 63 bytes (two long names can collide); SQL Server "
             "refuses names over 128 characters",
             "shorten the name (MetaData naming_convention keeps generated names short)",
             "squawk identifier-too-long; SQL Server identifier rules"),
        Rule("MIG-029", BLOCK, "preview could not be produced",
             "the SQL that would run cannot be shown, so it cannot be reviewed",
             "fix the migration so it renders (e.g. existing_type for SQL Server ALTER COLUMN)",
             "Alembic --sql"),
        Rule("MIG-031", BLOCK, "revision cannot be loaded",
             "the revision file fails to import, so it can neither be previewed nor run here",
             "make its imports available: add the folder holding the module to APEXOPS_MIGRATIONS_PATH, "
             "or put a stub module under <migrations_dir>/stubs/",
             "Alembic script loading (one failing import stops alembic history)"),
        Rule("MIG-030", INFO, "table rebuilt (SQLite batch move-and-copy)",
             "the whole table is copied under a write lock; time grows with its size",
             "acceptable for the sandbox; on servers the same operation is a plain ALTER",
             "Alembic batch mode"),
    ]
}
# fmt: on


@dataclass
class RevisionContext:
    """What a rule sees for one revision: its operations, its statements, and facts about the plan."""

    revision: str
    dialect: str
    direction: str
    scan: RevisionScan
    statements: list[Stmt]
    new_tables: set[str] = field(default_factory=set)
    history: SchemaHistory | None = None
    row_counts: Mapping[str, int] = field(default_factory=dict)
    created_by_upgrade: set[str] = field(default_factory=set)  # "table t" / "column t.c" / "fk t.n" ...
    #: the preview rendered this revision (so it shows what will run)
    previewed: bool = False

    @cached_property  # computed once per revision: rules ask often
    def ops(self) -> list[OpCall]:
        """The operations of this direction that run on the lint's dialect (dialect guards honoured)."""
        return [op for op in self.scan.function(self.direction).calls if op.runs_on(self.dialect)]

    def created_before(self, table: str, *, op_index: int | None = None, stmt: Stmt | None = None) -> bool:
        """The table was created earlier in this revision than the operation (or statement) at hand:
        a drop that comes *before* a re-create still drops the old table and its rows."""
        t = ident(table)
        if op_index is not None:
            return any(
                o.name == "create_table" and ident(o.table) == t and o.index < op_index for o in self.ops
            )
        if stmt is not None and stmt in self.statements:
            upto = self.statements[: self.statements.index(stmt)]
            return any(s.verb == "create table" and s.table == t for s in upto)
        return t in self.created_here

    def find(
        self,
        rule: str,
        excerpt_text: str,
        *,
        source: str,
        obj: str = "",
        reason: str = "",
        severity: Severity | None = None,
    ) -> Finding:
        r = RULES[rule]
        return Finding(
            rule,
            severity or r.severity,
            self.revision,
            excerpt(excerpt_text),
            reason or r.why,
            r.alternative,
            source,
            obj,
        )

    @cached_property  # computed once per revision: rules ask often
    def rebuilt_tables(self) -> set[str]:
        renames = (
            re.match(r"ALTER TABLE _alembic_tmp_(\w+) RENAME TO (\w+)", s.flat, re.I) for s in self.statements
        )
        return {ident(m.group(2)) for m in renames if m}

    @cached_property  # computed once per revision: rules ask often
    def created_here(self) -> set[str]:
        return {s.table for s in self.statements if s.verb == "create table"} | {
            ident(o.table) for o in self.ops if o.name == "create_table" and o.table
        }

    @cached_property  # computed once per revision: rules ask often
    def added_columns(self) -> set[tuple[str, str]]:
        out = {
            (ident(o.table), ident(o.column.name))
            for o in self.ops
            if o.name == "add_column" and o.table and o.column and o.column.name
        }
        for s in self.statements:
            m = re.match(r"ALTER TABLE \S+ ADD (?:COLUMN )?([\w\"\[\]]+)\s", s.flat, re.I)
            if s.verb == "alter table" and m and m.group(1).upper() != "CONSTRAINT":
                out.add((s.table, ident(m.group(1))))
        return out

    def is_new(self, table: str) -> bool:
        """Created earlier in this plan (so still empty when this statement runs)."""
        return ident(table) in self.new_tables or ident(table) in self.created_here

    def undone(self, obj: str) -> bool:
        """In a downgrade: the object was created by this revision's upgrade (MIG-023 territory)."""
        return self.direction == "downgrade" and obj in self.created_by_upgrade

    def undone_name(self, name: str) -> bool:
        """In a downgrade: an index or constraint of this name was created by this revision's upgrade
        (op.f names unwrapped, unique constraints and create_table's named constraints included)."""
        if self.direction != "downgrade" or not name:
            return False
        suffix = f".{ident(name)}"
        return any(o.endswith(suffix) for o in self.created_by_upgrade)

    def rows_note(self, key: str) -> str:
        n = self.row_counts.get(key)
        if n is None:
            return ""
        what = "rows have a value in it" if "." in key else "rows"
        return f" ({n} {what} now)"


Check = Callable[[RevisionContext], Iterator[Finding]]


#: Alembic's own bookkeeping tables are not the application's data
KEEP = ("alembic_version", "_alembic_tmp")


def rule_why(rule: str) -> str:
    return RULES[rule].why


def ours(table: str) -> bool:
    """True for Alembic's bookkeeping (and unknown) tables, which rules about application data skip."""
    return not table or table.startswith(KEEP)
