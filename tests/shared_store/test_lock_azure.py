"""The shared lock against Azure Storage, faked only at the HTTP boundary with the Blob service's own
response shapes (Lease Blob, Set Blob Metadata, Get Blob Properties): the real azure-storage-blob client,
the Azure target's wiring (`audit.account`, the target's credential), what goes on the wire."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "azure"))

from _azure_fakes import SUB, FakeAzure, FakeCredential

from apexops.canary.lock import DeploymentLock
from apexops.errors import LockHeldError
from apexops.shared.store import StoreUnavailable

BLOB = "/apexops-audit/locks/prod--apex-backend-prod"
STD = {
    "x-ms-request-id": "8f3c2c1e-701e-0045-0a5b-3b7f7b000000",
    "x-ms-version": "2025-01-05",
    "Date": "Sat, 05 Dec 2026 01:00:00 GMT",
    "ETag": '"0x8DCF0A1B2C3D4E5"',
    "Last-Modified": "Sat, 05 Dec 2026 00:59:00 GMT",
}


def error(code: str, message: str) -> tuple[int, str, dict[str, str]]:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>'
        f"{code}</Code><Message>{message}\nRequestId:8f3c2c1e-701e-0045-0a5b-3b7f7b000000\n"
        "Time:2026-12-05T01:00:00.0000000Z</Message></Error>"
    )
    status = {"LeaseAlreadyPresent": 409, "AuthorizationPermissionMismatch": 403}[code]
    return status, body, {**STD, "x-ms-error-code": code}


@pytest.fixture
def env(monkeypatch):
    from apexops.azure import build_environment
    from apexops.sandbox.testing import apply_overrides
    from apexops.settings import load_settings

    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUB)
    settings = apply_overrides(load_settings("prod"), {"audit": {"account": "stapexaudit", "required": True}})
    fake, credential = FakeAzure(), FakeCredential()
    environment = build_environment(settings, credential=credential, transport=fake.transport())
    return environment, fake, credential


def test_a_lease_held_on_azure_is_refused_naming_its_holder(env, tmp_path):
    environment, fake, credential = env
    holder = {
        "x-ms-meta-operator": "alice@contoso.example",
        "x-ms-meta-machine": "laptop-7",
        "x-ms-meta-run_id": "7d1e0c2b9a",
        "x-ms-meta-procedure": "50-traffic-shifting",
        "x-ms-meta-start": "2026-12-05T00:58:00+00:00",
        "x-ms-meta-state": "held",
    }
    fake.on("PUT", BLOB, error("LeaseAlreadyPresent", "There is already a lease present."))
    props = {"x-ms-lease-state": "leased", "x-ms-lease-status": "locked", "x-ms-lease-duration": "fixed"}
    fake.on("HEAD", BLOB, (200, None, {**STD, **props, **holder, "x-ms-blob-type": "BlockBlob"}))
    lock = DeploymentLock(
        tmp_path,
        env="prod",
        app="apex-backend-prod",
        run_id="mine",
        storage=environment.audit_storage,
        settings=environment.settings.audit,
    )
    with pytest.raises(LockHeldError) as err:
        lock.acquire()
    assert (
        "run 7d1e0c2b9a by alice@contoso.example on laptop-7 (50-traffic-shifting, since 2026-12-05T00:58"
        in (str(err.value))
    )
    assert not lock.held
    put = fake.calls("PUT", BLOB)[0]
    assert put.url == f"https://stapexaudit.blob.core.windows.net{BLOB}?comp=lease"
    assert put.headers["x-ms-lease-action"] == "acquire" and put.headers["x-ms-lease-duration"] == "60"
    assert put.headers["Authorization"].startswith("Bearer ")
    assert credential.scopes == ["https://storage.azure.com/.default"] * len(credential.scopes)


def test_a_lease_is_taken_named_and_released_on_azure(env, tmp_path):
    environment, fake, _ = env

    def lease(rec):
        action = rec.headers.get("x-ms-lease-action")
        if rec.query.get("comp") == ["metadata"]:
            return 200, None, STD
        if action == "acquire":
            return 201, None, {**STD, "x-ms-lease-id": rec.headers["x-ms-proposed-lease-id"]}
        return 200, None, STD  # release

    fake.on("PUT", BLOB, lease)
    with DeploymentLock(
        tmp_path,
        env="prod",
        app="apex-backend-prod",
        run_id="r-1",
        storage=environment.audit_storage,
        settings=environment.settings.audit,
        procedure="30-application-deployment",
    ) as lock:
        assert lock.lease is not None and lock.lease.held
    steps = [(r.query.get("comp"), r.headers.get("x-ms-lease-action")) for r in fake.calls("PUT", BLOB)]
    assert steps == [
        (["lease"], "acquire"),
        (["metadata"], None),
        (["metadata"], None),
        (["lease"], "release"),
    ]
    named, released = fake.calls("PUT", BLOB)[1:3]
    assert named.headers["x-ms-meta-run_id"] == "r-1" and named.headers["x-ms-meta-state"] == "held"
    assert named.headers["x-ms-meta-procedure"] == "30-application-deployment"
    assert named.headers["x-ms-lease-id"] == fake.calls("PUT", BLOB)[0].headers["x-ms-proposed-lease-id"]
    assert released.headers["x-ms-meta-state"] == "released"


def test_no_role_on_the_audit_container_refuses_in_one_line(env, tmp_path):
    environment, fake, _ = env
    fake.on("PUT", BLOB, error("AuthorizationPermissionMismatch", "This request is not authorized."))
    with pytest.raises(StoreUnavailable) as err:
        DeploymentLock(
            tmp_path,
            env="prod",
            app="apex-backend-prod",
            storage=environment.audit_storage,
            settings=environment.settings.audit,
        ).acquire()
    line = str(err.value)
    assert "\n" not in line and "refusing to start: prod requires the shared deployment lock" in line
    assert "no role on it (403)" in line and "Storage Blob Data Contributor" in line
