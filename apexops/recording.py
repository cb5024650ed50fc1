"""Recording a run: what it left becomes its audit record, however it ended.

The same steps for a run that ended under its runner and for one found abandoned (`apexops.recovery`):
the executed notebook as last saved (or the seeded one), its cell states corrected (papermill marks every
cell completed after a timeout or a dead kernel), secrets scrubbed from everything, the folder renamed to
carry the outcome, the notebook and its offline HTML written, the ledger line appended, the index
regenerated.
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops import kernel
from apexops.catalog import Procedure
from apexops.htmlexport import render_html
from apexops.index import write_index
from apexops.ledger import Ledger, file_digest
from apexops.redact import Redactor, is_reference_name
from apexops.status import Outcome

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from apexops.settings import Settings

__all__ = ["EXIT_CODES", "OWNER_FILE", "RunRecord", "RunResult", "record_run", "secret_references"]

log = logging.getLogger(__name__)

#: process exit code per outcome (`apexops run`); 2 and 3 are ConfigError and ApprovalRequired
EXIT_CODES: dict[Outcome, int] = {
    Outcome.SUCCEEDED: 0,
    Outcome.FAILED: 1,
    Outcome.TIMED_OUT: 4,
    Outcome.KERNEL_DIED: 5,
    Outcome.INTERRUPTED: 130,
}
#: in a run folder while it runs: who runs it, and what is needed to record it if that process vanishes
OWNER_FILE = ".owner.json"
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
    """Turn what a run left into its audit record; a failed run is a result, not an error."""
    problems: list[str] = []
    (rec.run_dir / OWNER_FILE).unlink(missing_ok=True)
    nb = _executed_notebook(rec, problems)
    facts = kernel.read_facts(rec.run_dir)
    (rec.run_dir / kernel.FACTS_FILE).unlink(missing_ok=True)

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

    final_dir = _final_folder(rec, problems)
    nb, facts = (
        _relocate(nb, str(rec.run_dir), str(final_dir)),
        _relocate(facts, str(rec.run_dir), str(final_dir)),
    )
    (final_dir / rec.running_nb.name).unlink(missing_ok=True)
    started = datetime.fromisoformat(rec.seeded["started_at"])
    info = {
        **rec.seeded,
        "outcome": rec.outcome,
        "error": error,
        "ended_at": rec.ended.isoformat(timespec="seconds"),
        "duration_s": round(max(0.0, (rec.ended - started).total_seconds()), 3),
        "facts": facts,
    }
    files = [_write_notebook(nb, info, counts, final_dir)]
    html = _render_html(nb, info, problems)
    if html is not None:  # only known values scrubbed: patterns would break the inlined plotly.js
        files.append(final_dir / f"{final_dir.name}.html")
        files[1].write_text(redactor.scrub_text(html, patterns=False), encoding="utf-8")
    tally("html")
    entry = redactor.scrub(_ledger_entry(rec, info, final_dir, files, problems))
    tally("ledger")
    counts["total"] = sum(counts.values())
    entry["redactions"] = counts
    entry["facts"] = {**entry["facts"], "redactions": counts["total"]}
    line = Ledger(rec.out_root).append(entry)
    try:
        write_index(rec.out_root)
    except Exception as exc:
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
    )


# --------------------------------------------------------------------------- steps


def _executed_notebook(rec: RunRecord, problems: list[str]) -> NotebookNode:
    """The notebook as papermill last saved it (the seeded one if it saved nothing), cell states fixed."""
    import nbformat  # the runner's own dependencies load when a run is recorded, not on import

    try:
        nb = nbformat.read(str(rec.running_nb), as_version=4) if rec.running_nb.exists() else rec.seeded_nb
    except Exception as exc:
        problems.append(f"executed notebook unreadable ({exc}); recorded the seeded notebook")
        nb = rec.seeded_nb
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
    final = rec.run_dir.with_name(
        re.sub(r"_(running|recovering)_", f"_{rec.outcome}_", rec.run_dir.name, count=1)
    )
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
    nbformat.write(nb, str(path))
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
