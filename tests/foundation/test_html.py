"""The audit HTML renders charts with no network: plotly.js inlined once, no external scripts."""

from __future__ import annotations

import json
import re

import nbformat

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
    assert "MigrationError: head mismatch HINT: run 20-database-migration" in html
    assert "<script" not in html.split("Plotly")[0] or "plotly.js" not in html  # no charts, no plotly.js
