"""MIG-007 safe: NOT NULL with a server default

Revision ID: g007
Revises: d007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g007"
down_revision = 'd007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("status", sa.String(20), nullable=False, server_default="active"))


def downgrade() -> None:
    op.drop_column("account", "status")
