"""The rollout's live chart: what the judge sees, updated in place at every poll.

Four panels sharing the time axis, so an engineer reads a decision at a glance: request rate per
revision; 5xx share per revision; slow share per revision (requests at or above the SLO's latency, i.e.
"P95 < 2 s" as "under 5% slow"); and the harm e-values against their threshold (log scale), with the
canary's traffic weight and a marker at every stage change and at the decision. Counts are cumulative
since the stage start, as the judge uses them. The 5xx and slow panels also carry the promotion gate:
the canary's anytime-valid upper bound (dotted) against the SLO limit (dashed red); the gate passes when
the bound is below the limit. plotly is imported here only, when a chart is made.

With strata (issue 12) the first three panels draw each stratum on its own line ("canary 5xx % · probes",
"· users", ...), each point placed at the time its data is complete up to, not at the poll: the users'
line trails the probes' by the telemetry's lag, which is what the judge can see. The title says how far
each stratum is complete ("users: data up to 14:02:10, lag 3 min"); the evidence panel draws each
stratum's e-values where the judge reports them (`harm_errors_<stratum>_e_value`; keys a judge does not
report are simply not drawn), and every decision marker carries the judge's reason as its hover text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from apexops.canary.judge import Decision
from apexops.canary.observation import StratumSnapshot
from apexops.canary.rollout import PollRecord
from apexops.canary.strata import completeness
from apexops.livechart import LiveChart

__all__ = ["RolloutChart"]

_PANELS = ("requests/s", "5xx %", "slow %", "evidence (e-value)")
#: line style per stratum, so probes and users read apart at a glance
_DASH = {"probes": "dot", "platform": "dashdot", "users": "solid"}
#: one colour per series kind, the same in every panel: the canary is always orange and the baseline blue
#: (strata differ by dash, above); limits are red, the canary's bound purple, the weight grey
_ROLE_COLOUR = {"canary": "#ff7f0e", "baseline": "#1f77b4"}
_LIMIT, _BOUND, _WEIGHT = "#d62728", "#9467bd", "#7f7f7f"
_EVIDENCE_COLOUR = {"e 5xx": "#17becf", "e slow": "#8c564b"}
#: the canary weight axis: the stage weights an operator thinks in, never 5.3 or 17.6
WEIGHT_TICKS = (0, 10, 25, 50, 75, 100)
#: label rows, as a fraction of a panel's height from its edge: consecutive labels alternate between
#: them, so a short stage's label never sits on the next one's
_LABEL_ROWS = (0.0, 0.13)


def series_colour(name: str) -> str | None:
    """The colour of a series by its name: by role (canary, baseline), limit, bound, evidence or weight."""
    if name.startswith(("SLO ", "1/α")):
        return _LIMIT
    if " bound" in name:
        return _BOUND
    if name.startswith("canary weight"):
        return _WEIGHT
    for prefix, colour in _EVIDENCE_COLOUR.items():
        if name.startswith(prefix):
            return colour
    return _ROLE_COLOUR.get(name.split(" ", 1)[0])


class RolloutChart:
    """chart = RolloutChart(); Rollout(..., on_poll=chart.update).run(); chart.figure is the final figure."""

    def __init__(self, *, title: str = "Canary", live: bool = True) -> None:
        from plotly.subplots import make_subplots  # lazy: plotly only when a chart is made

        fig = make_subplots(
            rows=4,
            cols=1,
            shared_xaxes=True,
            vertical_spacing=0.06,
            subplot_titles=_PANELS,
            specs=[[{}], [{}], [{}], [{"secondary_y": True}]],
        )
        fig.update_layout(title=title, height=860, legend={"orientation": "h"})
        self._title = title
        # log axis ticked at the powers of ten only: plotly's "2" and "5" between them crowd the labels
        fig.update_yaxes(type="log", dtick=1, row=4, col=1, secondary_y=False)
        fig.update_yaxes(
            title_text="canary weight %",
            range=[0, 105],
            tickmode="array",
            tickvals=list(WEIGHT_TICKS),
            showgrid=False,  # the e-value axis draws the grid; two grids would not line up
            row=4,
            col=1,
            secondary_y=True,
        )
        self.figure = fig
        self._live: Any = None
        if live:
            self._live = LiveChart(fig)
        self._last: PollRecord | None = None
        self._stage: int | None = None
        #: the largest observed rate per panel (row -> %), so a 100% bound early on does not flatten it
        self._top: dict[int, float] = {}
        #: per stratum, its previous point in this stage: (data complete until, cumulative canary/baseline)
        self._strata_last: dict[str, tuple[Any, tuple[int, int]]] = {}
        self._stage_labels = 0
        self._decision_labels = 0

    def _add(self, name: str, x: Any, y: Any, row: int, *, secondary: bool = False, **style: Any) -> None:
        trace = next((t for t in self.figure.data if t.name == name), None)
        if trace is None:
            import plotly.graph_objects as go  # lazy: as above

            line = {"color": series_colour(name), **style.get("line", {})}
            rest = {k: v for k, v in style.items() if k != "line"}  # the caller's dict serves other series
            self.figure.add_trace(
                go.Scatter(name=name, x=[x], y=[y], mode="lines", line=line, **rest),
                row=row,
                col=1,
                secondary_y=secondary if row == 4 else None,
            )
        else:
            trace.x, trace.y = (*trace.x, x), (*trace.y, y)

    def _revisions(self, record: PollRecord) -> None:
        """Panels 1-3 from the revisions' counts (the judge's numbers): the chart before strata."""
        n, x, last = record.numbers, record.at, self._last
        dt = (record.at - last.at).total_seconds() if last else record.elapsed_s
        for role in ("canary", "baseline"):
            req = n.get(f"{role}_requests") or 0
            before = (last.numbers.get(f"{role}_requests") or 0) if last else 0
            self._add(f"{role} req/s", x, max(0, req - before) / dt if dt > 0 else None, 1)
            for row, kind in ((2, "5xx"), (3, "slow")):
                value = 100 * (n.get(f"{role}_{kind}") or 0) / req if req else None
                self._add(f"{role} {kind} %", x, value, row)
                if value is not None:
                    self._top[row] = max(self._top.get(row, 0.0), value)

    def _stratum(self, record: PollRecord, snap: StratumSnapshot) -> None:
        """Panels 1-3 for one stratum, at the time its data is complete up to (not yet: no point)."""
        if snap.complete_until is None:
            return
        x, name = snap.complete_until, str(snap.stratum)
        style: dict[str, Any] = {"line": {"dash": _DASH.get(name, "solid")}, "legendgroup": name}
        canary, baseline = snap.totals()
        before = self._strata_last.get(name)
        if before is not None and x <= before[0]:
            return  # nothing newer is complete (a minute bucket not yet published)
        start = record.at - timedelta(seconds=record.elapsed_s) if before is None else before[0]
        dt = (x - start).total_seconds()
        for i, (role, c) in enumerate((("canary", canary), ("baseline", baseline))):
            prev = before[1][i] if before else 0
            rate = max(0, c.requests - prev) / dt if dt > 0 else None
            self._add(f"{role} req/s · {name}", x, rate, 1, **style)
            for row, kind, count in ((2, "5xx", c.errors_5xx), (3, "slow", c.slow)):
                if count is None:
                    continue  # this source has no latency
                value = 100 * count / c.requests if c.requests else None
                self._add(f"{role} {kind} % · {name}", x, value, row, **style)
                if value is not None:
                    self._top[row] = max(self._top.get(row, 0.0), value)
        self._strata_last[name] = (x, (canary.requests, baseline.requests))

    def _evidence(self, record: PollRecord) -> None:
        """Panel 4: the e-values the judge reports, combined and per stratum (missing keys: not drawn)."""
        n, x = record.numbers, record.at
        for check, label in (("harm_errors", "e 5xx"), ("harm_latency", "e slow")):
            if f"{check}_e_value" in n:
                self._add(label, x, n[f"{check}_e_value"], 4)
            for snap in record.strata:
                value = n.get(f"{check}_{snap.stratum}_e_value")
                if value is not None:
                    dash = {"dash": _DASH.get(str(snap.stratum), "solid")}
                    self._add(f"{label} · {snap.stratum}", x, value, 4, line=dash)
        if "harm_errors_threshold" in n:  # both checks share the threshold (the budget is split evenly)
            self._add("1/α", x, n["harm_errors_threshold"], 4, line={"dash": "dash"})
        for snap in record.strata:  # each stratum's e-values against its own share of the budget
            threshold = n.get(f"harm_errors_{snap.stratum}_threshold")
            if threshold is not None:
                style = {"dash": _DASH.get(str(snap.stratum), "solid"), "width": 1}
                self._add(f"1/α · {snap.stratum}", x, threshold, 4, line=style)

    def _status_line(self, record: PollRecord) -> None:
        """How far each stratum is complete, in the title: what the judge can see right now."""
        if not record.strata:
            return
        parts = [f"{s.stratum}: {completeness(s)}" for s in record.strata]
        self.figure.update_layout(title={"text": f"{self._title}<br><sup>{' · '.join(parts)}</sup>"})

    def _markers(self, record: PollRecord, new_stage: bool) -> None:
        """A line through every panel at each stage start and decision, each labelled ONCE: stages at the
        top of the first panel (text after the line: the stage that starts), decisions at the bottom of the
        evidence panel (text before the line: the stage it ends), so "PROMOTE" never sits on "stage 2"."""
        if new_stage:  # after the traces: plotly leaves markers out of subplots that are still empty
            start = record.at - timedelta(seconds=record.elapsed_s)
            self.figure.add_vline(x=start, line_dash="dot", line_color=_WEIGHT)
            row = _LABEL_ROWS[self._stage_labels % len(_LABEL_ROWS)]
            self._stage_labels += 1
            self.figure.add_annotation(
                text=f"stage {record.stage_index + 1}: {record.weight}%",
                x=start,
                xref="x",
                xanchor="left",
                y=1 - row,
                yref="y domain",
                yanchor="top",
                showarrow=False,
                bgcolor="rgba(255,255,255,0.8)",
            )
        decision = Decision(record.verdict)
        if decision is Decision.HOLD:
            return
        colour = "red" if decision.status.failed else "green"
        self.figure.add_vline(x=record.at, line_color=colour)
        row = _LABEL_ROWS[self._decision_labels % len(_LABEL_ROWS)]
        self._decision_labels += 1
        self.figure.add_annotation(
            text=decision.value,
            hovertext=record.reason,
            x=record.at,
            xref="x",
            xanchor="right",
            y=row,
            yref="y4 domain",
            yanchor="bottom",
            showarrow=False,
            font={"color": colour},
            bgcolor="rgba(255,255,255,0.8)",
        )

    def update(self, record: PollRecord) -> None:
        n, x = record.numbers, record.at
        new_stage = record.stage_index != self._stage
        if new_stage:
            self._stage, self._last = record.stage_index, None
            self._strata_last = {}
        if record.strata:
            for snap in record.strata:
                self._stratum(record, snap)
        else:
            self._revisions(record)
        for row, check, kind in ((2, "slo_errors", "5xx"), (3, "slo_latency", "slow")):
            limit, upper = n.get(f"{check}_limit"), n.get(f"{check}_upper")
            if limit is None:
                continue
            self._add(f"SLO {kind} limit", x, 100 * limit, row, line={"dash": "dash"})
            self._add(
                f"canary {kind} bound",
                x,
                100 * upper if upper is not None else None,
                row,
                line={"dash": "dot"},
            )
            top = max(4 * 100 * limit, 1.15 * self._top.get(row, 0.0))
            self.figure.update_yaxes(range=[0, top], row=row, col=1)
        self._evidence(record)
        self._add("canary weight %", x, record.weight, 4, secondary=True, line={"shape": "hv"})
        self._markers(record, new_stage)
        self._status_line(record)
        self._last = record
        if self._live is not None:
            self._live.update()

    def finish(self) -> None:
        """The rollout ended (promoted, rolled back, interrupted): the live display becomes the final
        figure, the one the saved notebook, its HTML and its image keep (see `LiveChart.finish`)."""
        if self._live is not None:
            self._live.finish()
