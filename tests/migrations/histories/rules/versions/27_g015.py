"""MIG-015 safe: NOT VALID foreign key

Revision ID: g015
Revises: d015
"""
from __future__ import annotations

from alembic import op

revision = "g015"
down_revision = 'd015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_foreign_key(
        "fk_orders_account", "orders", "account", ["account_id"], ["id"], postgresql_not_valid=True
    )


def downgrade() -> None:
    op.drop_constraint("fk_orders_account", "orders", type_="foreignkey")
