"""Approval gates that fail closed, headless and interactive, without `input()`.

One cell opens the gate, the NEXT cell checks it:

    gate = apexops.gates.require_approval(f"DEPLOY {tag} TO {env}", approval=approval, dry_run=dry_run)
    # --- next cell ---
    if gate.check():
        result = deploy.apply(plan)
    else:
        apexops.display.step_skipped("dry run")

Headless (the runner sets APEXOPS_HEADLESS=1), the phrase must arrive as the `approval` parameter. In
JupyterLab the first cell shows a text box and an Approve button; widgets cannot block a running cell
(ipykernel #311), so the check lives in the next cell and raises `ApprovalRequired` until the operator has
typed the phrase and clicked Approve; Run All stops there. In dry-run `check()` returns False and the
apply cells print `SKIPPED (dry run)`. The phrase names the change ("DEPLOY v1.2.3 TO prod"), so an approval
given for one change can never approve another.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apexops.display import show_message
from apexops.errors import ApprovalRequired
from apexops.kernel import operator_identity, record, unattended
from apexops.status import Status

__all__ = ["Gate", "operator_name", "require_approval"]


def operator_name() -> str:
    """Who is acting: APEXOPS_OPERATOR, a CI identity, else the OS user."""
    return operator_identity()[0]


class Gate:
    """The state of one approval: the expected phrase and whether, by whom and when it was approved."""

    def __init__(self, expected_phrase: str, *, dry_run: bool, headless: bool) -> None:
        if not expected_phrase or not expected_phrase.strip():
            raise ValueError("an approval phrase must name the change, e.g. 'DEPLOY v1.2.3 TO prod'")
        self.phrase = expected_phrase.strip()
        self.dry_run = dry_run
        self.headless = headless
        self.approved = False
        self.approved_by: str | None = None
        self.approved_at: datetime | None = None
        self.via: str | None = None
        self._widget: Any = None

    def __repr__(self) -> str:
        state = "dry run" if self.dry_run else ("approved" if self.approved else "not approved")
        return f"Gate({self.phrase!r}, {state})"

    def approve(self, typed: str, *, via: str) -> bool:
        """Approve if `typed` is exactly the phrase; records who and when. Returns whether it matched."""
        if (typed or "").strip() != self.phrase:
            return False
        self.approved = True
        self.approved_by = operator_name()
        self.approved_at = datetime.now(UTC)
        self.via = via
        return True

    def check(self) -> bool:
        """True when approved (go ahead), False in dry-run (skip), else raise ApprovalRequired."""
        if self.dry_run:
            show_message(f"dry run: '{self.phrase}' is not needed; apply steps are skipped", Status.SKIPPED)
            return False
        if not self.approved:
            if self.headless:
                hint = f'pass -p approval="{self.phrase}" to approve this change, or keep dry_run=True.'
            else:
                hint = "type the phrase in the box above, click Approve, then run this cell and those below."
            raise ApprovalRequired(
                f"'{self.phrase}' was not approved; nothing past this gate ran.", hint=hint
            )
        self._record()
        when = self.approved_at.isoformat(timespec="seconds") if self.approved_at else "?"
        show_message(f"'{self.phrase}' approved by {self.approved_by} at {when} ({self.via})", Status.PASS)
        return True

    def _record(self) -> None:
        approval = {"phrase": self.phrase, "by": self.approved_by, "at": self.approved_at, "via": self.via}
        record("approvals", approval, append=True)

    # ------------------------------------------------------------------ interactive widget

    def _show_widget(self) -> None:
        try:
            import ipywidgets as w
            from IPython.display import display
        except ImportError:
            show_message(
                f'approval needed: set approval = "{self.phrase}" in the parameters cell and re-run',
                Status.WARN,
            )
            return
        text = w.Text(placeholder=self.phrase, description="Approve:", layout=w.Layout(width="420px"))
        button = w.Button(description="Approve", button_style="danger", icon="check")
        status = w.HTML(value=f"Type <code>{self.phrase}</code> and click Approve.")

        def on_click(_: Any) -> None:
            if self.approve(text.value, via="widget"):
                status.value = f"<b>Approved</b> by {self.approved_by}. Now run the next cell."
                button.disabled = text.disabled = True
            else:
                status.value = "<b>Phrase does not match.</b> Type it exactly as shown."

        button.on_click(on_click)
        self._widget = w.VBox([w.HBox([text, button]), status])
        display(self._widget)


def require_approval(
    expected_phrase: str,
    *,
    approval: str | None = "",
    dry_run: bool = True,
    headless: bool | None = None,
) -> Gate:
    """Open a gate for the change named by `expected_phrase`; call `.check()` in the NEXT cell.

    Headless, `approval` (a parameter) must equal the phrase. Interactive, an `approval` equal to the phrase
    approves at once; otherwise a text box and an Approve button appear. Dry-run needs no approval.
    """
    if headless is None:
        headless = unattended()
    gate = Gate(expected_phrase, dry_run=dry_run, headless=headless)
    if dry_run:
        show_message(f"dry run: the gate '{gate.phrase}' will not be needed", Status.SKIPPED)
        return gate
    if approval and gate.approve(approval, via="parameter"):
        show_message(f"approval parameter matches '{gate.phrase}'", Status.PASS)
        return gate
    if headless:
        detail = "does not match" if approval else "was not given"
        show_message(f"approval for '{gate.phrase}' {detail}; the next cell will stop the run", Status.FAIL)
        return gate
    gate._show_widget()
    return gate
