"""MIG-004 safe: bounded delete

Revision ID: g004
Revises: d004
"""
from __future__ import annotations

from alembic import op

revision = "g004"
down_revision = 'd004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM audit WHERE id < 100")


def downgrade() -> None:
    pass
