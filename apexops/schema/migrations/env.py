"""Alembic environment for the APEX schema, driven programmatically by apexops.migrations.

The runner (apexops.migrations.alembic_env.run) takes everything from `config.attributes`: the connection
to run online on (with the session lock timeout set first), or the dialect to render offline for (T-SQL
for Azure SQL without a server), plus the per-revision progress callback. Plain `alembic` CLI use still
works through `sqlalchemy.url`.
"""

from __future__ import annotations

from apexops.migrations.alembic_env import run
from apexops.schema.tables import metadata

run(metadata)
