"""FolderBlobStore: containers as folders, blobs as files, and no way out of the container."""

from __future__ import annotations

import os

import pytest

from apexops.errors import InvalidRequestError, NotFoundError
from apexops.sandbox.blobstore import FolderBlobStore, split_blob_path


@pytest.fixture
def store(tmp_path):
    s = FolderBlobStore(tmp_path / "blobs")
    s.ensure_container("uploads")
    return s


def test_put_get_exists_delete_round_trip(store):
    path = store.put("uploads", "projects/1/a.pdf", b"%PDF-1.4")
    assert path == "uploads/projects/1/a.pdf"
    assert store.exists("uploads", "projects/1/a.pdf") and store.blob_exists("uploads", "projects/1/a.pdf")
    assert store.get("uploads", "projects/1/a.pdf") == b"%PDF-1.4"
    assert store.list_blobs("uploads") == ["projects/1/a.pdf"]
    store.put("uploads", "projects/1/a.pdf", b"v2")
    assert store.get("uploads", "projects/1/a.pdf") == b"v2"
    assert store.delete("uploads", "projects/1/a.pdf") is True
    assert store.delete("uploads", "projects/1/a.pdf") is False
    assert not store.exists("uploads", "projects/1/a.pdf")
    assert list((store.root / "uploads").iterdir()) == []  # empty folders pruned
    with pytest.raises(NotFoundError, match="does not exist"):
        store.get("uploads", "projects/1/a.pdf")


def test_containers_listed_with_counts(store):
    store.ensure_container("processed")
    store.put("uploads", "x/1", b"1")
    store.put("uploads", "x/2", b"2")
    assert [(c.name, c.blob_count) for c in store.list_containers()] == [("processed", 0), ("uploads", 2)]
    assert (store.root / ".staging").is_dir()  # staging is not a container
    assert FolderBlobStore(store.root / "nowhere").list_containers() == []


@pytest.mark.parametrize(
    "bad", ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "a\\b", "", "a\x00b", "x" * 1025, "a/"]
)
def test_unsafe_blob_names_are_refused(store, bad):
    with pytest.raises(InvalidRequestError):
        store.put("uploads", bad, b"x")
    with pytest.raises(InvalidRequestError):
        store.exists("uploads", bad)
    assert not (store.root.parent / "x").exists()


@pytest.mark.parametrize("bad", ["..", "Uploads", "up", "a--b", "-up", "up/x", "x" * 64])
def test_bad_container_names_are_refused(store, bad):
    with pytest.raises(InvalidRequestError, match="container name"):
        store.put(bad, "a", b"x")


def test_symlink_out_of_the_container_is_refused(store, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, store.root / "uploads" / "link")
    with pytest.raises(InvalidRequestError, match="outside"):
        store.put("uploads", "link/escape.txt", b"x")
    assert list(outside.iterdir()) == []


def test_missing_container_and_writability_check(store):
    with pytest.raises(NotFoundError, match="container 'processed' does not exist"):
        store.put("processed", "a", b"x")
    assert store.check_writable("uploads") is None
    assert "does not exist" in store.check_writable("processed")
    (store.root / "processed").write_text("a file, not a folder")
    assert "does not exist" in store.check_writable("processed")
    assert store.list_blobs("uploads") == []  # the probe leaves nothing behind


def test_split_blob_path():
    assert split_blob_path("uploads/projects/1/a.pdf") == ("uploads", "projects/1/a.pdf")
    with pytest.raises(InvalidRequestError):
        split_blob_path("uploads")
