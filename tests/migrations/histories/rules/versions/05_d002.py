"""MIG-002 drop a column

Revision ID: d002
Revises: w001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d002"
down_revision = 'w001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("account", "legacy_code")


def downgrade() -> None:
    op.add_column("account", sa.Column("legacy_code", sa.String(10)))
