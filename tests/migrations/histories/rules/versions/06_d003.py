"""MIG-003 drop a schema

Revision ID: d003
Revises: d002
"""
from __future__ import annotations

from alembic import op

revision = "d003"
down_revision = 'd002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP SCHEMA reporting CASCADE")


def downgrade() -> None:
    op.execute("CREATE SCHEMA reporting")
