"""Procedure 20's library: migration state, SQL preview, lint, execution, verification, diagnostics.

    state = migrations.read_state(engine)                       # current, heads, history, pending
    plan = migrations.plan_upgrade(engine, acknowledge="MIG-012@0002", lock_timeout_ms=5000)
    plan.preview.sql; plan.lint.rows()                          # what will run; what is dangerous
    result = migrations.apply(engine, plan, lock_timeout_ms=5000)  # refuses a blocked plan
    migrations.verify(engine, expected_tables=settings.database.expected_tables)

Every function takes an SQLAlchemy Engine (the Database port's `engine()`) and the Alembic script
directory (default `apexops.schema.MIGRATIONS_DIR`, overridable for fixture histories). Results are frozen
dataclasses with statuses (`apexops.status.Status`) and reasons, and `rows()` for notebook tables (their
types live in the submodules: `migrations.plan.MigrationPlan`, `migrations.execute.ExecutionResult` ...).
sqlalchemy and alembic are imported inside the functions that use them throughout the package
(heavy libraries: importing a result type, as troubleshooting and the release planner do, stays cheap).
"""

from __future__ import annotations

from apexops.migrations.connectivity import check_from_app
from apexops.migrations.diagnostics import (
    blocking_sessions,
    database_size,
    kill_session,
    long_running_queries,
)
from apexops.migrations.execute import apply, stamp
from apexops.migrations.lint import LintOptions, lint, parse_acknowledgements
from apexops.migrations.plan import check_preconditions, plan_downgrade, plan_upgrade
from apexops.migrations.preview import preview_sql, render
from apexops.migrations.procedure import MigrationProcedure
from apexops.migrations.rules import RULES, Severity
from apexops.migrations.state import read_state
from apexops.migrations.verify import verify

__all__ = [
    "RULES",
    "LintOptions",
    "MigrationProcedure",
    "Severity",
    "apply",
    "blocking_sessions",
    "check_from_app",
    "check_preconditions",
    "database_size",
    "kill_session",
    "lint",
    "long_running_queries",
    "parse_acknowledgements",
    "plan_downgrade",
    "plan_upgrade",
    "preview_sql",
    "read_state",
    "render",
    "stamp",
    "verify",
]
