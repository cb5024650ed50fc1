"""The lint rule registry: rule id -> the one function that checks it (see `rules.RULES`).

The functions live in `checks_data.py` (what a migration destroys) and `checks_locking.py` (what blocks or
fails mid-flight); each yields findings from the Alembic operations (source "op") and/or the rendered
statements (source "sql"), and the engine in `lint.py` merges the two views of the same object. Plan-wide
rules (multiple heads, missing lock timeout, preview failure) live in `lint.py`.
"""

from __future__ import annotations

from apexops.migrations.checks_data import (
    mig001_drop_table,
    mig002_drop_column,
    mig003_drop_schema,
    mig004_unbounded_delete,
    mig005_rename_table,
    mig006_rename_column,
    mig007_not_null_without_default,
    mig022_empty_downgrade,
    mig023_downgrade_destroys,
    mig026_data_read,
)
from apexops.migrations.checks_locking import (
    mig008_volatile_default,
    mig009_set_not_null,
    mig010_drop_not_null,
    mig011_type_change,
    mig012_index_offline,
    mig013_drop_index_offline,
    mig014_unique_on_existing,
    mig015_validating_constraint,
    mig016_drop_constraint,
    mig017_raw_sql,
    mig018_backfill_with_ddl,
    mig019_timeout_disabled,
    mig020_not_in_transaction,
    mig021_transaction_control,
    mig025_server_named,
    mig028_identifier_too_long,
    mig030_table_rebuild,
    type_shape,
)
from apexops.migrations.rules import Check

__all__ = ["CHECKS", "type_shape"]

CHECKS: dict[str, Check] = {
    "MIG-001": mig001_drop_table,
    "MIG-002": mig002_drop_column,
    "MIG-003": mig003_drop_schema,
    "MIG-004": mig004_unbounded_delete,
    "MIG-005": mig005_rename_table,
    "MIG-006": mig006_rename_column,
    "MIG-007": mig007_not_null_without_default,
    "MIG-008": mig008_volatile_default,
    "MIG-009": mig009_set_not_null,
    "MIG-010": mig010_drop_not_null,
    "MIG-011": mig011_type_change,
    "MIG-012": mig012_index_offline,
    "MIG-013": mig013_drop_index_offline,
    "MIG-014": mig014_unique_on_existing,
    "MIG-015": mig015_validating_constraint,
    "MIG-016": mig016_drop_constraint,
    "MIG-017": mig017_raw_sql,
    "MIG-018": mig018_backfill_with_ddl,
    "MIG-019": mig019_timeout_disabled,
    "MIG-020": mig020_not_in_transaction,
    "MIG-021": mig021_transaction_control,
    "MIG-022": mig022_empty_downgrade,
    "MIG-023": mig023_downgrade_destroys,
    "MIG-025": mig025_server_named,
    "MIG-026": mig026_data_read,
    "MIG-028": mig028_identifier_too_long,
    "MIG-030": mig030_table_rebuild,
}
