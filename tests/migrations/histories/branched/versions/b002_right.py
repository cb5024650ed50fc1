"""Right branch

Revision ID: b002b
Revises: b001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b002b"
down_revision = 'b001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("thing", sa.Column("right_col", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("thing") as batch:
        batch.drop_column("right_col")
