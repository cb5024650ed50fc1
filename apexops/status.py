"""The one vocabulary of statuses and outcomes, the one `Verdict`, and the one colour map.

Every check, step and procedure of apexops says how it went with a `Status`; every run ends with an
`Outcome`. Both are ordered so that combining results is "worst wins", as Argo Rollouts' analysis phases
are: a verdict over several checks takes the worst status among them. A `Verdict` is data (a status, the
reasons, the facts behind it, a hint to the next step), never a string to parse.

Verdict logic is written as rule lists: a rule is a small function that looks at one subject and returns a
`Finding` (a status with its reason) or nothing. `judge(rules, subject)` runs them all and keeps the worst,
so each rule can be tested alone and a reader sees the decision table in one place.

The colour and label map (`style`) is the only one: the notebook display, the audit HTML, the reviewers'
index and the release timeline all read it. Words from older ledgers and from the canary's decisions
(`OK`, `PROMOTE`, `ROLLBACK`, `succeeded`, ...) are read through `Status.parse`, so nothing else needs to
know them.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from apexops.errors import ApexopsError, VerificationError

__all__ = [
    "Finding",
    "Outcome",
    "Rule",
    "Status",
    "Verdict",
    "judge",
    "style",
    "worst",
]

T = TypeVar("T")


class Status(StrEnum):
    """How a check, a step or a procedure went. Declared from best to worst: later members win."""

    SKIPPED = "SKIPPED"  # nothing was done (a dry run, a step that does not apply)
    INFO = "INFO"  # something to read, no judgement
    PASS = "PASS"
    WARN = "WARN"  # passed, with something to look at
    INCONCLUSIVE = "INCONCLUSIVE"  # not enough evidence to say; a person decides
    FAIL = "FAIL"

    @property
    def rank(self) -> int:
        """Position in the "worst wins" order (higher is worse)."""
        return _STATUS_ORDER.index(self)

    @property
    def failed(self) -> bool:
        return self is Status.FAIL

    @classmethod
    def parse(cls, value: object) -> Status:
        """A status from any spelling apexops has written (older ledgers, decisions, outcomes).

        Unknown words read as INFO: a label to show, never a judgement invented by the reader.
        """
        if isinstance(value, Status):
            return value
        if isinstance(value, Outcome):
            return value.status
        word = str(getattr(value, "value", value)).strip().upper()
        try:
            return cls(word)
        except ValueError:
            return _SYNONYMS.get(word, Status.INFO)


_STATUS_ORDER: tuple[Status, ...] = tuple(Status)

#: words that older ledgers, the canary's decisions and the outcomes use, read as the status they mean
_SYNONYMS: dict[str, Status] = {
    "OK": Status.PASS,
    "SUCCEEDED": Status.PASS,
    "PROMOTE": Status.PASS,
    "PROMOTED": Status.PASS,
    "FAILED": Status.FAIL,
    "ERROR": Status.FAIL,
    "ROLLBACK": Status.FAIL,
    "ROLLED_BACK": Status.FAIL,
    "TIMED_OUT": Status.FAIL,
    "KERNEL_DIED": Status.FAIL,
    "RECORD_FAILED": Status.FAIL,
    "BLOCK": Status.FAIL,
    "BLOCKED": Status.FAIL,
    "WARNING": Status.WARN,
    "HOLD": Status.WARN,
    "INTERRUPTED": Status.WARN,
    "ESCALATE": Status.INCONCLUSIVE,
    "CONTINUE": Status.INFO,
    "RUNNING": Status.INFO,
}


class Outcome(StrEnum):
    """How a run of a procedure ended, as the runner stamps it (lower case, as in the ledger)."""

    RUNNING = "running"  # not ended yet (a run folder in flight)
    SUCCEEDED = "succeeded"
    INTERRUPTED = "interrupted"  # stopped by the operator (Ctrl-C, SIGTERM)
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    KERNEL_DIED = "kernel_died"
    RECORD_FAILED = "record_failed"  # ended, but its record could not be written (`apexops runs recover`)

    @property
    def status(self) -> Status:
        """The status an outcome is shown with."""
        return {
            Outcome.RUNNING: Status.INFO,
            Outcome.SUCCEEDED: Status.PASS,
            Outcome.INTERRUPTED: Status.WARN,
        }.get(self, Status.FAIL)


def worst(items: Iterable[Status | str], default: Status = Status.PASS) -> Status:
    """The worst status among `items` (strings are parsed); `default` when there are none."""
    statuses = [Status.parse(s) for s in items]
    return max(statuses, key=lambda s: s.rank) if statuses else default


# --------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class Finding:
    """What one rule found: a status and why."""

    status: Status
    reason: str


#: a rule looks at one subject and returns a finding, several, or None (nothing to say)
Rule = Callable[[T], "Finding | Iterable[Finding] | None"]


@dataclass(frozen=True)
class Verdict:
    """The verdict of a check or a procedure: status, reasons, the facts behind it, the next step.

    `error` is the ApexopsError subclass `raise_for_failure` raises and `title` its opening words
    ("deployment failed"), so a chain (procedure 90) stops with the procedure's own error type.
    """

    status: Status
    reasons: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    hint: str = ""
    title: str = ""
    error: type[Exception] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.status, Status):
            object.__setattr__(self, "status", Status.parse(self.status))
        if not isinstance(self.reasons, tuple):
            object.__setattr__(self, "reasons", tuple(str(r) for r in self.reasons))

    @property
    def ok(self) -> bool:
        """False only for FAIL: WARN, INCONCLUSIVE and SKIPPED do not stop a run by themselves."""
        return not self.status.failed

    def text(self) -> str:
        """The plain-text rendering (terminal, text/plain, logs)."""
        return "\n".join([f"VERDICT: {self.status}", *(f"  - {r}" for r in self.reasons)])

    def failure(self) -> Exception:
        """The error this verdict stops a run with (`raise_for_failure` raises it when FAIL)."""
        cls = self.error or VerificationError
        message = "; ".join(self.reasons) or str(self.status)
        if self.title:
            message = f"{self.title}: {message}"
        if issubclass(cls, ApexopsError):
            return cls(message, hint=self.hint or None)
        return cls(message)

    def raise_for_failure(self) -> None:
        """Stop the run when the verdict is FAIL (the notebook's last cell; a chain's child)."""
        if self.status.failed:
            raise self.failure()


def judge(
    rules: Sequence[Rule[T]],
    subject: T,
    *,
    default: Finding | None = None,
    hint: str = "",
    title: str = "",
    error: type[Exception] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> Verdict:
    """Run every rule on `subject` and keep the worst status; the reasons are those of that status.

    When no rule finds anything the verdict is `default` (PASS with no reason if not given).
    Reasons of lesser findings are kept after the deciding ones, so a FAIL still shows the WARNs.
    """
    found: list[Finding] = []
    for rule in rules:
        result = rule(subject)
        if result is None:
            continue
        if isinstance(result, Finding):
            found.append(result)
        else:
            found.extend(result)
    if not found:
        found = [default or Finding(Status.PASS, "")]
    status = worst(f.status for f in found)
    deciding = [f.reason for f in found if f.status is status and f.reason]
    others = [
        f.reason for f in found if f.status is not status and f.reason and f.status.rank > Status.PASS.rank
    ]
    return Verdict(status, tuple(deciding + others), dict(facts or {}), hint, title, error)


# --------------------------------------------------------------------------- presentation


#: status -> (text colour, background); the one map every view uses
_COLOURS: dict[Status, tuple[str, str]] = {
    Status.PASS: ("#1b5e20", "#c8e6c9"),
    Status.FAIL: ("#b71c1c", "#ffcdd2"),
    Status.WARN: ("#8d5b00", "#ffe0b2"),
    Status.INCONCLUSIVE: ("#0d47a1", "#bbdefb"),
    Status.SKIPPED: ("#424242", "#e0e0e0"),
    Status.INFO: ("#263238", "#eceff1"),
}


@dataclass(frozen=True)
class Style:
    """How a status word is shown: its colours and the label."""

    fg: str
    bg: str
    label: str
    status: Status


def style(value: object) -> Style:
    """Colours and label for a status, an outcome, a canary decision or any word apexops writes."""
    status = Status.parse(value)
    fg, bg = _COLOURS[status]
    label = str(getattr(value, "value", value)) if value is not None else ""
    return Style(fg, bg, label or str(status), status)


def badge_html(value: object) -> str:
    """An HTML badge for a status word (escaped)."""
    s = style(value)
    return (
        f'<span class="status status-{s.status.lower()}" style="color:{s.fg};background:{s.bg};'
        f'padding:1px 8px;border-radius:3px;font-weight:600">{html.escape(s.label)}</span>'
    )
