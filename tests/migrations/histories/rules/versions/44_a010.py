"""MIG-010 on SQL Server: a type change that does not restate NOT NULL

Revision ID: a010
Revises: d010
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a010"
down_revision = 'd010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("account", "legacy_code", type_=sa.String(20), existing_type=sa.String(10))


def downgrade() -> None:
    op.alter_column("account", "legacy_code", type_=sa.String(10), existing_type=sa.String(20))
