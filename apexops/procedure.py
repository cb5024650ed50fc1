"""A procedure's frame in its notebook: its start (`connect`), its parameters as they ran, its close.

Every notebook opens the same way and closes the same way:

    target = apexops.connect(env)
    display.show_context(target, apexops.parameters())
    ...
    apexops.finish(proc)        # facts and verdict into the ledger, the verdict banner, stop on FAIL

A procedure object only has to answer `verdict()` and `facts()` (the `Finishable` protocol): no base class,
no state shared through mixins, no call order to remember.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from apexops import display, kernel
from apexops.status import Verdict

if TYPE_CHECKING:
    from apexops.environment import Environment
    from apexops.settings import Settings

__all__ = ["Finishable", "connect", "finish", "parameters"]


class Finishable(Protocol):
    """What `finish` needs from a procedure: its verdict and the key facts the ledger keeps."""

    def verdict(self) -> Verdict: ...

    def facts(self) -> Mapping[str, Any]: ...


def connect(env: str = "local", *, settings: Settings | None = None) -> Environment:
    """`apexops.connect(env)`: the environment's wired adapters; the procedure's start, so an interactive
    run (no runner to say it) knows the environment it goes to."""
    # environment loads settings (pydantic) and the adapters: only when a notebook connects
    from apexops import stops  # in the kernel only: apexops stops render as verdict boxes
    from apexops.environment import connect as wire

    stops.install()
    target = wire(env, settings=settings)
    kernel.note_environment(target.settings.environment)
    return target


def finish(proc: Finishable) -> None:
    """Close a procedure: record its facts and verdict, show the verdict, raise its failure when it FAILs.

    A failed verdict is shown once, here, labelled with the kind of stop its error is (BLOCKED, ROLLED
    BACK, ...); the kernel's stop handler then only ends the cell (`stops.mark_shown`).
    """
    from apexops import stops  # the stop kinds; its IPython handler is installed by `connect`

    verdict = proc.verdict()
    for key, value in proc.facts().items():
        kernel.record(key, value)
    kernel.record_verdict(verdict)
    if not verdict.status.failed:
        display.show_verdict(verdict)
        return
    failure = verdict.failure()
    kind = stops.kind_of(failure)
    display.show_verdict(verdict, label=kind.label, stop=kind)
    raise stops.mark_shown(failure)


def parameters(*, exclude: Iterable[str] = ("env", "approval")) -> dict[str, Any]:
    """The notebook's parameters as they ran (defaults, or what papermill injected), for `show_context`.

    The names are those of the cells this kernel ran that hold nothing but `name = literal` lines: the
    parameters cell (the first cell under papermill, nbval and Run All) and papermill's injected cell. So a
    notebook never types its parameter list twice. `env` is shown as the environment and `approval` by its
    gate, so both are left out by default. Outside a kernel: {}.
    """
    ipython = sys.modules.get("IPython")  # only a kernel has a shell; never import IPython for this
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return {}
    skip = set(exclude)
    names = dict.fromkeys(
        n for cell in shell.history_manager.input_hist_raw for n in literal_assignments(cell)
    )
    return {n: shell.user_ns[n] for n in names if n in shell.user_ns and n not in skip}


def literal_assignments(source: str) -> list[str]:
    """The names a cell assigns when it is nothing but `name = literal` lines (a parameters cell), else []."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return []
    names = []
    for node in body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            return []
        if not isinstance(target, ast.Name) or not _is_literal(value):
            return []
        names.append(target.id)
    return names


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True
