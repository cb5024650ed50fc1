"""Alembic env of the shop fixture history."""

from apexops.migrations.alembic_env import run

run(None)
