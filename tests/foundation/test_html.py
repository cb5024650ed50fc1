"""The audit HTML renders charts with no network: plotly.js inlined once, no external scripts; titled by its
run; a chart's static PNG (for GitHub) never replaces the interactive chart. The browser checks (drawn charts,
page width) are in tests/browser/test_offline_html.py."""

from __future__ import annotations

import base64
import json
import re

import nbformat
from bs4 import BeautifulSoup

from apexops.canary.report import stage_table
from apexops.htmlexport import PLOTLY_MIME, render_html, run_title

PLOTLY_JS_BANNER = re.compile(r"\* plotly\.js v\d+\.\d+\.\d+")


def test_the_html_inlines_plotly_once_and_draws_every_chart(runs):
    r = runs["07"]
    assert r.outcome == "succeeded"
    html = r.html_path.read_text()
    assert len(PLOTLY_JS_BANNER.findall(html)) == 1  # the library, once
    assert html.count("Plotly.newPlot(") == 2  # the live chart (final state) and the static chart
    # nothing has to come from the network: no external script or stylesheet at all
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=[\"']https?:", html)
    # the banner tells the outcome before anything else
    assert html.index('class="apexops-banner"') < html.index("Plotly.newPlot(")
    assert 'data-outcome="succeeded"' in html
    title = BeautifulSoup(html, "html.parser").title.get_text()
    assert title == f"{r.procedure} · local · succeeded · run {r.run_id}"


def test_the_live_chart_keeps_exactly_its_final_figure(runs):
    nb = nbformat.read(str(runs["07"].notebook_path), as_version=4)
    figures = [
        o.data["application/vnd.plotly.v1+json"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "application/vnd.plotly.v1+json" in o.get("data", {})
    ]
    assert len(figures) == 2
    live = figures[0]
    assert live["data"][0]["name"] == "canary"
    assert list(live["data"][0]["y"]) == [0, 1, 4, 9, 16]
    # and the HTML carries that same final data
    html = runs["07"].html_path.read_text()
    assert json.dumps([0, 1, 4, 9, 16]).replace(" ", "") in html.replace(" ", "")


def test_a_failed_run_shows_its_error_in_the_banner(runs):
    html = runs["02"].html_path.read_text()
    assert 'data-outcome="failed"' in html
    banner = BeautifulSoup(html, "html.parser").select_one(".apexops-banner")
    assert banner.select_one(".apexops-error").get_text() == "MigrationError: head mismatch"
    assert banner.select_one(".apexops-hint").get_text(" ", strip=True) == "HINT: run 20-database-migration"
    assert "<script" not in html.split("Plotly")[0] or "plotly.js" not in html  # no charts, no plotly.js


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()


def _chart_notebook() -> nbformat.NotebookNode:
    figure = {"data": [{"type": "bar", "x": ["a"], "y": [1]}], "layout": {"title": {"text": "static"}}}
    cell = nbformat.v4.new_code_cell("show_chart(fig)")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={PLOTLY_MIME: figure, "image/png": PNG, "text/plain": "<chart: static>"}
        )
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["apexops"] = {
        "procedure": "50-traffic-shifting",
        "env": "local",
        "outcome": "failed",
        "run_id": "r1",
    }
    return nb


def test_a_chart_with_a_static_png_stays_interactive_with_the_image_only_without_javascript():
    soup = BeautifulSoup(render_html(_chart_notebook()), "html.parser")
    [chart] = soup.select(".apexops-chart")
    assert "Plotly.newPlot(" in chart.decode_contents()
    [img] = soup.find_all("img")  # the PNG is there once: the <noscript> fallback of the chart
    assert img.find_parent("noscript").find_parent(class_="apexops-chart") is chart
    assert img["src"] == f"data:image/png;base64,{PNG}" and img["alt"] == "static"
    # without a banner the title still names the run, from the metadata the runner stamped
    assert soup.title.get_text() == "50-traffic-shifting · local · failed · run r1"
    assert run_title({}) == "apexops run"


def test_the_decision_per_stage_table_is_short_enough_to_read():
    stage = {
        "stage": 1,
        "weight": 10,
        "polls": 49,
        "elapsed_s": 50.9,
        "verdict": "PROMOTE",
        "reason": "stage 1 (10%): passed: 51 s >= min 50 s; canary error rate <= 0.24% < 1%",
        "canary_requests": 1107,
        "canary_5xx": 0,
        "canary_slow": 31,
        "baseline_requests": 1106,
        "baseline_5xx": 0,
        "baseline_slow": None,
        "harm_errors_e_value": 1.0,
        "harm_latency_e_value": 0.12763421251599122,
        "slo_errors_upper": 0.0024,
        "slo_latency_upper": 0.0357,
    }
    [row] = stage_table([stage])
    assert row == {
        "stage": "1 · 10%",
        "verdict": "PROMOTE",
        "time": "51 s · 49 polls",
        "canary": "1107 · 0 5xx · 31 slow",
        "baseline": "1106 · 0 5xx",  # no latency measured: no slow count invented
        "e 5xx · slow": "1 · 0.128",
        "reason": "passed: 51 s >= min 50 s; canary error rate <= 0.24% < 1%",
    }
