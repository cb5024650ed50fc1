"""Publishing runs to the shared store: the artifacts, then the ledger line, then the head, then a receipt.

A run is published right after its local ledger line is written (`apexops.recording`), and again by
`apexops runs publish` for every run of the environment that has no `published` receipt yet. The order makes
each step safe to repeat:

1. artifacts are uploaded under `runs/<date>/<run folder>/` unless the store already holds the same bytes
   (sha256 in the blob's metadata), and only when the local file still has the digest its ledger line
   records (an artifact changed after the run is never published as if it were the run's);
2. a `publishing` receipt notes how long the shared ledger was before the append;
3. the line is appended (conditional append, one chain); 4. the head moves forward; 5. a `published`
   receipt. A publish cut short after 3 finds its line from the offset in 2 and does not append it again.

Publishers of one outputs folder take turns (`Ledger.publishing()`), so a run's own publish and a
`runs publish` next to it never race. When the store cannot be reached the run stays recorded locally,
pending, and `runs publish` uploads it later: nothing recorded is lost or published twice.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.errors import ApexopsError, ConfigError, NotSupportedError
from apexops.ledger import Ledger, file_digest, line_digest
from apexops.shared.audit import SharedLedger, SharedLine, origin_of
from apexops.shared.store import store_errors

if TYPE_CHECKING:
    from apexops.ports import AuditStorage

__all__ = [
    "FAST",
    "PublishReport",
    "Published",
    "open_shared",
    "pending",
    "publish_recorded",
    "publish_runs",
    "shared_for",
]

log = logging.getLogger(__name__)

PUBLISHING, PUBLISHED = "publishing", "published"
#: a run that just ended does not wait on a store that is down: one try per request, no backoff
FAST = {"retry_total": 0}


@dataclass
class PublishReport:
    """What one publish did: runs appended, runs already there, artifacts uploaded, what was skipped."""

    appended: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    uploaded: int = 0
    skipped: list[str] = field(default_factory=list)  # artifacts not uploaded, and why

    def summary(self) -> str:
        return (
            f"{len(self.appended)} run(s) published, {len(self.already)} already in the shared ledger, "
            f"{self.uploaded} artifact(s) uploaded"
        )


def _receipts(ledger: Ledger, env: str) -> tuple[set[str], dict[str, int]]:
    """(run ids published, run id -> offset of an unfinished publish) for `env`."""
    done: set[str] = set()
    started: dict[str, int] = {}
    for r in ledger.receipts():
        if r.get("env") != env or not isinstance(r.get("run_id"), str):
            continue
        if r.get("state") == PUBLISHED:
            done.add(r["run_id"])
        elif r.get("state") == PUBLISHING and isinstance(r.get("offset"), int):
            started[r["run_id"]] = min(r["offset"], started.get(r["run_id"], r["offset"]))
    return done, started


def pending(outputs: Path, env: str) -> list[str]:
    """Run ids of `env` recorded in this folder and not published yet, oldest first."""
    ledger = Ledger(outputs)
    done, _ = _receipts(ledger, env)
    return [
        str(e["run_id"])
        for _, e in ledger.lines()
        if e.get("environment") == env and e.get("run_id") not in done
    ]


def publish_runs(
    shared: SharedLedger,
    outputs: Path,
    env: str,
    *,
    run_ids: Iterable[str] | None = None,
    thorough: bool = False,
) -> PublishReport:
    """Publish the runs of `env` recorded in `outputs` that have no `published` receipt (or only `run_ids`).

    Idempotent: a run already in the shared ledger is not appended again; its artifacts are uploaded only
    when missing or different. `thorough` (what `apexops runs publish` does) reads the whole shared ledger
    to find runs already there, so even a folder whose receipts were lost never publishes a run twice; the
    publish after each run relies on the receipts and reads only what an interrupted publish left.
    """
    ledger = Ledger(outputs)
    report = PublishReport()
    wanted = set(run_ids) if run_ids is not None else None
    origin = origin_of(ledger.outputs)
    with ledger.publishing():
        done, started = _receipts(ledger, env)
        todo = [
            (text, e)
            for text, e in ledger.lines()
            if e.get("environment") == env
            and isinstance(e.get("run_id"), str)
            and e["run_id"] not in done
            and (wanted is None or e["run_id"] in wanted)
        ]
        if not todo:
            return report
        ids = {e["run_id"] for _, e in todo}
        found = _already_appended(shared, {r: 0 for r in ids} if thorough else started, ids)
        for text, entry in todo:
            run_id = entry["run_id"]
            _upload_artifacts(shared, ledger.outputs, entry, report)
            record = found.get(run_id)
            if record is None:

                def note(offset: int, run_id: str = run_id) -> None:
                    ledger.add_receipt({"run_id": run_id, "env": env, "state": PUBLISHING, "offset": offset})

                record, _ = shared.append(text, origin=origin, before=note)
                report.appended.append(run_id)
            else:
                report.already.append(run_id)
                if record.get("digest") != line_digest(text):
                    report.skipped.append(
                        f"run {run_id}: the shared ledger holds another version of its line "
                        "(`apexops runs verify --shared` names the difference)"
                    )
            shared.advance_head(record)
            # the digest the shared ledger holds for the run: verify tells later which side changed
            ledger.add_receipt(
                {
                    "run_id": run_id,
                    "env": env,
                    "state": PUBLISHED,
                    "seq": record.get("seq"),
                    "digest": record.get("digest"),
                }
            )
    return report


def _already_appended(
    shared: SharedLedger, started: dict[str, int], todo: set[str]
) -> dict[str, dict[str, Any]]:
    """Shared records of runs whose publish was cut short after the append (looked up from its offset)."""
    interrupted = {r: o for r, o in started.items() if r in todo}
    if not interrupted:
        return {}
    lines: list[SharedLine] = shared.read(min(interrupted.values()))
    return {ln.run_id: ln.data for ln in lines if ln.data is not None and ln.run_id in interrupted}


def _upload_artifacts(
    shared: SharedLedger, outputs: Path, entry: dict[str, Any], report: PublishReport
) -> None:
    """The run's artifacts the store lacks (or holds with other bytes), as recorded in its ledger line."""
    artifacts = entry.get("artifacts") or {}
    if not artifacts:
        return
    run_dir = str(entry.get("run_dir") or "").strip("/")
    remote = shared.artifact_digests(run_dir) if run_dir else shared.artifact_digests()
    for rel, digest in sorted(artifacts.items()):
        if remote.get(rel) == digest:
            continue
        path = outputs / rel
        if not path.is_file():
            report.skipped.append(f"{rel}: missing locally")
            continue
        if file_digest(path) != digest:
            report.skipped.append(f"{rel}: changed after the run (sha256 differs from its ledger line)")
            continue
        shared.upload_artifact(rel, path, digest)
        remote[rel] = digest
        report.uploaded += 1


