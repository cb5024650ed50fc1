"""MIG-015 foreign key validated against the whole table

Revision ID: d015
Revises: g014
"""
from __future__ import annotations

from alembic import op

revision = "d015"
down_revision = 'g014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_foreign_key("fk_orders_account", "orders", "account", ["account_id"], ["id"])


def downgrade() -> None:
    op.drop_constraint("fk_orders_account", "orders", type_="foreignkey")
