"""MIG-029 safe: existing_type given

Revision ID: g029
Revises: d029
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g029"
down_revision = 'd029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("account", "legacy_code", existing_type=sa.String(10), nullable=False)


def downgrade() -> None:
    op.alter_column("account", "legacy_code", existing_type=sa.String(10), nullable=True)
