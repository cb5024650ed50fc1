"""The release's timeline: one record per child run (when, how long, how it ended, what it found, where its
artifacts are), as a table with links and a Gantt-style chart coloured by outcome.

Links are kept relative to the outputs folder (that is how the ledger names artifacts, and the folder can be
zipped and opened anywhere); the notebook turns them into links relative to the 90 run's own folder, so
they work from its executed notebook and from its HTML.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from apexops.status import Outcome, Status, style

__all__ = [
    "ChildOutcome",
    "ChildRecord",
    "NotRun",
    "child_status",
    "compact_traffic",
    "key_facts",
    "timeline_figure",
    "timeline_rows",
]


class NotRun(StrEnum):
    """A child of the release that has no run: why it did not run (beside the runner's `Outcome`s)."""

    SKIPPED = "skipped"  # not part of this release (a dry run, migrate=False, already released)
    NOT_RUN = "not_run"  # the chain stopped before it
    NOT_STARTED = "not_started"  # it could not start (a blocked parameter, an unknown procedure)


#: how a child ended: a run's outcome, or why it has none
ChildOutcome = Outcome | NotRun


def child_status(outcome: ChildOutcome | str) -> Status:
    """The display status of a child's outcome: one that could not start failed, one not run was skipped."""
    if outcome == NotRun.NOT_STARTED:
        return Status.FAIL
    if outcome in (NotRun.SKIPPED, NotRun.NOT_RUN):
        return Status.SKIPPED
    return Status.parse(outcome)


def _get(facts: Mapping[str, Any], *path: str) -> Any:
    value: Any = facts
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _heads(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value or "-")


def compact_traffic(value: Any) -> str | None:
    """`[{"revision": "app--abc", "weight": 100}, ...]` (or a mapping) → "app--abc=100%" (weights > 0)."""
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = [
            (w.get("revision") or w.get("revision_name") or "latest", w.get("weight"))
            for w in value
            if isinstance(w, Mapping)
        ]
    else:
        return None
    return ", ".join(f"{name}={weight}%" for name, weight in pairs if weight) or "none"


def _stages(value: Any) -> str | None:
    """Per canary stage: weight, verdict, seconds and canary 5xx/requests ("10% PROMOTE 23s 0/265 → ...")."""
    if not isinstance(value, list) or not value:
        return None
    parts = []
    for st in value:
        if not isinstance(st, Mapping):
            continue
        elapsed = st.get("elapsed_s")
        seconds = f" {float(elapsed):.0f}s" if isinstance(elapsed, int | float) else ""
        errors = f" {st.get('canary_5xx', '?')}/{st.get('canary_requests', '?')} 5xx"
        parts.append(f"{st.get('weight')}% {st.get('verdict')}{seconds}{errors}")
    return " → ".join(parts) or None


def key_facts(procedure: str, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The few facts of a child that tell the release's story (the rest stay in its own ledger line)."""
    out: dict[str, Any] = {}
    pid = procedure[:3]
    if pid == "20-":
        if "heads_before" in facts or "heads_after" in facts:
            out["database"] = f"{_heads(facts.get('heads_before'))} → {_heads(facts.get('heads_after'))}"
        out["lint"] = _get(facts, "lint", "verdict")
        out["blocking"] = _get(facts, "lint", "blocking") or None
        out["verdict"] = facts.get("migration_verdict")
    elif pid == "30-":
        out["new_revision"] = facts.get("new_revision")
        out["image"] = facts.get("image_tag")
        out["plan"] = facts.get("plan_action")
        out["verdict"] = facts.get("deploy_verdict")
    elif pid == "40-":
        out["revision"] = _get(facts, "smoke_verdict", "revision")
        out["verdict"] = _get(facts, "smoke_verdict", "verdict")
    elif pid == "50-":
        verdict = _get(facts, "canary", "verdict")
        out["canary"] = verdict
        out["stages"] = _stages(_get(facts, "canary", "stages"))
        if verdict != "promoted":
            out["reason"] = _short(_get(facts, "canary", "reason") or "", 160) or None
        out["traffic_moved"] = facts.get("traffic_moved")
        out["traffic"] = compact_traffic(_get(facts, "canary", "traffic_final"))
    elif pid == "60-":
        out["from"] = _get(facts, "rollback", "from")
        out["to"] = _get(facts, "rollback", "to")
        out["traffic"] = compact_traffic(_get(facts, "rollback", "traffic_final"))
    else:
        out = {k: v for k, v in list(facts.items())[:3] if k not in ("approvals", "redactions")}
    return {k: v for k, v in out.items() if v not in (None, "", [], {})}


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class ChildRecord:
    """One child of the release: a run (with its ledger facts) or a step that did not run, and why."""

    role: str
    procedure: str
    outcome: ChildOutcome
    run_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    #: artifacts, relative to the outputs folder
    notebook: str | None = None
    html: str | None = None
    evidence: str | None = None
    #: why it did not run (skipped, not_run, not_started)
    note: str = ""

    def __post_init__(self) -> None:
        """The outcome a runner result or a ledger line names, as a member."""
        word = str(self.outcome)
        outcome = Outcome(word) if word in Outcome._value2member_map_ else NotRun(word)
        object.__setattr__(self, "outcome", outcome)

    @property
    def ran(self) -> bool:
        return self.run_id is not None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SUCCEEDED

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.started_at).total_seconds())

    @property
    def key_facts(self) -> dict[str, Any]:
        return key_facts(self.procedure, self.facts)

    @classmethod
    def from_result(cls, role: str, result: Any, outputs: Path) -> ChildRecord:
        """From a runner `RunResult` (artifact paths made relative to the outputs folder)."""
        line = result.ledger_line or {}

        def rel(path: Path | None) -> str | None:
            if path is None:
                return None
            try:
                return Path(path).resolve().relative_to(Path(outputs).resolve()).as_posix()
            except ValueError:
                return str(path)

        def when(key: str) -> datetime | None:
            value = line.get(key)
            return datetime.fromisoformat(value) if isinstance(value, str) else None

        started, ended = when("started_at"), when("ended_at")
        if started is not None and isinstance(line.get("duration_s"), int | float):
            ended = started + timedelta(seconds=float(line["duration_s"]))  # sub-second precision
        return cls(
            role=role,
            procedure=result.procedure,
            outcome=result.outcome,
            run_id=result.run_id,
            started_at=started,
            ended_at=ended,
            error=result.error,
            facts=dict(result.facts or {}),
            notebook=rel(result.notebook_path),
            html=rel(result.html_path),
            evidence=rel(result.evidence_dir),
        )

    def to_fact(self) -> dict[str, Any]:
        """The child as the 90 run's ledger line keeps it."""
        out: dict[str, Any] = {"procedure": self.procedure, "outcome": self.outcome}
        if self.run_id:
            out.update(
                run_id=self.run_id,
                started_at=self.started_at.isoformat(timespec="seconds") if self.started_at else None,
                duration_s=round(self.duration_s, 2) if self.duration_s is not None else None,
                facts=self.key_facts,
                links={k: getattr(self, k) for k in ("notebook", "html", "evidence") if getattr(self, k)},
            )
        if self.error:
            out["error"] = _short(self.error, 300)
        if self.note:
            out["note"] = self.note
        return out


