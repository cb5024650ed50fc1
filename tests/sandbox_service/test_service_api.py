"""The reference service's API over real HTTP against a real replica process (the runbook's smoke surface)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from apexops.sandbox.identity import SandboxIdentity

pytestmark = pytest.mark.sandbox


def new_project(api: httpx.Client, **over) -> dict:
    body = {
        "project_number": f"SMOKE-{uuid.uuid4().hex[:10]}",
        "project_name": "Smoke Test Project",
        "voltage_level": 345,
        "line_miles": 25.5,
        "terrain_type": "flat",
        **over,
    }
    r = api.post("/api/v1/projects/", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def upload(api: httpx.Client, project_id: int, data: bytes, name: str = "smoke-test.pdf") -> dict:
    r = api.post(
        "/api/v1/documents/upload",
        files={"file": (name, data, "application/pdf")},
        data={"project_id": str(project_id), "document_type": "scope"},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_health_live_and_ready(service):
    live = httpx.get(service.url + "/health/live")
    assert live.status_code == 200
    assert live.json()["status"] == "alive"
    datetime.fromisoformat(live.json()["timestamp"])
    ready = httpx.get(service.url + "/health/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["checks"] == {"database": "healthy", "blob_storage": "healthy"}


def test_ready_reports_blob_storage_unhealthy_when_container_is_gone(service, azurite_endpoint):
    uploads = azurite_endpoint.container_client("uploads")
    uploads.delete_container()
    try:
        r = httpx.get(service.url + "/health/ready")
        assert r.status_code == 503
        assert r.json()["status"] == "not_ready"
        assert r.json()["checks"]["database"] == "healthy"
        assert r.json()["checks"]["blob_storage"].startswith("unhealthy: container 'uploads' does not exist")
    finally:
        uploads.create_container()
    assert httpx.get(service.url + "/health/ready").status_code == 200


def test_create_get_and_list_with_pagination(api):
    tag = uuid.uuid4().hex[:6]
    created = [new_project(api, project_number=f"PG-{tag}-{i:02d}", voltage_level=115 + i) for i in range(12)]
    first = created[0]
    assert first["status"] == "ACTIVE" and isinstance(first["id"], int)
    assert first["line_miles"] == 25.5 and first["terrain_type"] == "flat"
    got = api.get(f"/api/v1/projects/{first['id']}")
    assert got.status_code == 200 and got.json() == first

    total = api.get("/api/v1/projects/", params={"page": 1, "page_size": 1}).json()["total"]
    assert total >= 12
    pages = -(-total // 5)
    p1 = api.get("/api/v1/projects/", params={"page": 1, "page_size": 5}).json()
    assert set(p1) == {"items", "total", "page", "page_size", "has_next", "has_prev"}
    assert (p1["page"], p1["page_size"], p1["has_prev"], p1["has_next"]) == (1, 5, False, True)
    assert len(p1["items"]) == 5
    last = api.get("/api/v1/projects/", params={"page": pages, "page_size": 5}).json()
    assert last["has_next"] is False and last["has_prev"] is True
    assert len(last["items"]) == total - 5 * (pages - 1)
    beyond = api.get("/api/v1/projects/", params={"page": pages + 1, "page_size": 5}).json()
    assert beyond["items"] == [] and beyond["has_next"] is False
    seen = [
        p["id"]
        for page in range(1, pages + 1)
        for p in api.get("/api/v1/projects/", params={"page": page, "page_size": 5}).json()["items"]
    ]
    assert len(seen) == len(set(seen)) == total
    assert {p["id"] for p in created} <= set(seen)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"line_miles": 0}, "line_miles"),
        ({"line_miles": -3.0}, "line_miles"),
        ({"terrain_type": "lunar"}, "terrain_type"),
        ({"voltage_level": "high"}, "voltage_level"),
        ({"project_name": ""}, "project_name"),
        ({"project_number": None}, "project_number"),
    ],
)
def test_create_rejects_invalid_fields_with_422(api, change, field):
    body = {
        "project_number": f"BAD-{uuid.uuid4().hex[:8]}",
        "project_name": "x",
        "voltage_level": 345,
        "line_miles": 1.0,
        "terrain_type": "flat",
        **change,
    }
    before = api.get("/api/v1/projects/", params={"page_size": 1}).json()["total"]
    r = api.post("/api/v1/projects/", json=body)
    assert r.status_code == 422
    assert any(err["loc"][-1] == field for err in r.json()["detail"]), r.json()
    assert api.get("/api/v1/projects/", params={"page_size": 1}).json()["total"] == before


def test_missing_fields_and_bad_paging_are_422(api):
    r = api.post("/api/v1/projects/", json={"project_number": "ONLY-NUMBER"})
    missing = {err["loc"][-1] for err in r.json()["detail"]}
    assert r.status_code == 422 and missing == {"project_name", "voltage_level", "line_miles", "terrain_type"}
    assert api.get("/api/v1/projects/", params={"page": 0}).status_code == 422
    assert api.get("/api/v1/projects/", params={"page_size": 101}).status_code == 422
    assert api.get("/api/v1/projects/not-a-number").status_code == 422


def test_duplicate_project_number_is_409(api):
    p = new_project(api)
    r = api.post(
        "/api/v1/projects/",
        json={
            **{
                k: p[k]
                for k in ("project_number", "project_name", "voltage_level", "line_miles", "terrain_type")
            }
        },
    )
    assert r.status_code == 409
    assert p["project_number"] in r.json()["detail"]


def test_delete_is_a_soft_delete_to_archived(api, smoke_pdf):
    p = new_project(api)
    r = api.delete(f"/api/v1/projects/{p['id']}")
    assert r.status_code == 200 and r.json()["status"] == "ARCHIVED"
    assert api.get(f"/api/v1/projects/{p['id']}").json()["status"] == "ARCHIVED"

    def listed(**params) -> set[int]:
        total = api.get("/api/v1/projects/", params={"page_size": 1, **params}).json()["total"]
        return {
            x["id"]
            for page in range(1, total // 100 + 2)
            for x in api.get("/api/v1/projects/", params={"page": page, "page_size": 100, **params}).json()[
                "items"
            ]
        }

    assert p["id"] not in listed()
    assert p["id"] in listed(include_archived="true")
    assert api.delete("/api/v1/projects/999999").status_code == 404
    assert api.get("/api/v1/projects/999999").status_code == 404
    # an archived project takes no new documents
    r = api.post(
        "/api/v1/documents/upload",
        files={"file": ("a.pdf", smoke_pdf)},
        data={"project_id": str(p["id"]), "document_type": "scope"},
    )
    assert r.status_code == 409


def test_upload_get_validate_delete_document(api, azurite_endpoint, smoke_pdf):
    p = new_project(api)
    doc = upload(api, p["id"], smoke_pdf)
    assert doc["blob_path"].startswith(f"uploads/projects/{p['id']}/")
    assert doc["blob_path"].endswith("-smoke-test.pdf")
    # the document is in Blob Storage: read it back from Azurite with azure-storage-blob directly
    container, _, name = doc["blob_path"].partition("/")
    blob = azurite_endpoint.service_client().get_blob_client(container, name)
    assert blob.download_blob().readall() == smoke_pdf
    got = api.get(f"/api/v1/documents/{doc['id']}").json()
    assert got["blob_path"] == doc["blob_path"] and got["blob_exists"] is True
    assert got["size_bytes"] == len(smoke_pdf) and got["document_type"] == "scope"

    v1 = api.post(f"/api/v1/documents/{doc['id']}/validate").json()
    v2 = api.post(f"/api/v1/documents/{doc['id']}/validate").json()
    assert 0 <= v1["completeness_score"] <= 1
    assert v1["completeness_score"] == v2["completeness_score"] == 0.9  # structure complete, no content
    assert v1["findings"] == v2["findings"]
    assert [f["check"] for f in v1["findings"] if not f["passed"]] == ["content"]

    deleted = api.delete(f"/api/v1/documents/{doc['id']}")
    assert deleted.status_code == 200 and deleted.json()["blob_deleted"] is True
    assert not blob.exists()
    assert api.get(f"/api/v1/documents/{doc['id']}").status_code == 404
    assert api.delete(f"/api/v1/documents/{doc['id']}").status_code == 404


def test_document_whose_blob_vanished(api, azurite_endpoint):
    p = new_project(api)
    doc = upload(api, p["id"], data=b"not a pdf at all", name="../../etc/passwd")
    assert doc["filename"] == "passwd"  # the client's path is never used as a path
    assert doc["blob_path"].startswith(f"uploads/projects/{p['id']}/")
    container, _, name = doc["blob_path"].partition("/")
    azurite_endpoint.service_client().get_blob_client(container, name).delete_blob()
    got = api.get(f"/api/v1/documents/{doc['id']}").json()
    assert got["blob_exists"] is False
    r = api.post(f"/api/v1/documents/{doc['id']}/validate")
    assert r.status_code == 409 and "missing" in r.json()["detail"]
    deleted = api.delete(f"/api/v1/documents/{doc['id']}")
    assert deleted.status_code == 200 and deleted.json()["blob_deleted"] is False


def test_upload_errors(api, smoke_pdf):
    p = new_project(api)
    assert (
        api.post(
            "/api/v1/documents/upload",
            files={"file": ("a.pdf", smoke_pdf)},
            data={"project_id": "424242", "document_type": "scope"},
        ).status_code
        == 404
    )
    r = api.post(
        "/api/v1/documents/upload",
        files={"file": ("a.pdf", smoke_pdf)},
        data={"project_id": str(p["id"]), "document_type": "poem"},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "document_type"
    r = api.post("/api/v1/documents/upload", data={"project_id": str(p["id"]), "document_type": "scope"})
    assert r.status_code == 422
    r = api.post(
        "/api/v1/documents/upload",
        files={"file": ("a.pdf", b"")},
        data={"project_id": str(p["id"]), "document_type": "scope"},
    )
    assert r.status_code == 422
    assert api.get("/api/v1/documents/987654").status_code == 404


def test_validation_score_depends_only_on_content(api, smoke_pdf):
    p = new_project(api)
    good = upload(
        api,
        p["id"],
        data=smoke_pdf.replace(b"/Resources << >>", b"/Contents 4 0 R /Resources << >>").replace(
            b"xref", b"4 0 obj << /Length 0 >>\nstream\nendstream\nendobj\nxref"
        ),
    )
    junk = upload(api, p["id"], data=b"hello world", name="notes.txt")
    same = upload(api, p["id"], smoke_pdf, name="copy.pdf")
    scores = {
        d["id"]: api.post(f"/api/v1/documents/{d['id']}/validate").json()["completeness_score"]
        for d in (good, junk, same)
    }
    assert scores[good["id"]] == 1.0
    assert scores[same["id"]] == 0.9
    assert scores[junk["id"]] < 0.2


@pytest.mark.parametrize(
    "kind",
    ["missing", "malformed", "not_bearer", "bad_signature", "wrong_audience", "expired", "wrong_issuer"],
)
def test_each_401_kind_is_distinguishable(service, identity, audience, tmp_path, kind):
    if kind == "missing":
        headers = {}
    elif kind == "malformed":
        headers = {"Authorization": "Bearer not-a-jwt"}
    elif kind == "not_bearer":
        headers = {"Authorization": "Basic dXNlcjpwYXNz"}
    elif kind == "bad_signature":
        headers = SandboxIdentity(tmp_path).mint(audience).authorization_header()
    elif kind == "wrong_audience":
        headers = identity.mint("api://someone-else").authorization_header()
    elif kind == "expired":
        headers = identity.mint(
            audience, ttl_s=60, now=datetime.now().astimezone() - timedelta(hours=2)
        ).authorization_header()
    else:
        headers = (
            SandboxIdentity(identity.home, tenant_id="other-tenant").mint(audience).authorization_header()
        )
    r = httpx.get(service.url + "/api/v1/projects/", headers=headers)
    assert r.status_code == 401
    expected = {"not_bearer": "malformed"}.get(kind, kind)
    assert r.json()["reason"] == expected
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="apex", error=')
    assert 'error_description="' in challenge
    assert r.headers["x-apex-route"] == "/api/v1/projects/"
    if kind == "wrong_audience":
        assert "api://someone-else" in challenge and audience in challenge
    if kind == "expired":
        assert "expired" in challenge


def test_headers_on_every_kind_of_response(service, api):
    revision, replica = "apex-backend-test--r1", None
    responses = [
        httpx.get(service.url + "/health/live"),
        httpx.get(service.url + "/health/ready"),
        api.get("/api/v1/projects/"),
        api.get("/api/v1/projects/123456789"),
        api.post("/api/v1/projects/", json={}),
        httpx.get(service.url + "/api/v1/projects/"),
        httpx.get(service.url + "/no/such/path"),
        api.put("/api/v1/projects/1", json={}),
    ]
    routes = [r.headers["x-apex-route"] for r in responses]
    assert routes == [
        "/health/live",
        "/health/ready",
        "/api/v1/projects/",
        "/api/v1/projects/{project_id}",
        "/api/v1/projects/",
        "/api/v1/projects/",
        "unmatched",
        "/api/v1/projects/{project_id}",
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 404, 422, 401, 404, 405]
    for r in responses:
        assert r.headers["x-apex-revision"] == revision
        replica = replica or r.headers["x-apex-replica"]
        assert r.headers["x-apex-replica"] == replica and replica.startswith(revision)


def test_stdout_is_json_lines_with_access_lines(service, api):
    marker = 770000 + uuid.uuid4().int % 10000
    assert api.get(f"/api/v1/projects/{marker}").status_code == 404
    line = service.wait_for(lambda e: e.get("path") == f"/api/v1/projects/{marker}")
    assert line["logger"] == "apex.access" and line["level"] == "INFO"
    assert line["method"] == "GET" and line["status"] == 404
    assert line["route"] == "/api/v1/projects/{project_id}"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    logs = service.logs()
    assert logs, "no output"
    for entry in logs:
        assert {"ts", "level", "logger", "message"} <= set(entry)
        assert entry["level"] in {"DEBUG", "INFO", "WARNING", "ERROR"}
        assert datetime.fromisoformat(entry["ts"]).utcoffset() is not None
    assert any(e.get("event") == "started" for e in logs)
    assert service.err_lines == []


def test_two_replicas_share_one_sqlite_database_under_concurrent_writes(launch, migrated_db, token_headers):
    """A revision runs several replicas on one SQLite file: writers wait for each other, none fails."""
    from concurrent.futures import ThreadPoolExecutor

    db = migrated_db("head")
    replicas = [launch.start(db=db), launch.start(db=db)]
    clients = [httpx.Client(base_url=r.url, headers=token_headers, timeout=30) for r in replicas]

    def work(i: int) -> tuple[int, int]:
        api = clients[i % 2]
        created = api.post(
            "/api/v1/projects/",
            json={
                "project_number": f"CONC-{i:03d}",
                "project_name": "c",
                "voltage_level": 69,
                "line_miles": 1.5,
                "terrain_type": "rolling",
            },
        )
        listed = api.get("/api/v1/projects/", params={"page_size": 100})
        return created.status_code, listed.status_code

    try:
        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(work, range(120)))
    finally:
        for c in clients:
            c.close()
    assert results == [(201, 200)] * 120
    with httpx.Client(base_url=replicas[1].url, headers=token_headers) as api:
        assert api.get("/api/v1/projects/", params={"page_size": 1}).json()["total"] == 120
