"""Recording a run: what it left becomes its audit record, however it ended.

The same steps for a run that ended under its runner and for one found abandoned (`apexops.recovery`):
the executed notebook as last saved (or the seeded one), its cell states corrected (papermill marks every
cell completed after a timeout or a dead kernel), secrets scrubbed from everything, the folder renamed to
carry the outcome, the notebook and its offline HTML written, the ledger line appended, the run published
to the environment's shared store (`apexops.shared.publish`: its line appended to the shared ledger, its
artifacts uploaded; a store that is down leaves the run recorded locally and pending, never failed), the
index regenerated.
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import os
import re
import signal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops import atomic, chartimages, kernel, processes, stops
from apexops.catalog import Procedure
from apexops.htmlexport import render_html
from apexops.index import write_index
from apexops.ledger import OWNER_FILE, Ledger, file_digest
from apexops.redact import Redactor, is_reference_name
from apexops.shared.publish import Published, publish_recorded
from apexops.status import Outcome

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from apexops.settings import Settings

__all__ = [
    "ENDED_MARK",
    "EXIT_CODES",
    "OWNER_FILE",
    "RECORD_FAILED",
    "RunRecord",
    "RunResult",
    "fault_kill",
    "owner_data",
    "record_run",
    "secret_references",
    "state_of",
    "tidy",
    "with_state",
]

log = logging.getLogger(__name__)

#: process exit code per outcome (`apexops run`); 2 and 3 are ConfigError and ApprovalRequired
EXIT_CODES: dict[Outcome, int] = {
    Outcome.SUCCEEDED: 0,
    Outcome.FAILED: 1,
    Outcome.TIMED_OUT: 4,
    Outcome.KERNEL_DIED: 5,
    Outcome.INTERRUPTED: 130,
    Outcome.RECORD_FAILED: 7,
}
RECORD_FAILED = Outcome.RECORD_FAILED.value
#: `.ended-<outcome>`: an empty file left when recording failed and not even the owner file could be updated
ENDED_MARK = ".ended-"
#: a run folder's name: <stamp>_<procedure>_<env>_<state>_<run id>, the state one of these words
_STATES = ("recovering", *(o.value for o in Outcome))
_FOLDER = re.compile(rf"^(?P<head>.+?)_(?P<state>{'|'.join(_STATES)})_(?P<id>[0-9a-z]+)$")
#: outcomes after which papermill's cell states lie (every cell "completed")
_STOPPED = (Outcome.TIMED_OUT, Outcome.KERNEL_DIED, Outcome.INTERRUPTED)


@dataclass(frozen=True)
class RunResult:
    run_id: str
    procedure: str
    env: str
    outcome: Outcome
    notebook_path: Path
    html_path: Path | None
    evidence_dir: Path
    facts: dict[str, Any]
    error: str | None
    ledger_line: dict[str, Any]
    run_dir: Path | None = None
    #: the publish to the shared store: None when the environment has none; `.ok` False: pending
    shared: Published | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcome", Outcome(self.outcome))  # a plain word from a caller reads too

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SUCCEEDED

    @property
    def exit_code(self) -> int:
        """The CLI's exit code: per outcome; a failed approval gate exits 3 like ApprovalRequired."""
        if self.outcome is Outcome.FAILED and (self.error or "").startswith("ApprovalRequired"):
            return 3
        return EXIT_CODES.get(self.outcome, 1)


@dataclass(frozen=True)
class RunRecord:
    """What is needed to record one run, whether it ended under its runner or was found abandoned."""

    proc: Procedure
    params: dict[str, Any]
    seeded: dict[str, Any]  # metadata.apexops as seeded before execution: run id, env, operator, git, ...
    out_root: Path
    run_dir: Path
    running_nb: Path  # the notebook papermill saved after each cell
    seeded_nb: NotebookNode  # recorded instead when nothing was saved
    outcome: Outcome
    error: str | None
    cell_index: int | None  # the cell running when the run stopped
    references: tuple[str, ...]  # environment variables whose values are this run's secrets
    source_digest: str
    ended: datetime
    #: the chart renderer started while the notebook ran (`chartimages.prewarm`), used or closed here
    chart_renderer: chartimages.Renderer | None = None


def secret_references(proc: Procedure, params: Mapping[str, Any], settings: Settings) -> tuple[str, ...]:
    """Environment variables holding this run's secrets: `*_env` parameters (passed or defaults) and the
    database URL variable of the settings."""
    refs = [v for k, v in params.items() if is_reference_name(k) and isinstance(v, str)]
    for p in proc.parameters():
        if is_reference_name(p.name) and p.name not in params:
            with contextlib.suppress(ValueError, SyntaxError):
                value = ast.literal_eval(p.default)
                if isinstance(value, str):
                    refs.append(value)
    if settings.database.url_env:
        refs.append(settings.database.url_env)
    return tuple(refs)


