"""base tables

Revision ID: r000
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r000"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("legacy_code", sa.String(10), nullable=True),
        sa.Column("email", sa.String(100), nullable=True),
    )
    op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True), sa.Column("note", sa.String(200)))
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer),
        sa.Column("total", sa.Numeric(10, 2)),
    )
    op.create_index("ix_orders_account", "orders", ["account_id"])


def downgrade() -> None:
    op.drop_table("orders")
    op.drop_table("audit")
    op.drop_table("account")
