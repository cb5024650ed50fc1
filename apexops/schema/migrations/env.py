"""Alembic environment for the APEX schema, driven programmatically by apexops.migrations.

Online runs use the connection handed in through `config.attributes["connection"]` when there is one (so
the caller can set a session lock timeout on it first), else an engine from `sqlalchemy.url`. Offline runs
(`--sql`) render the SQL for the URL's dialect without connecting.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from apexops.schema.tables import metadata

config = context.config
target_metadata = metadata
on_version_apply = config.attributes.get("on_version_apply")
per_migration = bool(config.attributes.get("transaction_per_migration", False))


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        dialect_name=config.attributes.get("dialect_name"),
        target_metadata=target_metadata,
        literal_binds=True,
        transaction_per_migration=per_migration,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as conn:
        _migrate(conn)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        transaction_per_migration=per_migration,
        on_version_apply=on_version_apply,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
