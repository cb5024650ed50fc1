"""`pytest --nbval-lax notebooks/`: the committed notebooks, as committed, against an isolated sandbox.

nbval runs each notebook top to bottom with its safe defaults (env="local", dry_run=True). Before the first
notebook cell runs, this starts one sandbox for the session in a temporary home on a free port
(`apexops.sandbox.testing.running_sandbox`, which exports APEXOPS_SANDBOX_HOME/PORT so nbval's kernels find
it) and points APEXOPS_OUTPUTS at a temporary folder, so nothing touches `.sandbox/`, port 8480 or
`outputs/`. At the end of the session the sandbox is brought down (running_sandbox checks no process is
left) and the folder removed.

nbval items are plain pytest Items, which fixtures (even autouse ones) do not reach, so this uses hooks.
If the sandbox module is missing, no sandbox starts: the notebooks then run against a stopped sandbox, and
00-preflight reports its sandbox check as FAIL (cannot start) and fails, which is the truth about such an
installation.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_stack = contextlib.ExitStack()
_started: list[bool] = []


@contextlib.contextmanager
def _env(name: str, value: str):
    saved = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


def _start(config: pytest.Config) -> None:
    root = Path(tempfile.mkdtemp(prefix="apexops-nbval-"))
    _stack.callback(shutil.rmtree, root, ignore_errors=True)
    _stack.enter_context(_env("APEXOPS_OUTPUTS", str(root / "outputs")))
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    try:
        from apexops.sandbox.testing import running_sandbox
    except ImportError as exc:
        if reporter:
            reporter.write_line(f"notebooks: no sandbox module ({exc}); notebooks run without a sandbox")
        return
    settings, _ = _stack.enter_context(running_sandbox(root / "sandbox"))
    if reporter:
        reporter.write_line(f"notebooks: sandbox up on port {settings.sandbox_ingress_port()} in {root}")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Start the session's sandbox just before the first notebook cell (and its kernel) starts."""
    if not _started and item.path.suffix == ".ipynb":
        _started.append(True)
        _start(item.config)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _stack.close()
