"""Runbook step 9, Preserve Evidence: the rollback log, the failed revision's logs, the configuration
snapshot and a telemetry excerpt, in one `rollback-evidence-<UTC time>` folder inside the run's evidence.

The rollback log is written line by line as the run acts (`ROLLBACK INITIATED at ...`, every change and
read-back), so an interrupted or failed rollback still leaves its log. The telemetry excerpt holds what
the communication and the root-cause analysis quote: the trigger evaluation, per-bucket counts of the
failed and the restored revision, the user impact, exceptions and the slowest requests of the window.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apexops.deploy.snapshot import SNAPSHOT_FILE, take_snapshot
from apexops.errors import ApexopsError
from apexops.models import TelemetryBucket
from apexops.scrubbed import append_scrubbed, write_scrubbed

__all__ = [
    "RollbackFacts",
    "RollbackLog",
    "UserImpact",
    "bundle_folder",
    "save_logs",
    "save_telemetry",
    "snapshot",
    "user_impact",
]


class RollbackLog:
    """Timestamped lines, kept in memory and appended to `rollback-log.txt` as soon as a folder is set."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock
        self.lines: list[str] = []
        self.path: Path | None = None

    def attach(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "rollback-log.txt"
        return write_scrubbed(self.path, "".join(f"{line}\n" for line in self.lines))

    def write(self, message: str) -> str:
        line = f"{self.clock().isoformat(timespec='seconds')} {message}"
        self.lines.append(line)
        if self.path is not None:
            append_scrubbed(self.path, line + "\n")
        return line


class RollbackFacts(dict[str, Any]):
    """The rollback's facts, recorded (as the run's `rollback` fact) each time `save` is called, so an
    interrupted rollback still says what it did.

    It is the dict the notebook records (`apexops.record("rollback", rb.facts)`), and calling it gives what
    the procedure records as a whole (`rb.facts()` → `{"rollback": {...}}`, for `apexops.finish(rb)`).
    """

    def __init__(self, record: Callable[[str, Any], None], **facts: Any) -> None:
        super().__init__(facts)
        self._record = record

    def save(self) -> None:
        self._record("rollback", dict(self))

    def __call__(self) -> dict[str, Any]:
        return {"rollback": dict(self)}


def snapshot(app: Any, folder: Path) -> Path:
    """current-containerapp-config.json: the app as it was when the rollback began (taken once)."""
    path = folder / SNAPSHOT_FILE
    if not path.exists():
        take_snapshot(app.show(), list(app.list_revisions()), folder)
    return path


def bundle_folder(evidence: Path, at: datetime) -> Path:
    """The runbook's `rollback-evidence-$(date +%Y%m%d-%H%M%S)`, inside the run's evidence folder."""
    folder = evidence / f"rollback-evidence-{at:%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class UserImpact:
    revision: str
    since: datetime
    until: datetime
    requests: int
    errors_5xx: int
    slow: int
    slow_ms: float

    def sentence(self) -> str:
        span = f"between {self.since:%H:%M:%S} and {self.until:%H:%M:%S} UTC"
        if not self.requests:
            return f"no requests reached {self.revision} {span} (telemetry)"
        return (
            f"{self.errors_5xx} failed requests (5xx) and {self.slow} slower than {self.slow_ms:g} ms, of "
            f"{self.requests} served by {self.revision} {span} (telemetry)"
        )

    def to_record(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "since": self.since.isoformat(timespec="seconds"),
            "until": self.until.isoformat(timespec="seconds"),
            "requests": self.requests,
            "errors_5xx": self.errors_5xx,
            "slow": self.slow,
        }


def user_impact(
    buckets: Sequence[TelemetryBucket], revision: str, since: datetime, until: datetime, slow_ms: float
) -> UserImpact:
    mine = [b for b in buckets if b.revision == revision]
    return UserImpact(
        revision,
        since,
        until,
        sum(b.requests for b in mine),
        sum(b.errors_5xx for b in mine),
        sum(b.slow for b in mine),
        slow_ms,
    )


def save_logs(telemetry: Any, revision: str, folder: Path, *, tail: int = 1000) -> Path | None:
    """`az containerapp logs show --revision <failed> --tail 1000 > failed-revision-logs.txt`."""
    path = folder / "failed-revision-logs.txt"
    try:
        lines = telemetry.console_logs(revision, tail=tail)
    except ApexopsError as exc:
        return write_scrubbed(path, f"(logs unavailable: {exc.message})\n")
    text = "".join(f"{x.timestamp.isoformat()} {x.replica} {x.stream} {x.level} {x.message}\n" for x in lines)
    return write_scrubbed(path, text)


def _bucket_row(b: TelemetryBucket) -> dict[str, Any]:
    return {
        "revision": b.revision,
        "start": b.start.isoformat(timespec="seconds"),
        "requests": b.requests,
        "errors_5xx": b.errors_5xx,
        "slow": b.slow,
        "p95_ms": b.p95_ms,
    }


def save_telemetry(
    telemetry: Any,
    folder: Path,
    *,
    since: datetime,
    until: datetime,
    buckets: Sequence[TelemetryBucket],
    triggers: dict[str, Any] | None,
    impact: UserImpact | None,
) -> Path:
    """telemetry-excerpt.json: triggers, buckets, user impact, exceptions and slowest requests."""
    doc: dict[str, Any] = {
        "window": {
            "since": since.isoformat(timespec="seconds"),
            "until": until.isoformat(timespec="seconds"),
        },
        "triggers": triggers,
        "user_impact": impact.to_record() if impact else None,
        "buckets": [_bucket_row(b) for b in buckets if b.requests],
    }
    reads: dict[str, Callable[[], Sequence[Any]]] = {
        "exceptions": lambda: telemetry.exceptions(since, until, limit=100),
        "slowest_requests": lambda: telemetry.slowest_requests(since, until, top=20),
    }
    for key, call in reads.items():
        try:
            doc[key] = [_fields(r) for r in call()]
        except ApexopsError as exc:
            doc[key] = f"unavailable: {exc.message}"
    return write_scrubbed(folder / "telemetry-excerpt.json", json.dumps(doc, indent=2, default=str))


def _fields(record: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return dataclasses.asdict(record)
    return {"value": str(record)}
