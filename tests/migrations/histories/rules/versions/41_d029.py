"""MIG-029 SQL Server ALTER COLUMN without existing_type cannot render

Revision ID: d029
Revises: d026
"""
from __future__ import annotations

from alembic import op

revision = "d029"
down_revision = 'd026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("account", "legacy_code", nullable=False)


def downgrade() -> None:
    op.alter_column("account", "legacy_code", nullable=True)
