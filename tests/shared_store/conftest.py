"""Fixtures for the shared store (lock + audit) tests: one Azurite per test session, in its own home.

`azurite_endpoint` is an `apexops.sandbox.azurite.AzuriteEndpoint` (`.service_client()`,
`.container_client(name)`, `.connection_string()`); the Azurite process is stopped at teardown, and dies
with the test process if that is killed. `audit_container` gives each test a fresh, empty container.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from apexops.sandbox import azurite


@pytest.fixture(scope="session")
def azurite_endpoint(tmp_path_factory) -> Iterator[azurite.AzuriteEndpoint]:
    home = tmp_path_factory.mktemp("azurite-home")
    ep = azurite.start(home)
    try:
        yield ep
    finally:
        azurite.stop(home)


@pytest.fixture
def audit_container(azurite_endpoint):
    """A new, empty container on the session's Azurite (ContainerClient); deleted afterwards."""
    client = azurite_endpoint.container_client(f"audit-{uuid.uuid4().hex[:12]}")
    client.create_container()
    yield client
    client.delete_container()
