"""What differs per database dialect: the session lock timeout, how a lock timeout error looks, identifiers.

One place, so that the preview renders exactly the session settings the execution applies, and so that a
lock timeout is recognised the same way whether it came from PostgreSQL (SQLSTATE 55P03), SQL Server
(error 1222) or SQLite ("database is locked").
"""

from __future__ import annotations

import re

__all__ = ["ident", "is_lock_timeout", "reset_statements", "session_statements"]

#: pysqlite's own busy timeout (sqlite3.connect(timeout=5.0)), restored after a migration on SQLite
SQLITE_DEFAULT_BUSY_MS = 5000


def session_statements(dialect: str, lock_timeout_ms: int | None) -> list[str]:
    """Statements that bound how long a DDL statement may wait for a lock, for this session only.

    Without them a migration waits forever behind a long transaction while every other session queues
    behind the migration (squawk require-lock-timeout, strong_migrations "Migration Timeouts"). SQL Server
    also needs XACT_ABORT ON: error 1222 cancels only the statement, not the transaction.
    """
    if lock_timeout_ms is None:
        return []
    ms = int(lock_timeout_ms)
    if ms < 0:
        raise ValueError(f"lock_timeout_ms must be >= 0 (got {lock_timeout_ms})")
    if dialect == "postgresql":
        return [f"SET lock_timeout = '{ms}ms'"]
    if dialect == "mssql":
        return [f"SET LOCK_TIMEOUT {ms}", "SET XACT_ABORT ON"]
    if dialect == "sqlite":
        return [f"PRAGMA busy_timeout = {ms}"]
    return []


def reset_statements(dialect: str, *, sqlite_busy_ms: int | None = None) -> list[str]:
    """Undo `session_statements`, so a pooled connection does not carry the migration's settings."""
    if dialect == "postgresql":
        return ["RESET lock_timeout"]
    if dialect == "mssql":
        return ["SET LOCK_TIMEOUT -1", "SET XACT_ABORT OFF"]
    if dialect == "sqlite":
        return [f"PRAGMA busy_timeout = {int(sqlite_busy_ms or SQLITE_DEFAULT_BUSY_MS)}"]
    return []


_LOCK_TEXT = re.compile(
    r"lock timeout|lock_timeout|lock request time out|database is locked|database table is locked"
    r"|could not obtain lock",
    re.I,
)


def is_lock_timeout(exc: BaseException) -> bool:
    """True when a driver error (possibly wrapped by SQLAlchemy) means 'gave up waiting for a lock'."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "pgcode", None) == "55P03":  # lock_not_available
            return True
        if "1222" in str(getattr(current, "args", "")) and "lock" in str(current).lower():
            return True
        if _LOCK_TEXT.search(str(current)):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


_QUOTES = str.maketrans("", "", '"[]`')


def ident(name: str | None) -> str:
    """An identifier as the schema knows it: unquoted, without schema prefix, lower case."""
    if not name:
        return ""
    bare = name.strip().translate(_QUOTES)
    return bare.rsplit(".", 1)[-1].strip().lower()
