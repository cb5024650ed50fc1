"""The procedure runner: one audited, headless execution of a notebook with papermill.

Papermill alone is not an audit trail: after a cell timeout or a kernel death it leaves `exception: null`
and every cell "completed", it writes secrets passed as parameters into the output, and an unknown
parameter is only a warning. So the runner:

- validates the procedure, the environment and every parameter (names, types, no secrets) before anything
  runs, with one-line errors naming the parameter and the fix;
- seeds `metadata.apexops` (run id, procedure, environment, operator, git commit) before execution, always
  passes a per-cell timeout and saves after every cell, so even a dead kernel leaves a notebook;
- runs papermill in a worker thread so that Ctrl-C and SIGTERM reach the runner, not nbclient: the kernel
  is interrupted first (the notebook's own cleanup runs, e.g. a canary restores traffic), then killed
  after a grace period;
- stamps its own outcome (succeeded, failed, timed_out, kernel_died, interrupted) into the notebook, an
  outcome cell, the HTML banner and the ledger; scrubs secrets from every artifact; renames the run folder
  to its final name; appends the ledger line; regenerates `outputs/index.html`;
- records runs whose process vanished (a child run inside a kernel that died, a runner killed with
  SIGKILL): each run folder names its owner process, and a run found `_running_` with its owner gone is
  recorded as `kernel_died` by the next run in the same outputs folder (or `apexops runs recover`).
"""

from __future__ import annotations

import ast
import contextlib
import logging
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apexops import kernel
from apexops.catalog import Procedure, resolve
from apexops.errors import ConfigError
from apexops.execution import Control, classify, execute
from apexops.ledger import Ledger, file_digest
from apexops.procparams import coerce_cli_value, parse_cli_parameters, validate_parameters
from apexops.redact import Redactor

__all__ = [
    "DEFAULT_CELL_TIMEOUT_S",
    "EXIT_CODES",
    "OUTCOMES",
    "RunInterrupted",
    "RunResult",
    "coerce_cli_value",
    "git_state",
    "parse_cli_parameters",
    "run_procedure",
    "validate_parameters",
]

log = logging.getLogger(__name__)

OUTCOMES = ("succeeded", "failed", "timed_out", "kernel_died", "interrupted")
#: process exit code per outcome (`apexops run`); 2 and 3 are ConfigError and ApprovalRequired
EXIT_CODES = {"succeeded": 0, "failed": 1, "timed_out": 4, "kernel_died": 5, "interrupted": 130}
DEFAULT_CELL_TIMEOUT_S = 600.0
#: in a run folder while it runs: who runs it, and what is needed to record it if that process vanishes
OWNER_FILE = ".owner.json"
INTERRUPT_GRACE_S = 15.0


@dataclass(frozen=True)
class RunResult:
    run_id: str
    procedure: str
    env: str
    outcome: str
    notebook_path: Path
    html_path: Path | None
    evidence_dir: Path
    facts: dict[str, Any]
    error: str | None
    ledger_line: dict[str, Any]
    run_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "succeeded"

    @property
    def exit_code(self) -> int:
        """The CLI's exit code: per outcome; a failed approval gate exits 3 like ApprovalRequired."""
        if self.outcome == "failed" and (self.error or "").startswith("ApprovalRequired"):
            return 3
        return EXIT_CODES.get(self.outcome, 1)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM reached the runner: the run was interrupted AND recorded; `.result` is its RunResult.

    It is a KeyboardInterrupt so that a caller (a script, the 90-release notebook) stops too, as the operator
    asked, instead of carrying on with the next step.
    """

    def __init__(self, result: RunResult) -> None:
        super().__init__(f"run {result.run_id} ({result.procedure}) interrupted: {result.error}")
        self.result = result


# --------------------------------------------------------------------------- provenance


def git_state(root: Path, paths: tuple[str, ...] = ("notebooks", "apexops")) -> dict[str, Any]:
    """The playbooks' commit and whether notebooks/ or apexops/ differ from it (None when not in git)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=normal", "--", *paths)
    return {"commit": commit.strip(), "dirty": bool(status.strip()) if status is not None else None}


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- execution


# --------------------------------------------------------------------------- recording


def _fix_cell_states(nb: Any, index: int | None, outcome: str) -> None:
    """Papermill marks every cell 'completed' after a timeout or a dead kernel; say what really happened."""
    if index is None or outcome not in ("timed_out", "kernel_died", "interrupted"):
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


