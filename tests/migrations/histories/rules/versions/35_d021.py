"""MIG-021 explicit COMMIT

Revision ID: d021
Revises: g020
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d021"
down_revision = 'g020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("COMMIT")
    op.add_column("account", sa.Column("flag", sa.Boolean, nullable=True))


def downgrade() -> None:
    op.drop_column("account", "flag")
