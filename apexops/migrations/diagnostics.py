"""The runbook's database troubleshooting as data: blocking sessions, long-running queries, size.

SQL Server uses the runbook's DMV queries (sys.dm_exec_requests ...), extended with the head blocker's
session (a sleeping session holding an open transaction is absent from dm_exec_requests) and the locks
held on the migration's tables. PostgreSQL uses the equivalents (pg_stat_activity, pg_blocking_pids,
pg_locks). SQLite has no sessions to inspect: the result says "not applicable" instead of an empty table
that would read as "nothing is blocking".

Ending a blocking session is a separate function that refuses any session the diagnostics did not show
as a blocker or lock holder; the notebook puts its own approval gate in front of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexops.errors import MigrationError, NotSupportedError
from apexops.polling import poll_until
from apexops.status import Status

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = [
    "Diagnostic",
    "KillResult",
    "blocking_sessions",
    "database_size",
    "kill_session",
    "long_running_queries",
]

_SQLITE_NOTE = (
    "not applicable on SQLite: it has no server sessions to inspect (a writer holds the whole "
    "database; a blocked migration fails with 'database is locked' after the busy timeout)"
)


@dataclass(frozen=True)
class Diagnostic:
    name: str
    dialect: str
    applicable: bool
    records: tuple[dict[str, Any], ...]
    note: str = ""
    query: str = ""

    @property
    def blockers(self) -> tuple[int, ...]:
        return tuple(
            dict.fromkeys(
                int(r["session_id"]) for r in self.records if r.get("role") in ("blocker", "holds lock")
            )
        )

    def rows(self) -> list[dict[str, Any]]:
        if not self.applicable:
            return [{"verdict": Status.SKIPPED, "check": self.name, "detail": self.note}]
        if not self.records:
            return [{"verdict": Status.PASS, "check": self.name, "detail": self.note or "none found"}]
        return [dict(r) for r in self.records]


def _rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    with engine.connect() as conn:
        result = conn.execute(sa.text(sql), params)
        rows = [dict(r) for r in result.mappings().all()]
        conn.rollback()
    return rows


_PG_BLOCKED = """
SELECT a.pid AS session_id, 'blocked' AS role, pg_blocking_pids(a.pid) AS blocked_by, a.state,
       coalesce(a.wait_event_type || ':' || a.wait_event, '') AS wait,
       (SELECT string_agg(DISTINCT l.relation::regclass::text || ' ' || l.mode, ', ')
          FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted AND l.relation IS NOT NULL) AS wait_resource,
       round(extract(epoch FROM now() - a.query_start) * 1000) AS duration_ms,
       a.usename AS "user", a.application_name AS application, left(a.query, 200) AS query
FROM pg_stat_activity a
WHERE cardinality(pg_blocking_pids(a.pid)) > 0
"""
_PG_SESSIONS = """
SELECT a.pid AS session_id, :role AS role, NULL AS blocked_by, a.state,
       coalesce(a.wait_event_type || ':' || a.wait_event, '') AS wait,
       (SELECT string_agg(DISTINCT l.relation::regclass::text || ' ' || l.mode, ', ')
          FROM pg_locks l WHERE l.pid = a.pid AND l.granted AND l.relation IS NOT NULL
           AND l.relation::regclass::text NOT LIKE 'pg_%') AS wait_resource,
       round(extract(epoch FROM now() - coalesce(a.xact_start, a.query_start)) * 1000) AS duration_ms,
       a.usename AS "user", a.application_name AS application, left(a.query, 200) AS query
FROM pg_stat_activity a
WHERE a.pid = ANY(:pids) AND a.pid <> pg_backend_pid()
"""
_PG_HOLDERS = """
SELECT DISTINCT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.locktype = 'relation' AND l.granted AND c.relname = ANY(:tables) AND l.pid <> pg_backend_pid()
"""

_MS_BLOCKED = """
SELECT r.session_id, 'blocked' AS role, r.blocking_session_id AS blocked_by, r.status AS state,
       r.wait_type AS wait, r.wait_resource, r.wait_time AS duration_ms,
       s.login_name AS [user], s.program_name AS application, LEFT(t.text, 200) AS query
FROM sys.dm_exec_requests r
JOIN sys.dm_exec_sessions s ON s.session_id = r.session_id
OUTER APPLY sys.dm_exec_sql_text(r.sql_handle) t
WHERE r.blocking_session_id <> 0
"""
_MS_SESSIONS = """
SELECT s.session_id, '{role}' AS role, NULL AS blocked_by, s.status AS state, '' AS wait,
       CAST(s.open_transaction_count AS varchar(10)) + ' open transaction(s)' AS wait_resource,
       DATEDIFF(millisecond, s.last_request_start_time, SYSDATETIME()) AS duration_ms,
       s.login_name AS [user], s.program_name AS application, LEFT(t.text, 200) AS query
