"""MIG-004 unbounded delete and truncate

Revision ID: d004
Revises: g003
"""
from __future__ import annotations

from alembic import op

revision = "d004"
down_revision = 'g003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM audit")
    op.execute("TRUNCATE TABLE orders")


def downgrade() -> None:
    pass
