"""MIG-028 raw SQL naming an index PostgreSQL would truncate (70 bytes; through op.create_index,
SQLAlchemy refuses the name while rendering, which MIG-029 reports)

Revision ID: d028
Revises: g010
"""
from __future__ import annotations

from alembic import op

revision = "d028"
down_revision = 'g010'
branch_labels = None
depends_on = None

NAME = "ix_account_note_for_the_quarterly_regulatory_report_by_region_and_line"


def upgrade() -> None:
    op.execute(f"CREATE INDEX {NAME} ON account (note)")


def downgrade() -> None:
    op.execute(f"DROP INDEX {NAME}")