FROM sys.dm_exec_sessions s
LEFT JOIN sys.dm_exec_connections c ON c.session_id = s.session_id
OUTER APPLY sys.dm_exec_sql_text(c.most_recent_sql_handle) t
WHERE s.session_id IN ({ids}) AND s.session_id <> @@SPID
"""
_MS_HOLDERS = """
SELECT DISTINCT l.request_session_id AS pid FROM sys.dm_tran_locks l
WHERE l.resource_type = 'OBJECT' AND l.resource_database_id = DB_ID() AND l.request_status = 'GRANT'
  AND OBJECT_NAME(l.resource_associated_entity_id) IN ({names}) AND l.request_session_id <> @@SPID
"""


def blocking_sessions(engine: Engine, *, tables: Sequence[str] = ()) -> Diagnostic:
    """Blocked sessions with their blockers, plus sessions holding locks on `tables` (the migration's).

    After a fail-fast lock timeout nobody is waiting any more, so the blocked list is empty: the holders
    of locks on the tables the migration touches are what explains the failure.
    """
    dialect = engine.dialect.name
    name = "blocking sessions"
    if dialect == "sqlite":
        return Diagnostic(name, dialect, False, (), _SQLITE_NOTE)
    if dialect not in _BLOCKING:
        raise NotSupportedError(f"no blocking-session diagnostics for dialect {dialect}.")
    read, query = _BLOCKING[dialect]
    names = sorted({t.lower() for t in tables})
    records = read(engine, names)
    on = f" and no other session holds a lock on {', '.join(names)}" if names else ""
    note = "" if records else f"no session is blocked{on}"
    return Diagnostic(name, dialect, True, tuple(records), note, query.strip())


def _pg_blocking(engine: Engine, names: list[str]) -> list[dict[str, Any]]:
    blocked = _rows(engine, _PG_BLOCKED)
    blockers = sorted({p for r in blocked for p in (r["blocked_by"] or [])})
    holders = sorted({r["pid"] for r in _rows(engine, _PG_HOLDERS, tables=names)}) if names else []
    records = blocked + _pg_sessions(engine, "blocker", blockers)
    records += _pg_sessions(engine, "holds lock", [p for p in holders if p not in blockers])
    for r in records:
        r["blocked_by"] = ", ".join(map(str, r["blocked_by"])) if isinstance(r["blocked_by"], list) else ""
    return records


def _pg_sessions(engine: Engine, role: str, pids: list[int]) -> list[dict[str, Any]]:
    return _rows(engine, _PG_SESSIONS, role=role, pids=pids) if pids else []


def _ms_blocking(engine: Engine, names: list[str]) -> list[dict[str, Any]]:
    blocked = _rows(engine, _MS_BLOCKED)
    blockers = sorted({int(r["blocked_by"]) for r in blocked if int(r["blocked_by"] or 0) > 0})
    holders: list[int] = []
    if names:
        quoted = ", ".join("'" + n.replace("'", "''") + "'" for n in names)
        holders = sorted({int(r["pid"]) for r in _rows(engine, _MS_HOLDERS.format(names=quoted))})
    records = blocked + _ms_sessions(engine, "blocker", blockers)
    return records + _ms_sessions(engine, "holds lock", [p for p in holders if p not in blockers])


def _ms_sessions(engine: Engine, role: str, ids: list[int]) -> list[dict[str, Any]]:
    return _rows(engine, _MS_SESSIONS.format(role=role, ids=",".join(map(str, ids)))) if ids else []


#: dialect -> (how to read the blocking sessions, the query shown with them)
_BLOCKING: dict[str, tuple[Callable[[Engine, list[str]], list[dict[str, Any]]], str]] = {
    "postgresql": (_pg_blocking, _PG_BLOCKED),
    "mssql": (_ms_blocking, _MS_BLOCKED),
}


_PG_LONG = """
SELECT pid AS session_id, state,
       round(extract(epoch FROM now() - coalesce(xact_start, query_start)) * 1000) AS elapsed_ms,
       coalesce(wait_event_type || ':' || wait_event, '') AS wait, usename AS "user",
       application_name AS application, left(query, 300) AS query
FROM pg_stat_activity
WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND state IS DISTINCT FROM 'idle'
  AND now() - coalesce(xact_start, query_start) >= make_interval(secs => :min_s)
ORDER BY coalesce(xact_start, query_start)
LIMIT :lim
"""
_MS_LONG = """
SELECT TOP (:lim) r.session_id, r.status AS state, r.command, r.cpu_time, r.total_elapsed_time AS elapsed_ms,
       t.text AS query
FROM sys.dm_exec_requests r
CROSS APPLY sys.dm_exec_sql_text(r.sql_handle) t
WHERE r.session_id <> @@SPID AND r.total_elapsed_time >= :min_ms
ORDER BY r.total_elapsed_time DESC
"""


def long_running_queries(engine: Engine, *, min_seconds: float = 0.0, limit: int = 20) -> Diagnostic:
    """Queries (and, on PostgreSQL, open transactions) running for at least `min_seconds`, oldest first."""
    dialect = engine.dialect.name
    name = "long-running queries"
    if dialect == "sqlite":
        return Diagnostic(name, dialect, False, (), _SQLITE_NOTE)
    if dialect == "postgresql":
        query, params, none = _PG_LONG, {"min_s": float(min_seconds)}, "no other active session"
    elif dialect == "mssql":
        query, params, none = _MS_LONG, {"min_ms": int(min_seconds * 1000)}, "no other request"
    else:
        raise NotSupportedError(f"no long-running-query diagnostics for dialect {dialect}.")
    rows = _rows(engine, query, lim=int(limit), **params)
    return Diagnostic(name, dialect, True, tuple(rows), "" if rows else none, query.strip())


_PG_SIZE = """
SELECT c.relname AS "table", pg_total_relation_size(c.oid) AS bytes,
       nullif(c.reltuples, -1)::bigint AS estimated_rows
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY bytes DESC LIMIT 15
"""


def database_size(engine: Engine) -> Diagnostic:
    """Database size and its largest tables (SQL Server: the runbook's `EXEC sp_spaceused`)."""
    import sqlalchemy as sa

    dialect = engine.dialect.name
    name = "database size"
    if dialect == "postgresql":
        total = _rows(engine, "SELECT pg_database_size(current_database()) AS bytes")[0]["bytes"]
        tables = _rows(engine, _PG_SIZE)
        records = ({"table": "(database)", "bytes": int(total), "estimated_rows": None}, *tables)
        return Diagnostic(name, dialect, True, records, "", _PG_SIZE.strip())
    if dialect == "mssql":
        with engine.connect() as conn:
            first = conn.exec_driver_sql("EXEC sp_spaceused").mappings().first()
        return Diagnostic(name, dialect, True, (dict(first or {}),), "", "EXEC sp_spaceused")
    if dialect == "sqlite":
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 0
            size = conn.exec_driver_sql("PRAGMA page_size").scalar() or 0
            counted: list[dict[str, Any]] = [
                {"table": "(database)", "bytes": int(pages) * int(size), "rows": None}
            ]
            for table in sorted(sa.inspect(conn).get_table_names()):
                count = conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one()
                counted.append({"table": table, "bytes": None, "rows": int(count)})
        return Diagnostic(name, dialect, True, tuple(counted), "", "PRAGMA page_count; PRAGMA page_size")
    raise NotSupportedError(f"no size diagnostics for dialect {dialect}.")


@dataclass(frozen=True)
class KillResult:
    session_id: int
    terminated: bool
    detail: str

    @property
    def ok(self) -> bool:
        return self.terminated

    def rows(self) -> list[dict[str, Any]]:
        verdict = Status.PASS if self.terminated else Status.FAIL
        return [{"verdict": verdict, "session": self.session_id, "detail": self.detail}]


def kill_session(
    engine: Engine,
    session_id: int,
    *,
    diagnostics: Diagnostic,
    wait_s: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> KillResult:
    """End a session the diagnostics showed as blocking (PostgreSQL pg_terminate_backend, SQL Server KILL).

    Refuses any other session: ending the wrong session loses someone's work, so the id must come from
    the blocking diagnostics just shown, not from memory.
    """
    import sqlalchemy as sa

    dialect = engine.dialect.name
    if dialect == "sqlite":
        raise NotSupportedError(
            "SQLite has no sessions to end.", hint="stop the process holding the database."
        )
    try:
        sid = int(session_id)
    except (TypeError, ValueError):
        raise MigrationError(
            f"kill_session {session_id!r} is not a session id.",
            hint="use a session_id from the blocking sessions table.",
        ) from None
    if sid not in diagnostics.blockers:
        shown = ", ".join(map(str, diagnostics.blockers)) or "none"
        raise MigrationError(
            f"refusing to end session {sid}: the diagnostics do not show it blocking "
            f"(blockers shown: {shown}).",
            hint="re-run the diagnostics step and use an id from it.",
        )
    with engine.connect() as conn:
        if dialect == "postgresql":
            sent = bool(conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": sid}).scalar())
        elif dialect == "mssql":
            conn.exec_driver_sql(f"KILL {sid}")
            sent = True
        else:
            raise NotSupportedError(f"cannot end sessions on dialect {dialect}.")
        conn.commit()
    if not sent:
        return KillResult(
            sid, False, "the server refused to terminate the session (already gone or not allowed)"
        )
    ended = poll_until(lambda: sid not in _alive(engine, dialect), wait_s, clock=clock, sleep=sleep)
    if ended:
        return KillResult(sid, True, "session ended; its open transaction was rolled back")
    return KillResult(
        sid, False, f"termination was requested but the session is still present after {wait_s} s"
    )


def _alive(engine: Engine, dialect: str) -> set[int]:
    if dialect == "postgresql":
        return {int(r["pid"]) for r in _rows(engine, "SELECT pid FROM pg_stat_activity")}
    return {int(r["session_id"]) for r in _rows(engine, "SELECT session_id FROM sys.dm_exec_sessions")}
