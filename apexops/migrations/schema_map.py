"""What each revision creates, learned by replaying the history, and how a live schema compares to it.

Partial application (the version says X but objects of a later revision exist, or objects X implies are
missing) can only be seen by knowing which objects each revision owns. Parsing migration code for that is
fragile (loops, helpers, batch mode), so the history is *replayed* on an in-memory SQLite database, one
revision at a time, and the schema is reflected after each: tables, columns, named indexes and named
foreign keys. Names are compared, not types, so the SQLite replay is a fair map of PostgreSQL and SQL
Server schemas too. A revision that cannot run on SQLite (dialect-specific raw SQL) is reported as
unknown, and comparisons that need it say INCONCLUSIVE rather than guessing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.migrations._alembic import (
    fingerprint,
    lineage,
    make_config,
    run_command,
    script_directory,
)
from apexops.migrations.dialects import ident
from apexops.schema import MIGRATIONS_DIR

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

__all__ = [
    "LiveSchema",
    "RevisionEvidence",
    "SchemaComparison",
    "SchemaHistory",
    "SchemaObject",
    "compare",
    "reflect",
    "replay_history",
]

_IGNORED_TABLES = ("alembic_version",)


@dataclass(frozen=True, order=True)
class SchemaObject:
    """A named schema object: kind is table | column | index | foreign key."""

    kind: str
    table: str
    name: str = ""

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.table}" if self.kind == "table" else f"{self.kind} {self.table}.{self.name}"
        )


@dataclass(frozen=True)
class SchemaHistory:
    """The schema after each revision (replayed), with each revision's ancestors."""

    script_dir: str
    order: tuple[str, ...]
    schemas: Mapping[str, frozenset[SchemaObject]]
    column_types: Mapping[str, Mapping[tuple[str, str], str]]
    parents: Mapping[str, tuple[str, ...]]
    ancestors: Mapping[str, frozenset[str]]
    errors: Mapping[str, str] = field(default_factory=dict)

    def before(self, revision: str) -> frozenset[SchemaObject] | None:
        return self.expected(self.parents.get(revision, ()))

    def added(self, revision: str) -> frozenset[SchemaObject] | None:
        after, before = self.schemas.get(revision), self.before(revision)
        return None if after is None or before is None else after - before

    def removed(self, revision: str) -> frozenset[SchemaObject] | None:
        after, before = self.schemas.get(revision), self.before(revision)
        return None if after is None or before is None else before - after

    def expected(self, version: Iterable[str]) -> frozenset[SchemaObject] | None:
        """Every object the revisions in `version` imply (None when one of them could not be replayed)."""
        version = tuple(version)
        parts = [self.schemas[v] for v in version if v in self.schemas]
        return frozenset[SchemaObject]().union(*parts) if len(parts) == len(version) else None

    @property
    def universe(self) -> frozenset[SchemaObject]:
        return frozenset().union(*self.schemas.values()) if self.schemas else frozenset()

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(o.table for o in self.universe)

    def type_before(self, revision: str, table: str, column: str) -> str | None:
        """The column's type before `revision` ran (for type-shrink checks), when known."""
        for parent in self.parents.get(revision, ()):
            found = self.column_types.get(parent, {}).get((ident(table), ident(column)))
            if found:
                return found
        return None


@dataclass(frozen=True)
class LiveSchema:
    tables: frozenset[str]
    objects: frozenset[SchemaObject]


def reflect(bind: Engine | Connection, tables: Iterable[str] | None = None) -> LiveSchema:
    """The live schema's tables, and the objects of `tables` (all tables when None)."""
    import sqlalchemy as sa

    inspector = sa.inspect(bind)
    existing = {ident(t): t for t in inspector.get_table_names()}
    wanted = set(existing) if tables is None else {ident(t) for t in tables} & set(existing)
    names = [existing[k] for k in sorted(wanted - set(_IGNORED_TABLES))]
    objects, _ = _objects(inspector, names)
    return LiveSchema(frozenset(existing) - set(_IGNORED_TABLES), frozenset(objects))


