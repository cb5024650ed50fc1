"""MIG-003 safe: create a schema

Revision ID: g003
Revises: d003
"""
from __future__ import annotations

from alembic import op

revision = "g003"
down_revision = 'd003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA reporting")


def downgrade() -> None:
    op.execute("DROP SCHEMA reporting")
