"""Say so when a procedure runs under plain papermill, where no audit record is written (issue 15).

`papermill notebooks/00-preflight.ipynb out.ipynb` runs every cell of a procedure headless, yet records
nothing: no run folder, no HTML, no ledger line. A CI author who uses papermill as papermill documents it
would believe the run was audited. So the kernel looks at who started it: when that is papermill's command
and the apexops runner is not in charge (no `APEXOPS_RUN_ID`), the context cell (`display.show_context`,
the first cell after the parameters in every procedure) shows a warning box at the top of the executed
notebook, and the same line goes to papermill's terminal (CI logs show stderr, not the notebook).

Who else starts kernels, and gets no banner: JupyterLab, Notebook and VS Code (their server or extension
is the parent; interactive runs save their facts under `outputs/interactive/`), `pytest --nbval-lax
notebooks/` (pytest is the parent: the suite checks the notebooks, it is not an operational run), `apexops
run` and `papermill --engine apexops` (APEXOPS_RUN_ID is set: audited). papermill called as a library from
a script cannot be told apart from any other Python parent and gets no banner either.
"""

from __future__ import annotations

import contextlib
import functools
import html
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from apexops.status import Status, style

__all__ = ["NOTICE", "is_papermill_command", "notice", "papermill_command", "plain_papermill"]

#: the start of the banner's text, in the notebook and on papermill's stderr
NOTICE = "NOT AUDITED"
_PAPERMILL = ("papermill", "papermill.exe", "papermill-script.py")


def is_papermill_command(argv: Sequence[str]) -> bool:
    """`…/bin/papermill …`, `python …/papermill …`, `python -m papermill …` (Windows paths too); only the
    program and the script count, never a later argument (`jupyter lab ~/papermill`)."""
    for i, arg in enumerate(argv[:2]):
        name = re.split(r"[\\/]", arg)[-1].lower()
        if name in _PAPERMILL or (arg == "-m" and list(argv[i + 1 : i + 2]) == ["papermill"]):
            return True
    return False


@functools.cache
def papermill_command() -> tuple[str, ...] | None:
    """The command line of this kernel's parent when it is papermill's CLI (`papermill …` or
    `python -m papermill …`), else None. Cached: a kernel's parent does not change."""
    try:
        import psutil  # only when a procedure shows its context

        parent = psutil.Process(os.getpid()).parent()
        argv = tuple(parent.cmdline()) if parent is not None else ()
    except Exception:  # no such process, access denied: not knowingly papermill
        return None
    return argv if is_papermill_command(argv) else None


def plain_papermill() -> bool:
    """True when this kernel runs a notebook for papermill's own command, not for the apexops runner."""
    return not os.environ.get("APEXOPS_RUN_ID") and papermill_command() is not None


def _procedure(argv: tuple[str, ...]) -> tuple[str, str]:
    """The procedure papermill runs (from its input notebook's name) and that notebook as given."""
    notebook = next((a for a in argv if a.endswith(".ipynb")), "")
    return (Path(notebook).stem or "<procedure>"), (notebook or "<notebook>.ipynb")


def notice() -> dict[str, str] | None:
    """The banner bundle to show at the top of an unaudited headless run, or None.

    Also writes its line to the kernel process's own stderr, which is papermill's terminal.
    """
    argv = papermill_command() if not os.environ.get("APEXOPS_RUN_ID") else None
    if argv is None:
        return None
    procedure, notebook = _procedure(argv)
    run = f"apexops run {procedure}"
    engine = f"papermill --engine apexops {notebook} out.ipynb"
    line = (
        f"{NOTICE}: plain papermill writes no ledger line and no HTML record of this run. "
        f"For an audited run use `{run}` or `{engine}`."
    )
    _to_terminal(line)
    s = style(Status.WARN)
    block = (
        f'<div class="apexops-unaudited" data-status="{Status.WARN.value}" '
        f'style="border-left:6px solid {s.fg};background:{s.bg};padding:8px 12px">'
        f'<div style="font-size:1.2em;font-weight:700;color:{s.fg}">{NOTICE}</div>'
        "<div>Plain papermill writes no ledger line and no HTML record of this run.</div>"
        f"<div>For an audited run use <code>{html.escape(run)}</code> or "
        f"<code>{html.escape(engine)}</code>.</div></div>"
    )
    return {"text/html": block, "text/plain": line}


def _to_terminal(line: str) -> None:
    """The kernel's real stderr: ipykernel forwards what is written to fd 2 into the notebook as well, so
    write to the copy of the original fd it keeps (`sys.stderr.fileno()`), which only the terminal sees."""
    data = (line + "\n").encode("utf-8", "replace")
    with contextlib.suppress(Exception):
        os.write(sys.stderr.fileno(), data)
        return
    with contextlib.suppress(Exception):
        if sys.__stderr__ is not None:
            sys.__stderr__.write(line + "\n")
            sys.__stderr__.flush()
