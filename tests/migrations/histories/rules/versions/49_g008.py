"""MIG-008 safe: the new NOT NULL column's default is a constant (metadata-only on both servers)

Revision ID: g008
Revises: a008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g008"
down_revision = 'a008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("tier", sa.String(10), nullable=False, server_default="basic"))


def downgrade() -> None:
    op.drop_column("account", "tier")
