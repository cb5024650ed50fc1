"""MIG-014 unique constraint on an existing table

Revision ID: d014
Revises: g013
"""
from __future__ import annotations

from alembic import op

revision = "d014"
down_revision = 'g013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_unique_constraint("uq_account_email", "account", ["email"])


def downgrade() -> None:
    op.drop_constraint("uq_account_email", "account", type_="unique")
