"""MIG-006 drop and add in one revision (a rename autogenerate cannot see)

Revision ID: e006
Revises: d006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e006"
down_revision = 'd006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("account", "email")
    op.add_column("account", sa.Column("email_address", sa.String(100), nullable=True))


def downgrade() -> None:
    op.drop_column("account", "email_address")
    op.add_column("account", sa.Column("email", sa.String(100), nullable=True))
