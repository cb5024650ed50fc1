"""The procedure runner: one audited, headless execution of a notebook with papermill.

Papermill alone is not an audit trail: after a cell timeout or a kernel death it leaves `exception: null`
and every cell "completed", it writes secrets passed as parameters into the output, and an unknown
parameter is only a warning. So the runner:

- validates the procedure, the environment and every parameter (names, types, no secrets) before anything
  runs, with one-line errors naming the parameter and the fix (`apexops.procparams`);
- seeds `metadata.apexops` (run id, procedure, environment, operator, git commit) before execution, always
  passes a per-cell timeout and saves after every cell, so even a dead kernel leaves a notebook;
- runs papermill so that Ctrl-C and SIGTERM reach the runner, not nbclient: the kernel is interrupted
  first (the notebook's own cleanup runs, e.g. a canary restores traffic), then killed after a grace period
  (`apexops.execution`);
- stamps its own outcome (succeeded, failed, timed_out, kernel_died, interrupted) into the notebook, an
  outcome cell, the HTML banner and the ledger, scrubs secrets from every artifact (`apexops.recording`);
- names itself the run's owner, so that a run whose process vanished is still recorded by the next run in
  the same outputs folder (`apexops.recovery`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops import chartimages, kernel
from apexops.catalog import Procedure, resolve
from apexops.errors import ApexopsError
from apexops.execution import Control, classify, execute
from apexops.ledger import file_digest
from apexops.procparams import check_cell_timeout, validate_parameters
from apexops.recording import RunRecord, RunResult, fault_kill, record_run, secret_references
from apexops.recovery import recover_abandoned, write_owner
from apexops.settings import load_settings, project_root
from apexops.status import Outcome

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = ["DEFAULT_CELL_TIMEOUT_S", "RunInterrupted", "RunResult", "git_state", "run_procedure"]

DEFAULT_CELL_TIMEOUT_S = 600.0
INTERRUPT_GRACE_S = 15.0
Progress = Callable[[str], None]


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM reached the runner: the run was interrupted AND recorded; `.result` is its RunResult.

    It is a KeyboardInterrupt so that a caller (a script, the 90-release notebook) stops too, as the operator
    asked, instead of carrying on with the next step.
    """

    def __init__(self, result: RunResult) -> None:
        super().__init__(f"run {result.run_id} ({result.procedure}) interrupted: {result.error}")
        self.result = result


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


def run_procedure(
    procedure: str,
    *,
    env: str = "local",
    parameters: dict[str, Any] | None = None,
    outputs: Path | None = None,
    cell_timeout_s: float | None = None,
    parent_run_id: str | None = None,
    progress: Progress | None = None,
    notebooks: Path | None = None,
    interrupt_grace_s: float = INTERRUPT_GRACE_S,
) -> RunResult:
    """Run one procedure headless and record it; returns the outcome (a failed run is a result, not an error).

    Raises ConfigError / SecretInParameterError / UnknownProcedureError before anything runs when the input
    is wrong. Ctrl-C / SIGTERM to this process: the kernel is interrupted (the running cell can clean up),
    the run is recorded as `interrupted`, then RunInterrupted (a KeyboardInterrupt carrying the RunResult)
    is raised so the caller stops too.
    """
    import nbformat  # papermill's stack loads with the first run, not with `import apexops.runner`

    proc = resolve(procedure, notebooks)
    settings = load_settings(env)
    params = validate_parameters(proc, env, parameters or {})
    source_nb = nbformat.read(str(proc.path), as_version=4)
    timeout_s = _cell_timeout(cell_timeout_s, source_nb)
    out_root = kernel.outputs_root(outputs)
    parent = parent_run_id or os.environ.get("APEXOPS_RUN_ID") or None
    seeded = _seed(proc, env, timeout_s, parent)
    run_dir = _start_folder(out_root, proc, params, seeded)
    source_nb.metadata["apexops"] = {**dict(source_nb.metadata.get("apexops") or {}), **seeded}
    control = Control(
        kernel_env=_kernel_env(seeded, run_dir, out_root), cwd=proc.path.parent.resolve(), progress=progress
    )
    fault_kill("started")
    recover_abandoned(out_root)  # earlier runs in this folder whose process vanished get their record now

    _say(progress, f"run {seeded['run_id']}: {proc.slug} on {env} (cell timeout {timeout_s:g} s)")
    running_nb = run_dir / f"{run_dir.name}.ipynb"
    renderer = chartimages.prewarm(source_nb)  # Chromium starts while the notebook runs, not after it
    try:
        exc, interrupted = execute(source_nb, running_nb, params, timeout_s, control, interrupt_grace_s)
        outcome, error = classify(exc, interrupted, control, timeout_s)
        _say(progress, f"recording: {outcome}")
        result = record_run(
            RunRecord(
                proc=proc,
                params=params,
                seeded=seeded,
                out_root=out_root,
                run_dir=run_dir,
                running_nb=running_nb,
                seeded_nb=source_nb,
                outcome=outcome,
                error=error,
                cell_index=control.cell_index,
                references=secret_references(proc, params, settings),
                source_digest=file_digest(proc.path),
                ended=datetime.now(UTC),
                chart_renderer=renderer,
            )
        )
    finally:
        if renderer is not None:
            renderer.close()  # used by the recording, or never needed (a dry run drew nothing)
    if outcome is Outcome.KERNEL_DIED:  # child runs inside the dead kernel lost their runner with it
        for child in recover_abandoned(out_root, parent_run_id=result.run_id):
            _say(progress, f"recorded child run {child.run_id} ({child.procedure}): {child.outcome}")
    if interrupted:
        raise RunInterrupted(result)
    return result


