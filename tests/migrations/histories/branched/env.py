"""Alembic env of the branched fixture history."""

from apexops.migrations.alembic_env import run

run(None)
