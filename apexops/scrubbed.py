"""The one way a run's outputs reach the disk: scrubbed with the run's redactor, then written.

Evidence, facts and artifacts can quote what a procedure read (a failed revision's logs, an error text, a
what-if); a secret in them must never be on disk, not even until the next notebook save scrubs the evidence
folder (a SIGKILL in that cell would leave it there). `write_scrubbed` writes whole files atomically
(`apexops.atomic`: an existing symlink is replaced, never written through); `append_scrubbed` adds a line to
a log that must survive an interrupted run line by line (the rollback log, the release's event stream).
`tests/architecture` fails on any other `write_text`/`write_bytes`/write-mode `open` in `apexops/`.
"""

from __future__ import annotations

from pathlib import Path

from apexops import atomic
from apexops.redact import Redactor

__all__ = ["append_scrubbed", "write_scrubbed"]


def write_scrubbed(path: Path, content: str | bytes, *, redactor: Redactor | None = None) -> Path:
    """Write `content` to `path` atomically, scrubbed of the secrets the kernel's redactor knows."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    atomic.write_bytes(path, (redactor or Redactor.for_kernel()).scrub_bytes(data))
    return path


def append_scrubbed(path: Path, text: str, *, redactor: Redactor | None = None) -> Path:
    """Append `text`, scrubbed, to `path` (created when missing): one line of a log kept as the run acts."""
    path = Path(path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write((redactor or Redactor.for_kernel()).scrub_text(text))
    return path
