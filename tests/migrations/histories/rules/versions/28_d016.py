"""MIG-016 drop a foreign key

Revision ID: d016
Revises: g015
"""
from __future__ import annotations

from alembic import op

revision = "d016"
down_revision = 'g015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("fk_orders_account", "orders", type_="foreignkey")


def downgrade() -> None:
    op.create_foreign_key("fk_orders_account", "orders", "account", ["account_id"], ["id"])
