"""When the judge cannot decide: a person does, in an explicit decision cell (gates-style split cells).

The rollout has already put the baseline back at 100% (read back) before it escalates, so nothing is at
risk while the person thinks. Interactively, one cell shows two buttons, "Resume stage N" and "Roll
back"; widgets cannot block a running cell, so the NEXT cell acts on the choice and raises until one was
made (Run All stops there). Headless there is no person: the `on_inconclusive` parameter (or the
policy's) already decided inside the rollout (extend, rollback), and "escalate" ends the run with traffic
at the baseline and the run failed, for a person to pick up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apexops.display import show_message
from apexops.errors import ApprovalRequired
from apexops.gates import operator_name
from apexops.status import Status

__all__ = ["CHOICES", "EscalationDecision"]

CHOICES = ("resume", "rollback")


class EscalationDecision:
    """The person's choice after an escalation: resume the stage, or roll back (who and when recorded)."""

    def __init__(self, *, stage_index: int, reason: str, headless: bool) -> None:
        self.stage_index, self.reason, self.headless = stage_index, reason, headless
        self.choice: str | None = None
        self.by: str | None = None
        self.at: datetime | None = None
        self.via: str | None = None
        self._widget: Any = None

    def __repr__(self) -> str:
        return f"EscalationDecision(stage {self.stage_index + 1}, {self.choice or 'undecided'})"

    def choose(self, choice: str, *, via: str) -> None:
        if choice not in CHOICES:
            raise ValueError(f"choice must be one of {CHOICES} (got {choice!r})")
        self.choice, self.by, self.at, self.via = choice, operator_name(), datetime.now(UTC), via

    def to_record(self) -> dict[str, Any]:
        return {
            "stage": self.stage_index + 1,
            "judge": self.reason,
            "choice": self.choice,
            "by": self.by,
            "at": self.at.isoformat(timespec="seconds") if self.at else None,
            "via": self.via,
        }

    def require(self) -> str:
        """The choice, or ApprovalRequired when none was made (interactive: click a button first)."""
        if self.choice is None:
            raise ApprovalRequired(
                f"the canary escalated at stage {self.stage_index + 1} and no decision was made; traffic is "
                "at the baseline.",
                hint="click 'Resume' or 'Roll back' above, then run this cell and those below.",
            )
        return self.choice

    def show(self) -> None:
        """The two buttons (interactive only)."""
        try:  # lazy: ipywidgets only when a person is there to click
            import ipywidgets as w
            from IPython.display import display
        except ImportError:
            show_message(
                "a decision is needed: call decision.choose('resume' or 'rollback', via='code') in a cell",
                Status.WARN,
            )
            return
        resume = w.Button(description=f"Resume stage {self.stage_index + 1}", button_style="warning")
        back = w.Button(description="Roll back", button_style="danger", icon="undo")
        status = w.HTML(value="Traffic is at the baseline. Choose, then run the next cell.")

        def pick(choice: str) -> Any:
            def on_click(_: Any) -> None:
                self.choose(choice, via="widget")
                status.value = f"<b>{choice}</b> chosen by {self.by}. Now run the next cell."
                resume.disabled = back.disabled = True

            return on_click

        resume.on_click(pick("resume"))
        back.on_click(pick("rollback"))
        self._widget = w.VBox([w.HBox([resume, back]), status])
        display(self._widget)  # type: ignore[no-untyped-call]
