"""The reference service on a real PostgreSQL server (pgserver): same API, and a database outage shows in
readiness the way the runbook's emergency procedure expects, while liveness stays up."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]


@pytest.fixture
def postgres():
    """A PostgreSQL server of its own. Its data folder lives directly under the system temp folder: as
    root, pgserver runs postgres as another user and opens up the parent folders for it, while every new
    pytest session resets /tmp/pytest-of-root to 0700, which would lock postgres out mid-test."""
    pgserver = pytest.importorskip("pgserver")
    base = Path(tempfile.mkdtemp(prefix="apexops-sandbox-service-pg-"))
    server = pgserver.get_server(base / "pgdata", cleanup_mode="stop")
    try:
        server.psql("CREATE DATABASE apex_test;")
        uri = server.get_uri("apex_test")  # postgresql://postgres:@/apex_test?host=<socket dir>
        yield server, uri.replace("postgresql://", "postgresql+psycopg2://", 1)
    finally:
        server.cleanup()
        left = _postgres_processes(base)
        shutil.rmtree(base, ignore_errors=True)
        assert not left, f"postgres processes outlived the test: {left}"


def _postgres_processes(folder: Path) -> list[int]:
    psutil = pytest.importorskip("psutil")
    found = []
    for proc in psutil.process_iter(attrs=["cmdline"]):
        try:
            if str(folder) in " ".join(proc.info["cmdline"] or []):
                found.append(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def test_crud_upload_and_outage_on_postgres(launch, postgres, migrate_url, token_headers, smoke_pdf):
    server, url = postgres
    migrate_url(url, "0002")  # the sandbox baseline: one migration behind head
    replica = launch.start(db=url)
    ready = httpx.get(replica.url + "/health/ready")
    assert ready.status_code == 200, ready.text
    with httpx.Client(base_url=replica.url, headers=token_headers, timeout=10) as api:
        body = {
            "project_number": "PG-1",
            "project_name": "Postgres line",
            "voltage_level": 500,
            "line_miles": 120.25,
            "terrain_type": "mountainous",
        }
        created = api.post("/api/v1/projects/", json=body)
        assert created.status_code == 201
        assert api.post("/api/v1/projects/", json=body).status_code == 409
        pid = created.json()["id"]
        page = api.get("/api/v1/projects/", params={"page": 1, "page_size": 10}).json()
        assert [p["project_number"] for p in page["items"]] == ["PG-1"] and page["total"] == 1
        doc = api.post(
            "/api/v1/documents/upload",
            files={"file": ("smoke-test.pdf", smoke_pdf)},
            data={"project_id": str(pid), "document_type": "scope"},
        )
        assert doc.status_code == 201
        assert api.post(f"/api/v1/documents/{doc.json()['id']}/validate").json()["completeness_score"] == 0.9
        assert api.delete(f"/api/v1/projects/{pid}").json()["status"] == "ARCHIVED"
        assert api.get("/api/v1/projects/").json()["total"] == 0

        server.cleanup()  # the database goes away under a running replica
        down = httpx.get(replica.url + "/health/ready")
        assert down.status_code == 503
        assert down.json()["checks"]["database"].startswith("unhealthy: OperationalError")
        assert down.json()["checks"]["blob_storage"] == "healthy"
        assert httpx.get(replica.url + "/health/live").status_code == 200
        failed = api.get("/api/v1/projects/")
        assert failed.status_code == 500 and failed.json()["problem_id"].startswith("OperationalError at ")
    line = replica.wait_for(lambda e: e.get("kind") == "exception")
    assert line["type"] == "OperationalError" and line["route"] == "/api/v1/projects/"
    assert replica.proc.poll() is None
