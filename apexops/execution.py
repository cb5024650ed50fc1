"""Executing a notebook headless with papermill, with a handle on every way it can end.

The runner thread does not call papermill itself: papermill runs in a worker thread, which keeps nbclient
from installing its own SIGINT/SIGTERM handlers (they shut the kernel down without telling anyone, and the
run then looks like a dead kernel). The runner thread waits on an Event, so Ctrl-C and SIGTERM reach it; it
interrupts the kernel first, as JupyterLab's interrupt does (the running cell gets KeyboardInterrupt and can
restore a safe state, e.g. put traffic back), and kills the kernel's process group after a grace period.

A small papermill engine (papermill's nbclient engine plus three things) reports each cell as it starts
(for progress), starts the kernel with the run's environment variables and working directory without
touching this process's environment or cwd, and keeps the kernel's Popen so the kernel can be signalled and
is never left running.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from apexops import atomic
from apexops.redact import REDACT_VARS_ENV, Redactor, is_reference_name
from apexops.status import Outcome

if TYPE_CHECKING:
    import subprocess

    from nbformat import NotebookNode

__all__ = [
    "KERNEL_LOG",
    "KERNEL_NAME",
    "Control",
    "classify",
    "execute",
    "notebook_references",
]

KERNEL_NAME = "python3"
#: the kernel process's own stdout/stderr (crash messages, C-level output), kept with the evidence
KERNEL_LOG = "kernel.log"
#: the runner's own papermill engine; "apexops" is `papermill --engine apexops` (apexops.papermill_engine)
_ENGINE = "apexops-kernel"
#: papermill writes every save of the executed notebook to a path with this prefix: our handler scrubs it
_SCRUBBED = "apexops-scrubbed:"


class _RunInterrupted(BaseException):
    """Raised inside the worker when a stop was requested before a cell started."""


class _Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP, handled like Ctrl-C."""


@dataclass
class Control:
    """Shared between the runner thread and the papermill worker thread."""

    kernel_env: dict[str, str]
    cwd: Path
    kernel_log: IO[bytes] | None = None
    progress: Callable[[str], None] | None = None
    client: Any = None
    cell_index: int | None = None
    step: str = ""
    stop_requested: bool = False
    process: subprocess.Popen[bytes] | None = None
    #: environment variables holding this run's secrets (`*_env` parameters, the database URL variable)
    references: tuple[str, ...] = ()
    redactor: Redactor | None = None
    _headings: list[str] = field(default_factory=list)
    _code_cells: list[int] = field(default_factory=list)

    def on_cell_start(self, nb: NotebookNode, cell: NotebookNode, index: int | None) -> None:
        if self.stop_requested:
            raise _RunInterrupted()
        if not self._headings:
            self._headings = _step_names(nb)
            self._code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        self.cell_index = index
        self.kernel_process()
        if index is None or cell.cell_type != "code":
            return
        tags = cell.metadata.get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            self.step = "parameters"
        else:
            self.step = self._headings[index] if index < len(self._headings) else ""
        if self.progress:
            n = self._code_cells.index(index) + 1 if index in self._code_cells else 0
            with contextlib.suppress(Exception):
                self.progress(f"[{n}/{len(self._code_cells)}] {self.step or 'cell ' + str(index + 1)}")

    def kernel_process(self) -> subprocess.Popen[bytes] | None:
        """The kernel's Popen (kept from the first cell on: nbclient drops its manager at cleanup)."""
        if self.process is None:
            km = getattr(self.client, "km", None)
            self.process = getattr(getattr(km, "provisioner", None), "process", None)
        return self.process

    def _alive(self) -> subprocess.Popen[bytes] | None:
        process = self.kernel_process()
        return process if process is not None and process.poll() is None else None

    def interrupt_kernel(self) -> None:
        """What JupyterLab's interrupt does: SIGINT to the kernel, so the running cell can clean up."""
        self.stop_requested = True
        if process := self._alive():
            with contextlib.suppress(OSError):
                process.send_signal(signal.SIGINT)

    def kill_kernel(self) -> None:
        """SIGKILL the kernel and what it started in its session (it runs in its own session)."""
        self.stop_requested = True
        if process := self._alive():
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                with contextlib.suppress(OSError):
                    process.kill()


def _step_names(nb: NotebookNode) -> list[str]:
    """For each cell, the last markdown heading above it: what progress and errors call the step."""
    names, heading = [], ""
    for c in nb.cells:
        if c.cell_type == "markdown":
            found = (line.lstrip("#").strip() for line in c.source.splitlines() if line.startswith("#"))
            heading = next(found, heading)
        names.append(heading)
    return names


