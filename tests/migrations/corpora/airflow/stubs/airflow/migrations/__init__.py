"""Stub: Airflow's migrations helpers (db_types is simplified, utils is Airflow's own, Apache-2.0)."""
