"""MIG-011 shrink a column

Revision ID: d011
Revises: d009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d011"
down_revision = 'd009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("account", "name", type_=sa.String(20), existing_type=sa.String(50))


def downgrade() -> None:
    op.alter_column("account", "name", type_=sa.String(50), existing_type=sa.String(20))
