"""MIG-013 drop an index offline

Revision ID: d013
Revises: g012
"""
from __future__ import annotations

from alembic import op

revision = "d013"
down_revision = 'g012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_orders_account", table_name="orders")


def downgrade() -> None:
    op.create_index("ix_orders_account", "orders", ["account_id"])
