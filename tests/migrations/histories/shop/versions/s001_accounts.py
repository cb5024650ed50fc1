"""Accounts and audit

Revision ID: s001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("legacy_code", sa.String(10), nullable=True),
    )
    op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True), sa.Column("note", sa.String(200)))


def downgrade() -> None:
    op.drop_table("audit")
    op.drop_table("account")
