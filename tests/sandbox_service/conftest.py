"""Real replicas of the reference service for tests: a process on a free port, a migrated SQLite copy, the
session's Azurite as Blob Storage, and a sandbox identity. Every process started here is killed and reaped at
teardown, and the teardown checks that its pid is gone."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config

from apexops.sandbox import azurite
from apexops.sandbox.identity import SandboxIdentity
from apexops.schema import MIGRATIONS_DIR

AUDIENCE = "api://apex-test-client"

SMOKE_PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >>
endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >>
endobj
3 0 obj << /Type /Page /Parent 2 0 R /Resources << >> /MediaBox [0 0 612 792] >>
endobj
xref
0 4
0000000000 65535 f
0000000009 00000 n
0000000058 00000 n
0000000115 00000 n
trailer << /Size 4 /Root 1 0 R >>
startxref
214
%%EOF
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def migrate(url: str, revision: str = "head") -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, revision)


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@dataclass
class Replica:
    """One running (or exited) service process and everything it printed."""

    proc: subprocess.Popen
    port: int
    home: Path
    lines: list[str] = field(default_factory=list)
    err_lines: list[str] = field(default_factory=list)
    pumps: list[threading.Thread] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> list[dict]:
        """stdout as parsed JSON objects (fails the test if any line is not JSON)."""
        out = []
        for line in list(self.lines):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pytest.fail(f"stdout line is not JSON: {line!r}")
        return out

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.logs():
                if predicate(entry):
                    return entry
            time.sleep(0.02)
        raise AssertionError(f"no matching log line in {timeout}s; got: {self.lines[-10:]}")

    def access_lines(self, expected: int, timeout: float = 10.0) -> list[dict]:
        """The access lines once `expected` of them have arrived (they are written after the response)."""
        deadline = time.monotonic() + timeout
        while True:
            access = [e for e in self.logs() if e.get("logger") == "apex.access"]
            if len(access) >= expected or time.monotonic() > deadline:
                assert len(access) == expected, f"{len(access)} access lines, expected {expected}"
                return access
            time.sleep(0.02)

    def exit_code(self, timeout: float = 30.0) -> int:
        """Wait for the process to end and for all its output to be read; its return code."""
        code = self.proc.wait(timeout)
        for pump in self.pumps:
            pump.join(timeout)
        return code

    def wait_ready(self, timeout: float = 30.0, path: str = "/health/live") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"replica exited with {self.proc.returncode}: {self.lines[-5:]} {self.err_lines}"
                )
            try:
                if httpx.get(self.url + path, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise AssertionError(f"replica not ready in {timeout}s: {self.lines[-5:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        assert pid_gone(self.proc.pid), f"replica pid {self.proc.pid} still exists"


def _pump(stream, sink: list[str]) -> None:
    for raw in iter(stream.readline, b""):
        sink.append(raw.decode(errors="replace").rstrip("\n"))
    stream.close()


@pytest.fixture(scope="session")
def audience() -> str:
    return AUDIENCE


@pytest.fixture(scope="session")
def smoke_pdf() -> bytes:
    """The runbook's smoke-test PDF, byte for byte."""
    return SMOKE_PDF


@pytest.fixture(scope="session")
def migrate_url() -> Callable[..., None]:
    """`migrate_url(url, revision="head")`: run the APEX Alembic history against any SQLAlchemy URL."""
    return migrate


@pytest.fixture(scope="session")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SandboxIdentity:
    ident = SandboxIdentity(tmp_path_factory.mktemp("identity-home"))
    ident.ensure_key()
    return ident


