"""MIG-025 server-named default on SQL Server

Revision ID: d025
Revises: g023
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d025"
down_revision = 'g023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("country", sa.String(2), nullable=False, server_default="NO"))


def downgrade() -> None:
    op.drop_column("account", "country", mssql_drop_default=True)
