"""neutral: add a nullable column

Revision ID: n000
Revises: r000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "n000"
down_revision = 'r000'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("note", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("account", "note")
