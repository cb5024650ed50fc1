"""Stub package: only `airflow.models.base` is provided (see ../__init__.py)."""
