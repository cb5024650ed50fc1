"""Nickname and unique email

Revision ID: p002
Revises: p001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p002"
down_revision = 'p001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("member", sa.Column("nickname", sa.String(30), nullable=True))
    op.create_index("ux_member_email", "member", ["email"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_member_email", table_name="member")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("nickname")
