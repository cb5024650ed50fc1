"""The APEX database schema and its Alembic history (the history procedure 20 migrates through).

`metadata` describes the schema at head; `migrations/` holds the revisions that build it:
0001 initial schema, 0002 add estimate risk factors table, 0003 add user audit log columns.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["MIGRATIONS_DIR"]

#: the Alembic script directory shipped with apexops
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
