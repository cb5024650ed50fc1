"""MIG-010 safe: the type change restates the column's nullability

Revision ID: g010
Revises: a010
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g010"
down_revision = 'a010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column(
        "account", "legacy_code", type_=sa.String(30), existing_type=sa.String(20), existing_nullable=True
    )


def downgrade() -> None:
    op.alter_column(
        "account", "legacy_code", type_=sa.String(20), existing_type=sa.String(30), existing_nullable=True
    )
