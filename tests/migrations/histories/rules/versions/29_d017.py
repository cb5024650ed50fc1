"""MIG-017 raw SQL

Revision ID: d017
Revises: d016
"""
from __future__ import annotations

from alembic import op

revision = "d017"
down_revision = 'd016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE account SET name = upper(name) WHERE id = 1")


def downgrade() -> None:
    pass
