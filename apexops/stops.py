"""Expected stops read as verdicts, not tracebacks: in JupyterLab, executed notebooks, HTML and terminals.

An apexops stop (an approval still missing, a plan blocked at lint, a failed verdict, a rolled-back canary)
is the runbook working, not a crash: the operator needs what happened, why, and the next step, and a
Python traceback into library code buries all three. So, once `install()` has run in a kernel (it is
called by `apexops.connect`):

- an `ApexopsError` ending a cell shows ONE verdict box (`display.verdict_bundle`: reason and hint) and a
  one-line error output with no frames. The cell still ends in error, so Run All, papermill and the runner
  stop there exactly as before, and the runner still records `<ErrorClass>: <message> HINT: ...`;
- any other exception is a bug to read: its message comes first and the full traceback is folded under it
  (`<details>` in HTML; in full in the text form, for terminals and CI logs);
- either way the kernel records the `stop` fact (`kind`, `error`, `reason`, `hint`), which the terminal
  (`text_block`) and the reviewers' index read.

A failed verdict is shown by `apexops.finish` before it raises (`mark_shown`); it is not shown twice.
Which error is which kind of stop is decided here only, by type (`KINDS`).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Mapping
from enum import StrEnum
from types import TracebackType
from typing import Any

from apexops import display, kernel
from apexops.errors import (
    ApexopsError,
    ApprovalRequired,
    CanaryRolledBack,
    ConfigError,
    LockHeldError,
    MigrationBlocked,
    TrafficError,
)
from apexops.status import Status

__all__ = [
    "KINDS",
    "StopKind",
    "install",
    "kind_of",
    "mark_shown",
    "stop_fact",
    "strip_papermill_error_cells",
    "text_block",
]


class StopKind(StrEnum):
    """What kind of stop ended a run; the word after VERDICT: in every view."""

    APPROVAL_REQUIRED = "approval_required"  # a gate waits for its phrase: nothing past it ran
    BLOCKED = "blocked"  # refused before anything changed (lint, bad input, a held lock, a bad traffic list)
    FAILED = "failed"  # a verdict or a step failed
    ROLLED_BACK = "rolled_back"  # a canary was rolled back: traffic is at the baseline
    ERROR = "error"  # not an apexops stop: an unexpected exception (a bug to read, traceback kept)

    @property
    def label(self) -> str:
        """BLOCKED, APPROVAL REQUIRED, ROLLED BACK, ..."""
        return self.value.replace("_", " ").upper()

    @property
    def status(self) -> Status:
        """The status the box is drawn with: a missing approval is a person's turn (WARN), not a failure."""
        return Status.WARN if self is StopKind.APPROVAL_REQUIRED else Status.FAIL


#: the one map from error types to stop kinds; the closest class in an error's MRO wins, and any other
#: ApexopsError is FAILED (an operational failure with a hint), anything else ERROR (a bug)
KINDS: Mapping[type[BaseException], StopKind] = {
    ApprovalRequired: StopKind.APPROVAL_REQUIRED,
    MigrationBlocked: StopKind.BLOCKED,
    ConfigError: StopKind.BLOCKED,
    LockHeldError: StopKind.BLOCKED,
    TrafficError: StopKind.BLOCKED,
    CanaryRolledBack: StopKind.ROLLED_BACK,
    ApexopsError: StopKind.FAILED,
}

#: attribute `mark_shown` sets on an error whose verdict box is already in the cell
_SHOWN = "apexops_verdict_shown"
#: papermill.execute.ERROR_MARKER_TAG: the tag of the banner cells papermill adds when a cell fails
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def kind_of(error: BaseException | type[BaseException]) -> StopKind:
    """The kind of stop an error (or an error class) is."""
    cls = error if isinstance(error, type) else type(error)
    for klass in cls.__mro__:
        if klass in KINDS:
            return KINDS[klass]
    return StopKind.ERROR


def mark_shown(error: BaseException) -> BaseException:
    """Say that `error`'s verdict box is already displayed (`apexops.finish`); returns the error to raise."""
    with contextlib.suppress(AttributeError, TypeError):
        setattr(error, _SHOWN, True)
    return error


def stop_fact(error: BaseException) -> dict[str, Any]:
    """The `stop` fact for an error: kind, error class, reason (the message, without the hint), hint."""
    if isinstance(error, ApexopsError):
        reason, hint = error.message, error.hint
    else:
        reason, hint = str(error), None
    return {"kind": str(kind_of(error)), "error": type(error).__name__, "reason": reason, "hint": hint}


