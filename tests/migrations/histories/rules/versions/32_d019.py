"""MIG-019 lock timeout switched off

Revision ID: d019
Revises: g018
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d019"
down_revision = 'g018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET lock_timeout = 0")
    op.add_column("account", sa.Column("region", sa.String(10), nullable=True))


def downgrade() -> None:
    op.drop_column("account", "region")