def _outcome_cell(info: dict[str, Any]) -> Any:
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
    import json

    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _relocate(obj: Any, old: str, new: str) -> Any:
    if isinstance(obj, str):
        return obj.replace(old, new) if old in obj else obj
    if isinstance(obj, dict):
        for k in list(obj):
            obj[k] = _relocate(obj[k], old, new)
        return obj
    if isinstance(obj, list):
        return [_relocate(v, old, new) for v in obj]
    return obj


def _reference_parameters(proc: Procedure, params: Mapping[str, Any]) -> list[str]:
    """Environment variable names the run refers to through `*_env` parameters (passed or defaults)."""
    from apexops.redact import is_reference_name

    refs = [v for k, v in params.items() if is_reference_name(k) and isinstance(v, str)]
    for p in proc.parameters():
        if is_reference_name(p.name) and p.name not in params:
            with contextlib.suppress(ValueError, SyntaxError):
                value = ast.literal_eval(p.default)
                if isinstance(value, str):
                    refs.append(value)
    return refs


def _settings_references(settings: Any) -> list[str]:
    """Environment variables named by the settings that hold secret material (a database URL)."""
    refs = []
    url_env = getattr(getattr(settings, "database", None), "url_env", None)
    if url_env:
        refs.append(url_env)
    return refs