def record_run(rec: RunRecord) -> RunResult:
    """Turn what a run left into its audit record; a failed run is a result, not an error.

    An error while recording (a full disk, an I/O error) is a result too: the folder is left named
    `…_record_failed_…` with everything `apexops runs recover` needs to finish the record later (the
    notebook as saved, the facts, the owner file with the real outcome), and the result says so.
    """
    state = _Attempt(folder=rec.run_dir)
    try:
        return _record(rec, state)
    except Exception as exc:  # ENOSPC, EIO, anything: the run must stay recoverable, never half-recorded
        log.debug("recording run %s failed", rec.seeded.get("run_id"), exc_info=True)
        return _record_failed(rec, state, exc)


@dataclass
class _Attempt:
    """Where a recording attempt got to: the folder's current name and the files it wrote."""

    folder: Path
    written: list[Path] = field(default_factory=list)


def _record(rec: RunRecord, state: _Attempt) -> RunResult:
    problems: list[str] = []
    for leftover in rec.run_dir.rglob(".*.tmp"):  # an atomic write cut short by a kill: never an artifact
        leftover.unlink(missing_ok=True)
    nb = _executed_notebook(rec, problems)
    facts = kernel.read_facts(rec.run_dir)

    # secrets out of everything the run wrote; the ledger says how many were hidden where
    redactor = Redactor.for_run(parameters=rec.params, references=rec.references)
    counts: dict[str, int] = {}

    def tally(part: str) -> None:
        counts[part] = redactor.total - sum(counts.values())

    for path in sorted(p for p in (rec.run_dir / "evidence").rglob("*") if p.is_file()):
        redactor.scrub_file(path)
    tally("evidence")
    nb, facts = redactor.scrub(nb), redactor.scrub(facts)
    error = redactor.scrub_text(rec.error) if rec.error else rec.error
    tally("notebook")

    final_dir = state.folder = _final_folder(rec, problems)
    nb, facts = (_relocate(x, str(rec.run_dir), str(final_dir)) for x in (nb, facts))
    # images drawn from the final, scrubbed figures, and never themselves put through the text patterns
    chartimages.add_static_images(nb, problems, renderer=rec.chart_renderer)
    started = datetime.fromisoformat(rec.seeded["started_at"])
    info = {
        **rec.seeded,
        "outcome": rec.outcome,
        "error": error,
        "ended_at": rec.ended.isoformat(timespec="seconds"),
        "duration_s": round(max(0.0, (rec.ended - started).total_seconds()), 3),
        "facts": facts,
    }
    fault_kill("recording")
    state.written.append(_write_notebook(nb, info, counts, final_dir))
    html = _render_html(nb, info, problems)
    if html is not None:  # only known values scrubbed: patterns would break the inlined plotly.js
        state.written.append(final_dir / f"{final_dir.name}.html")
        atomic.write_text(state.written[1], redactor.scrub_text(html, patterns=False))
    tally("html")
    files = list(state.written)
    entry = redactor.scrub(_ledger_entry(rec, info, final_dir, files, problems))
    tally("ledger")
    counts["total"] = sum(counts.values())
    entry["redactions"] = counts
    entry["facts"] = {**entry["facts"], "redactions": counts["total"]}
    line = Ledger(rec.out_root).append(entry)
    fault_kill("recorded")
    tidy(final_dir, keep=files, running_name=rec.running_nb.name)
    fault_kill("publishing")
    shared = publish_recorded(rec.out_root, str(info["env"]), str(info["run_id"]))
    try:
        write_index(rec.out_root)
    except Exception as exc:  # the index is regenerated from the ledger by the next run or `runs index`
        log.warning("could not regenerate %s/index.html: %s", rec.out_root, exc)
    if problems and not error:
        log.warning("run %s recorded with problems: %s", info["run_id"], "; ".join(problems))
    return RunResult(
        run_id=info["run_id"],
        procedure=rec.proc.slug,
        env=info["env"],
        outcome=rec.outcome,
        notebook_path=files[0],
        html_path=files[1] if len(files) > 1 else None,
        evidence_dir=final_dir / "evidence",
        facts=entry["facts"],
        error=error,
        ledger_line=line,
        run_dir=final_dir,
        shared=shared,
    )


