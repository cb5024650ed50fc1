"""MIG-014 safe: unique constraint on a new table

Revision ID: g014
Revises: d014
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g014"
down_revision = 'd014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.UniqueConstraint("name", name="uq_tags_name"),
    )


def downgrade() -> None:
    op.drop_table("tags")
