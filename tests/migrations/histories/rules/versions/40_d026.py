"""MIG-026 reads data during the migration

Revision ID: d026
Revises: d025
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d026"
down_revision = 'd025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id FROM account")).fetchall()
    for (account_id,) in rows:
        op.execute(sa.text(f"UPDATE account SET note = 'seen' WHERE id = {account_id}"))


def downgrade() -> None:
    pass
