"""The shared ledger: one append blob every operator and CI runner appends its runs to, one linear chain.

Layout in the audit container (under `audit.prefix`):

    ledger.jsonl                      an append blob, one JSON line per published run
    ledger.head                       {"count", "digest"} of the newest line a publisher has seen
    runs/<date>/<run folder>/...      the run's artifacts (notebook, HTML, evidence), as in outputs/

A shared line wraps the local ledger line of the run it publishes: its own `seq` and `prev` (sha256 of the
shared line before it, so the shared chain is linear whoever wrote it), `entry` (the local line, as written),
`digest` (sha256 of that local line, so local and shared can be compared byte for byte), `origin` (the
machine and outputs folder it came from, so a reviewer can tell which folder a missing local run belonged
to) and when it was published.

Many writers, one chain: an append is conditional on the blob's length (`appendpos_condition`), which is
the length the writer read the chain's tail at. A writer that lost the race gets 412, re-reads the tail and
links to the line that won. The head blob is only ever moved forward (`if_match` on its etag). An append
blob takes at most 50,000 appends (Azure's limit): that is 50,000 runs per prefix; start a new prefix then.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apexops.errors import LedgerError
from apexops.ledger import GENESIS, canonical_line, line_digest
from apexops.shared.store import blob_name, store_errors

__all__ = [
    "HEAD_BLOB",
    "LEDGER_BLOB",
    "SharedLedger",
    "SharedLine",
    "origin_of",
]

LEDGER_BLOB = "ledger.jsonl"
HEAD_BLOB = "ledger.head"
#: a writer that keeps losing the race to append gives up after this many tries (each re-reads the tail)
MAX_APPEND_TRIES = 200
#: the first guess of how many bytes hold the last line (doubled until a whole line is in it)
_TAIL_BYTES = 16384


def origin_of(outputs: Path) -> str:
    """Which machine and outputs folder a published run came from (stable while the folder stays put)."""
    return f"{socket.gethostname()}:{Path(outputs).resolve()}"


@dataclass(frozen=True)
class SharedLine:
    """One line of the shared ledger: its 1-based number, exact text and parsed content (None: unreadable)."""

    number: int
    text: str
    data: dict[str, Any] | None

    @property
    def entry(self) -> dict[str, Any]:
        entry = (self.data or {}).get("entry")
        return entry if isinstance(entry, dict) else {}

    @property
    def run_id(self) -> str:
        return str((self.data or {}).get("run_id") or self.entry.get("run_id") or "?")

    @property
    def origin(self) -> str:
        return str((self.data or {}).get("origin") or "")

    @property
    def label(self) -> str:
        return f"shared line {self.number} (run {self.run_id})" if self.data else f"shared line {self.number}"

    def consistent(self) -> bool:
        """The recorded digest is the digest of the recorded local line (no field rewritten alone)."""
        return self.data is not None and self.data.get("digest") == line_digest(canonical_line(self.entry))


def _parse(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None)


class SharedLedger:
    """The shared ledger and artifacts under one prefix of a container (any `ContainerClient`)."""

    def __init__(
        self, container: Any, prefix: str = "", *, where: str = "", options: dict[str, Any] | None = None
    ):
        self.container = container
        self.prefix = prefix
        self.where = where or str(getattr(container, "url", "the audit container")).split("?")[0]
        #: per-call keyword arguments for every request (e.g. `retry_total=0` when a run must not wait)
        self.options = dict(options or {})
        self._ledger = container.get_blob_client(blob_name(prefix, LEDGER_BLOB))
        self._head = container.get_blob_client(blob_name(prefix, HEAD_BLOB))

    def name(self, *parts: str) -> str:
        return blob_name(self.prefix, *parts)

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        with store_errors(self.where):
            yield

    # ------------------------------------------------------------------ reading

    def size(self) -> int:
        """The ledger blob's length in bytes (0 when nothing was published yet)."""
        from azure.core.exceptions import ResourceNotFoundError  # lazy: azure-core only once publishing

        with self._errors():
            try:
                return int(self._ledger.get_blob_properties(**self.options).size)
            except ResourceNotFoundError:
                return 0

    def read(self, offset: int = 0) -> list[SharedLine]:
        """Every line from byte `offset` (a line boundary) on; numbers count from the first line read."""
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError  # lazy: see size()

        with self._errors():
            try:
                data = self._ledger.download_blob(offset=offset or None, **self.options).readall()
            except ResourceNotFoundError:
                return []
            except HttpResponseError as exc:
                if _status(exc) == 416:  # nothing after `offset`
                    return []
                raise
        text = data.decode("utf-8", errors="replace")
        rows = [t for t in text.split("\n") if t.strip()]
        return [SharedLine(n, t, _parse(t)) for n, t in enumerate(rows, 1)]

    def _last_line(self, size: int) -> str | None:
        """The ledger's last line, read from its tail (a few KB, whatever the ledger's length)."""
        span = _TAIL_BYTES
        while size:
            start = max(0, size - span)
            with self._errors():
                data: bytes = self._ledger.download_blob(
                    offset=start, length=size - start, **self.options
                ).readall()
            body = data.rstrip(b"\n")
            cut = body.rfind(b"\n")
            if cut >= 0 or start == 0:
                return body[cut + 1 :].decode("utf-8", errors="replace")
            span *= 4
        return None

    def head(self) -> dict[str, Any] | None:
        content, _ = self._read_head()
        return content

    def _read_head(self) -> tuple[dict[str, Any] | None, str | None]:
        from azure.core.exceptions import ResourceNotFoundError  # lazy: see size()

        with self._errors():
            try:
                download = self._head.download_blob(**self.options)
                data, etag = download.readall(), download.properties.etag
            except ResourceNotFoundError:
                return None, None
        parsed = _parse(data.decode("utf-8", errors="replace"))
        return (parsed if parsed is not None else {"count": -1, "digest": "invalid"}), etag

    # ------------------------------------------------------------------ appending

    def _create(self) -> None:
        """Create the append blob unless it exists (never over an existing one: that would erase history)."""
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError  # lazy: see size()

        with self._errors(), contextlib.suppress(ResourceExistsError, ResourceModifiedError):
            self._ledger.create_append_blob(if_none_match="*", **self.options)

    def append(
        self,
        entry_line: str,
        *,
        origin: str,
        before: Callable[[int], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> tuple[dict[str, Any], int]:
        """Append the local line `entry_line` as the next link of the chain; returns (shared record, offset).

        `before(offset)` is called once, before the first append is tried, with the length the chain had
        then: the publisher records it, so after a crash it knows from where to look for its own line.
        """
        from azure.core.exceptions import HttpResponseError  # lazy: see size()

        entry = json.loads(entry_line)
        size = self.size()
        if size == 0:
            self._create()
        if before is not None:
            before(size)
        for attempt in range(MAX_APPEND_TRIES):
            last = self._last_line(size)
            record = self._record(entry_line, entry, last, origin, now())
            data = (canonical_line(record) + "\n").encode("utf-8")
            try:
                with self._errors():
                    self._ledger.append_block(data, appendpos_condition=size, **self.options)
                return record, size
            except HttpResponseError as exc:
                if _status(exc) != 412:  # anything but "someone appended first"
                    raise LedgerError(
                        f"could not append to the shared ledger {self.where}/{self._ledger.blob_name}: "
                        f"{str(exc).splitlines()[0]}",
                        hint="check the blob is an append blob that apexops created; "
                        "`apexops runs verify --shared` names what differs.",
                    ) from None
            sleep(min(0.05, 0.002 * attempt))  # another writer won this round: re-read the tail
            size = self.size()
        raise LedgerError(
            f"gave up appending to the shared ledger after {MAX_APPEND_TRIES} lost races.",
            hint="the run stays recorded locally; `apexops runs publish` tries again.",
        )

    def _record(
        self, entry_line: str, entry: dict[str, Any], last: str | None, origin: str, when: datetime
    ) -> dict[str, Any]:
        if last is None:
            prev, seq = GENESIS, 1
        else:
            parsed = _parse(last)
            if parsed is None or not isinstance(parsed.get("seq"), int):
                raise LedgerError(
                    f"the last line of the shared ledger {self.where} is unreadable.",
                    hint="run `apexops runs verify --shared` and restore the ledger blob from a version.",
                )
            prev, seq = line_digest(last), parsed["seq"] + 1
        return {
            "seq": seq,
            "prev": prev,
            "run_id": entry.get("run_id"),
            "environment": entry.get("environment"),
            "origin": origin,
            "digest": line_digest(entry_line),
            "published_at": when.isoformat(timespec="seconds"),
            "entry": entry,
        }

    def advance_head(self, record: dict[str, Any]) -> None:
        """Move the head to `record` unless it already points at it or further (many writers: if_match)."""
        from azure.core import MatchConditions  # lazy: see size()
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

        line = canonical_line(record)
        body = json.dumps({"count": record["seq"], "digest": line_digest(line)}) + "\n"
        for _ in range(MAX_APPEND_TRIES):
            head, etag = self._read_head()
            count = (head or {}).get("count")
            if isinstance(count, int) and count >= record["seq"]:
                return
            try:
                with self._errors():
                    meta = {"count": str(record["seq"])}  # readable with a HEAD request (preflight)
                    if etag is None:
                        self._head.upload_blob(body, overwrite=False, metadata=meta, **self.options)
                    else:
                        self._head.upload_blob(
                            body,
                            overwrite=True,
                            metadata=meta,
                            etag=etag,
                            match_condition=MatchConditions.IfNotModified,
                            **self.options,
                        )
                return
            except (ResourceExistsError, ResourceModifiedError):
                continue  # another publisher moved it first: read it again

    # ------------------------------------------------------------------ artifacts

    def artifact_digests(self, folder: str = "runs") -> dict[str, str]:
        """sha256 (blob metadata) of every artifact under `folder`, by path relative to the prefix."""
        base = self.name(folder) + "/"
        strip = len(self.name()) + 1 if self.name() else 0
        with self._errors():
            return {
                b.name[strip:]: str((b.metadata or {}).get("sha256", ""))
                for b in self.container.list_blobs(
                    name_starts_with=base, include=["metadata"], **self.options
                )
            }

    def upload_artifact(self, rel: str, path: Path, digest: str) -> None:
        """Upload one artifact (overwrites a blob whose content differs; the caller checks first)."""
        from azure.storage.blob import ContentSettings  # lazy: azure-storage-blob costs ~0.3 s

        kind = {".html": "text/html", ".ipynb": "application/x-ipynb+json", ".json": "application/json"}
        settings = ContentSettings(content_type=kind.get(path.suffix, "application/octet-stream"))
        with self._errors(), path.open("rb") as fh:
            self.container.upload_blob(
                self.name(rel),
                fh,
                overwrite=True,
                metadata={"sha256": digest},
                content_settings=settings,
                max_concurrency=4,
                **self.options,
            )

    def upload_text(self, rel: str, text: str, content_type: str = "text/html") -> str:
        """Upload a generated page (e.g. the shared index); returns the blob's URL."""
        from azure.storage.blob import ContentSettings  # lazy: see upload_artifact()

        with self._errors():
            blob = self.container.upload_blob(
                self.name(rel),
                text.encode("utf-8"),
                overwrite=True,
                content_settings=ContentSettings(content_type=content_type),
                **self.options,
            )
        return str(blob.url).split("?")[0]

    def head_properties(self) -> Any:
        """The head blob's properties (`metadata["count"]`: lines it records; `version_id` when the account
        keeps blob versions), without reading it; None before the first publish."""
        from azure.core.exceptions import ResourceNotFoundError  # lazy: see size()

        with self._errors():
            try:
                return self._head.get_blob_properties(**self.options)
            except ResourceNotFoundError:
                return None
