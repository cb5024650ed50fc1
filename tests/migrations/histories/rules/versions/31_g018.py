"""MIG-018 safe: backfill alone

Revision ID: g018
Revises: d018
"""
from __future__ import annotations

from alembic import op

revision = "g018"
down_revision = 'd018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE account SET tier = 'basic' WHERE tier IS NULL AND id < 1000")


def downgrade() -> None:
    pass
