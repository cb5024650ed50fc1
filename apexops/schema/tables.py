"""The APEX tables at head, as SQLAlchemy Core metadata (the reference service reads and writes these).

The reference service only touches columns that exist since revision 0002, so it runs on a database one
migration behind head, as production does between procedure 20 and procedure 30.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["documents", "metadata", "projects"]

metadata = sa.MetaData()

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(255), nullable=False, unique=True),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),  # 0003
)
app_roles = sa.Table(
    "app_roles", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
)
projects = sa.Table(
    "projects", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_number", sa.String(64), nullable=False, unique=True),
    sa.Column("project_name", sa.String(255), nullable=False),
    sa.Column("voltage_level", sa.Integer, nullable=False),
    sa.Column("line_miles", sa.Float, nullable=False),
    sa.Column("terrain_type", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
project_access = sa.Table(
    "project_access", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("role_id", sa.Integer, sa.ForeignKey("app_roles.id"), nullable=False),
)
documents = sa.Table(
    "documents", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("document_type", sa.String(32), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("blob_path", sa.String(512), nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
estimates = sa.Table(
    "estimates", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("total_cost", sa.Numeric(18, 2), nullable=True),
    sa.Column("confidence_level", sa.Float, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
estimate_line_items = sa.Table(
    "estimate_line_items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("estimate_id", sa.Integer, sa.ForeignKey("estimates.id"), nullable=False),
    sa.Column("cost_code", sa.String(32), nullable=False),
    sa.Column("quantity", sa.Float, nullable=False),
    sa.Column("unit_cost", sa.Numeric(18, 2), nullable=False),
)
estimate_assumptions = sa.Table(
    "estimate_assumptions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("estimate_id", sa.Integer, sa.ForeignKey("estimates.id"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)
estimate_exclusions = sa.Table(
    "estimate_exclusions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("estimate_id", sa.Integer, sa.ForeignKey("estimates.id"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)
estimate_risk_factors = sa.Table(  # 0002
    "estimate_risk_factors", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("estimate_id", sa.Integer, sa.ForeignKey("estimates.id"), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("impact_low", sa.Numeric(18, 2), nullable=False),
    sa.Column("impact_high", sa.Numeric(18, 2), nullable=False),
)
cost_codes = sa.Table(
    "cost_codes", metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("description", sa.String(255), nullable=False),
)
audit_logs = sa.Table(
    "audit_logs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(64), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),  # 0003
    sa.Column("ip_address", sa.String(45), nullable=True),  # 0003
    sa.Column("user_agent", sa.String(512), nullable=True),  # 0003
)
