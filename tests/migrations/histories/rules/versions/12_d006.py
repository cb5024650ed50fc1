"""MIG-006 rename a column

Revision ID: d006
Revises: g005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d006"
down_revision = 'g005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("account", "name", new_column_name="full_name", existing_type=sa.String(50))


def downgrade() -> None:
    op.alter_column("account", "full_name", new_column_name="name", existing_type=sa.String(50))
