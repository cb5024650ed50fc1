"""MIG-001 drop a table

Revision ID: d001
Revises: n000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d001"
down_revision = 'n000'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("audit")


def downgrade() -> None:
    op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True))