def _engine_class() -> type:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine
    from papermill.log import logger

    class ApexopsEngine(NBClientEngine):  # type: ignore[misc]
        """papermill's nbclient engine plus: progress per cell, kernel env and cwd, a handle on the kernel."""

        @classmethod
        def execute_managed_notebook(  # type: ignore[override]
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: float | None = None,
            apexops_control: Control | None = None,
            **kwargs: Any,
        ) -> Any:
            control = apexops_control or Control(kernel_env=dict(os.environ), cwd=Path.cwd())
            original = nb_man.cell_start

            def cell_start(cell: Any, cell_index: int | None = None, **kw: Any) -> Any:
                control.on_cell_start(nb_man.nb, cell, cell_index)
                return original(cell, cell_index, **kw)

            nb_man.cell_start = cell_start
            sockets = tempfile.mkdtemp(prefix="apexops-kernel-")  # short: a Unix socket path has <= 107 bytes
            client = PapermillNotebookClient(
                nb_man,
                km=_ipc_kernel_manager(kernel_name, sockets),
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                resources={"metadata": {"path": str(control.cwd)}},
            )
            control.client = client
            log_file = control.kernel_log
            streams = {"stdout": log_file, "stderr": log_file} if log_file else {}
            try:
                return client.execute(env=control.kernel_env, **streams)
            finally:
                shutil.rmtree(sockets, ignore_errors=True)

    return ApexopsEngine


def _ipc_kernel_manager(kernel_name: str, sockets: str) -> Any:
    """The run's kernel on Unix sockets in a folder of its own, not on loopback ports.

    jupyter_client picks five free TCP ports, writes them down, and the kernel binds them a moment later;
    another process on the machine (a second run, a CI job beside it) can take one in between, and the
    kernel's heartbeat then dies with "Address already in use". Sockets in a private folder cannot be
    taken; the absolute path matters, because the runner and the kernel have different working folders.
    """
    from jupyter_client.manager import AsyncKernelManager

    return AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=str(Path(sockets) / "k"))


#: the redactor of each run in progress in this process, by its notebook's real path
_REDACTORS: dict[str, Redactor] = {}


class _ScrubbingIO:
    """papermill's I/O handler for `apexops-scrubbed:<path>`: every save of the executed notebook (after
    each cell, on error, at the end) is scrubbed of the run's secrets BEFORE it reaches the disk, and
    written atomically; the evidence folder is scrubbed with it. A run killed at any moment therefore
    leaves no secret in its notebook, and its recovery never needs the secret's value."""

    @classmethod
    def write(cls, buf: str, path: str) -> None:
        real = Path(path.removeprefix(_SCRUBBED))
        redactor = _REDACTORS.get(str(real)) or Redactor.for_run()
        try:
            nb = json.loads(buf)
        except ValueError:
            text = redactor.scrub_text(buf)
        else:
            nb = redactor.scrub(nb)
            with contextlib.suppress(AttributeError, TypeError):
                nb["metadata"]["papermill"]["output_path"] = str(real)
            text = json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
        atomic.write_text(real, text)
        _scrub_evidence(redactor, real.parent / "evidence")

    @classmethod
    def pretty_path(cls, path: str) -> str:
        return path.removeprefix(_SCRUBBED)


def _scrub_evidence(redactor: Redactor, folder: Path) -> None:
    """Evidence written by cells, scrubbed at each save (kernel.log is the runner's own open file)."""
    if folder.is_symlink() or not folder.is_dir():
        return
    for dirpath, _dirs, files in os.walk(folder, followlinks=False):
        for name in files:
            if name != KERNEL_LOG:
                with contextlib.suppress(OSError):
                    redactor.scrub_file(Path(dirpath) / name, root=folder)


def notebook_references(nb: NotebookNode) -> list[str]:
    """Variable names the notebook's parameters cell gives as `*_env` defaults (`db_url_env = "APEX_DB"`)."""
    refs: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" not in cell.metadata.get("tags", []):
            continue
        with contextlib.suppress(SyntaxError, ValueError):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names = [t.id for t in targets if isinstance(t, ast.Name)]
                    if isinstance(node.value.value, str) and any(is_reference_name(n) for n in names):
                        refs.append(node.value.value)
    return refs


def _prepare_scrubbing(nb: NotebookNode, output: Path, params: dict[str, Any], control: Control) -> str:
    """Register the run's redactor for its notebook path and tell the kernel which variables are secret;
    returns the path papermill is given."""
    from papermill.iorw import papermill_io

    refs = tuple(dict.fromkeys([*control.references, *notebook_references(nb)]))
    control.kernel_env[REDACT_VARS_ENV] = ",".join(refs)
    if control.redactor is None:
        control.redactor = Redactor.for_run(parameters=params, environ=control.kernel_env, references=refs)
    _REDACTORS[str(output)] = control.redactor
    if not any(scheme == _SCRUBBED for scheme, _ in papermill_io._handlers):
        papermill_io.register(_SCRUBBED, _ScrubbingIO)
    return _SCRUBBED + str(output)


