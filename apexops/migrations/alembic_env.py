"""The body of every apexops Alembic `env.py`: one runner for the APEX history and for test histories.

An `env.py` that calls `run(target_metadata)` gets, from `Config.attributes` (set by apexops.migrations):

- `connection`: run online on the caller's connection. The session lock timeout for its dialect is set
  and committed first, so Alembic's own transaction starts with it in force.
- `dialect_name`: render offline (`--sql`) for that dialect without a server or a DBAPI (T-SQL for Azure
  SQL). The same session statements are emitted first, so the preview shows exactly what execution sets.
- `lock_timeout_ms`, `on_version_apply` (per-revision progress), `transaction_per_migration`.

Without a connection, online runs use `sqlalchemy.url` from the config (plain `alembic` CLI use).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, create_engine, pool, text

from apexops.migrations.dialects import session_statements

__all__ = ["run"]


def run(target_metadata: MetaData | None = None) -> None:
    from alembic import context

    config = context.config
    attrs = config.attributes
    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        "transaction_per_migration": bool(attrs.get("transaction_per_migration", False)),
    }
    lock_ms = attrs.get("lock_timeout_ms")

    if context.is_offline_mode():
        dialect = attrs.get("dialect_name")
        url = None if dialect else config.get_main_option("sqlalchemy.url")
        context.configure(url=url, dialect_name=dialect, literal_binds=True, **options)
        name = context.get_context().dialect.name
        for statement in session_statements(name, lock_ms):
            context.execute(statement)
        with context.begin_transaction():
            context.run_migrations()
        return

    connection = attrs.get("connection")
    if connection is not None:
        _online(connection, lock_ms, attrs.get("on_version_apply"), options)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _online(conn, lock_ms, attrs.get("on_version_apply"), options)


def _online(connection: Any, lock_ms: int | None, on_version_apply: Any, options: dict[str, Any]) -> None:
    from alembic import context

    statements = session_statements(connection.dialect.name, lock_ms)
    if statements:
        for statement in statements:
            connection.execute(text(statement))
        connection.commit()
    context.configure(connection=connection, on_version_apply=on_version_apply, **options)
    with context.begin_transaction():
        context.run_migrations()
