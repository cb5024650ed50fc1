"""Where the database stands in its migration history: current revision(s), heads, history, pending.

This is the runbook's Step 2 and Step 3 (`alembic current`, `alembic history`) with the judgement that
the runbook leaves to the reader:

- no `alembic_version` table on an empty database is a first deployment: the upgrade creates everything;
- no `alembic_version` table on an existing schema is *flagged*: the runbook's `alembic stamp head` is only
  right when the schema really is at head, so the live schema is compared with what each revision creates,
  and the revision it matches is offered as a gated stamp (never applied blindly);
- several heads in the history block (an `upgrade head` would fail, and the order is ambiguous);
- a target older than the database's revision blocks: going back is a downgrade (`downgrade_to`), with its
  own preview, lint and backup reference, never an "upgrade" that changes nothing and reports it as done;
- a version the history does not know, or a schema that disagrees with the version (a partly applied
  migration), blocks with the reason and the next step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.errors import ConfigError, MigrationError
from apexops.migrations._alembic import RevisionInfo, lineage, revision_info, script_directory
from apexops.migrations.schema_map import SchemaComparison, compare, reflect, replay_history
from apexops.status import Status

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import Connection, Engine

__all__ = [
    "HistoryEntry",
    "MigrationState",
    "describe_database",
    "read_state",
    "read_version_rows",
    "resolve_target",
]

VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class HistoryEntry:
    """One line of `alembic history`, with the markers the runbook asks to look for."""

    revision: str
    down_revisions: tuple[str, ...]
    doc: str
    is_head: bool
    status: str  # current | applied | pending | not applied

    @property
    def markers(self) -> str:
        marks = (("(head)", self.is_head), ("(current)", self.status == "current"))
        return " ".join(m for m, on in marks if on)


@dataclass(frozen=True)
class MigrationState:
    """The database's migration state, with a condition, whether it blocks, and what to do next."""

    dialect: str
    database: str
    version_table: bool
    version_rows: tuple[str, ...]
    current: tuple[str, ...]
    heads: tuple[str, ...]
    target: str
    pending: tuple[RevisionInfo, ...]
    history: tuple[HistoryEntry, ...]
    condition: str
    blocking: bool
    reasons: tuple[str, ...]
    guidance: str
    stamp_candidate: str | None = None
    comparison: SchemaComparison | None = None

    @property
    def up_to_date(self) -> bool:
        return self.condition == "up_to_date"

    @property
    def status(self) -> Status:
        """How the guidance is shown: FAIL when the state blocks, PASS when up to date, INFO otherwise."""
        return Status.FAIL if self.blocking else Status.PASS if self.up_to_date else Status.INFO

    @property
    def pending_ids(self) -> tuple[str, ...]:
        return tuple(p.revision for p in self.pending)

    @property
    def current_label(self) -> str:
        return ", ".join(self.current) or "(none: no version recorded)"

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"item": "database", "value": self.database},
            {"item": "alembic_version table", "value": "present" if self.version_table else "MISSING"},
            {"item": "alembic_version rows", "value": ", ".join(self.version_rows) or "(empty)"},
            {"item": "current", "value": self.current_label},
            {"item": "heads", "value": ", ".join(self.heads)},
            {"item": "target", "value": self.target},
            {"item": "pending", "value": ", ".join(self.pending_ids) or "none"},
            {"item": "condition", "value": self.condition},
            {"item": "guidance", "value": self.guidance},
        ]

    def history_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "revision": h.revision,
                "down_revision": ", ".join(h.down_revisions) or "base",
                "description": h.doc,
                "markers": h.markers,
                "status": h.status,
            }
            for h in self.history
        ]


