"""A table that updates in place while a cell runs; the saved notebook keeps exactly its final state.

The revision watch of procedure 30 redraws one display (IPython `display_id` + `update`): JupyterLab's
HTML renderer redraws on every update (unlike its plotly renderer, which is why `apexops.livechart.LiveChart`
needs a widget), so the operator sees the status change live, and the executed notebook stores one table,
the last one, rather than one per poll. Statuses are coloured with
`apexops.status.style`. Outside IPython it prints the text rendering once per change.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from apexops.display import table_bundle
from apexops.status import Status, style

__all__ = ["LiveTable", "watch_table"]


#: revision phases shown with the status colours they mean (failed and timed_out read as FAIL by
#: `Status.parse`, provisioning as INFO)
_PHASES = {"healthy": Status.PASS, "running": Status.WARN}


def _badge(value: str) -> str:
    s = style(_PHASES.get(value.lower(), value))
    return (
        f'<span style="color:{s.fg};background:{s.bg};padding:1px 8px;border-radius:3px;font-weight:600">'
        f"{html.escape(value)}</span>"
    )


class LiveTable:
    """One table display, redrawn in place by `update(rows)`."""

    def __init__(self, *, title: str = "", status_column: str | None = None) -> None:
        self.title = title
        self.status_column = status_column
        self._handle: Any = None
        self._last_text: str | None = None
        self.updates = 0

    def bundle(self, rows: Sequence[Mapping[str, Any]], caption: str = "") -> dict[str, str]:
        shown = [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]
        return table_bundle(
            shown, status_column=self.status_column, title=self.title, caption=caption, badge=_badge
        )

    def update(self, rows: Sequence[Mapping[str, Any]], *, caption: str = "") -> None:
        """Draw the table (the first call displays it, later calls replace that display)."""
        bundle = self.bundle(rows, caption)
        self.updates += 1
        from IPython import get_ipython  # lazy: IPython loads only when a table is drawn
        from IPython.display import display

        if get_ipython() is None:
            if bundle["text/plain"] != self._last_text:
                print(bundle["text/plain"])
                self._last_text = bundle["text/plain"]
            return
        if self._handle is None:
            self._handle = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        else:
            self._handle.update(bundle, raw=True)


def watch_table(title: str = "New revision") -> tuple[LiveTable, Any]:
    """A LiveTable and the `on_status` callback that feeds it from `watch_revision`."""
    table = LiveTable(title=title, status_column="phase")

    def on_status(current: Any, history: Sequence[Any]) -> None:
        table.update(
            [h.row() for h in history],
            caption=f"elapsed {current.elapsed_s:.0f} s — now {current.phase}, {current.replicas} replica(s)",
        )

    return table, on_status
