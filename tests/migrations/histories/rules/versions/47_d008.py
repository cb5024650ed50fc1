"""MIG-008 add a NOT NULL column whose default is computed per row

Revision ID: d008
Revises: d028
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d008"
down_revision = 'd028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "account",
        sa.Column("public_id", sa.String(36), nullable=False, server_default=sa.text("gen_random_uuid()")),
    )


def downgrade() -> None:
    op.drop_column("account", "public_id")
