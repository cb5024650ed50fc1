"""Fixtures of the Azure contract tests; the fakes themselves are in _azure_fakes.py (importable by tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _azure_fakes import ARM, LOGS, SUB, FakeAzure, FakeCredential

# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def fake() -> FakeAzure:
    return FakeAzure()


@pytest.fixture
def credential() -> FakeCredential:
    return FakeCredential()


@pytest.fixture
def prod_settings(monkeypatch):
    from apexops.settings import load_settings

    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUB)
    monkeypatch.delenv("APEX_LOG_ANALYTICS_WORKSPACE_ID", raising=False)
    return load_settings("prod")


@pytest.fixture
def clients(prod_settings, fake, credential):
    from apexops.azure._clients import AzureClients

    return AzureClients(
        prod_settings,
        credential=credential,
        arm_endpoint=ARM,
        logs_endpoint=LOGS,
        transport=fake.transport(),
        polling_interval=0,
    )
