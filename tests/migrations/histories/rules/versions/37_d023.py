"""MIG-023 downgrade drops the new table

Revision ID: d023
Revises: d022
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d023"
down_revision = 'd022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("notes", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))


def downgrade() -> None:
    op.drop_table("notes")
