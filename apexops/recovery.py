"""Runs whose process vanished, or whose recording failed, still reach the ledger, once.

A child run inside a kernel that died (90-release's children run in its kernel) or a run whose `apexops
run` was SIGKILLed leaves a `_running_` folder and nothing else. So each run folder names its owner process
(`.owner.json`: pid, start time, and what is needed to record the run), and every new run in the same
outputs folder (or `apexops runs recover`) records the runs whose owner is gone, from the notebook as saved
after its last finished cell. Runs whose owner is alive (another operator's run in progress) are left alone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from apexops import atomic, kernel, processes
from apexops.catalog import Procedure, resolve
from apexops.ledger import OWNER_FILE, Ledger, file_digest
from apexops.polling import poll_until
from apexops.recording import (
    ENDED_MARK,
    RECORD_FAILED,
    RunRecord,
    RunResult,
    owner_data,
    record_run,
    secret_references,
    state_of,
    tidy,
    with_state,
)
from apexops.settings import load_settings
from apexops.status import Outcome

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = ["recover_abandoned", "write_owner"]

log = logging.getLogger(__name__)


def write_owner(run_dir: Path, *, proc: Procedure, params: dict[str, Any], seeded: dict[str, Any]) -> None:
    """Name this process as the run's owner, with what a later run needs to record it if we vanish.

    Recording the run removes the file once its ledger line is written (`apexops.recording.record_run`).
    """
    atomic.write_text(run_dir / OWNER_FILE, json.dumps(owner_data(proc, params, seeded), default=str))


def recover_abandoned(outputs: Path | None = None, *, parent_run_id: str | None = None) -> list[RunResult]:
    """Record every unfinished run in `outputs` whose owner process is gone (or gave up recording it).

    An unfinished run is a run folder that still holds its owner file: `_running_` (the runner or its kernel
    vanished: recorded as `kernel_died`), `_record_failed_` (recording failed: recorded with its real
    outcome), or already named for its outcome (killed while recording: that outcome). A run whose ledger
    line was written before the crash is only tidied, so recovery records each run once.
    `parent_run_id` limits it to that run's children (after its kernel died).
    """
    out_root = kernel.outputs_root(outputs)
    recorded = {str(e.get("run_id")): e for e in Ledger(out_root).entries()}
    results = []
    for owner_file in sorted(out_root.glob(f"runs/*/*/{OWNER_FILE}")):
        run_dir = owner_file.parent
        if state_of(run_dir.name) in (None, "recovering"):
            continue
        owner = _abandoned_owner(run_dir, parent_run_id)
        if owner is None:
            continue
        entry = recorded.get(str((owner.get("seeded") or {}).get("run_id")))
        if entry is not None:  # killed after its line was written: only tidying was left
            keep = [out_root / rel for rel in entry.get("artifacts") or {}]
            tidy(run_dir, keep=keep, running_name=f"{with_state(run_dir.name, Outcome.RUNNING)}.ipynb")
            continue
        claim = run_dir.with_name(with_state(run_dir.name, "recovering"))
        try:  # a rename is atomic: of two runs recovering at once, one records it
            run_dir.rename(claim)
        except OSError:
            continue
        if result := _record_abandoned(out_root, run_dir, claim, owner):
            results.append(result)
    return results


def _abandoned_owner(run_dir: Path, parent_run_id: str | None) -> dict[str, Any] | None:
    """The owner file of a run whose owner is gone (None: no file, owner alive, or not a child asked for)."""
    try:
        owner = json.loads((run_dir / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # not ours to judge (being created, or from an older apexops)
    if not isinstance(owner, dict):
        return None
    if parent_run_id and (owner.get("seeded") or {}).get("parent_run_id") != parent_run_id:
        return None
    if state_of(run_dir.name) == RECORD_FAILED:
        return owner  # its runner gave up on it: nobody else will record it
    started = owner.get("pid_start")
    # a pid reused by a newer process has another start time (older owner files wrote no usable one)
    alive = processes.alive(
        int(owner.get("pid") or 0), started=started if isinstance(started, float) else None
    )
    return None if alive else owner


def _how_it_ended(run_dir: Path, owner: dict[str, Any], running_nb: Path) -> tuple[Outcome, str, int | None]:
    """The outcome to record: as the runner saved it, as the folder is named, else `kernel_died`."""
    ended = owner.get("ended")
    marks = [m.name.removeprefix(ENDED_MARK) for m in running_nb.parent.glob(f"{ENDED_MARK}*")]
    if not isinstance(ended, dict) and marks:
        ended = {"outcome": marks[0]}
    if isinstance(ended, dict) and ended.get("outcome") in set(Outcome):
        note = "recorded afterwards by `apexops runs recover`, after recording had failed."
        error = f"{ended['error']} ({note})" if ended.get("error") else note
        return Outcome(ended["outcome"]), error, ended.get("cell_index")
    state = state_of(run_dir.name)
    if state in set(Outcome) - {Outcome.RUNNING, Outcome.RECORD_FAILED}:
        error = (
            "the runner was killed while recording this run; recorded afterwards by `apexops runs recover`."
        )
        return Outcome(str(state)), error, _running_cell(running_nb)
    parent = (owner.get("seeded") or {}).get("parent_run_id")
    error = (
        f"abandoned: the process that ran it (pid {owner.get('pid')}"
        + (f", inside parent run {parent}" if parent else "")
        + ") is gone; recorded afterwards from the notebook as saved after its last finished cell."
    )
    return Outcome.KERNEL_DIED, error, _running_cell(running_nb)


def _record_abandoned(out_root: Path, run_dir: Path, claim: Path, owner: dict[str, Any]) -> RunResult | None:
    seeded = owner.get("seeded") or {}
    _stop_orphaned_kernel(str(seeded.get("run_id") or ""))  # it would write on after the record
    proc = _procedure_of(owner, seeded)
    params = dict(owner.get("parameters") or {})
    running_nb = claim / f"{with_state(run_dir.name, Outcome.RUNNING)}.ipynb"
    outcome, error, cell_index = _how_it_ended(run_dir, owner, running_nb)
    try:
        result = record_run(
            RunRecord(
                proc=proc,
                params=params,
                seeded=seeded,
                out_root=out_root,
                run_dir=claim,
                running_nb=running_nb,
                seeded_nb=_seeded_notebook(proc, seeded),
                outcome=outcome,
                error=error,
                cell_index=cell_index,
                references=secret_references(proc, params, load_settings(str(seeded.get("env") or "local"))),
                source_digest=file_digest(proc.path) if proc.path.exists() else "",
                ended=datetime.now(UTC),
            )
        )
    except Exception as exc:  # never let an old run block a new one: put it back for the next try
        log.warning("could not record abandoned run %s: %r", seeded.get("run_id"), exc)
        with contextlib.suppress(OSError):
            claim.rename(run_dir)
        return None
    if result.outcome is Outcome.RECORD_FAILED:
        log.warning("could not record abandoned run %s: %s", result.run_id, result.error)
        return None
    return result


def _stop_orphaned_kernel(run_id: str, grace_s: float = 5.0) -> None:
    """End the run's kernel if it outlived its runner (ipykernel notices a dead parent only by polling).

    Only kernel processes: anything else that inherited the run id (a canary's traffic guard, a sandbox
    started from the notebook) has its own job to finish.
    """
    if not run_id:
        return
    kernels = [p for p in psutil.process_iter(["cmdline"]) if _is_kernel_of(p, run_id)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in kernels:
            with contextlib.suppress(psutil.Error):
                p.send_signal(sig)
        left = poll_until(
            lambda: [p for p in kernels if processes.alive(p.pid)],
            grace_s,
            until=lambda s: not s,
            interval_s=0.05,
        )
        if left.done:
            return


def _is_kernel_of(process: psutil.Process, run_id: str) -> bool:
    try:
        is_kernel = any("ipykernel" in part for part in process.info.get("cmdline") or ())
        return is_kernel and process.environ().get("APEXOPS_RUN_ID") == run_id
    except psutil.Error:
        return False


def _procedure_of(owner: dict[str, Any], seeded: dict[str, Any]) -> Procedure:
    """The run's procedure; if its notebook has since gone, one named from the record (digest left empty)."""
    path = Path(str(owner.get("notebook") or ""))
    if path.is_file():
        return resolve(str(path))
    pid, _, name = str(seeded.get("procedure") or "unknown").partition("-")
    return Procedure(id=pid, name=name or pid, path=path)


def _running_cell(notebook: Path) -> int | None:
    """The index of the cell papermill had marked running when the notebook was last saved."""
    import nbformat  # the runner's dependencies: only when there is a run to recover

    try:
        nb = nbformat.read(str(notebook), as_version=4)
    except Exception:
        return None
    for i, cell in enumerate(nb.cells):
        if (cell.get("metadata", {}).get("papermill") or {}).get("status") == "running":
            return i
    return None


def _seeded_notebook(proc: Procedure, seeded: dict[str, Any]) -> NotebookNode:
    import nbformat

    nb = nbformat.read(str(proc.path), as_version=4) if proc.path.is_file() else nbformat.v4.new_notebook()
    nb.metadata["apexops"] = {**dict(nb.metadata.get("apexops") or {}), **seeded}
    return nb
