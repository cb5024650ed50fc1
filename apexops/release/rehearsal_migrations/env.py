"""Alembic environment of the rehearsal history: the same runner and schema metadata as the APEX history."""

from __future__ import annotations

from apexops.migrations.alembic_env import run
from apexops.schema.tables import metadata

run(metadata)