def describe_database(engine: Engine) -> str:
    """Where the database is, never with credentials."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:{url.database or ':memory:'}"
    host = url.host or (url.query.get("host") if url.query else "") or "local socket"
    return f"{url.get_backend_name()}://{host}/{url.database or ''}"


def read_version_rows(conn: Connection) -> tuple[bool, tuple[str, ...]]:
    """Whether alembic_version exists, and its exact content (`SELECT * FROM alembic_version`)."""
    import sqlalchemy as sa

    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return False, ()
    rows = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    conn.rollback()
    return True, tuple(str(r) for r in rows)


def resolve_target(sd: ScriptDirectory, target: str) -> str:
    """A revision id for `target` ('head' or an id/prefix), or a ConfigError naming the parameter."""
    from alembic.util import CommandError

    name = (target or "head").strip()
    heads = tuple(sd.get_heads())
    if name in ("head", "heads"):
        return heads[0] if len(heads) == 1 else "heads"
    if name == "base":  # an empty database after a dry run is verified against base (upgrades refuse it)
        return "base"
    try:
        script = sd.get_revision(name)
    except CommandError:
        script = None
    if script is None:
        known = ", ".join(s.revision for s in reversed(list(sd.walk_revisions())))
        raise ConfigError(
            f"target {name!r} is not a revision of this migration history "
            f"(heads: {', '.join(heads) or 'none'}).",
            hint=f"set target to head or one of: {known}.",
        )
    return script.revision


def in_effect(sd: ScriptDirectory, version: tuple[str, ...]) -> set[str]:
    """Every revision in effect according to the version rows (each current revision and its ancestors)."""
    out: set[str] = set()
    for rev in version:
        try:
            out |= {r.revision for r in lineage(sd, rev)}
        except MigrationError:  # a revision the history does not know: only itself
            out.add(rev)
    return out


def _history(sd: ScriptDirectory, current: tuple[str, ...], pending: set[str]) -> tuple[HistoryEntry, ...]:
    applied = in_effect(sd, current)
    out = []
    for script in sd.walk_revisions():
        rev = script.revision
        marks = (("current", current), ("applied", applied), ("pending", pending))
        status = next((word for word, revs in marks if rev in revs), "not applied")
        info = revision_info(script)
        out.append(HistoryEntry(rev, info.down_revisions, info.doc, info.is_head, status))
    return tuple(out)


def read_state(
    engine: Engine, script_dir: Path | str | None = None, *, target: str = "head"
) -> MigrationState:
    """Read the version table and the live schema, and judge the state against `target`."""
    sd = script_directory(script_dir)
    heads = tuple(sd.get_heads())
    resolved = resolve_target(sd, target)
    history = replay_history(script_dir)
    with engine.connect() as conn:
        has_table, rows = read_version_rows(conn)
        live = reflect(conn, history.tables)
    known = {s.revision for s in sd.walk_revisions()}
    seen = partial(MigrationState, engine.dialect.name, describe_database(engine), has_table, rows,
                   current=rows, heads=heads, target=resolved)  # fmt: skip
    blocked = partial(seen, pending=(), blocking=True)
    if len(heads) > 1:
        return blocked(
            history=_history(sd, tuple(r for r in rows if r in known), set()),
            condition="multiple_heads",
            reasons=(
                f"the history has {len(heads)} heads ({', '.join(heads)}): `upgrade head` is ambiguous",
            ),
            guidance="merge the heads with `alembic merge heads` in the code repository, then re-run.",
        )
    unknown = [r for r in rows if r not in known]
    if unknown:
        return blocked(
            history=_history(sd, (), set()),
            condition="unknown_revision",
            reasons=(
                f"alembic_version holds {', '.join(unknown)}, which this migration history does not know",
            ),
            guidance="deploy the migrations that match this database (it may be ahead of this code); "
            "only after reconciling the schema by hand, stamp with purge.",
        )
    comparison = compare(history, live, rows)
    try:
        pending = tuple(lineage(sd, resolved, rows or "base"))
        ahead = False
    except MigrationError:
        pending, ahead = (), True
    judged = partial(seen, history=_history(sd, rows, {p.revision for p in pending}), comparison=comparison)
    notes = (comparison.reasons()[-1],) if comparison.inconclusive else ()
    if not rows:
        return _unversioned(partial(judged, current=(), pending=pending), comparison, notes, has_table, heads)
    candidate = comparison.matches[-1] if comparison.matches else None
    if not comparison.consistent:
        fix = (
            f"the schema matches {candidate} exactly: after checking, stamp {candidate} (gated)."
            if candidate
            else "finish or undo the partial DDL by hand (see verify), then stamp the revision "
            "the schema matches, and re-run."
        )
        return judged(
            pending=pending,
            condition="partially_applied",
            blocking=True,
            reasons=(*notes, *comparison.reasons()),
            guidance=f"the live schema disagrees with alembic_version ({', '.join(rows)}): {fix}",
            stamp_candidate=candidate,
        )
    at = partial(judged, pending=(), blocking=False)
    if ahead:  # an upgrade "to" an older revision would change nothing, and report it as done
        return judged(
            pending=(),
            condition="ahead_of_target",
            blocking=True,
            reasons=(*notes, _behind(sd, resolved, rows)),
            guidance=f"nothing was planned: re-run with downgrade_to={resolved} instead of target, "
            "or with target=head.",
        )
    if not pending:
        return at(
            condition="up_to_date",
            reasons=(*notes, f"the database is at {resolved}"),
            guidance="nothing to do.",
        )
    return judged(
        pending=pending,
        condition="pending",
        blocking=False,
        reasons=(*notes, f"{len(pending)} revision(s) pending: {', '.join(p.revision for p in pending)}"),
        guidance="review the preview and the findings, then upgrade.",
    )


def _behind(sd: ScriptDirectory, target: str, rows: tuple[str, ...]) -> str:
    """Why an upgrade cannot reach `target` from `rows`: it is older (a downgrade), or on another branch."""
    current = ", ".join(rows)
    if target in in_effect(sd, rows):
        return (
            f"target {target} is older than the database's current revision {current}: a downgrade is "
            f"downgrade_to={target} (with its own lint and backup reference)"
        )
    return f"target {target} cannot be reached by an upgrade from the database's current revision {current}"


def _unversioned(
    judged: Callable[..., MigrationState],
    comparison: SchemaComparison,
    notes: tuple[str, ...],
    has_table: bool,
    heads: tuple[str, ...],
) -> MigrationState:
    """No version recorded: a first deployment on an empty database, else a schema to check before a stamp."""
    if comparison.empty:
        return judged(
            condition="empty_database",
            blocking=False,
            reasons=(*notes, "no alembic_version and no table of the history: a first deployment"),
            guidance="first deployment: the upgrade creates the schema and the version table. Do not stamp "
            "an empty database (it would record tables that do not exist).",
        )
    candidate = comparison.matches[-1] if comparison.matches else None
    if candidate:
        what = (
            "head (the runbook's first-deployment `alembic stamp head`)"
            if candidate == heads[0]
            else f"revision {candidate}, behind head"
        )
        guidance = (
            f"the schema exists without alembic_version and matches {what}. Check it, then stamp "
            f"{candidate} (gated: allow_stamp=True and the approval phrase), then upgrade."
        )
    else:
        guidance = (
            "the schema exists without alembic_version and matches no revision: do NOT stamp. "
            "Reconcile by hand (the verify step lists the differences), then stamp the revision it matches."
        )
    present = comparison.apex_tables_present
    return judged(
        condition="unversioned_schema",
        blocking=True,
        reasons=(
            *notes,
            f"tables of the history exist ({', '.join(present[:5])}{', ...' if len(present) > 5 else ''}) "
            f"but alembic_version {'is empty' if has_table else 'does not exist'}",
        ),
        guidance=guidance,
        stamp_candidate=candidate,
    )
