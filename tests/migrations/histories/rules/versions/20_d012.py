"""MIG-012 index built offline

Revision ID: d012
Revises: g011
"""
from __future__ import annotations

from alembic import op

revision = "d012"
down_revision = 'g011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_account_email", "account", ["email"])


def downgrade() -> None:
    op.drop_index("ix_account_email", table_name="account")
