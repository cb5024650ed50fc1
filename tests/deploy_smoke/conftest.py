"""Fixtures for the deploy/smoke tests: the real APEX reference service as a process (loopback, port 0).

`reference_service(profile)` starts `python -m apexops.sandbox.service` with a migrated SQLite database,
the session's Azurite as its Blob Storage and the sandbox identity's key in a temporary home, waits until it
answers, and stops it afterwards (checking that the process is gone).
"""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from apexops.sandbox import azurite

AUDIENCE = "api://apex-local-client"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Service:
    url: str
    home: Path
    blob: azurite.AzuriteEndpoint
    process: subprocess.Popen
    log_path: Path

    @property
    def identity(self):
        from apexops.sandbox.identity import SandboxIdentity

        return SandboxIdentity(self.home)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def reference_service(
    base: Path, profile: dict | None = None, *, name: str = "svc", blob: azurite.AzuriteEndpoint | None = None
):
    import sqlalchemy as sa

    from apexops.sandbox.identity import SandboxIdentity
    from apexops.schema.tables import metadata

    home = base / name
    home.mkdir(parents=True)
    identity = SandboxIdentity(home)
    key_file = identity.ensure_key()
    db_url = f"sqlite:///{home / 'apex.db'}"
    engine = sa.create_engine(db_url)
    metadata.create_all(engine)
    engine.dispose()
    assert blob is not None, "pass blob=<the azurite_endpoint fixture> (the service needs Blob Storage)"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("APEX_", "APEXOPS_"))},
        "APEX_DATABASE_URL": db_url,
        "APEX_BLOB_ENDPOINT": blob.account_url,
        "APEX_AUTH_AUDIENCE": AUDIENCE,
        "APEX_AUTH_KEY_FILE": str(key_file),
        "APEX_AUTH_ISSUER": identity.issuer,
        "APEX_FAULT_PROFILE": json.dumps(profile or {}),
        "APEX_IMAGE": "apexacr.sandbox.local/apex-backend:test",
        "APP_VERSION": "test",
        "CONTAINER_APP_NAME": "apex-backend-test",
        "CONTAINER_APP_REVISION": f"apex-backend-test--{name}",
        "CONTAINER_APP_REPLICA_NAME": f"apex-backend-test--{name}-0",
    }
    log_path = home / "service.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "apexops.sandbox.service", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    service = Service(url, home, blob, proc, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the reference service exited with {proc.returncode}:\n{service.log()}")
            try:
                if httpx.get(f"{url}/health/live", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the reference service did not start in 30 s:\n{service.log()}")
            time.sleep(0.1)
        yield service
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        assert proc.poll() is not None, "the reference service is still running"


@pytest.fixture(scope="session")
def azurite_endpoint(tmp_path_factory):
    """One Azurite (the sandbox's Blob Storage) for the session's services; stopped at teardown."""
    home = tmp_path_factory.mktemp("azurite-home")
    try:
        yield azurite.start(home)
    finally:
        azurite.stop(home)


@pytest.fixture(scope="module")
def healthy_service(tmp_path_factory, azurite_endpoint):
    with reference_service(tmp_path_factory.mktemp("healthy"), blob=azurite_endpoint) as svc:
        yield svc


@pytest.fixture
def start_service(azurite_endpoint):
    """The `reference_service` context manager, for tests that need a faulty service of their own."""
    return functools.partial(reference_service, blob=azurite_endpoint)


@pytest.fixture
def unused_port() -> int:
    return free_port()


def run_all(session):
    """Every smoke step in order, the cleanup in a finally (what notebook 40's cells do one by one)."""
    try:
        session.token()
        session.health()
        session.authentication()
        session.project_crud()
        session.document_upload()
        session.llm_validation()
        session.latency()
    finally:
        session.cleanup()
    return session.report()


@pytest.fixture
def run_smoke():
    return run_all