def tidy(folder: Path, *, keep: Iterable[Path], running_name: str) -> None:
    """After the ledger line: the working files go (the saved notebook, the facts, the owner file)."""
    keep = set(keep)
    marks = [p.name for p in folder.glob(f"{ENDED_MARK}*")]
    for name in (running_name, kernel.FACTS_FILE, *marks, OWNER_FILE):
        if folder / name not in keep:
            (folder / name).unlink(missing_ok=True)


def _record_failed(rec: RunRecord, state: _Attempt, exc: Exception) -> RunResult:
    """Leave the run `…_record_failed_…` with its real outcome in the owner file, for `runs recover`."""
    for path in state.written:  # half a record is worse than none: recovery writes them again
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    folder = state.folder.with_name(with_state(state.folder.name, RECORD_FAILED))
    try:
        state.folder.rename(folder)
    except OSError:
        folder = state.folder
    redactor = Redactor.for_run(parameters=rec.params, references=rec.references)
    owner = owner_data(rec.proc, rec.params, rec.seeded)
    owner["ended"] = {
        "outcome": str(rec.outcome),
        "error": redactor.scrub_text(rec.error) if rec.error else None,
        "cell_index": rec.cell_index,
        "ended_at": rec.ended.isoformat(),
    }
    try:
        atomic.write_text(folder / OWNER_FILE, json.dumps(owner, default=str))
    except OSError:  # disk full: the first owner file stays; an empty file (no data block) tells the outcome
        with contextlib.suppress(OSError):
            (folder / f"{ENDED_MARK}{rec.outcome}").touch()
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
    where = getattr(exc, "filename", None)
    error = (
        f"the run ended {rec.outcome} but could not be recorded ({reason}"
        + (f": {where}" if where else "")
        + f"); it is kept in {folder}. "
        "HINT: fix the cause (free disk space), then run `apexops runs recover`."
    )
    return RunResult(
        run_id=str(rec.seeded["run_id"]),
        procedure=rec.proc.slug,
        env=str(rec.seeded["env"]),
        outcome=Outcome.RECORD_FAILED,
        notebook_path=folder / rec.running_nb.name,
        html_path=None,
        evidence_dir=folder / "evidence",
        facts={},
        error=redactor.scrub_text(error),
        ledger_line={},
        run_dir=folder,
    )


def owner_data(proc: Procedure, params: dict[str, Any], seeded: dict[str, Any]) -> dict[str, Any]:
    """The owner file: this process, and what a later run needs to record the run if we vanish."""
    return {
        "pid": os.getpid(),
        "pid_start": processes.start_time(os.getpid()),
        "notebook": str(proc.path.resolve()),
        "env": seeded["env"],
        "parameters": params,  # validated: no secret values, references only
        "seeded": seeded,
    }


def with_state(name: str, state: str) -> str:
    """A run folder's name with its state word (running, an outcome, recovering, …) replaced."""
    match = _FOLDER.match(name)
    return f"{match['head']}_{state}_{match['id']}" if match else name


def state_of(name: str) -> str | None:
    """The state word of a run folder's name (`running`, `succeeded`, `record_failed`, …)."""
    match = _FOLDER.match(name)
    return match["state"] if match else None


def fault_kill(phase: str) -> None:
    """The fault-injection suite's SIGKILL at a named phase (`APEXOPS_TEST_KILL_AT`); nothing otherwise."""
    if os.environ.get("APEXOPS_TEST_KILL_AT") == phase:
        os.kill(os.getpid(), signal.SIGKILL)


# --------------------------------------------------------------------------- steps


def _executed_notebook(rec: RunRecord, problems: list[str]) -> NotebookNode:
    """The notebook as papermill last saved it (the seeded one if it saved nothing), cell states fixed."""
    import nbformat  # the runner's own dependencies load when a run is recorded, not on import

    try:
        nb = nbformat.read(str(rec.running_nb), as_version=4) if rec.running_nb.exists() else rec.seeded_nb
    except Exception as exc:
        problems.append(f"executed notebook unreadable ({exc}); recorded the seeded notebook")
        nb = rec.seeded_nb
    stops.strip_papermill_error_cells(nb)  # first: papermill's banner cells shift the cell indices
    _fix_cell_states(nb, rec.cell_index, rec.outcome)
    return nb


