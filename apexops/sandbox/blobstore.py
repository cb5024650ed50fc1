"""The sandbox's Blob Storage: containers are sub-folders of one root, blobs are files inside them.

Blob names come from users (uploaded file names), so every name is checked before it touches the disk:
no absolute paths, no `..`, no backslashes or NUL, and the resolved file must stay inside its container
(symlinks included). Writes go to a staging folder first and are renamed into place, so a reader never sees
half a blob. Container names follow Azure's rules (3-63 lowercase letters, digits and single hyphens).
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from apexops.errors import InvalidRequestError, NotFoundError
from apexops.models import BlobContainerInfo

__all__ = ["FolderBlobStore", "split_blob_path"]

_CONTAINER_RE = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
_STAGING = ".staging"


def split_blob_path(blob_path: str) -> tuple[str, str]:
    """`uploads/projects/1/x.pdf` -> (`uploads`, `projects/1/x.pdf`)."""
    container, _, path = blob_path.partition("/")
    if not container or not path:
        raise InvalidRequestError(
            f"blob path {blob_path!r} has no container part.",
            hint="use <container>/<path>, e.g. uploads/a.pdf",
        )
    return container, path


class FolderBlobStore:
    """Blob containers as folders under `root` (used by the reference service and the BlobStore adapter)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FolderBlobStore({str(self.root)!r})"

    # ------------------------------------------------------------------ names

    def _container_dir(self, container: str) -> Path:
        if not isinstance(container, str) or not _CONTAINER_RE.fullmatch(container):
            raise InvalidRequestError(
                f"container name {container!r} is not valid.",
                hint="use 3-63 lowercase letters, digits and single hyphens, e.g. uploads.",
            )
        return self.root / container

    def _blob_file(self, container: str, path: str) -> Path:
        base = self._container_dir(container)
        parts = path.split("/") if isinstance(path, str) else []
        if (
            not parts
            or len(path) > 1024
            or "\\" in path
            or "\x00" in path
            or any(p in ("", ".", "..") for p in parts)
        ):
            raise InvalidRequestError(
                f"blob name {path!r} is not a safe relative path.",
                hint="use '/'-separated names without empty, '.' or '..' segments (max 1024 characters).",
            )
        target = base.joinpath(*parts)
        # symlinks inside the store must not lead out of the container either
        if not target.resolve().is_relative_to(base.resolve()):
            raise InvalidRequestError(
                f"blob name {path!r} leads outside container {container!r}.",
                hint="remove the link or use another name.",
            )
        return target

    # ------------------------------------------------------------------ containers

    def ensure_container(self, container: str) -> Path:
        folder = self._container_dir(container)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def list_containers(self) -> list[BlobContainerInfo]:
        if not self.root.is_dir():
            return []
        out = []
        for entry in sorted(self.root.iterdir()):
            if entry.is_dir() and _CONTAINER_RE.fullmatch(entry.name):
                out.append(BlobContainerInfo(entry.name, blob_count=len(self.list_blobs(entry.name))))
        return out

    def check_writable(self, container: str) -> str | None:
        """None when a blob can be written to `container` now; otherwise the reason, for health checks."""
        folder = self._container_dir(container)
        if not folder.is_dir():
            return f"container {container!r} does not exist under {self.root}"
        probe = folder / f".probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            return f"container {container!r} is not writable ({exc.strerror or type(exc).__name__})"
        return None

    # ------------------------------------------------------------------ blobs

    def put(self, container: str, path: str, data: bytes) -> str:
        """Write a blob (replacing one of the same name); returns its blob path `<container>/<path>`."""
        target = self._blob_file(container, path)
        if not self._container_dir(container).is_dir():
            raise NotFoundError(
                f"container {container!r} does not exist in {self.root}.",
                hint="create it first (ensure_container) or check the storage account.",
            )
        staging = self.root / _STAGING
        staging.mkdir(exist_ok=True)
        tmp = staging / uuid.uuid4().hex
        try:
            tmp.write_bytes(data)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
        return f"{container}/{path}"

    def get(self, container: str, path: str) -> bytes:
        target = self._blob_file(container, path)
        try:
            return target.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFoundError(
                f"blob {container}/{path} does not exist.", hint="check the document's blob_path."
            ) from None

    def exists(self, container: str, path: str) -> bool:
        return self._blob_file(container, path).is_file()

    blob_exists = exists  # the BlobStore port's name

    def delete(self, container: str, path: str) -> bool:
        """Delete a blob; False when it was not there. Empty parent folders are pruned."""
        target = self._blob_file(container, path)
        try:
            target.unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        base = self._container_dir(container)
        parent = target.parent
        while parent != base:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
        return True

    def list_blobs(self, container: str, prefix: str = "") -> list[str]:
        """Blob names in a container (relative to it), sorted; probe files are not blobs."""
        base = self._container_dir(container)
        if not base.is_dir():
            raise NotFoundError(
                f"container {container!r} does not exist in {self.root}.",
                hint="list the containers with list_containers().",
            )
        names = (
            Path(dirpath, name).relative_to(base).as_posix()
            for dirpath, _dirs, files in os.walk(base)
            for name in files
            if not name.startswith(".probe-")
        )
        return sorted(n for n in names if n.startswith(prefix))
