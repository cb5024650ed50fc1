"""Procedure 20's library: migration state, SQL preview, lint, execution, verification, diagnostics.

    state = migrations.read_state(engine)                       # current, heads, history, pending
    plan = migrations.plan_upgrade(engine, acknowledge="MIG-012@0002", lock_timeout_ms=5000)
    plan.preview.sql; plan.lint.rows()                          # what will run; what is dangerous
    result = migrations.apply(engine, plan, lock_timeout_ms=5000)  # refuses a blocked plan
    migrations.verify(engine, expected_tables=settings.database.expected_tables)

Every function takes an SQLAlchemy Engine (the Database port's `engine()`) and the Alembic script
directory (default `apexops.schema.MIGRATIONS_DIR`, overridable for fixture histories). Results are frozen
dataclasses with statuses (`apexops.status.Status`) and reasons, and `rows()` for notebook tables.
sqlalchemy and alembic are imported inside the functions that use them throughout the package
(heavy libraries: importing a result type, as troubleshooting and the release planner do, stays cheap).
"""

from __future__ import annotations

from apexops.migrations.connectivity import ConnectivityResult, check_from_app
from apexops.migrations.diagnostics import (
    Diagnostic,
    KillResult,
    blocking_sessions,
    database_size,
    kill_session,
    long_running_queries,
)
from apexops.migrations.execute import ExecutionResult, StampResult, StepResult, apply, stamp
from apexops.migrations.lint import LintOptions, LintReport, lint, parse_acknowledgements, rule_table
from apexops.migrations.plan import (
    DataAtRisk,
    MigrationPlan,
    Preconditions,
    check_preconditions,
    plan_downgrade,
    plan_upgrade,
)
from apexops.migrations.preview import (
    Preview,
    preview_downgrade,
    preview_upgrade,
    render_downgrade,
    render_upgrade,
)
from apexops.migrations.procedure import MigrationProcedure
from apexops.migrations.rules import RULES, Finding, Severity
from apexops.migrations.state import MigrationState, read_state
from apexops.migrations.verify import Verification, verify

__all__ = [
    "RULES",
    "ConnectivityResult",
    "DataAtRisk",
    "Diagnostic",
    "ExecutionResult",
    "Finding",
    "KillResult",
    "LintOptions",
    "LintReport",
    "MigrationPlan",
    "MigrationProcedure",
    "MigrationState",
    "Preconditions",
    "Preview",
    "Severity",
    "StampResult",
    "StepResult",
    "Verification",
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
    "preview_downgrade",
    "preview_upgrade",
    "read_state",
    "render_downgrade",
    "render_upgrade",
    "rule_table",
    "stamp",
    "verify",
]
