"""MIG-022 empty downgrade

Revision ID: d022
Revises: d021
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d022"
down_revision = 'd021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("score", sa.Integer, nullable=True))


def downgrade() -> None:
    pass
