"""MIG-023 safe: downgrade only drops an index

Revision ID: g023
Revises: d023
"""
from __future__ import annotations

from alembic import op

revision = "g023"
down_revision = 'd023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_total", "orders", ["total"])


def downgrade() -> None:
    op.drop_index("ix_orders_total", table_name="orders")
