"""The live chart in both modes, and the rollout chart's readability (issue 15, items 1 and 2).

Headless (the runner, papermill, plain Python) the chart is one plotly output updated in place. In a kernel
someone watches it is a widget redrawn at each poll, and `finish()` (or the end of the cell, whatever
happened in it) puts the final figure back as a plain plotly output: what the saved notebook keeps. The
widget views are the real ipywidgets/anywidget objects (they run without a frontend); the end-of-cell
behaviour is checked in a real kernel, reading what it sends to the frontend.
"""

from __future__ import annotations

import queue
from datetime import UTC, datetime, timedelta

import pytest

from apexops import livechart
from apexops.canary.chart import WEIGHT_TICKS, RolloutChart, series_colour
from apexops.canary.rollout import PollRecord

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)



class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _figure():
    import plotly.graph_objects as go

    layout = {"title": "canary<br><sup>probes: data up to 12:00:05</sup>", "height": 500}
    return go.Figure(go.Scatter(name="errors", x=[], y=[]), layout=layout)


def _append(i: int):
    return lambda f: f.data[0].update(x=[*f.data[0].x, i], y=[*f.data[0].y, i * 2])


# --------------------------------------------------------------------------- headless: one output, in place


def test_headless_the_chart_is_one_plotly_output_updated_in_place(shown):
    chart = livechart.LiveChart(_figure())
    for i in range(3):
        chart.update(_append(i))
    chart.finish()  # nothing pending: the last update already is the final figure
    first, *updates = shown
    assert PLOTLY_MIME in first and "update" not in first and len(updates) == 2
    assert all(PLOTLY_MIME in u and u["update"] for u in updates)
    assert updates[-1][PLOTLY_MIME]["data"][0]["y"] == [0, 2, 4]
    assert updates[-1]["text/plain"] == "<chart: canary>"  # the headline, without the subtitle's markup
    assert not chart.live_in_widget and chart.finished and chart.draws == 3


def test_outside_a_kernel_or_headless_there_is_no_widget(monkeypatch):
    assert livechart._live_output(500) is None  # pytest: no kernel
    monkeypatch.setenv("APEXOPS_HEADLESS", "1")
    assert livechart._live_output(500) is None


# ------------------------------------------------------------------ interactive: a widget, then the figure


@pytest.mark.parametrize("kind", ["anywidget", "output"])
def test_interactive_the_chart_is_a_widget_redrawn_throttled_then_the_final_plotly_output(
    shown, monkeypatch, kind
):
    pytest.importorskip("anywidget" if kind == "anywidget" else "ipywidgets")
    views = []

    def live_output(height):
        if kind == "anywidget":
            view = livechart._plotly_view_class()(height=height)
        else:
            import ipywidgets

            view = livechart._OutputView(ipywidgets.Output(layout={"min_height": f"{height + 10}px"}))
        views.append(view)
        return view

    def drawn(view) -> list:
        if kind == "anywidget":
            return list(view.figure["data"][0]["x"])
        [output] = view.widget.outputs
        return list(output["data"][PLOTLY_MIME]["data"][0]["x"])

    monkeypatch.setattr(livechart, "_live_output", live_output)
    monkeypatch.setattr(livechart, "_finish_when_the_cell_ends", lambda chart: None)  # no kernel here
    clock = Clock()
    chart = livechart.LiveChart(_figure(), min_interval_s=0.5, clock=clock)

    chart.update(_append(0))
    [view] = views
    assert chart.live_in_widget and sorted(shown[0]) == [WIDGET_MIME, "text/plain"]
    assert shown[0]["text/plain"] == "<chart: canary> (live)" and drawn(view) == [0]
    if kind == "anywidget":
        assert view.height == 500 and "Plotly.react" in view._esm and len(view.plotly_js) > 1_000_000

    clock.now = 0.2
    chart.update(_append(1))  # within the interval: kept for later, not drawn
    assert drawn(view) == [0] and chart.draws == 1
    clock.now = 0.6
    chart.update(_append(2))
    assert drawn(view) == [0, 1, 2] and chart.draws == 2
    clock.now = 0.7
    chart.update(_append(3))  # pending when the chart finishes
    assert len(shown) == 1  # the widget redraws itself: no new output, no display update

    chart.finish()
    chart.finish()  # idempotent
    final = shown[-1]
    assert final["update"] and PLOTLY_MIME in final and WIDGET_MIME not in final
    assert final[PLOTLY_MIME]["data"][0]["x"] == [0, 1, 2, 3] and len(shown) == 2
    assert not chart.live_in_widget
    if kind == "anywidget":  # released: nothing large left for a recorder that keeps widget state
        assert view.figure == {} and view.plotly_js == "" and view.comm is None
    else:
        assert view.widget.comm is None
    chart.update(_append(4))  # after finishing: the plain output, updated in place
    assert shown[-1][PLOTLY_MIME]["data"][0]["x"] == [0, 1, 2, 3, 4]


KERNEL_CELL = """
import plotly.graph_objects as go
from apexops.livechart import LiveChart
chart = LiveChart(go.Figure(go.Scatter(name="n", x=[], y=[]), layout={"title": "live"}), min_interval_s=0)
for i in range(3):
    chart.update(lambda f: f.data[0].update(x=[*f.data[0].x, i], y=[*f.data[0].y, i]))
raise RuntimeError("the stage broke")
"""


