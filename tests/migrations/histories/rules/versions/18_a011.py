"""MIG-011 change a column's type family

Revision ID: a011
Revises: d011
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a011"
down_revision = 'd011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("orders", "total", type_=sa.Float(), existing_type=sa.Numeric(10, 2))


def downgrade() -> None:
    op.alter_column("orders", "total", type_=sa.Numeric(10, 2), existing_type=sa.Float())