def shared_for(env: str, *, create: bool = True, options: dict[str, Any] | None = None) -> SharedLedger:
    """The shared ledger of an environment (`connect(env).audit_storage`), its container created if needed.

    Raises NotSupportedError when the target has no shared store, StoreUnavailable when it is down. Every
    request is tried once (`FAST`, unless `options` say otherwise): azure-storage-blob's own retries back off
    15 s and more, so a store that is down would hold a finished run, or a reviewer, for most of a minute.
    """
    from apexops.environment import connect  # the environment's adapters only when publishing

    environment = connect(env)
    try:
        environment.audit_storage.describe()
    except NotSupportedError:
        raise ConfigError(
            f"environment {env!r} has no shared store (lock and audit trail) configured.",
            hint=f"set audit.account (a storage account of its own) in parameters/{env}.yaml.",
        ) from None
    return open_shared(
        environment.audit_storage, environment.settings.audit.prefix, create=create, options=options
    )


def open_shared(
    storage: AuditStorage, prefix: str, *, create: bool = True, options: dict[str, Any] | None = None
) -> SharedLedger:
    """A SharedLedger on the storage's container, checked reachable (and created when `create`)."""
    from azure.core.exceptions import ResourceExistsError  # lazy: azure-core only once the store is used

    options = dict(FAST if options is None else options)
    where = storage.describe()
    with store_errors(where):
        container = storage.container()
        if not create:
            container.get_container_properties(**options)
        elif not container.exists(**options):
            with contextlib.suppress(ResourceExistsError):
                container.create_container(**options)
    return SharedLedger(container, prefix, where=where, options=options)


@dataclass(frozen=True)
class Published:
    """What happened to a just-recorded run's publish: `ok`, or why it is pending (`reason`)."""

    ok: bool
    reason: str = ""
    where: str = ""


def publish_recorded(outputs: Path, env: str, run_id: str) -> Published | None:
    """Publish one run right after its ledger line is written; never raises, never waits on a down store.

    None when the environment has no shared store; otherwise whether the run was published, and if not,
    why (it is pending: recorded locally, published later by `apexops runs publish`).
    """
    try:
        shared = shared_for(env)
    except (NotSupportedError, ConfigError) as exc:  # no shared store on this target, or none configured
        log.debug("run %s not published: %s", run_id, exc)
        return None
    except Exception as exc:  # unreachable, no identity, a bad setting: the run is recorded, publish later
        return _pending(run_id, exc)
    try:
        report = publish_runs(shared, outputs, env, run_ids=[run_id])
    except Exception as exc:  # never fail a recorded run because of the shared store
        return _pending(run_id, exc, shared.where)
    for skipped in report.skipped:
        log.warning("run %s: artifact not published: %s", run_id, skipped)
    return Published(True, where=shared.where)


def _pending(run_id: str, exc: Exception, where: str = "") -> Published:
    reason = str(exc) if isinstance(exc, ApexopsError) else f"{type(exc).__name__}: {exc}"
    log.info(  # the result carries it (`apexops run` prints it); `runs list` counts what is pending
        "run %s is recorded locally but not published to the shared store (%s); "
        "`apexops runs publish` uploads it later.",
        run_id,
        reason.split(" HINT:")[0],
    )
    return Published(False, reason=reason, where=where)
