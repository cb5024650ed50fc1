"""MIG-013 safe: drop an index concurrently

Revision ID: g013
Revises: d013
"""
from __future__ import annotations

from alembic import op

revision = "g013"
down_revision = 'd013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_orders_account", table_name="orders", postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index("ix_orders_account", "orders", ["account_id"], postgresql_concurrently=True)
