"""Account status, backfilled

Revision ID: s002
Revises: s001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s002"
down_revision = 's001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("status", sa.String(20), nullable=True))
    op.execute("UPDATE account SET status = 'active' WHERE status IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_column("status")
