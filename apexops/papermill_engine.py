"""`papermill --engine apexops`: papermill's own CLI, the same audited run as `apexops run` (issue 15).

A CI author who knows papermill writes `papermill --engine apexops notebooks/00-preflight.ipynb out.ipynb
-p env staging` and gets what `apexops run 00 --env staging` gives: the parameters checked before anything
runs, a run folder with the executed notebook, the offline HTML and the evidence, a ledger line, and an exit
code that says the outcome. papermill hands an engine the notebook it has already parameterized; this engine
takes from it only what the user asked for (the input path, `metadata.papermill.parameters`, the per-cell
timeout) and hands the run to `apexops.runner.run_procedure`, which seeds, executes, records and writes the
ledger exactly as for `apexops run`. The recorded notebook is then copied to papermill's output path byte
for byte (its digest is the ledger's).

How the run ends, under papermill's CLI: bad input prints one `error:` line naming the parameter and the fix
and exits 2 before anything is written (papermill's click command does not catch `SystemExit`, so the code
reaches the shell); a finished run prints its outcome and paths on stderr and exits with `apexops run`'s
code (0 succeeded, 1 failed, 3 approval missing, 4 timed out, 5 kernel died, 130 interrupted). Called as a
library (`papermill.execute_notebook(..., engine_name="apexops")`) it raises instead: the typed
`ApexopsError` for bad input, papermill's own `PapermillExecutionError` for a run that did not succeed.

Registered through the `papermill.engine` entry point, this module is imported by papermill whenever papermill
loads its engines (in every process that imports papermill, kernels included), so it imports nothing heavy
at module level.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apexops.catalog import Procedure
    from apexops.recording import RunResult

__all__ = ["ENGINE_NAME", "AuditedEngine"]

#: the name papermill knows this engine by (pyproject: `[project.entry-points."papermill.engine"]`)
ENGINE_NAME = "apexops"
_log = logging.getLogger("apexops.papermill")


@dataclass(frozen=True)
class _Request:
    """What the user asked papermill for, checked: the procedure, its environment and its parameters."""

    proc: Procedure
    env: str
    params: dict[str, Any]
    cell_timeout_s: float | None
    output: str | None


class AuditedEngine:
    """papermill's engine contract (`execute_notebook`, `nb_kernel_name`, `nb_language`) over the runner."""

    @classmethod
    def execute_notebook(
        cls,
        nb: Any,
        kernel_name: str | None,
        *,
        input_path: str | None = None,
        output_path: str | None = None,
        execution_timeout: float | None = None,
        **_ignored: Any,
    ) -> Any:
        """Run the procedure audited; papermill's CLI exits with the run's code, a library caller gets the
        recorded notebook (or an exception). `_ignored`: papermill's options that an audited run does not
        take from the caller (progress bar, log output, stdout/stderr files, start timeout, autosave)."""
        cli = _under_papermill_cli()
        try:
            with _quiet_inner_papermill():  # reading the parameters cell logs "Input Notebook" again
                request = _request(nb, input_path, output_path, execution_timeout, kernel_name)
            result = _run(request, cli=cli)
        except Exception as exc:  # bad input, or a run that could not start (its folder): nothing recorded
            from apexops.errors import ApexopsError

            if cli and isinstance(exc, ApexopsError):
                _say_error(str(exc))
                raise SystemExit(exc.exit_code) from None
            raise
        text = result.notebook_path.read_text(encoding="utf-8")
        if request.output and (cli or not result.ok):  # a library caller's success: papermill writes it
            _write_output(text, request.output)
        if cli:
            _say_result(result)
            raise SystemExit(result.exit_code)  # papermill would write out.ipynb again, re-formatted
        if not result.ok:
            from papermill.exceptions import PapermillExecutionError

            why = f"run {result.run_id} ({result.procedure}) {result.outcome}: {result.error or ''}".strip()
            raise PapermillExecutionError(
                cell_index=0, exec_count=None, source="", ename=str(result.outcome), evalue=why,
                traceback=[why],
            )  # fmt: skip
        import nbformat

        return nbformat.reads(text, as_version=4)

    @classmethod
    def nb_kernel_name(cls, nb: Any, name: str | None = None) -> str:
        from papermill.utils import nb_kernel_name

        return str(nb_kernel_name(nb, name))

    @classmethod
    def nb_language(cls, nb: Any, language: str | None = None) -> str:
        from papermill.utils import nb_language

        return str(nb_language(nb, language))


