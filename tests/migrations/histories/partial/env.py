"""Alembic env of the partial fixture history."""

from apexops.migrations.alembic_env import run

run(None)
