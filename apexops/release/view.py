"""What the 90-release notebook shows: the plan, where the release starts, live progress child by child, the
timeline (chart + table with links to each child's notebook, HTML and evidence) and the verdict.

Links in the timeline table are relative to the 90 run's own folder, so they work from its executed
notebook and its HTML wherever the outputs folder is copied (child folders sit beside it).
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from apexops import display, kernel
from apexops.deploy.live import LiveTable
from apexops.release.orchestrator import ReleaseEvent, ReleaseResult, read_heads
from apexops.release.plan import ReleasePlan, check_procedures
from apexops.release.timeline import ChildRecord, NotRun, child_status, timeline_figure, timeline_rows
from apexops.status import Outcome, badge_html

__all__ = ["ReleaseView", "show_plan", "show_timeline", "starting_rows"]


def show_plan(plan: ReleasePlan, *, notebooks: Path | None = None) -> None:
    """The chain as planned: which children run, with which parameters, the check that every child takes
    what the release passes it (ConfigError before anything runs otherwise), and the approval phrase."""
    mode = "dry run: each child runs its own dry run where it has one" if plan.dry_run else "release"
    display.show_table(plan.rows(), title=f"Plan ({mode})")
    display.show_table(check_procedures(plan, notebooks), status_column="check", title="Child procedures")
    display.show_message(f"approval phrase: {plan.approval_phrase}")


def starting_rows(env: Any, plan: ReleasePlan) -> list[dict[str, Any]]:
    """Where the release starts: revisions with traffic, the latest revision, the database's revision."""
    rows: list[dict[str, Any]] = []
    try:
        for r in env.app.list_revisions():
            if r.active or r.traffic_weight:
                value = f"{r.traffic_weight}% · {r.image.rpartition(':')[2]} · {r.health_state}"
                rows.append({"item": "revision", "name": r.name, "value": value})
    except Exception as exc:  # the table says what could not be read; the children report properly
        rows.append({"item": "revisions", "name": "-", "value": f"unreadable: {exc}"})
    if plan.inputs.migrate:
        try:
            value = f"at {','.join(read_heads(env)) or 'no version'}; target {plan.migration_revision}"
            rows.append({"item": "database", "name": plan.database, "value": value})
        except Exception as exc:
            rows.append({"item": "database", "name": plan.database, "value": f"unreadable: {exc}"})
    return rows


def _progress_row(procedure: str, status: str = "", step: str = "") -> dict[str, Any]:
    return {"procedure": procedure, "status": status, "step": step, "run": "", "duration s": "", "result": ""}


class ReleaseView:
    """Live progress in the notebook: one table, redrawn in place as children start, step and end."""

    def __init__(self, plan: ReleasePlan, *, min_interval_s: float = 0.25) -> None:
        self.table = LiveTable(title="Release progress", status_column="status")
        self.rows: dict[str, dict[str, Any]] = {
            s.procedure: _progress_row(s.procedure, "pending", "")
            if s.runs
            else _progress_row(s.procedure, NotRun.SKIPPED, s.why_not)
            for s in plan.steps
        }
        self.min_interval_s = min_interval_s
        self._last = 0.0
        self._caption = ""
        self.table.update(list(self.rows.values()))

    def on_event(self, event: ReleaseEvent) -> None:
        if event.kind in ("decision", "done"):
            self._caption = event.text
            self.table.update(list(self.rows.values()), caption=self._caption)
            return
        row = self.rows.setdefault(event.procedure, _progress_row(event.procedure))
        force = True
        if event.kind == "start":
            row.update(status=Outcome.RUNNING, step="starting")
        elif event.kind == "step":
            row["step"] = event.text
            row["run"] = event.run_id or row["run"]
            force = False
        elif event.kind == "end":
            row.update(status=event.outcome or "", step="", run=event.run_id or "", result=event.text)
            if event.duration_s is not None:
                row["duration s"] = f"{event.duration_s:.1f}"
        elif event.kind == "skip":
            row.update(status=event.outcome or NotRun.SKIPPED, step=event.text)
        now = time.monotonic()
        if not force and now - self._last < self.min_interval_s:
            return
        self._last = now
        self.table.update(list(self.rows.values()), caption=self._caption)


def _links_html(row: dict[str, Any], root: str) -> str:
    links = []
    for label in ("notebook", "html", "evidence"):
        if row.get(label):
            target = f"{root}/{row[label]}" + ("/" if label == "evidence" else "")
            links.append(f'<a href="{html.escape(target)}">{label}</a>')
    return " · ".join(links)


def timeline_html(records: Sequence[ChildRecord], root: str) -> str:
    rows = timeline_rows(records)
    columns = ["procedure", "outcome", "run", "start (UTC)", "at s", "duration s", "key facts", "artifacts"]
    head = "".join(f'<th style="text-align:left">{c}</th>' for c in columns)
    body = []
    for row in rows:
        cells = [
            html.escape(row["procedure"]),
            badge_html(child_status(row["outcome"])) + " " + html.escape(row["outcome"]),
            f"<code>{html.escape(row['run'])}</code>",
            html.escape(row["start (UTC)"]),
            "" if row["at s"] is None else f"{row['at s']:.1f}",
            "" if row["duration s"] is None else f"{row['duration s']:.1f}",
            html.escape(row["key facts"]),
            _links_html(row, root),
        ]
        tds = "".join(f'<td style="text-align:left;vertical-align:top">{c}</td>' for c in cells)
        body.append(f"<tr>{tds}</tr>")
    caption = (
        "<caption style='text-align:left;font-weight:600'>Timeline (links open each child's record)</caption>"
    )
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _link_root(run_dir: Path | None, outputs: Path) -> str:
    """The outputs folder as seen from the 90 run's folder (e.g. ../../..)."""
    if run_dir is None:
        return str(outputs)
    return os.path.relpath(outputs, run_dir).replace(os.sep, "/")


def show_timeline(result: ReleaseResult, *, outputs: Path | None = None, run_dir: Path | None = None) -> None:
    """The Gantt chart of the children, and the table with their outcomes, key facts and artifact links."""
    ctx = kernel.run_context()
    out = kernel.outputs_root(outputs)
    root = _link_root(run_dir or ctx.run_dir, out)
    if any(r.ran for r in result.records):
        title = f"Release {result.plan.inputs.image_tag} to {result.plan.inputs.env}"
        display.show_chart(timeline_figure(result.records, title=title))
    rows = timeline_rows(result.records)
    display.show_text_table(
        ["procedure", "outcome", "run", "at s", "duration s", "key facts"],
        [[r["procedure"], r["outcome"], r["run"], r["at s"], r["duration s"], r["key facts"]] for r in rows],
        html_table=timeline_html(result.records, root),
        title="Timeline",
    )
