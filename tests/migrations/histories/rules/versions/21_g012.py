"""MIG-012 safe: concurrent index in an autocommit block

Revision ID: g012
Revises: d012
"""
from __future__ import annotations

from alembic import op

revision = "g012"
down_revision = 'd012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index("ix_account_email", "account", ["email"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_account_email", table_name="account", postgresql_concurrently=True)
