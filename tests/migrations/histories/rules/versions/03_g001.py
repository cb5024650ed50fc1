"""MIG-001 safe: a scratch table created and dropped in the same revision

Revision ID: g001
Revises: d001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g001"
down_revision = 'd001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("scratch", sa.Column("id", sa.Integer, primary_key=True))
    op.drop_table("scratch")


def downgrade() -> None:
    pass