@pytest.mark.slow
def test_in_a_real_kernel_the_end_of_the_cell_puts_the_final_figure_in_place_of_the_widget(monkeypatch):
    """Whatever ends the cell (here an exception, no `finish()`), the frontend keeps the plotly output."""
    pytest.importorskip("anywidget")
    from jupyter_client.manager import start_new_kernel

    monkeypatch.delenv("APEXOPS_HEADLESS", raising=False)
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        msg_id = kc.execute(KERNEL_CELL)
        messages = []
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=60)
            except queue.Empty:
                pytest.fail(f"the kernel did not finish the cell: {[m['msg_type'] for m in messages]}")
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            messages.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    kinds = [m["msg_type"] for m in messages]
    [shown] = [m["content"] for m in messages if m["msg_type"] == "display_data"]
    assert WIDGET_MIME in shown["data"]  # live: the widget
    figures = [
        m["content"]["data"]["state"]["figure"]
        for m in messages
        if m["msg_type"] == "comm_msg" and "figure" in m["content"]["data"].get("state", {})
    ]
    assert [len(f["data"][0]["x"]) for f in figures if f] == [1, 2, 3]  # drawn, then redrawn at each update
    [final] = [m["content"] for m in messages if m["msg_type"] == "update_display_data"]
    assert final["transient"]["display_id"] == shown["transient"]["display_id"]
    assert WIDGET_MIME not in final["data"] and final["data"][PLOTLY_MIME]["data"][0]["x"] == [0, 1, 2]
    assert kinds.index("update_display_data") > kinds.index("error")  # after the cell's own end
    assert "comm_close" in kinds


# --------------------------------------------------------------------------- the rollout chart


def poll(stage: int, weight: int, verdict: str, at: float, elapsed: float, **numbers) -> PollRecord:
    return PollRecord(T0 + timedelta(seconds=at), stage, weight, elapsed, verdict, f"{verdict} why", numbers)


NUMBERS = {"canary_requests": 10, "canary_5xx": 0, "baseline_requests": 90, "baseline_5xx": 1,
           "slo_errors_limit": 0.01, "slo_errors_upper": 0.3, "harm_errors_e_value": 0.5,
           "harm_errors_threshold": 200.0}  # fmt: skip


def _three_stages() -> RolloutChart:
    chart = RolloutChart(live=False)
    chart.update(poll(0, 10, "HOLD", 1, 1, **NUMBERS))
    chart.update(poll(0, 10, "PROMOTE", 2, 2, **NUMBERS))
    chart.update(poll(1, 50, "PROMOTE", 3, 1, **NUMBERS))  # a one-poll stage: its label meets the next
    chart.update(poll(2, 100, "PROMOTE", 4, 1, **NUMBERS))
    return chart


def test_each_marker_is_labelled_once_stages_at_the_top_decisions_at_the_bottom_alternating():
    layout = _three_stages().figure.to_plotly_json()["layout"]
    labels = [a for a in layout["annotations"] if a["text"].startswith(("stage ", "PROMOTE"))]
    stages = [a for a in labels if a["text"].startswith("stage ")]
    decisions = [a for a in labels if a["text"] == "PROMOTE"]
    assert [a["text"] for a in stages] == ["stage 1: 10%", "stage 2: 50%", "stage 3: 100%"]
    assert len(decisions) == 3  # once each, not once per panel
    assert {(a["yref"], a["xanchor"], a["yanchor"]) for a in stages} == {("y domain", "left", "top")}
    assert {(a["yref"], a["xanchor"], a["yanchor"]) for a in decisions} == {("y4 domain", "right", "bottom")}
    assert [a["y"] for a in stages] == [1.0, 0.87, 1.0] and [a["y"] for a in decisions] == [0.0, 0.13, 0.0]
    assert decisions[0]["hovertext"] == "PROMOTE why" and decisions[0]["font"]["color"] == "green"
    # the stage line spans every panel; its label is drawn in the first only
    assert sum(1 for s in layout["shapes"] if s["line"].get("dash") == "dot") == 3 * 4


def test_canary_and_baseline_keep_their_colours_in_every_panel_and_the_weight_axis_reads_in_stages():
    fig = _three_stages().figure
    colour = {t.name: t.line.color for t in fig.data}
    assert {colour[n] for n in ("canary req/s", "canary 5xx %")} == {series_colour("canary")}
    assert {colour[n] for n in ("baseline req/s", "baseline 5xx %")} == {series_colour("baseline")}
    assert series_colour("canary") != series_colour("baseline")
    assert colour["SLO 5xx limit"] == colour["1/α"] != colour["canary 5xx bound"]
    kinds = [
        "canary req/s",
        "baseline req/s",
        "SLO 5xx limit",
        "canary 5xx bound",
        "e 5xx",
        "canary weight %",
    ]
    assert len({colour[n] for n in kinds}) == len(kinds)  # every kind of series its own colour
    weight_axis = fig.layout.yaxis5
    assert tuple(weight_axis.tickvals) == WEIGHT_TICKS and weight_axis.tickmode == "array"
    assert series_colour("canary 5xx % · probes") == series_colour("canary 5xx % · users")  # strata: by dash


def test_finishing_the_rollout_chart_finishes_its_live_chart(shown):
    chart = RolloutChart()
    chart.update(poll(0, 10, "HOLD", 1, 1, **NUMBERS))
    chart._live._pending = True  # a change not drawn yet
    chart.finish()
    assert chart._live.finished and shown[-1]["update"] and PLOTLY_MIME in shown[-1]
    assert "yaxis5" in shown[-1][PLOTLY_MIME]["layout"]
