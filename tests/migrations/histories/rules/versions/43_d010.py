"""MIG-010 make a NOT NULL column nullable

Revision ID: d010
Revises: g029
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d010"
down_revision = 'g029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("account", "legacy_code", existing_type=sa.String(10), nullable=True)


def downgrade() -> None:
    op.alter_column("account", "legacy_code", existing_type=sa.String(10), nullable=False)
