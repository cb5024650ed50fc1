"""The smoke suite against the real APEX reference service, started as a process (no mocks)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from apexops.smoke import SmokeOptions, SmokeSession
from apexops.smoke.checks import make_client

pytestmark = pytest.mark.sandbox

AUDIENCE = "api://apex-local-client"


def _session(svc, *, acquire=None, blobs=None, **options):
    opts = SmokeOptions(
        **{
            "latency_requests": 120,
            "latency_concurrency": 2,
            "request_timeout_s": 10,
            "run_llm_validation": True,
            **options,
        }
    )
    return SmokeSession(
        svc.url,
        acquire_token=acquire or (lambda: svc.identity.mint(AUDIENCE)),
        expected_audience=AUDIENCE,
        expected_tenant=svc.identity.tenant_id,
        options=opts,
        revision="apex-backend-test--svc",
        blobs=blobs,
    )


def _raw(token) -> str:
    return token.authorization_header()["Authorization"].split()[1]


def _project(svc, token, project_id):
    with make_client(svc.url, timeout_s=10) as c:
        return c.get(f"/api/v1/projects/{project_id}", headers=token.authorization_header())


def test_a_healthy_service_passes_every_check_and_is_left_clean(healthy_service, run_smoke):
    svc = healthy_service
    tokens = []

    def acquire():
        tokens.append(svc.identity.mint(AUDIENCE))
        return tokens[-1]

    with _session(svc, acquire=acquire) as session:
        report = run_smoke(session)
        created = session.created
    statuses = {c.name: c.status for c in report.all_results}
    assert statuses == {
        "auth: token": "PASS",
        "health: live": "PASS",
        "health: ready": "PASS",
        "auth: list projects": "PASS",
        "crud: create project": "PASS",
        "crud: get project": "PASS",
        "blob: upload document": "PASS",
        "blob: get document": "PASS",
        "llm: validate document": "PASS",
        "performance: latency baseline": "PASS",
        "cleanup: delete document": "PASS",
        "cleanup: archive project": "PASS",
    }, report.rows()
    assert report.verdict == "PASS"
    ready = next(c for c in report.checks if c.name == "health: ready")
    assert ready.data["checks"] == {"database": "healthy", "blob_storage": "healthy"}
    assert "database=healthy, blob_storage=healthy" in ready.detail
    latency = session.latency_result
    assert latency.data["baseline"].n == 120 and latency.data["baseline"].p95.upper_ms < 500
    # the cleanup really happened: the project is ARCHIVED, the document and its blob are gone
    token = tokens[0]
    assert _project(svc, token, created["project_id"]).json()["status"] == "ARCHIVED"
    with make_client(svc.url, timeout_s=10) as c:
        assert (
            c.get(
                f"/api/v1/documents/{created['document_id']}", headers=token.authorization_header()
            ).status_code
            == 404
        )
    uploads = svc.blob.service_client().get_container_client("uploads")
    assert not [b.name for b in uploads.list_blobs(name_starts_with=f"projects/{created['project_id']}/")]
    # the token never appears in anything the suite reports
    text = json.dumps(report.rows()) + repr(report.facts()) + repr([c.data for c in report.checks[:-1]])
    assert _raw(token) not in text
    assert f"audience {AUDIENCE}" in report.checks[0].detail


def test_the_smoke_upload_is_in_blob_storage_readable_with_azure_storage_blob(healthy_service):
    """The document the smoke suite uploads lands in Azurite: read it back with the SDK, then cleaned up."""
    from apexops.sandbox.blobs import AzuriteBlobStore

    svc = healthy_service
    with _session(svc, blobs=AzuriteBlobStore(svc.blob.account_url)) as session:
        try:
            session.token()
            session.health()
            session.project_crud()
            rows = {c.name: c for c in session.document_upload()}
            assert rows["blob: get document"].status == "PASS", rows
            blob_path = rows["blob: get document"].data["blob_path"]
            container, _, name = blob_path.partition("/")
            blob = svc.blob.service_client().get_blob_client(container, name)
            data = blob.download_blob().readall()
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
            assert blob.get_blob_properties().size == len(data)
        finally:
            session.cleanup()
    assert not blob.exists()  # the smoke suite's cleanup deleted it from Blob Storage


def test_a_wrong_audience_token_is_diagnosed_and_nothing_is_created(healthy_service, run_smoke):
    svc = healthy_service
    with _session(svc, acquire=lambda: svc.identity.mint("api://someone-else")) as session:
        report = run_smoke(session)
    by = {c.name: c for c in report.all_results}
    assert by["auth: token"].status == "FAIL"
    expected = "audience 'api://someone-else' is not the API's 'api://apex-local-client'"
    assert expected in by["auth: token"].detail
    auth = by["auth: list projects"]
    assert auth.status == "FAIL" and "HTTP 401" in auth.detail
    assert "server says:" in auth.detail and "audience" in auth.detail
    assert f"request the token for {AUDIENCE}" in auth.hint
    assert by["crud: create project"].status == "SKIPPED"
    assert by["performance: latency baseline"].status == "SKIPPED"
    assert by["cleanup"].status == "SKIPPED" and by["cleanup"].detail == "nothing was created"
    assert report.verdict == "FAIL"


def test_an_expired_token_is_diagnosed(healthy_service):
    svc = healthy_service
    past = datetime.now(UTC) - timedelta(hours=2)
    with _session(svc, acquire=lambda: svc.identity.mint(AUDIENCE, ttl_s=3600, now=past)) as session:
        session.token()
        session.authentication()
    token_check, auth = session.results
    assert token_check.status == "FAIL" and "expired at" in token_check.detail
    assert auth.status == "FAIL" and "HTTP 401" in auth.detail and "expired" in auth.detail
    assert "fresh token" in auth.hint


def test_a_faulty_service_fails_the_right_checks_and_still_cleans_up(tmp_path, start_service, run_smoke):
    profile = {
        "readiness_fail": True,
        "error_rate": 1.0,
        "error_routes": ["/api/v1/documents/upload"],
        "latency_ms": 600,
        "latency_routes": ["/api/v1/projects/"],
    }
    with start_service(tmp_path, profile, name="faulty") as svc:
        token = svc.identity.mint(AUDIENCE)
        with _session(svc, acquire=lambda: token, latency_requests=20, latency_concurrency=10) as session:
            report = run_smoke(session)
            created = session.created
        by = {c.name: c for c in report.all_results}
        assert by["health: live"].status == "PASS"
        ready = by["health: ready"]
        assert ready.status == "FAIL" and ready.data["checks"]["database"].startswith("unhealthy")
        assert "Private Endpoint" in ready.hint and "70-emergency" in ready.hint
        upload = by["blob: upload document"]
        assert upload.status == "FAIL" and "HTTP 500" in upload.detail and "problem_id" in upload.detail
        assert "revision apex-backend-test--faulty" in upload.detail
        assert by["blob: get document"].status == "SKIPPED"
        assert by["llm: validate document"].status == "SKIPPED"
        latency = by["performance: latency baseline"]
        assert latency.status == "FAIL" and latency.data["baseline"].p95.lower_ms >= 500
        assert "failed:" not in latency.detail  # no HTTP errors on the list route, only slowness
        # the cleanup ran after the failures and archived the project it had created
        assert [c.name for c in report.cleanup] == ["cleanup: archive project"]
        assert report.cleanup[0].status == "PASS"
        assert _project(svc, token, created["project_id"]).json()["status"] == "ARCHIVED"
        assert report.verdict == "FAIL"
        assert any(r.startswith("health: ready: FAIL") for r in report.reasons)


def test_an_unreachable_target_fails_without_raising(unused_port):
    url = f"http://127.0.0.1:{unused_port}"
    session = SmokeSession(
        url, acquire_token=lambda: None, expected_audience=AUDIENCE, options=SmokeOptions(request_timeout_s=2)
    )
    try:
        results = session.health()
    finally:
        session.cleanup()
        session.close()
    assert [r.status for r in results] == ["FAIL", "FAIL"]
    assert "ConnectError" in results[0].detail and "did not answer" in results[0].hint
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, trust_env=False)
