"""MIG-018 backfill in the DDL migration

Revision ID: d018
Revises: d017
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d018"
down_revision = 'd017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("tier", sa.String(10), nullable=True))
    op.execute("UPDATE account SET tier = 'basic' WHERE tier IS NULL")


def downgrade() -> None:
    op.drop_column("account", "tier")