def _origin(records: Sequence[ChildRecord]) -> datetime | None:
    starts = [r.started_at for r in records if r.started_at is not None]
    return min(starts) if starts else None


def timeline_rows(records: Sequence[ChildRecord]) -> list[dict[str, Any]]:
    """Rows for the timeline table: offset from the first child's start, duration, outcome, key facts."""
    origin = _origin(records)
    rows = []
    for r in records:
        start = (r.started_at - origin).total_seconds() if origin and r.started_at else None
        rows.append(
            {
                "procedure": r.procedure,
                "outcome": r.outcome,
                "status": child_status(r.outcome),
                "run": r.run_id or "",
                "start (UTC)": r.started_at.strftime("%H:%M:%S") if r.started_at else "",
                "at s": None if start is None else round(start, 1),
                "duration s": None if r.duration_s is None else round(r.duration_s, 1),
                "key facts": "; ".join(f"{k}={_short(v, 80)}" for k, v in r.key_facts.items())
                or (r.note or _short(r.error or "", 160)),
                "notebook": r.notebook,
                "html": r.html,
                "evidence": r.evidence,
            }
        )
    return rows


def timeline_figure(records: Sequence[ChildRecord], *, title: str = "Release timeline") -> Any:
    """A Gantt-style plotly figure: one bar per child run, from its start to its end, coloured by outcome."""
    import plotly.graph_objects as go  # lazy: plotly is heavy

    origin = _origin(records)
    ran = [r for r in records if r.started_at is not None and origin is not None]
    fig = go.Figure()
    order = [r.procedure for r in records]
    for outcome in dict.fromkeys(r.outcome for r in ran):  # one trace per outcome, coloured by its status
        group = [r for r in ran if r.outcome == outcome]
        fig.add_trace(
            go.Bar(
                name=str(outcome),
                orientation="h",
                y=[r.procedure for r in group],
                base=[round((r.started_at - origin).total_seconds(), 2) for r in group],  # type: ignore[operator]
                x=[round(max(r.duration_s or 0.0, 0.05), 2) for r in group],
                marker_color=style(child_status(outcome)).fg,
                text=[f"{r.outcome} · {r.duration_s or 0:.1f} s" for r in group],
                textposition="inside",
                customdata=[[r.run_id, _short(r.key_facts, 200)] for r in group],
                hovertemplate="%{y}<br>run %{customdata[0]}<br>from %{base:.1f} s for %{x:.1f} s"
                "<br>%{customdata[1]}<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(
        title=title,
        barmode="overlay",
        height=120 + 45 * max(1, len(order)),
        xaxis_title="seconds since the first child started",
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(order)), "title": None},
        legend_title="outcome",
        margin={"l": 190, "r": 20, "t": 50, "b": 40},
    )
    return fig