def _under_papermill_cli() -> bool:
    """True when papermill's own command (click) called us: then the exit code is ours to set."""
    try:
        import click
    except ImportError:  # papermill without its CLI's dependency: a library call
        return False
    ctx = click.get_current_context(silent=True)
    callback = getattr(getattr(ctx.find_root(), "command", None), "callback", None) if ctx else None
    return getattr(callback, "__module__", "") == "papermill.cli"


def _request(
    nb: Any, input_path: str | None, output_path: str | None, timeout: float | None, kernel_name: str | None
) -> _Request:
    """Everything `apexops run` checks, in its order, before anything is written."""
    from apexops.cli import writable_outputs  # the same checks as `apexops run`
    from apexops.execution import KERNEL_NAME
    from apexops.procparams import validate_parameters
    from apexops.settings import load_settings

    proc = _procedure(input_path)
    pm_meta = (nb.get("metadata") or {}).get("papermill") or {}
    params = dict(pm_meta.get("parameters") or {})
    env = _env(proc, params)
    _check_papermill_typing(proc, params)
    timeout = _cell_timeout(timeout)
    output = output_path or pm_meta.get("output_path") or None
    _check_output(output)
    writable_outputs(None)
    params = validate_parameters(proc, env, params)
    load_settings(env)
    if kernel_name and kernel_name != KERNEL_NAME:
        _log.warning(f"warning: procedures run on the {KERNEL_NAME} kernel; -k {kernel_name} is ignored")
    return _Request(proc, env, params, timeout, output)


def _cell_timeout(seconds: float | None) -> float | None:
    """papermill's `--execution-timeout` as the per-cell timeout; absent or 0 (papermill: no timeout) means
    the notebook's own, as `apexops run` without --cell-timeout (an audited run always has one)."""
    from apexops.errors import ConfigError

    if not seconds:
        return None
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigError(
            f"--execution-timeout must be a positive number of seconds (got {seconds:g}).",
            hint="pass e.g. --execution-timeout 600, or leave it out for the notebook's own timeout.",
        )
    return float(seconds)


def _procedure(input_path: str | None) -> Procedure:
    """The catalog's procedure whose notebook papermill was given; any other notebook is refused."""
    from apexops.catalog import list_procedures, notebooks_dir
    from apexops.errors import UnknownProcedureError

    folder = notebooks_dir()
    example = f"papermill --engine apexops {folder}/00-preflight.ipynb out.ipynb -p env local"
    path = Path(input_path or "-")
    if not (str(path).endswith(".ipynb") and path.is_file()):
        raise UnknownProcedureError(
            f"input {input_path!r}: papermill --engine apexops runs a procedure notebook from {folder}.",
            hint=f"pass one of its notebooks, e.g. {example}.",
        )
    real = path.resolve()
    for proc in list_procedures(folder):
        if proc.path.resolve() == real:
            return proc
    raise UnknownProcedureError(
        f"{input_path} is not a procedure: audited runs are of the catalog's notebooks ({folder}) only.",
        hint=f"run the procedure from the catalog, e.g. {example}; a copy elsewhere is not audited.",
    )


def _env(proc: Procedure, params: Mapping[str, Any]) -> str:
    """`-p env X`, else the notebook's own default (as `apexops run` without --env takes local)."""
    import ast

    from apexops.errors import ConfigError

    if "env" in params:
        value = params["env"]
        if not isinstance(value, str):
            raise ConfigError(
                f"parameter 'env' must be an environment name, got {value!r}.", hint="pass -p env local"
            )
        return value
    declared = {p.name: p for p in proc.parameters()}
    with contextlib.suppress(KeyError, ValueError, SyntaxError):
        default = ast.literal_eval(declared["env"].default)
        if isinstance(default, str):
            return default
    return "local"


