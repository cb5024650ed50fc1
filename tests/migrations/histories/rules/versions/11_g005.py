"""MIG-005 safe: create the new table

Revision ID: g005
Revises: d005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g005"
down_revision = 'd005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("audit_archive", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("audit_archive")
