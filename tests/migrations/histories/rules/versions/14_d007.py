"""MIG-007 NOT NULL column without default

Revision ID: d007
Revises: e006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d007"
down_revision = 'e006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("status", sa.String(20), nullable=False))


def downgrade() -> None:
    op.drop_column("account", "status")
