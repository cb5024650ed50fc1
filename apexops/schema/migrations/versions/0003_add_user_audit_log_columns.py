"""Add user audit log columns

Revision ID: 0003
Revises: 0002
Create Date: 2024-07-02 14:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_logs") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("ip_address", sa.String(45), nullable=True))
        batch.add_column(sa.Column("user_agent", sa.String(512), nullable=True))
        batch.create_foreign_key("fk_audit_logs_user", "users", ["user_id"], ["id"])
    op.add_column("users", sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "last_login_at")
    with op.batch_alter_table("audit_logs") as batch:
        batch.drop_constraint("fk_audit_logs_user", type_="foreignkey")
        batch.drop_column("user_agent")
        batch.drop_column("ip_address")
        batch.drop_column("user_id")
