"""MIG-011 widen a varchar

Revision ID: g011
Revises: a011
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g011"
down_revision = 'a011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("account", "name", type_=sa.String(100), existing_type=sa.String(50))


def downgrade() -> None:
    op.alter_column("account", "name", type_=sa.String(50), existing_type=sa.String(100))