@pytest.fixture(scope="session")
def token_headers(identity: SandboxIdentity) -> dict[str, str]:
    return identity.mint(AUDIENCE).authorization_header()


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A function returning a path to a fresh copy of a database migrated to `revision`."""
    base = tmp_path_factory.mktemp("db-templates")
    templates: dict[str, Path] = {}
    counter = iter(range(1_000_000))

    def fresh(revision: str = "head") -> Path:
        if revision not in templates:
            path = base / f"template-{revision}.db"
            migrate(f"sqlite:///{path}", revision)
            templates[revision] = path
        copy = base / f"db-{next(counter)}.db"
        shutil.copy(templates[revision], copy)
        return copy

    return fresh


class Launcher:
    def __init__(
        self,
        root: Path,
        identity: SandboxIdentity,
        migrated_db: Callable[[str], Path],
        blob_endpoint: azurite.AzuriteEndpoint,
    ) -> None:
        self.root = root
        self.blob_endpoint = blob_endpoint
        self.identity = identity
        self.migrated_db = migrated_db
        self.started: list[Replica] = []
        self.n = 0

    def env(
        self,
        home: Path,
        *,
        db: Path | str | None = None,
        profile: str | None = None,
        revision: str = "apex-backend-test--r1",
        **extra: str | None,
    ) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("APEX_", "CONTAINER_APP_"))}
        env.update(
            {
                "APEX_DATABASE_URL": db
                if isinstance(db, str)
                else f"sqlite:///{db or self.migrated_db('head')}",
                "APEX_BLOB_ENDPOINT": self.blob_endpoint.account_url,
                "APEX_AUTH_AUDIENCE": AUDIENCE,
                "APEX_AUTH_KEY_FILE": str(self.identity.key_path),
                "APEX_AUTH_ISSUER": self.identity.issuer,
                "APEX_IMAGE": "apexacr.sandbox.local/apex-backend:v1.2.3",
                "APP_VERSION": "v1.2.3",
                "CONTAINER_APP_NAME": "apex-backend-test",
                "CONTAINER_APP_REVISION": revision,
                "CONTAINER_APP_REPLICA_NAME": f"{revision}-replica-{self.n}",
            }
        )
        if profile is not None:
            env["APEX_FAULT_PROFILE"] = profile
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def start(self, *, port: int | None = None, wait: bool = True, **env_kw) -> Replica:
        self.n += 1
        home = self.root / f"replica-{self.n}"
        home.mkdir()
        port = port or free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "apexops.sandbox.service", "--host", "127.0.0.1", "--port", str(port)],
            env=self.env(home, **env_kw),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        replica = Replica(proc, port, home)
        self.started.append(replica)
        for stream, sink in ((proc.stdout, replica.lines), (proc.stderr, replica.err_lines)):
            pump = threading.Thread(target=_pump, args=(stream, sink), daemon=True)
            pump.start()
            replica.pumps.append(pump)
        if wait:
            replica.wait_ready()
        return replica

    def stop_all(self) -> None:
        for replica in self.started:
            replica.stop()


@pytest.fixture(scope="session")
def azurite_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[azurite.AzuriteEndpoint]:
    """One Azurite (the sandbox's Blob Storage) for the session's replicas; stopped at teardown."""
    home = tmp_path_factory.mktemp("azurite-home")
    try:
        yield azurite.start(home)
    finally:
        azurite.stop(home)


@pytest.fixture
def launch(tmp_path: Path, identity: SandboxIdentity, migrated_db, azurite_endpoint) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path, identity, migrated_db, azurite_endpoint)
    try:
        yield launcher
    finally:
        launcher.stop_all()


@pytest.fixture(scope="session")
def service(
    tmp_path_factory: pytest.TempPathFactory, identity: SandboxIdentity, migrated_db, azurite_endpoint
) -> Iterator[Replica]:
    """One healthy replica shared by the endpoint tests (database at head)."""
    launcher = Launcher(tmp_path_factory.mktemp("shared-service"), identity, migrated_db, azurite_endpoint)
    try:
        yield launcher.start()
    finally:
        launcher.stop_all()


@pytest.fixture
def api(service: Replica, token_headers: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.url, headers=token_headers, timeout=10) as client:
        yield client