def _fix_cell_states(nb: NotebookNode, index: int | None, outcome: Outcome) -> None:
    """Papermill marks every cell 'completed' after a timeout or a dead kernel; say what really happened.

    The cell states are papermill's words (pending, running, completed, failed), not apexops outcomes.
    """
    if index is None or outcome not in _STOPPED:
        return
    for i, cell in enumerate(nb.cells):
        pm_meta = cell.metadata.setdefault("papermill", {})
        if i == index:
            pm_meta["status"] = "failed"
            pm_meta["exception"] = True
            cell.metadata.setdefault("apexops", {})["stopped"] = outcome
        elif i > index:
            pm_meta.update(status="pending", exception=None, start_time=None, end_time=None, duration=None)
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None


def _final_folder(rec: RunRecord, problems: list[str]) -> Path:
    """Rename the run folder so its name carries the outcome (…_<outcome>_<run id>)."""
    final = rec.run_dir.with_name(with_state(rec.run_dir.name, rec.outcome))
    try:
        rec.run_dir.rename(final)
    except OSError as exc:
        problems.append(f"could not rename the run folder ({exc})")
        return rec.run_dir
    return final


def _relocate(obj: Any, old: str, new: str) -> Any:
    """The same structure with the run folder's old path replaced by its final one."""
    if isinstance(obj, str):
        return obj.replace(old, new) if old in obj else obj
    if isinstance(obj, dict):
        for k in list(obj):
            obj[k] = _relocate(obj[k], old, new)
        return obj
    if isinstance(obj, list):
        return [_relocate(v, old, new) for v in obj]
    return obj


def _write_notebook(nb: NotebookNode, info: dict[str, Any], counts: dict[str, int], folder: Path) -> Path:
    """The executed notebook with the run's story in its metadata and an outcome cell on top."""
    import nbformat

    path = folder / f"{folder.name}.ipynb"
    nb.metadata["apexops"] = {**nb.metadata.get("apexops", {}), **info, "redactions": dict(counts)}
    pm_meta = nb.metadata.setdefault("papermill", {})
    pm_meta["input_path"] = info["source"]
    pm_meta["output_path"] = str(path)
    if info["outcome"] is not Outcome.SUCCEEDED:
        pm_meta["exception"] = True
    nb.cells.insert(0, _outcome_cell(info))
    atomic.write_text(path, nbformat.writes(nb))
    return path


def _outcome_cell(info: Mapping[str, Any]) -> NotebookNode:
    import nbformat

    facts = info.get("facts") or {}
    lines = [
        f"## apexops run: {str(info['outcome']).upper()}",
        "",
        "| run | procedure | environment | operator | started (UTC) | duration |",
        "|---|---|---|---|---|---|",
        f"| `{info['run_id']}` | {info['procedure']} | {info['env']} | {info['operator']} | "
        f"{info['started_at']} | {info['duration_s']:.1f} s |",
    ]
    if info.get("parent_run_id"):
        lines += ["", f"Parent run: `{info['parent_run_id']}`"]
    if info.get("error"):
        error_text = str(info["error"]).replace("`", "'")
        lines += ["", f"**Error:** `{error_text}`"]
    if facts:
        lines += ["", "**Facts:** " + "; ".join(f"`{k}` = {_short(v)}" for k, v in facts.items())]
    cell = nbformat.v4.new_markdown_cell("\n".join(lines))
    cell.metadata["tags"] = ["apexops-outcome"]
    return cell


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _render_html(nb: NotebookNode, info: dict[str, Any], problems: list[str]) -> str | None:
    try:
        return render_html(nb, banner=info)
    except Exception as exc:
        problems.append(f"HTML export failed: {type(exc).__name__}: {exc}")
        return None


def _ledger_entry(
    rec: RunRecord, info: Mapping[str, Any], folder: Path, files: Iterable[Path], problems: list[str]
) -> dict[str, Any]:
    seeded = rec.seeded
    evidence = sorted((folder / "evidence").rglob("*"))
    return {
        "v": 1,
        "run_id": seeded["run_id"],
        "procedure": rec.proc.slug,
        "environment": seeded["env"],
        "operator": seeded["operator"],
        "operator_source": seeded["operator_source"],
        "git": seeded["git"],
        "source": {"path": seeded["source"], "sha256": rec.source_digest},
        "parameters": rec.params,
        "started_at": seeded["started_at"],
        "ended_at": info["ended_at"],
        "duration_s": info["duration_s"],
        "outcome": rec.outcome,
        "error": info["error"],
        "facts": info["facts"],
        "parent_run_id": seeded["parent_run_id"],
        "run_dir": folder.relative_to(rec.out_root).as_posix(),
        "artifacts": {
            p.relative_to(rec.out_root).as_posix(): file_digest(p) for p in [*files, *evidence] if p.is_file()
        },
        "problems": problems,
    }
