"""Drop legacy code

Revision ID: s003
Revises: s002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s003"
down_revision = 's002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_column("legacy_code")


def downgrade() -> None:
    op.add_column("account", sa.Column("legacy_code", sa.String(10), nullable=True))
