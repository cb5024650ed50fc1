"""Writing a file so that it is either whole or absent: temporary name, fsync, rename.

Every artifact of a run (the executed notebook at each save, the HTML, evidence, facts, the ledger head, the
index) goes through here, so a crash or a full disk never leaves half a file under the final name. The
`fail_on` seam lets the fault-injection suite make any write point raise ENOSPC or EIO without filling a
real disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["FaultHook", "fail_with", "fault_point", "set_fault_hook", "write_bytes", "write_text"]

#: called with the final path before each write; raises OSError to simulate ENOSPC/EIO there (tests)
FaultHook = Callable[[Path], None]
_hook: FaultHook | None = None


def set_fault_hook(hook: FaultHook | None) -> FaultHook | None:
    """Install (or remove, with None) the write-error seam; returns the previous hook."""
    global _hook
    previous, _hook = _hook, hook
    return previous


def fail_with(code: int, match: Callable[[Path], bool] = lambda p: True) -> FaultHook:
    """A hook raising OSError(code) for the paths `match` selects (errno.ENOSPC, errno.EIO)."""

    def hook(path: Path) -> None:
        if match(path):
            raise OSError(code, os.strerror(code), str(path))

    return hook


def fault_point(path: Path) -> None:
    """A write point that does not go through `write_bytes` (the ledger append) calls the seam here."""
    if _hook is not None:
        _hook(Path(path))


def write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write `data` to `path` atomically: a temp file in the same folder, fsync, rename, fsync the folder."""
    path = Path(path)
    fault_point(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def write_text(path: Path, text: str, *, mode: int = 0o644) -> None:
    """`write_bytes` for UTF-8 text."""
    write_bytes(path, text.encode("utf-8"), mode=mode)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems refuse fsync on a directory; the rename is still done
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)
