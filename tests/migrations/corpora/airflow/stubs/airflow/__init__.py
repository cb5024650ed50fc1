"""Stub of the `airflow` package for linting Airflow's migrations without installing Airflow.

apexops puts `<migrations_dir>/stubs` on the import path while it loads a history (see
apexops.migrations._alembic.migrations_path): the fix MIG-031 names for a revision importing its application.
Only what the revisions import at module level lives here; revisions needing more still report MIG-031.
"""
