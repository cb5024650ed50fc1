"""Add estimate risk factors table

Revision ID: 0002
Revises: 0001
Create Date: 2024-05-14 10:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "estimate_risk_factors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("estimate_id", sa.Integer, sa.ForeignKey("estimates.id", name="fk_risk_factors_estimate"),
                  nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("probability", sa.Float, nullable=False),
        sa.Column("impact_low", sa.Numeric(18, 2), nullable=False),
        sa.Column("impact_high", sa.Numeric(18, 2), nullable=False),
    )
    op.create_index("ix_estimate_risk_factors_estimate_id", "estimate_risk_factors", ["estimate_id"])


def downgrade() -> None:
    op.drop_index("ix_estimate_risk_factors_estimate_id", table_name="estimate_risk_factors")
    op.drop_table("estimate_risk_factors")