def _objects(inspector: Any, tables: list[str]) -> tuple[set[SchemaObject], dict[tuple[str, str], str]]:
    """Tables, columns, named indexes and named foreign keys, reflected in bulk (a few catalog queries)."""
    objects: set[SchemaObject] = set()
    types: dict[tuple[str, str], str] = {}
    if not tables:
        return objects, types
    columns = inspector.get_multi_columns(filter_names=tables)
    indexes = inspector.get_multi_indexes(filter_names=tables)
    foreign_keys = inspector.get_multi_foreign_keys(filter_names=tables)
    for (_, table), cols in columns.items():
        name = ident(table)
        objects.add(SchemaObject("table", name))
        for col in cols:
            objects.add(SchemaObject("column", name, ident(col["name"])))
            types[(name, ident(col["name"]))] = str(col["type"])
    for (_, table), found in indexes.items():
        for index in found:
            if index.get("name") and not index["name"].startswith("sqlite_autoindex"):
                objects.add(SchemaObject("index", ident(table), ident(index["name"])))
    for (_, table), found in foreign_keys.items():
        for fk in found:
            if fk.get("name"):
                objects.add(SchemaObject("foreign key", ident(table), ident(fk["name"])))
    return objects, types


def _snapshot(connection: Connection) -> tuple[frozenset[SchemaObject], dict[tuple[str, str], str]]:
    import sqlalchemy as sa

    inspector = sa.inspect(connection)
    names = [
        t
        for t in inspector.get_table_names()
        if ident(t) not in _IGNORED_TABLES and not ident(t).startswith("_alembic_tmp")
    ]
    objects, types = _objects(inspector, names)
    return frozenset(objects), types


_CACHE: dict[tuple[Any, ...], SchemaHistory] = {}


def replay_history(script_dir: Path | str | None = None) -> SchemaHistory:
    """Replay every revision on in-memory SQLite and record the schema after each (cached per history)."""
    import sqlalchemy as sa

    folder = Path(script_dir or MIGRATIONS_DIR).resolve()
    key = fingerprint(folder)
    if key in _CACHE:
        return _CACHE[key]
    sd = script_directory(folder)
    schemas: dict[str, frozenset[SchemaObject]] = {}
    types: dict[str, dict[tuple[str, str], str]] = {}
    errors: dict[str, str] = {}
    order: list[str] = []
    parents: dict[str, tuple[str, ...]] = {}
    ancestors: dict[str, frozenset[str]] = {}
    for head in sd.get_heads():
        path = lineage(sd, head)
        engine = sa.create_engine("sqlite://")
        try:
            with engine.connect() as conn:
                failed = False
                for info in path:
                    rev = info.revision
                    parents[rev] = info.down_revisions
                    ancestors[rev] = frozenset(r.revision for r in lineage(sd, rev))
                    if rev not in order:
                        order.append(rev)
                    if failed:
                        errors.setdefault(rev, "an earlier revision could not be replayed")
                        continue
                    try:
                        run_command(make_config(folder, connection=conn), "upgrade", rev)
                    except Exception as exc:  # any failure: this revision's objects are unknown
                        errors[rev] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                        failed = True
                        continue
                    if rev not in schemas:
                        schemas[rev], types[rev] = _snapshot(conn)
        finally:
            engine.dispose()
    history = SchemaHistory(
        str(folder),
        tuple(order),
        schemas,
        types,
        parents,
        ancestors,
        {k: v for k, v in errors.items() if k not in schemas},
    )
    _CACHE[key] = history
    return history


