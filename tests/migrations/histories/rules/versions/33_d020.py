"""MIG-020 CONCURRENTLY inside the transaction

Revision ID: d020
Revises: d019
"""
from __future__ import annotations

from alembic import op

revision = "d020"
down_revision = 'd019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX CONCURRENTLY ix_account_name ON account (name)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_account_name")
