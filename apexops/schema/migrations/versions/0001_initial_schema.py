"""Initial schema

Revision ID: 0001
Revises:
Create Date: 2024-03-01 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "app_roles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.UniqueConstraint("name", name="uq_app_roles_name"),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_number", sa.String(64), nullable=False),
        sa.Column("project_name", sa.String(255), nullable=False),
        sa.Column("voltage_level", sa.Integer, nullable=False),
        sa.Column("line_miles", sa.Float, nullable=False),
        sa.Column("terrain_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("project_number", name="uq_projects_project_number"),
    )
    op.create_table(
        "project_access",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", name="fk_project_access_project"),
                  nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_project_access_user"),
                  nullable=False),
        sa.Column("role_id", sa.Integer, sa.ForeignKey("app_roles.id", name="fk_project_access_role"),
                  nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", name="fk_documents_project"),
                  nullable=False),
        sa.Column("document_type", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("blob_path", sa.String(512), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "estimates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", name="fk_estimates_project"),
                  nullable=False),
        sa.Column("total_cost", sa.Numeric(18, 2), nullable=True),
        sa.Column("confidence_level", sa.Float, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    for name in ("estimate_assumptions", "estimate_exclusions"):
        op.create_table(
            name,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("estimate_id", sa.Integer, sa.ForeignKey("estimates.id", name=f"fk_{name}_estimate"),
                      nullable=False),
            sa.Column("text", sa.Text, nullable=False),
        )
    op.create_table(
        "estimate_line_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("estimate_id", sa.Integer, sa.ForeignKey("estimates.id", name="fk_line_items_estimate"),
                  nullable=False),
        sa.Column("cost_code", sa.String(32), nullable=False),
        sa.Column("quantity", sa.Float, nullable=False),
        sa.Column("unit_cost", sa.Numeric(18, 2), nullable=False),
    )
    op.create_table(
        "cost_codes",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("description", sa.String(255), nullable=False),
    )
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for name in ("audit_logs", "cost_codes", "estimate_line_items", "estimate_exclusions",
                 "estimate_assumptions", "estimates", "documents", "project_access", "projects",
                 "app_roles", "users"):
        op.drop_table(name)