def _check_papermill_typing(proc: Procedure, params: Mapping[str, Any]) -> None:
    """papermill's `-p` turns text that looks like a number or True/False into one (`-p migration 0002` is
    the int 2): a text parameter that arrives as anything else is refused with papermill's fix (`-r`)."""
    from apexops.errors import ConfigError
    from apexops.procparams import parameter_type

    declared = {p.name: p for p in proc.parameters()}
    for name, value in params.items():
        p = declared.get(name)
        if p is None or value is None or isinstance(value, str):
            continue
        if parameter_type(p.type, p.default) in (str, str | None):
            raise ConfigError(
                f"parameter {name!r} of {proc.slug} expects text, got {type(value).__name__} {value!r} "
                "(papermill's -p reads numbers and True/False as such).",
                hint=f"pass it as text with papermill's -r (raw): -r {name} <value>",
            )


def _check_output(output: str | None) -> None:
    """A local output path must be in an existing folder: found out before the run, not after it."""
    from apexops.errors import ConfigError

    if not output or output == "-" or "://" in output:
        return
    folder = Path(output).parent
    if not folder.is_dir():
        raise ConfigError(
            f"output notebook {output}: folder {folder} does not exist.",
            hint=f"create it first (mkdir -p {folder}) or write the output elsewhere.",
        )


@contextlib.contextmanager
def _quiet_inner_papermill() -> Iterator[None]:
    """The runner runs papermill again inside this process; its INFO lines (the run folder's paths, the
    kernel name) would read as if they were this command's. The outcome is said once, by this engine."""
    names = ("papermill", "nbclient", "traitlets")
    before = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)


def _run(request: _Request, *, cli: bool) -> RunResult:
    """The audited run; Ctrl-C interrupts the kernel and records the run as `interrupted` (the runner's
    own signal handling: papermill's CLI calls the engine in the main thread), then papermill's command
    exits 130 and a library caller gets the runner's RunInterrupted (a KeyboardInterrupt)."""
    from apexops.runner import RunInterrupted, run_procedure

    last = [""]

    def progress(message: str) -> None:  # as `apexops run` prints it: each step once
        step = message.split("] ", 1)[1] if message.startswith("[") and "] " in message else message
        if step != last[0]:
            last[0] = step
            _log.info(f"  · {step}")

    _log.info(f"{request.proc.slug} · {request.proc.title} · env {request.env} · audited (apexops engine)")
    with _quiet_inner_papermill():
        try:
            return run_procedure(
                str(request.proc.path),
                env=request.env,
                parameters=request.params,
                cell_timeout_s=request.cell_timeout_s,
                progress=progress,
            )
        except RunInterrupted as stop:  # recorded before it was raised
            if not cli:  # a script stops too, as `run_procedure` promises its callers
                if request.output:
                    _write_output(stop.result.notebook_path.read_text(encoding="utf-8"), request.output)
                raise
            return stop.result


def _write_output(text: str, output: str) -> None:
    """papermill's output path (a file, `-` for stdout, a remote URL) gets the recorded notebook."""
    from papermill.iorw import papermill_io

    papermill_io.write(text, output)


def _say_error(text: str) -> None:
    """One line; hints written for `apexops run` (`-p name=value`) are given in papermill's words."""
    text = re.sub(r"-p (\w+)=(\S*)", r"-p \1 \2", text)
    sys.stderr.write(f"error: {text}\n")
    sys.stderr.flush()


def _say_result(result: RunResult) -> None:
    """The outcome and where the record is, on stderr (stdout may be the notebook itself: `-`)."""
    lines = [f"{str(result.outcome).upper()} run {result.run_id} ({result.procedure} on {result.env})"]
    if result.error:
        lines.append(f"error: {result.error}")
    lines.append(f"  notebook: {result.notebook_path}")
    if result.html_path:
        lines.append(f"  html:     {result.html_path}")
    lines.append(f"  evidence: {result.evidence_dir}")
    lines.append("  verify:   apexops runs verify")
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
