"""Shared helpers of the rule functions (checks_*.py)."""

from __future__ import annotations

from apexops.migrations.rules import RULES

__all__ = ["KEEP", "ours", "rule_why"]

#: Alembic's own bookkeeping tables are not the application's data
KEEP = ("alembic_version", "_alembic_tmp")


def rule_why(rule: str) -> str:
    return RULES[rule].why


def ours(table: str) -> bool:
    """True for Alembic's bookkeeping (and unknown) tables, which rules about application data skip."""
    return not table or table.startswith(KEEP)