@dataclass(frozen=True)
class RevisionEvidence:
    """Objects of one revision found (or not) in the live schema, against what the version says."""

    revision: str
    relation: str  # "later" (not applied per version) | "applied" (per version)
    present: tuple[SchemaObject, ...]
    absent: tuple[SchemaObject, ...]

    @property
    def explanation(self) -> str:
        if self.relation == "later":
            share = f"{len(self.present)} of {len(self.present) + len(self.absent)}"
            state = "fully" if not self.absent else "partly"
            return (
                f"objects of {self.revision} exist although the version does not include it "
                f"({share} of its changes present: {state} applied)"
            )
        return f"objects {self.revision} created are missing although the version includes it"


@dataclass(frozen=True)
class SchemaComparison:
    """The live schema against the version table: consistent, or which revision's objects disagree."""

    version: tuple[str, ...]
    evidence: tuple[RevisionEvidence, ...]
    matches: tuple[str, ...]
    unknown: tuple[str, ...]
    apex_tables_present: tuple[str, ...]

    @property
    def consistent(self) -> bool:
        return not self.evidence

    @property
    def inconclusive(self) -> bool:
        return bool(self.unknown)

    @property
    def empty(self) -> bool:
        """No table of the history exists: a database that was never migrated."""
        return not self.apex_tables_present

    def reasons(self) -> list[str]:
        out = [
            e.explanation + ": " + ", ".join(map(str, (e.present if e.relation == "later" else e.absent)[:6]))
            for e in self.evidence
        ]
        if self.unknown:
            out.append(
                f"revisions {', '.join(self.unknown)} could not be replayed; their objects are unknown"
            )
        return out


def compare(history: SchemaHistory, live: LiveSchema, version: Iterable[str]) -> SchemaComparison:
    """Compare the live schema with what `version` implies, revision by revision."""
    version = tuple(version)
    applied: set[str] = set()
    for v in version:
        applied |= history.ancestors.get(v, {v})
    expected = history.expected(version) or frozenset()
    unknown = tuple(r for r in history.order if history.added(r) is None or history.removed(r) is None)
    found = [
        _evidence(history, live, rev, rev in applied, expected) for rev in history.order if rev not in unknown
    ]
    evidence = _explain_absences([e for e in found if e is not None], live)
    present = tuple(sorted(t for t in history.tables if t in live.tables))
    return SchemaComparison(version, tuple(evidence), _matches(history, live), unknown, present)


def _evidence(
    history: SchemaHistory, live: LiveSchema, rev: str, applied: bool, expected: frozenset[SchemaObject]
) -> RevisionEvidence | None:
    """Objects of `rev` that disagree with the version: missing although applied, or present although not."""
    added, removed = history.added(rev) or frozenset(), history.removed(rev) or frozenset()
    if applied:  # objects this revision created that should still be there
        missing = sorted(o for o in added & expected if o not in live.objects)
        return RevisionEvidence(rev, "applied", (), tuple(missing)) if missing else None
    changes = sorted(added - expected) + sorted(removed & expected)
    done = [o for o in changes if (o in live.objects) == (o in added)]
    if not done:
        return None
    return RevisionEvidence(rev, "later", tuple(done), tuple(o for o in changes if o not in done))


def _explain_absences(evidence: list[RevisionEvidence], live: LiveSchema) -> list[RevisionEvidence]:
    """A later revision that removes something explains that object's absence better than "missing"."""
    later_removed = {o for e in evidence if e.relation == "later" for o in e.present if o not in live.objects}
    out = [
        replace(e, absent=tuple(o for o in e.absent if o not in later_removed))
        if e.relation == "applied"
        else e
        for e in evidence
    ]
    return [e for e in out if e.present or (e.absent and e.relation == "applied")]


def _matches(history: SchemaHistory, live: LiveSchema) -> tuple[str, ...]:
    """Revisions whose schema the live one is exactly (every object present, none of other revisions)."""
    known = history.universe
    return tuple(
        rev
        for rev in history.order
        if rev in history.schemas
        and history.schemas[rev] <= live.objects
        and not ((known - history.schemas[rev]) & live.objects)
    )
