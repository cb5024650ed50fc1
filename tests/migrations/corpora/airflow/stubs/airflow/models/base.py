"""Stand-in for airflow.models.base (Apache-2.0): the column helpers revisions import at module level."""

from __future__ import annotations

from airflow.migrations.db_types import StringID

#: Airflow applies a collation on MySQL only; empty elsewhere
COLLATION_ARGS: dict[str, str] = {}

__all__ = ["COLLATION_ARGS", "StringID"]
