"""The service's data access: SQLAlchemy Core on `apexops.schema.tables`, any SQLAlchemy URL.

Only columns that exist since revision 0002 are touched, so a replica runs on a database one migration
behind head (production's state between procedures 20 and 30). Times are stored in UTC; SQLite hands them
back naive, so they are re-tagged as UTC on the way out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from apexops.schema.tables import documents, projects

__all__ = ["Duplicate", "Store"]

NEEDED_TABLES = ("projects", "documents")
ARCHIVED = "ARCHIVED"
DELETED = "DELETED"


class Duplicate(Exception):
    """A unique key is already taken."""


def _utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _row(row: sa.Row[Any]) -> dict[str, Any]:
    out = dict(row._mapping)
    out["created_at"] = _utc(out.get("created_at"))
    return out


def _sqlite_must_exist(url: sa.URL) -> sa.URL:
    """Open an SQLite file read-write without creating it: a wrong path must fail like a wrong server
    name does, not silently start an empty database."""
    db = url.database or ""
    if not db or db == ":memory:" or db.startswith("file:") or url.query.get("uri"):
        return url
    return url.set(database=f"file:{quote(db)}", query={**url.query, "mode": "rw", "uri": "true"})


class Store:
    def __init__(self, url: str) -> None:
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        target: str | sa.URL = url
        if url.startswith("sqlite"):
            # several replicas share one file: wait for a writer rather than fail at once
            kwargs["connect_args"] = {"timeout": 10, "check_same_thread": False}
            target = _sqlite_must_exist(sa.make_url(url))
        self.engine = sa.create_engine(target, **kwargs)

    def check(self) -> str:
        """The readiness check: 'healthy', or 'unhealthy: <why>' (SELECT 1 and the tables exist)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
                inspector = sa.inspect(conn)
                missing = [t for t in NEEDED_TABLES if not inspector.has_table(t)]
        except Exception as exc:  # any driver error means the same thing to a probe
            text = str(getattr(exc, "orig", None) or exc)  # the driver's words, without SQLAlchemy's frame
            first = text.strip().splitlines()[0] if text.strip() else ""
            return f"unhealthy: {type(exc).__name__}: {first[:200]}"
        if missing:
            return f"unhealthy: table(s) {', '.join(missing)} missing (database not migrated?)"
        return "healthy"

    # ------------------------------------------------------------------ projects

    def list_projects(self, page: int, page_size: int, include_archived: bool) -> tuple[list[dict], int]:
        where = sa.true() if include_archived else projects.c.status != ARCHIVED
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(projects).where(where)).scalar_one()
            rows = conn.execute(
                sa.select(projects)
                .where(where)
                .order_by(projects.c.id)
                .limit(page_size)
                .offset((page - 1) * page_size)
            ).all()
        return [_row(r) for r in rows], int(total)

    def create_project(self, values: dict[str, Any]) -> dict[str, Any]:
        values = {**values, "status": "ACTIVE", "created_at": datetime.now(UTC)}
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(projects.insert().values(**values)).inserted_primary_key[0]
        except IntegrityError:
            raise Duplicate(values["project_number"]) from None
        return self.get_project(new_id) or {}

    def get_project(self, project_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(projects).where(projects.c.id == project_id)).first()
        return _row(row) if row else None

    def archive_project(self, project_id: int) -> dict[str, Any] | None:
        with self.engine.begin() as conn:
            conn.execute(projects.update().where(projects.c.id == project_id).values(status=ARCHIVED))
        return self.get_project(project_id)

    # ------------------------------------------------------------------ documents

    def create_document(self, values: dict[str, Any]) -> dict[str, Any]:
        values = {**values, "status": "UPLOADED", "created_at": datetime.now(UTC)}
        with self.engine.begin() as conn:
            new_id = conn.execute(documents.insert().values(**values)).inserted_primary_key[0]
        return self.get_document(new_id) or {}

    def get_document(self, document_id: int) -> dict[str, Any] | None:
        """A live document (deleted ones count as absent)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(documents).where(documents.c.id == document_id, documents.c.status != DELETED)
            ).first()
        return _row(row) if row else None

    def set_document_status(self, document_id: int, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(documents.update().where(documents.c.id == document_id).values(status=status))
