"""Require a cost center on every project (rehearsal: a migration the lint must block)

Revision ID: r003
Revises: 0002
Create Date: 2024-07-09 09:00:00

`apexops rehearse --scenario migration-lint` releases with this history instead of the APEX one. Adding a
NOT NULL column without a default fails on a table that has rows, and the running release's INSERTs fail
(MIG-007, a BLOCK finding): procedure 20 stops at its lint step, nothing reaches the database, and the release
stops before a revision is deployed. The safe version adds the column NULL (or with a server default),
backfills it, and makes it NOT NULL in a later revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("cost_center", sa.String(32), nullable=False))


def downgrade() -> None:
    op.drop_column("projects", "cost_center")
