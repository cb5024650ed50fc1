"""MIG-001 waived in the source

Revision ID: w001
Revises: g001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w001"
down_revision = 'g001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # apexops: allow MIG-001 audit_old was archived to blob storage (ticket OPS-42)
    op.drop_table("audit_old")


def downgrade() -> None:
    op.create_table("audit_old", sa.Column("id", sa.Integer, primary_key=True))
