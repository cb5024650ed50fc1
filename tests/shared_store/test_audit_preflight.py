"""Preflight (00) reports the shared store: reachable on the sandbox's Azurite; on Azure (faked at the HTTP
boundary with Blob Storage's own response headers) whether versioning or immutability protects the audit
container."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "azure"))  # the Azure HTTP fakes (tests/azure)
from _azure_fakes import SUB, FakeAzure, FakeCredential

from apexops.environment import connect
from apexops.preflight import Preflight
from apexops.sandbox import azurite
from apexops.settings import AuditSettings, load_settings
from apexops.shared.store import AzureAuditStorage
from apexops.status import Status

ACCOUNT = "stapexaudit"
CONTAINER_PATH = "/apexops-audit"
HEAD_PATH = "/apexops-audit/ledger.head"
DATE = "Sat, 05 Dec 2026 00:00:00 GMT"


def container_properties(*, policy: bool = False, hold: bool = False, worm: bool = False):
    """Get Container Properties as Blob Storage answers it (REST 2021+: immutability headers)."""
    return (
        200,
        b"",
        {
            "ETag": '"0x8DCF00000000001"',
            "Last-Modified": DATE,
            "x-ms-lease-status": "unlocked",
            "x-ms-lease-state": "available",
            "x-ms-has-immutability-policy": str(policy).lower(),
            "x-ms-has-legal-hold": str(hold).lower(),
            "x-ms-immutable-storage-with-versioning-enabled": str(worm).lower(),
            "x-ms-default-encryption-scope": "$account-encryption-key",
            "x-ms-deny-encryption-scope-override": "false",
            "x-ms-version": "2025-05-05",
        },
    )


def head_properties(*, version: str | None, count: int = 3):
    """Get Blob Properties of the head blob; `x-ms-version-id` only when the account keeps versions."""
    headers = {
        "x-ms-meta-count": str(count),
        "ETag": '"0x8DCF00000000002"',
        "Last-Modified": DATE,
        "Content-Length": "80",
        "Content-Type": "application/octet-stream",
        "x-ms-blob-type": "BlockBlob",
        "x-ms-creation-time": DATE,
        "x-ms-server-encrypted": "true",
        "x-ms-version": "2025-05-05",
    }
    if version:
        headers.update({"x-ms-version-id": version, "x-ms-is-current-version": "true"})
    return (200, b"", headers)


@pytest.fixture
def azure_preflight(monkeypatch):
    """Preflight of prod with an audit account, its Blob Storage answered by a fake transport."""
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUB)
    settings = load_settings("prod")
    settings = settings.model_copy(update={"audit": AuditSettings(account=ACCOUNT)})
    fake = FakeAzure()
    storage = AzureAuditStorage(settings, credential=FakeCredential(), transport=fake.transport())
    env = dataclasses.replace(connect("prod", settings=settings), audit_storage=storage)
    return fake, Preflight(settings, environment=env)


def rows(results):
    return {r.name: r for r in results}


def test_azure_immutability_policy_is_reported_as_protection(azure_preflight):
    fake, checks = azure_preflight
    fake.on("GET", CONTAINER_PATH, container_properties(policy=True))
    fake.on("HEAD", HEAD_PATH, head_properties(version=None, count=12))
    found = rows(checks.shared_store())
    assert found["shared store"].status is Status.PASS
    assert "12 run(s)" in found["shared store"].detail
    assert f"https://{ACCOUNT}.blob.core.windows.net/apexops-audit" in found["shared store"].detail
    assert found["audit protection"].status is Status.PASS
    assert "a time-based immutability policy" in found["audit protection"].detail
    assert "versioning" not in found["audit protection"].detail
    assert fake.calls("GET", CONTAINER_PATH)[0].query.get("restype") == ["container"]


def test_azure_versioning_is_reported_from_the_head_blobs_version_id(azure_preflight):
    fake, checks = azure_preflight
    fake.on("GET", CONTAINER_PATH, container_properties())
    fake.on("HEAD", HEAD_PATH, head_properties(version="2026-12-05T00:00:00.1234567Z"))
    found = rows(checks.shared_store())
    assert found["audit protection"].status is Status.PASS
    assert "blob versioning" in found["audit protection"].detail


def test_an_unprotected_audit_container_is_a_warning_with_the_fix(azure_preflight):
    fake, checks = azure_preflight
    fake.on("GET", CONTAINER_PATH, container_properties())
    fake.on("HEAD", HEAD_PATH, head_properties(version=None))
    found = rows(checks.shared_store())
    protection = found["audit protection"]
    assert protection.status is Status.WARN and not protection.required
    assert "no immutability policy, legal hold or versioning" in protection.detail
    assert "--enable-versioning true" in protection.hint
    assert "--allow-protected-append-writes" in protection.hint
    assert checks.verdict().status is Status.WARN


def test_an_unreachable_azure_store_fails_without_a_traceback(azure_preflight):
    from azure.core.exceptions import ServiceRequestError

    fake, checks = azure_preflight

    def refuse(_request):
        raise ServiceRequestError("Failed to resolve 'stapexaudit.blob.core.windows.net'")

    fake.on("GET", CONTAINER_PATH, refuse)
    found = rows(checks.shared_store())
    assert found["shared store"].status is Status.FAIL
    store = found["shared store"]
    assert "cannot be reached" in store.detail and "audit.account" in store.hint
    assert found["audit protection"].status is Status.SKIPPED


def test_sandbox_store_reachable_on_azurite_and_skipped_when_the_sandbox_is_down(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("APEXOPS_SANDBOX_HOME", str(home))
    settings = load_settings("local")
    found = rows(Preflight(settings).shared_store())
    assert found["shared store"].status is Status.SKIPPED and "sandbox up" in found["shared store"].hint
    azurite.start(home)
    try:
        found = rows(Preflight(settings).shared_store())
    finally:
        azurite.stop(home)
    assert list(found) == ["shared store"]  # no protection row for a local emulator
    assert found["shared store"].status is Status.PASS
    assert found["shared store"].detail.endswith("apexops-audit: reachable; 0 run(s) in its ledger")