@contextlib.contextmanager
def _signals_as_interrupts() -> Iterator[None]:
    """While a run is in progress: SIGINT raises KeyboardInterrupt (even if the parent ignored it: a
    SIGINT then only comes from someone who means it), SIGTERM and SIGHUP raise _Terminated."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise _Terminated(signal.Signals(signum).name)

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, old)


def execute(
    nb: NotebookNode,
    output: Path,
    params: dict[str, Any],
    timeout_s: float,
    control: Control,
    grace_s: float,
) -> tuple[BaseException | None, str | None]:
    """Run papermill in a worker thread; returns (exception raised by papermill, interrupt reason).

    The wait is a loop of its own, not `polling.poll_until`: a Ctrl-C or SIGTERM lands between two waits
    and moves it to the next stage (interrupt the kernel, kill it after the grace period, give up 10 s
    later), which a wait for one condition cannot express.
    """
    import papermill as pm
    from papermill.engines import papermill_engines

    papermill_engines.register(_ENGINE, _engine_class())
    target = _prepare_scrubbing(nb, output, params, control)
    box: dict[str, BaseException] = {}
    # an Event, not Thread.join: a KeyboardInterrupt inside join() can make is_alive() lie (CPython < 3.13)
    done = threading.Event()

    def work() -> None:
        try:
            pm.execute_notebook(
                nb,
                target,
                parameters=params,
                engine_name=_ENGINE,
                kernel_name=KERNEL_NAME,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=True,
                autosave_cell_every=10,
                start_timeout=60,
                execution_timeout=timeout_s,
                apexops_control=control,
            )
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    log_path = output.parent / "evidence" / KERNEL_LOG
    control.kernel_log = log_path.open("ab")  # raw write: the kernel process's stderr, scrubbed when recorded
    interrupted: str | None = None
    kill_at: float | None = None
    give_up_at: float | None = None
    worker = threading.Thread(target=work, name="apexops-papermill", daemon=True)
    with _signals_as_interrupts():
        worker.start()
        while not done.is_set():
            try:
                done.wait(0.2)
                now = time.monotonic()
                if kill_at is not None and now >= kill_at:
                    control.kill_kernel()
                    kill_at, give_up_at = None, now + 10.0
                if give_up_at is not None and now >= give_up_at:
                    break  # the worker is stuck; record what we have
            except KeyboardInterrupt as exc:
                reason = "SIGINT"
                if isinstance(exc, _Terminated):
                    reason = str(exc.args[0]) if exc.args else "SIGTERM"
                if interrupted is None:
                    interrupted = reason
                    control.interrupt_kernel()
                    kill_at = time.monotonic() + grace_s
                else:
                    control.kill_kernel()
                    kill_at, give_up_at = None, time.monotonic() + 10.0
    if done.is_set() and control._alive() is not None:
        control.kill_kernel()  # nbclient did not stop it: never leave a kernel behind
    control.kernel_log.close()
    _REDACTORS.pop(str(output), None)
    _drop_noise_only_log(log_path)
    return box.get("error"), interrupted


#: what every kernel prints: ipykernel 7 over TCP at start, and the interrupt jupyter_client sends before a
#: shutdown; a log holding only these lines is dropped
_KERNEL_NOISE = ("Kernel is running over TCP without encryption", "KeyboardInterrupt caught in kernel")


def _drop_noise_only_log(path: Path) -> None:
    """Keep evidence/kernel.log only when the kernel process said something worth reading."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    if all(not line.strip() or any(n in line for n in _KERNEL_NOISE) for line in lines):
        path.unlink(missing_ok=True)


def classify(
    exc: BaseException | None, interrupted: str | None, control: Control, timeout_s: float
) -> tuple[Outcome, str | None]:
    """How the run ended, and the error to record: from what papermill raised and whether we interrupted."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    where = ""
    if control.cell_index is not None:
        where = f" in cell {control.cell_index + 1}" + (f" (step '{control.step}')" if control.step else "")
    if interrupted:
        return Outcome.INTERRUPTED, f"interrupted by {interrupted}{where}"
    if exc is None:
        return Outcome.SUCCEEDED, None
    if isinstance(exc, PapermillExecutionError):
        if exc.ename == "KeyboardInterrupt":
            return Outcome.INTERRUPTED, f"KeyboardInterrupt{where}"
        return Outcome.FAILED, f"{exc.ename}: {exc.evalue}".strip()
    if isinstance(exc, CellTimeoutError):
        return Outcome.TIMED_OUT, f"cell timeout: a cell ran longer than {timeout_s:g} s{where}"
    if isinstance(exc, DeadKernelError):
        return Outcome.KERNEL_DIED, f"the kernel died{where} (out of memory, os._exit or killed)"
    if isinstance(exc, KeyboardInterrupt | _RunInterrupted):
        return Outcome.INTERRUPTED, f"interrupted{where}"
    return Outcome.FAILED, f"{type(exc).__name__}: {exc}".strip()
