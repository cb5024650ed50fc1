"""Simplified stand-in for airflow.migrations.db_types (Apache-2.0): the generic types, no dialect lookup.

Airflow resolves TIMESTAMP and StringID per dialect through a lazy proxy bound to the migration context;
for reading and rendering the revisions the generic SQLAlchemy types are faithful enough (TIMESTAMP WITH
TIME ZONE, VARCHAR(250)).
"""

from __future__ import annotations

import sqlalchemy as sa


class TIMESTAMP(sa.TIMESTAMP):
    def __init__(self, *args, timezone=True, **kwargs):
        super().__init__(*args, timezone=timezone, **kwargs)


class StringID(sa.String):
    def __init__(self, length=250, **kwargs):
        super().__init__(length, **kwargs)
