"""Alembic env of the lint-rule fixture history (offline rendering only)."""

from apexops.migrations.alembic_env import run

run(None)
