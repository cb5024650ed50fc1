"""MIG-008 on SQL Server: NEWID() for every existing row, and a NOT NULL LOB column with a default

Revision ID: a008
Revises: d008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a008"
down_revision = 'd008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "account",
        sa.Column("row_guid", sa.String(36), nullable=False, server_default=sa.text("NEWID()")),
    )
    op.add_column("account", sa.Column("profile", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("account", "profile")
    op.drop_column("account", "row_guid")
