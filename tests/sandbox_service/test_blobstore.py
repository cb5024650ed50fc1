"""The sandbox's Blob Storage client (AzuriteBlobStore): real Azurite, azure-storage-blob, apexops' errors.

The folder blob store is gone; what it guaranteed stays: names that could escape a container or that Azure
refuses are one clear InvalidRequestError before any request, missing containers and blobs are NotFoundError
naming them, and probe blobs never show up as blobs.
"""

from __future__ import annotations

import uuid

import pytest

from apexops.errors import InvalidRequestError, NotFoundError, TargetUnavailableError
from apexops.sandbox import azurite
from apexops.sandbox.blobs import AzuriteBlobStore, split_blob_path
from apexops.sandbox.service.blob_storage import BlobStorageClient


@pytest.fixture
def container(azurite_endpoint):
    """A fresh container name per test (the session's Azurite is shared)."""
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store(azurite_endpoint, container):
    s = AzuriteBlobStore(azurite_endpoint.account_url)
    s.ensure_container(container)
    s.ensure_container(container)  # idempotent
    return s


def test_put_get_exists_delete_round_trip(store, container, azurite_endpoint):
    path = store.put(container, "projects/1/a.pdf", b"%PDF-1.4")
    assert path == f"{container}/projects/1/a.pdf"
    assert store.exists(container, "projects/1/a.pdf") and store.blob_exists(container, "projects/1/a.pdf")
    assert store.get(container, "projects/1/a.pdf") == b"%PDF-1.4"
    # the same bytes straight from Azurite with azure-storage-blob: it is real Blob Storage
    direct = azurite_endpoint.service_client().get_blob_client(container, "projects/1/a.pdf")
    assert direct.download_blob().readall() == b"%PDF-1.4"
    assert store.list_blobs(container) == ["projects/1/a.pdf"]
    store.put(container, "projects/1/a.pdf", b"v2")
    assert store.get(container, "projects/1/a.pdf") == b"v2"
    assert store.delete(container, "projects/1/a.pdf") is True
    assert store.delete(container, "projects/1/a.pdf") is False
    assert not store.exists(container, "projects/1/a.pdf")
    with pytest.raises(NotFoundError, match=f"blob {container}/projects/1/a.pdf does not exist"):
        store.get(container, "projects/1/a.pdf")


def test_containers_listed_with_counts(store, container):
    store.put(container, "x/1", b"1")
    store.put(container, "x/2", b"2")
    listed = {c.name: c.blob_count for c in store.list_containers()}
    assert listed[container] == 2
    assert store.list_blobs(container, prefix="x/1") == ["x/1"]


@pytest.mark.parametrize(
    "bad", ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "a\\b", "", "a\x00b", "x" * 1025, "a/"]
)
def test_unsafe_blob_names_are_refused_before_any_request(bad):
    store = AzuriteBlobStore("http://127.0.0.1:9/devstoreaccount1")  # nothing listens: no request is made
    for call in (lambda: store.put("uploads", bad, b"x"), lambda: store.exists("uploads", bad),
                 lambda: store.get("uploads", bad), lambda: store.delete("uploads", bad)):  # fmt: skip
        with pytest.raises(InvalidRequestError, match="is not a safe relative path") as err:
            call()
        assert "\n" not in str(err.value) and err.value.hint


@pytest.mark.parametrize("bad", ["..", "Uploads", "up", "a--b", "-up", "up/x", "x" * 64])
def test_bad_container_names_are_refused(bad):
    store = AzuriteBlobStore("http://127.0.0.1:9/devstoreaccount1")
    with pytest.raises(InvalidRequestError, match="container name") as err:
        store.put(bad, "a", b"x")
    assert "3-63 lowercase letters" in str(err.value)
    with pytest.raises(InvalidRequestError, match="container name"):
        store.ensure_container(bad)


def test_missing_container_and_the_health_checks(store, container, azurite_endpoint):
    other = f"{container}-missing"
    with pytest.raises(NotFoundError, match=f"container '{other}' does not exist"):
        store.put(other, "a", b"x")
    assert store.check_reachable(container) is None and store.check_writable(container) is None
    assert "does not exist" in store.check_reachable(other)
    assert "does not exist" in store.check_writable(other)
    assert store.list_blobs(container) == []  # the write probe leaves nothing behind
    # the replica-side client the troubleshooting probe uses reads the same endpoint
    app_side = BlobStorageClient(azurite_endpoint.account_url)
    assert container in app_side.list_containers() and app_side.check_writable(container) is None


def test_blob_storage_that_does_not_answer_is_one_line(tmp_path):
    store = AzuriteBlobStore("http://127.0.0.1:9/devstoreaccount1", retries=0)
    with pytest.raises(TargetUnavailableError) as err:
        store.list_containers()
    assert "does not answer" in str(err.value) and "apexops sandbox up" in str(err.value)
    assert "\n" not in str(err.value)
    assert "does not answer" in store.check_reachable("uploads")


def test_the_account_key_is_not_in_the_endpoint_or_its_state_file(azurite_endpoint, tmp_path):
    key = azurite._DEV_KEY
    assert key not in repr(azurite_endpoint) and key in azurite_endpoint.connection_string()
    home = tmp_path / "h"
    ep = azurite.start(home)
    try:
        assert azurite.endpoint(home) == ep
        for f in (home / "azurite").glob("*.*"):
            if f.is_file():
                assert key not in f.read_text(errors="replace"), f
    finally:
        azurite.stop(home)
    assert azurite.endpoint(home) is None


def test_split_blob_path():
    assert split_blob_path("uploads/projects/1/a.pdf") == ("uploads", "projects/1/a.pdf")
    with pytest.raises(InvalidRequestError):
        split_blob_path("uploads")
