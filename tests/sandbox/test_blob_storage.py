"""The running sandbox's Blob Storage is Azurite: the BlobStore port, the replicas' uploads and the shared
store (AuditStorage) all reach it with azure-storage-blob, and its development key is written nowhere."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from apexops.ports import AuditStorage, BlobStore
from apexops.sandbox import azurite, lifecycle
from apexops.sandbox.blobs import SandboxAuditStorage

sys.path.insert(0, str(Path(__file__).parents[1] / "secret_leaks"))
from secret_forms import leaks  # every encoding of a value, computed independently of apexops

pytestmark = pytest.mark.sandbox

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_uploads_land_in_azurite_and_the_ports_see_them(sandbox, auth):
    settings, env = sandbox
    assert isinstance(env.blobs, BlobStore) and isinstance(env.audit_storage, AuditStorage)
    url = lifecycle.status(settings).url
    project = httpx.post(f"{url}/api/v1/projects/", headers=auth, json={
        "project_number": "BLOB-1", "project_name": "b", "voltage_level": 115, "line_miles": 1.0,
        "terrain_type": "flat"}).json()  # fmt: skip
    doc = httpx.post(f"{url}/api/v1/documents/upload", headers=auth, files={"file": ("a.pdf", PDF)},
                     data={"project_id": str(project["id"]), "document_type": "scope"}).json()  # fmt: skip
    container, _, name = doc["blob_path"].partition("/")
    assert env.blobs.blob_exists(container, name)
    direct = azurite.endpoint(settings.sandbox_home()).service_client().get_blob_client(container, name)
    assert direct.download_blob().readall() == PDF
    counts = {c.name: c.blob_count for c in env.blobs.list_containers()}
    assert counts["uploads"] >= 1 and "processed" in counts


def test_the_audit_storage_is_a_container_on_azurite(sandbox):
    settings, env = sandbox
    container = env.audit_storage.container()
    assert container.container_name == settings.audit.container and container.exists()
    container.upload_blob("probe/a.txt", b"x", overwrite=True)
    assert container.download_blob("probe/a.txt").readall() == b"x"
    described = env.audit_storage.describe()
    assert described.startswith("http://127.0.0.1:") and described.endswith(f"/{settings.audit.container}")


def test_the_audit_storage_of_a_stopped_sandbox_is_one_line(tmp_path, monkeypatch):
    from apexops.sandbox.testing import apply_overrides
    from apexops.settings import load_settings
    from apexops.shared.store import StoreUnavailable

    monkeypatch.setenv("APEXOPS_SANDBOX_HOME", str(tmp_path / "nowhere"))
    storage = SandboxAuditStorage(apply_overrides(load_settings("local"), {}))
    with pytest.raises(StoreUnavailable) as err:
        storage.container()
    assert "\n" not in str(err.value) and "apexops sandbox up" in str(err.value)
    assert "not running" in storage.describe()


def test_the_development_key_is_written_nowhere(sandbox, auth):
    """Not in the replicas' environment (what `exec env` shows), the daemon's files, logs or telemetry."""
    settings, env = sandbox
    key = azurite._DEV_KEY
    rev = env.app.show().latest_revision_name
    shown = env.app.exec(rev, ["env"])
    assert shown.exit_code == 0 and azurite.ENDPOINT_ENV in shown.output
    assert leaks(shown.output.encode(), key) == []
    httpx.get(f"{lifecycle.status(settings).url}/health/ready")
    env.audit_storage.container()
    from apexops.sandbox.client import ControlClient

    client = ControlClient(settings.sandbox_home())
    client.call("flush_telemetry")
    client.close()
    found = {}
    for dirpath, _dirs, files in os.walk(settings.sandbox_home()):
        for name in files:
            path = Path(dirpath) / name
            if not path.is_symlink() and (hit := leaks(path.read_bytes(), key)):
                found[str(path)] = hit
    assert found == {}
