"""MIG-005 rename a table

Revision ID: d005
Revises: g004
"""
from __future__ import annotations

from alembic import op

revision = "d005"
down_revision = 'g004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table("audit", "audit_log")


def downgrade() -> None:
    op.rename_table("audit_log", "audit")
