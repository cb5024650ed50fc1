"""MIG-020 safe: CONCURRENTLY in an autocommit block

Revision ID: g020
Revises: d020
"""
from __future__ import annotations

from alembic import op

revision = "g020"
down_revision = 'd020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("CREATE INDEX CONCURRENTLY ix_account_name ON account (name)")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY ix_account_name")