def text_block(stop: Mapping[str, Any]) -> str:
    """A recorded `stop` for a terminal or a log: `VERDICT: BLOCKED`, the reason, `HINT: ...`; complete.

    Nothing is cut: a reader acts on the hint, and half a hint is worse than none.
    """
    try:
        kind = StopKind(str(stop.get("kind") or StopKind.ERROR))
    except ValueError:
        kind = StopKind.ERROR
    reason = _reason(kind, stop)
    lines = [f"VERDICT: {kind.label}"]
    lines += [reason] if reason else []
    hint = stop.get("hint")
    lines += [f"HINT: {str(hint).strip()}"] if hint else []
    return "\n".join(lines)


def _reason(kind: StopKind, stop: Mapping[str, Any]) -> str:
    """The stop's reason as shown; a bug's reason is named by its error class (`TypeError: ...`)."""
    reason = str(stop.get("reason") or "").strip()
    error = str(stop.get("error") or "").strip()
    if kind is StopKind.ERROR and error:
        return f"{error}: {reason}" if reason else error
    return reason


def _stop_bundle(error: BaseException, traceback_text: str = "") -> dict[str, str]:
    fact = stop_fact(error)
    kind = kind_of(error)
    reason = _reason(kind, fact)
    return display.verdict_bundle(
        kind.status,
        [reason] if reason else [],
        label=kind.label,
        hint=fact["hint"] or "",
        details=traceback_text,
        stop=str(kind),
    )


def _one_line(error: BaseException, kind: StopKind) -> str:
    """The error output's only line: which error, and where its explanation is."""
    name = type(error).__name__
    if kind is StopKind.ERROR:
        first = next(iter(str(error).strip().splitlines()), "")  # the whole message is in the box above
        return f"\x1b[0;31m{name}\x1b[0m: {first} (the traceback is folded above)"
    return f"\x1b[0;31m{name}\x1b[0m: the run stopped here, {kind.label} (see the verdict above)"


# --------------------------------------------------------------------------- the kernel's handler


def _handle(
    shell: Any,
    etype: type[BaseException],
    value: BaseException,
    tb: TracebackType | None,
    tb_offset: int | None = None,
) -> list[str] | None:
    """IPython's custom exception handler (`set_custom_exc`): show the stop, then end the cell in error.

    IPython ignores what the handler returns when code runs (`run_code`), so the error message is sent
    here, through the shell's own `_showtraceback` (ipykernel turns it into the cell's error output and the
    execute reply). Syntax errors, IPython's usage errors and exception groups keep IPython's rendering, and
    so does everything if rendering the stop fails: an error is never swallowed.
    """
    from IPython.core.error import UsageError  # in a kernel IPython is loaded already

    if issubclass(etype, SyntaxError | UsageError) or isinstance(value, BaseExceptionGroup):
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None
    try:
        _show_stop(shell, etype, value, tb, tb_offset)
    except Exception:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    return None


def _show_stop(
    shell: Any,
    etype: type[BaseException],
    value: BaseException,
    tb: TracebackType | None,
    tb_offset: int | None,
) -> None:
    shell._get_exc_info((etype, value, tb))  # sys.last_*: %debug and %tb still work
    kind = kind_of(value)
    with contextlib.suppress(Exception):  # a disk problem must not hide the stop itself
        kernel.record("stop", stop_fact(value))
    if getattr(value, _SHOWN, False):
        pass  # apexops.finish showed this verdict already
    elif kind is StopKind.ERROR:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        display._display(_stop_bundle(value, _ANSI.sub("", shell.InteractiveTB.stb2text(stb))))
    else:
        display._display(_stop_bundle(value))
    shell._showtraceback(etype, value, [_one_line(value, kind)])
    if kind is StopKind.ERROR and getattr(shell, "call_pdb", False):
        shell.debugger(force=True)  # %pdb on: a bug still drops into the debugger, as IPython would


def install() -> None:
    """Render apexops stops in this kernel as verdict boxes (idempotent; nothing outside a kernel).

    Only `Exception`s are handled: KeyboardInterrupt and SystemExit keep IPython's own handling.
    """
    ipython = sys.modules.get("IPython")  # only a kernel has a shell; never import IPython for this
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "_apexops_stops", False):
        return
    shell.set_custom_exc((Exception,), _handle)
    shell._apexops_stops = True


def strip_papermill_error_cells(nb: Any) -> None:
    """Remove papermill's own error banner cells from an executed notebook (our outcome banner says it).

    papermill (`execute.raise_for_execution_errors`) adds a red "An Exception was encountered" cell at the
    top and an anchor cell before the failing one, both tagged `papermill-error-cell-tag`; the runner's
    outcome cell and the verdict box in the failing cell already say what happened and what to do.
    """
    nb.cells = [c for c in nb.cells if PAPERMILL_ERROR_TAG not in (c.get("metadata") or {}).get("tags", [])]
