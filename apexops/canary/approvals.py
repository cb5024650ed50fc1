"""One `approval` parameter, several gated changes: each gate takes the phrase bound to its own change.

A run of procedure 50 may make two changes (shift the traffic; after the stability window, deactivate the
old revision) and 60 up to two (roll back; downgrade the database). Each change has its own gate and its
own phrase, so approving one never approves the other. Headless, the phrases arrive in the one `approval`
parameter separated by ";", e.g. "SHIFT TRAFFIC TO app--v1-2-3 IN local; DEACTIVATE app--v1-2-2 IN local".
"""

from __future__ import annotations

from typing import Any

__all__ = ["NoGate", "approval_for", "phrases"]


def phrases(approval: str | None) -> list[str]:
    """The phrases given in `approval` (";"-separated, surrounding blanks ignored)."""
    return [p.strip() for p in (approval or "").split(";") if p.strip()]


def approval_for(approval: str | None, phrase: str) -> str:
    """What to hand to the gate for `phrase`: the matching phrase when given, else everything given (so the
    gate reports the mismatch with what the operator actually passed)."""
    given = phrases(approval)
    return phrase if phrase in given else "; ".join(given)


class NoGate:
    """A step with nothing to approve (nothing to change): `check()` is False, like a dry-run gate."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.approved = False

    def __repr__(self) -> str:
        return f"NoGate({self.reason!r})"

    def check(self) -> bool:
        return False

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # pragma: no cover - IPython display only
        p.text(repr(self))