def run_procedure(
    procedure: str,
    *,
    env: str = "local",
    parameters: dict[str, Any] | None = None,
    outputs: Path | None = None,
    cell_timeout_s: float | None = None,
    parent_run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
    notebooks: Path | None = None,
    interrupt_grace_s: float = INTERRUPT_GRACE_S,
) -> RunResult:
    """Run one procedure headless and record it; returns the outcome (a failed run is a result, not an error).

    Raises ConfigError / SecretInParameterError / UnknownProcedureError before anything runs when the input
    is wrong. Ctrl-C / SIGTERM to this process: the kernel is interrupted (the running cell can clean up),
    the run is recorded as `interrupted`, then RunInterrupted (a KeyboardInterrupt carrying the RunResult)
    is raised so the caller stops too.
    """
    import nbformat

    from apexops.settings import load_settings, project_root

    def say(message: str) -> None:
        if progress:
            with contextlib.suppress(Exception):
                progress(message)

    proc = resolve(procedure, notebooks)
    settings = load_settings(env)
    params = validate_parameters(proc, env, parameters or {})
    source_nb = nbformat.read(str(proc.path), as_version=4)
    meta_in = dict(source_nb.metadata.get("apexops") or {})
    timeout_s = float(cell_timeout_s or meta_in.get("cell_timeout_s") or DEFAULT_CELL_TIMEOUT_S)
    if timeout_s <= 0:
        raise ConfigError(
            f"cell timeout must be positive (got {timeout_s:g}).", hint="pass e.g. --cell-timeout 600"
        )

    out_root = kernel.outputs_root(outputs)
    out_root.mkdir(parents=True, exist_ok=True)
    parent = parent_run_id or os.environ.get("APEXOPS_RUN_ID") or None
    run_id = kernel.new_run_id()
    started = _now()
    operator, operator_source = kernel.operator_identity()
    root = project_root()
    git = git_state(root)
    try:
        source_rel = proc.path.resolve().relative_to(root).as_posix()
    except ValueError:
        source_rel = str(proc.path.resolve())
    base = f"{started:%Y%m%d-%H%M%S}_{proc.slug}_{env}"
    runs_dir = out_root / "runs" / f"{started:%Y-%m-%d}"
    run_dir = runs_dir / f"{base}_running_{run_id}"
    (run_dir / "evidence").mkdir(parents=True, exist_ok=True)
    running_nb = run_dir / f"{run_dir.name}.ipynb"

    seeded = {
        "run_id": run_id,
        "procedure": proc.slug,
        "env": env,
        "operator": operator,
        "operator_source": operator_source,
        "git": git,
        "source": source_rel,
        "started_at": started.isoformat(timespec="seconds"),
        "parent_run_id": parent,
        "cell_timeout_s": timeout_s,
        "outcome": "running",
    }
    source_nb.metadata["apexops"] = {**meta_in, **seeded}
    kernel_env = {
        **os.environ,
        "APEXOPS_RUN_ID": run_id,
        "APEXOPS_PROCEDURE": proc.slug,
        "APEXOPS_ENV": env,
        "APEXOPS_RUN_DIR": str(run_dir),
        "APEXOPS_OUTPUTS": str(out_root),
        "APEXOPS_HEADLESS": "1",
        "PLOTLY_RENDERER": "plotly_mimetype",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    kernel_env.pop("APEXOPS_PARENT_RUN", None)
    if parent:
        kernel_env["APEXOPS_PARENT_RUN"] = parent
    control = Control(kernel_env=kernel_env, cwd=proc.path.parent.resolve(), progress=progress)
    references = _reference_parameters(proc, params)
    _write_owner(run_dir, proc=proc, env=env, params=params, seeded=seeded)
    recover_abandoned(out_root)  # earlier runs in this folder whose process vanished get their record now

    say(f"run {run_id}: {proc.slug} on {env} (cell timeout {timeout_s:g} s)")
    exc, interrupted = execute(source_nb, running_nb, params, timeout_s, control, interrupt_grace_s)
    outcome, error = classify(exc, interrupted, control, timeout_s)
    ended = _now()
    say(f"recording: {outcome}")
    result = _record(
        proc=proc,
        env=env,
        settings=settings,
        params=params,
        out_root=out_root,
        run_dir=run_dir,
        running_nb=running_nb,
        seeded_nb=source_nb,
        seeded=seeded,
        outcome=outcome,
        error=error,
        ended=ended,
        control=control,
        source_digest=file_digest(proc.path),
        references=references,
    )
    if outcome == "kernel_died":  # child runs inside the dead kernel lost their runner with it
        for child in recover_abandoned(out_root, parent_run_id=run_id):
            say(f"recorded child run {child.run_id} ({child.procedure}): {child.outcome}")
    if interrupted:
        raise RunInterrupted(result)
    return result


# --------------------------------------------------------------------------- abandoned runs


def _process_start(pid: int) -> str | None:
    """The process's start time (Linux /proc): tells a live owner from a reused pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _live(pid: int) -> bool:
    """Running (a zombie has finished; only its parent's wait is missing)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _write_owner(
    run_dir: Path, *, proc: Procedure, env: str, params: dict[str, Any], seeded: dict[str, Any]
) -> None:
    import json

    pid = os.getpid()
    owner = {
        "pid": pid,
        "pid_start": _process_start(pid),
        "notebook": str(proc.path.resolve()),
        "env": env,
        "parameters": params,  # validated: no secret values, references only
        "seeded": seeded,
    }
    (run_dir / OWNER_FILE).write_text(json.dumps(owner, default=str), encoding="utf-8")


def _owner_gone(owner: dict[str, Any]) -> bool:
    """The process that wrote the owner file has ended (a reused pid has another start time)."""
    pid = int(owner.get("pid") or 0)
    if pid <= 0:
        return True
    if not Path("/proc").is_dir():  # no /proc: only kill(0) can tell
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return not _live(pid) or owner.get("pid_start") not in (None, _process_start(pid))


def recover_abandoned(outputs: Path | None = None, *, parent_run_id: str | None = None) -> list[RunResult]:
    """Record every `_running_` run in `outputs` whose owner process is gone, as `kernel_died`.

    Without this a child run of a kernel that died (90-release's children run inside its kernel) or a run
    whose `apexops run` was SIGKILLed would never reach the ledger. `parent_run_id` limits it to that run's
    children. Runs whose owner is alive (another operator's run in progress) are left alone.
    """
    import json

    from apexops.settings import load_settings

    out_root = kernel.outputs_root(outputs)
    results: list[RunResult] = []
    for run_dir in sorted(out_root.glob("runs/*/*_running_*")):
        try:
            owner = json.loads((run_dir / OWNER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not ours to judge (being created, or from an older apexops)
        seeded = owner.get("seeded") or {}
        if parent_run_id and seeded.get("parent_run_id") != parent_run_id:
            continue
        if not _owner_gone(owner):
            continue
        claim = run_dir.with_name(run_dir.name.replace("_running_", "_recovering_", 1))
        try:
            run_dir.rename(claim)  # atomic: of two runs recovering at once, one records it
        except OSError:
            continue
        (claim / OWNER_FILE).unlink(missing_ok=True)
        _stop_orphaned_kernel(str(seeded.get("run_id") or ""))  # it would write on after the record
        proc = _procedure_of(owner, seeded)
        env = str(owner.get("env") or seeded.get("env") or "local")
        params = dict(owner.get("parameters") or {})
        running_nb = claim / f"{run_dir.name}.ipynb"
        control = Control(kernel_env={}, cwd=claim)
        control.cell_index = _running_cell(running_nb)
        parent = seeded.get("parent_run_id")
        error = (
            f"abandoned: the process that ran it (pid {owner.get('pid')}"
            + (f", inside parent run {parent}" if parent else "")
            + ") is gone; recorded afterwards from the notebook as saved after its last finished cell."
        )
        try:
            result = _record(
                proc=proc,
                env=env,
                settings=load_settings(env),
                params=params,
                out_root=out_root,
                run_dir=claim,
                running_nb=running_nb,
                seeded_nb=_seeded_notebook(proc, seeded),
                seeded=seeded,
                outcome="kernel_died",
                error=error,
                ended=_now(),
                control=control,
                source_digest=file_digest(proc.path) if proc.path.exists() else "",
                references=_reference_parameters(proc, params),
            )
        except Exception as exc:  # never let an old run block a new one: put it back for the next try
            log.warning("could not record abandoned run %s: %r", seeded.get("run_id"), exc)
            with contextlib.suppress(OSError):
                claim.rename(run_dir)
                (run_dir / OWNER_FILE).write_text(json.dumps(owner, default=str), encoding="utf-8")
            continue
        results.append(result)
    return results


def _stop_orphaned_kernel(run_id: str, grace_s: float = 5.0) -> None:
    """End the run's kernel if it outlived its runner (ipykernel notices a dead parent only by polling).

    Only kernel processes: anything else that inherited the run id (a canary's traffic guard, a sandbox
    started from the notebook) has its own job to finish.
    """
    import signal
    import time

    if not run_id or not Path("/proc").is_dir():
        return
    marker = f"APEXOPS_RUN_ID={run_id}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                is_kernel = b"ipykernel" in (entry / "cmdline").read_bytes()
                if is_kernel and marker in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace_s
        while pids and time.monotonic() < deadline:
            pids = [p for p in pids if _live(p)]
            time.sleep(0.05)
        if not pids:
            return


def _procedure_of(owner: dict[str, Any], seeded: dict[str, Any]) -> Procedure:
    """The run's procedure; if its notebook has since gone, one named from the record (digest left empty)."""
    path = Path(str(owner.get("notebook") or ""))
    if path.is_file():
        return resolve(str(path))
    pid, _, name = str(seeded.get("procedure") or "unknown").partition("-")
    return Procedure(id=pid, name=name or pid, path=path)


def _running_cell(notebook: Path) -> int | None:
    """The index of the cell papermill had marked running when the notebook was last saved."""
    import nbformat

    try:
        nb = nbformat.read(str(notebook), as_version=4)
    except Exception:
        return None
    for i, cell in enumerate(nb.cells):
        if (cell.get("metadata", {}).get("papermill") or {}).get("status") == "running":
            return i
    return None


def _seeded_notebook(proc: Procedure, seeded: dict[str, Any]) -> Any:
    import nbformat

    nb = nbformat.read(str(proc.path), as_version=4) if proc.path.is_file() else nbformat.v4.new_notebook()
    nb.metadata["apexops"] = {**dict(nb.metadata.get("apexops") or {}), **seeded}
    return nb


def _record(
    *,
    proc: Procedure,
    env: str,
    settings: Any,
    params: dict[str, Any],
    out_root: Path,
    run_dir: Path,
    running_nb: Path,
    seeded_nb: Any,
    seeded: dict[str, Any],
    outcome: str,
    error: str | None,
    ended: datetime,
    control: Control,
    source_digest: str,
    references: list[str],
) -> RunResult:
    import nbformat

    from apexops.htmlexport import render_html

    problems: list[str] = []
    run_id = seeded["run_id"]
    (run_dir / OWNER_FILE).unlink(missing_ok=True)
    started = datetime.fromisoformat(seeded["started_at"])
    duration = max(0.0, (ended - started).total_seconds())
    try:
        nb = nbformat.read(str(running_nb), as_version=4) if running_nb.exists() else seeded_nb
    except Exception as read_exc:
        problems.append(f"executed notebook unreadable ({read_exc}); recorded the seeded notebook")
        nb = seeded_nb
    facts = kernel.read_facts(run_dir)
    (run_dir / kernel.FACTS_FILE).unlink(missing_ok=True)
    _fix_cell_states(nb, control.cell_index, outcome)

    # secrets out of everything the run wrote
    redactor = Redactor.for_run(parameters=params, references=[*references, *_settings_references(settings)])
    evidence_dir = run_dir / "evidence"
    counts: dict[str, int] = {}
    before = redactor.total
    for path in sorted(p for p in evidence_dir.rglob("*") if p.is_file()):
        redactor.scrub_file(path)
    counts["evidence"] = redactor.total - before
    before = redactor.total
    nb = redactor.scrub(nb)
    facts = redactor.scrub(facts)
    error = redactor.scrub_text(error) if error else error
    counts["notebook"] = redactor.total - before

    # final name: the outcome is part of it
    final_dir = run_dir.with_name(re.sub(r"_(running|recovering)_", f"_{outcome}_", run_dir.name, count=1))
    try:
        run_dir.rename(final_dir)
    except OSError as exc:
        problems.append(f"could not rename the run folder ({exc})")
        final_dir = run_dir
    nb = _relocate(nb, str(run_dir), str(final_dir))
    facts = _relocate(facts, str(run_dir), str(final_dir))
    (final_dir / running_nb.name).unlink(missing_ok=True)
    nb_path = final_dir / f"{final_dir.name}.ipynb"
    html_path: Path | None = final_dir / f"{final_dir.name}.html"
    evidence_dir = final_dir / "evidence"

    info = {
        **seeded,
        "outcome": outcome,
        "error": error,
        "ended_at": ended.isoformat(timespec="seconds"),
        "duration_s": round(duration, 3),
        "facts": facts,
    }
    nb.metadata["apexops"] = {**nb.metadata.get("apexops", {}), **info, "redactions": dict(counts)}
    pm_meta = nb.metadata.setdefault("papermill", {})
    pm_meta["input_path"] = seeded["source"]
    pm_meta["output_path"] = str(nb_path)
    if outcome != "succeeded":
        pm_meta["exception"] = True
    nb.cells.insert(0, _outcome_cell(info))
    nbformat.write(nb, str(nb_path))

    try:
        text = render_html(nb, banner=info)
        before = redactor.total
        text = redactor.scrub_text(text, patterns=False)
        counts["html"] = redactor.total - before
        assert html_path is not None
        html_path.write_text(text, encoding="utf-8")
    except Exception as exc:
        problems.append(f"HTML export failed: {type(exc).__name__}: {exc}")
        html_path = None

    artifacts = {
        p.relative_to(out_root).as_posix(): file_digest(p)
        for p in [nb_path, *([html_path] if html_path else []), *sorted(evidence_dir.rglob("*"))]
        if p.is_file()
    }
    entry = {
        "v": 1,
        "run_id": run_id,
        "procedure": proc.slug,
        "environment": env,
        "operator": seeded["operator"],
        "operator_source": seeded["operator_source"],
        "git": seeded["git"],
        "source": {"path": seeded["source"], "sha256": source_digest},
        "parameters": params,
        "started_at": seeded["started_at"],
        "ended_at": info["ended_at"],
        "duration_s": info["duration_s"],
        "outcome": outcome,
        "error": error,
        "facts": facts,
        "parent_run_id": seeded["parent_run_id"],
        "run_dir": final_dir.relative_to(out_root).as_posix(),
        "artifacts": artifacts,
        "problems": problems,
    }
    before = redactor.total
    entry = redactor.scrub(entry)
    counts["ledger"] = redactor.total - before
    counts["total"] = sum(counts.values())
    entry["redactions"] = counts
    entry["facts"] = {**entry["facts"], "redactions": counts["total"]}
    line = Ledger(out_root).append(entry)

    try:
        from apexops.index import write_index

        write_index(out_root)
    except Exception as exc:
        log.warning("could not regenerate %s/index.html: %s", out_root, exc)

    if problems and not error:
        log.warning("run %s recorded with problems: %s", run_id, "; ".join(problems))
    return RunResult(
        run_id=run_id,
        procedure=proc.slug,
        env=env,
        outcome=outcome,
        notebook_path=nb_path,
        html_path=html_path,
        evidence_dir=evidence_dir,
        facts=entry["facts"],
        error=error,
        ledger_line=line,
        run_dir=final_dir,
    )
