"""MIG-009 make a column NOT NULL

Revision ID: d009
Revises: g007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d009"
down_revision = 'g007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("account", "email", existing_type=sa.String(100), nullable=False)


def downgrade() -> None:
    op.alter_column("account", "email", existing_type=sa.String(100), nullable=True)