def _say(progress: Progress | None, message: str) -> None:
    """Report progress; a broken progress display never stops a run."""
    if progress:
        with contextlib.suppress(Exception):
            progress(message)


def _cell_timeout(given: float | None, nb: NotebookNode) -> float:
    """The per-cell timeout: given, else the notebook's own (metadata.apexops.cell_timeout_s), else 600 s."""
    if given is not None:
        return float(check_cell_timeout(given) or DEFAULT_CELL_TIMEOUT_S)
    own = (nb.metadata.get("apexops") or {}).get("cell_timeout_s")
    return float(check_cell_timeout(float(own)) or DEFAULT_CELL_TIMEOUT_S) if own else DEFAULT_CELL_TIMEOUT_S


def _seed(proc: Procedure, env: str, timeout_s: float, parent: str | None) -> dict[str, Any]:
    """`metadata.apexops` before execution: who runs what, where, from which commit of the playbooks."""
    root = project_root()
    try:
        source = proc.path.resolve().relative_to(root).as_posix()
    except ValueError:
        source = str(proc.path.resolve())
    operator, operator_source = kernel.operator_identity()
    return {
        "run_id": kernel.new_run_id(),
        "procedure": proc.slug,
        "env": env,
        "operator": operator,
        "operator_source": operator_source,
        "git": git_state(root),
        "source": source,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parent_run_id": parent,
        "cell_timeout_s": timeout_s,
        "outcome": Outcome.RUNNING,
    }


def _start_folder(out_root: Path, proc: Procedure, params: dict[str, Any], seeded: dict[str, Any]) -> Path:
    """The run folder with its owner file; if either cannot be written the run does not start and nothing
    is left behind (a folder without an owner file would be a `_running_` folder nobody ever records)."""
    run_dir: Path | None = None
    try:
        run_dir = _run_folder(out_root, proc, seeded)
        write_owner(run_dir, proc=proc, params=params, seeded=seeded)
    except OSError as exc:
        if run_dir is not None:
            shutil.rmtree(run_dir, ignore_errors=True)
            with contextlib.suppress(OSError):
                run_dir.parent.rmdir()  # the day's folder, when this run was its first
        raise ApexopsError(
            f"the run did not start: cannot write its folder in {out_root} ({exc.strerror or exc}).",
            hint="free disk space or pass a writable --outputs folder.",
        ) from exc
    return run_dir


def _run_folder(out_root: Path, proc: Procedure, seeded: dict[str, Any]) -> Path:
    """`runs/<date>/<stamp>_<procedure>_<env>_running_<run id>/`, with its evidence folder."""
    started = datetime.fromisoformat(seeded["started_at"])
    name = f"{started:%Y%m%d-%H%M%S}_{proc.slug}_{seeded['env']}_running_{seeded['run_id']}"
    run_dir = out_root / "runs" / f"{started:%Y-%m-%d}" / name
    (run_dir / "evidence").mkdir(parents=True, exist_ok=True)
    return run_dir


def _kernel_env(seeded: dict[str, Any], run_dir: Path, out_root: Path) -> dict[str, str]:
    """The kernel's environment: this process's, plus the run context `apexops.kernel` reads."""
    env = {
        **os.environ,
        "APEXOPS_RUN_ID": seeded["run_id"],
        "APEXOPS_PROCEDURE": seeded["procedure"],
        "APEXOPS_ENV": seeded["env"],
        "APEXOPS_RUN_DIR": str(run_dir),
        "APEXOPS_OUTPUTS": str(out_root),
        "APEXOPS_HEADLESS": "1",
        "PLOTLY_RENDERER": "plotly_mimetype",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    env.pop("APEXOPS_PARENT_RUN", None)
    if seeded["parent_run_id"]:
        env["APEXOPS_PARENT_RUN"] = seeded["parent_run_id"]
    return env
