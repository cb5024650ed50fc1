"""The live canary chart as the on-call engineer sees it: JupyterLab in Chromium, the chart moving while
the stage runs, and the saved notebook keeping the final figure (issue 15, items 1 and 2).

The kernel side alone cannot show this: the updates reached the notebook model while the page never
redrew (JupyterLab's plotly renderer ignores display updates). So the page itself is read: the plotly
graph divs' point counts, several times while a cell runs.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browsers import menu, open_notebook, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: the points drawn on the page now: every plotly graph, every trace
POINTS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .reduce((n, gd) => n + (gd.data || []).reduce((m, t) => m + ((t.x && t.x.length) || 0), 0), 0)"""


def _notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    if parameters is not None:
        nb.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _kernel_busy(page: Any) -> bool:
    return bool(page.query_selector(".jp-Notebook-ExecutionIndicator[data-status='busy']"))


def _points(page: Any) -> int:
    return int(page.evaluate(POINTS_JS))


def _watch_points(page: Any, *, until_idle_s: float, every_s: float = 0.4) -> list[int]:
    """The page's point counts, read every `every_s` while the kernel is busy (at most `until_idle_s`)."""
    seen: list[int] = []
    deadline = time.monotonic() + until_idle_s
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='busy']", timeout=30_000)
    while _kernel_busy(page) and time.monotonic() < deadline:
        seen.append(_points(page))
        page.wait_for_timeout(every_s * 1000)
    return seen


def _saved_charts(path: Path) -> list[dict[str, Any]]:
    nb = json.loads(path.read_text())
    return [o["data"] for c in nb["cells"] for o in c.get("outputs", []) if "data" in o]


def _save(page: Any, path: Path) -> None:
    before = path.stat().st_mtime_ns
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 15
    while path.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, "the notebook was not saved"
        time.sleep(0.1)


LIVE_CELL = """
import time
import plotly.graph_objects as go
from apexops.livechart import LiveChart

figure = go.Figure(go.Scatter(name="requests", x=[], y=[]), layout={"title": "live"})
chart = LiveChart(figure, min_interval_s=0)
for i in range(30):
    chart.update(lambda f: f.data[0].update(x=[*f.data[0].x, i], y=[*f.data[0].y, i * i]))
    time.sleep(0.4)
"""


def test_a_live_chart_redraws_in_the_page_and_the_saved_notebook_keeps_the_final_figure(
    tmp_path, lab_server, page
):
    path = _notebook(tmp_path / "live.ipynb", LIVE_CELL)
    lab = lab_server(tmp_path)
    open_notebook(page, lab.url("live.ipynb"))
    page.locator(".jp-Cell .jp-InputArea-editor >> visible=true").first.click()
    page.keyboard.press("Shift+Enter")

    seen = _watch_points(page, until_idle_s=30, every_s=0.25)

    distinct = sorted(set(seen))
    assert len(distinct) >= 4 and distinct[-1] > distinct[0], seen  # it moved, several times
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 1")
    assert _points(page) == 30  # after the cell: the final figure, drawn once
    _save(page, path)
    outputs = _saved_charts(path)
    assert [list(o) for o in outputs if WIDGET_MIME in o] == []
    [chart] = [o[PLOTLY_MIME] for o in outputs if PLOTLY_MIME in o]
    assert chart["data"][0]["x"] == list(range(30))
    assert not page.problems, page.problems


# --------------------------------------------------------------------------- procedure 50 in the browser

NOTEBOOK_50 = Path(__file__).resolve().parents[2] / "notebooks" / "50-traffic-shifting.ipynb"
#: the chart's stage labels on the page, to tell which stage a reading belongs to
STAGES_JS = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .flatMap(gd => ((gd.layout && gd.layout.annotations) || []).map(a => String(a.text)))
    .filter(t => t.startsWith('stage '))"""


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A sandbox of this module's own (home, free port, outputs), with a healthy canary at 0%."""
    from apexops.models import AppUpdate
    from apexops.sandbox.testing import running_sandbox

    base = tmp_path_factory.mktemp("lab-canary")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("APEXOPS_OUTPUTS", str(base / "outputs"))
        with running_sandbox(base / "home") as (settings, env):
            update = AppUpdate(image=settings.image("v1.2.3"), revision_suffix="browser")
            canary = env.app.update(update).latest_revision_name
            deadline = time.monotonic() + 30
            while env.app.get_revision(canary).health_state != "Healthy":
                assert time.monotonic() < deadline, f"{canary} did not become healthy"
                time.sleep(0.1)
            yield {"settings": settings, "env": env, "canary": canary, "outputs": base / "outputs"}


def _notebook_50(folder: Path, canary: str) -> Path:
    """A copy of procedure 50 whose parameters cell says what the operator would type for a real shift."""
    nb = nbformat.read(NOTEBOOK_50, as_version=4)
    [cell] = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    values = {
        "env": '"local"',
        "dry_run": "False",
        "revision": json.dumps(canary),
        "approval": '""',
        "smoke_override": '"browser test: the smoke tests are procedure 40\'s own tests"',
    }
    lines = []
    for line in cell.source.splitlines():
        name = line.split("=", 1)[0].strip()
        lines.append(f"{name} = {values[name]}" if name in values else line)
    cell.source = "\n".join(lines)
    path = folder / "50-traffic-shifting.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.sandbox
def test_procedure_50_in_jupyterlab_stops_at_the_gate_then_the_chart_moves_through_the_stage(
    sandbox, tmp_path, lab_server, page, artifacts
):
    canary = sandbox["canary"]
    phrase = f"SHIFT TRAFFIC TO {canary} IN local"
    root = tmp_path / "notebooks"
    root.mkdir()
    path = _notebook_50(root, canary)
    lab = lab_server(root, env={"APEXOPS_OUTPUTS": str(sandbox["outputs"])})
    open_notebook(page, lab.url(path.name))

    menu(page, "Run", "Run All Cells")  # the operator's Run All: it must stop at the gate
    wait_idle(page, 90)
    gate_cell = page.locator(".jp-CodeCell", has_text="if gate.check():")
    gate_text = gate_cell.locator(".jp-OutputArea").inner_text()
    verdict = gate_cell.locator(".apexops-verdict")  # the verdict box of an expected stop (issue 15 item 3)
    assert verdict.count() == 1, gate_text
    assert "Traceback" not in gate_text and "approved" in verdict.first.inner_text()
    assert verdict.first.get_attribute("data-stop") == "approval_required"

    page.locator(".widget-text input").first.fill(phrase)
    page.locator(".widget-button", has_text="Approve").first.click()
    page.wait_for_selector("text=Now run the next cell", timeout=10_000)

    gate_cell.locator(".jp-InputArea-editor").click()
    menu(page, "Run", "Run Selected Cell and All Below")
    # the selection jumps to the last cell; the operator scrolls back to the stages (JupyterLab does not
    # draw the outputs of cells out of view)
    run_cell = page.locator(".jp-CodeCell", has_text="result = shift.run()")
    readings: list[tuple[int, list[str]]] = []
    shot = artifacts / "live-chart-mid-stage.png"
    shot.unlink(missing_ok=True)  # a previous run's
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run_cell.scroll_into_view_if_needed()
        points, stages = _points(page), page.evaluate(STAGES_JS)
        readings.append((points, stages))
        if stages and len(stages) >= 2:
            break  # the first stage has been decided
        if stages == ["stage 1: 10%"] and points > 0 and not shot.exists() and len(readings) > 3:
            page.screenshot(path=str(shot))
        page.wait_for_timeout(300)
    first_stage = [p for p, s in readings if s == ["stage 1: 10%"]]
    grew = sum(1 for a, b in itertools.pairwise(first_stage) if b > a)
    # the chart moved on the page, more than once, during the 10% stage
    assert grew >= 2, " ".join(f"{p}:{len(s)}" for p, s in readings)
    assert shot.exists()

    wait_idle(page, 120)  # the decision, the tables, the verdict
    run_cell.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 1")
    shown = _points(page)
    _save(page, path)
    nb = nbformat.read(path, as_version=4)
    [saved_cell] = [c for c in nb.cells if "result = shift.run()" in c.source]
    kinds = [list(o.get("data", {})) for o in saved_cell.outputs]
    assert not any(WIDGET_MIME in k for k in kinds), kinds  # the final figure, never a widget
    [figure] = [o["data"][PLOTLY_MIME] for o in saved_cell.outputs if PLOTLY_MIME in o.get("data", {})]
    saved = sum(len(t.get("x") or []) for t in figure["data"])
    assert saved == shown and saved > first_stage[-1]
    labels = [a.get("text") for a in figure["layout"]["annotations"]]
    assert labels.count("stage 1: 10%") == 1 and "PROMOTE" in labels  # each marker labelled once
    # the canary one colour in every panel and stratum, the baseline another; strata by dash
    lines = {t["name"]: t.get("line", {}) for t in figure["data"]}
    series = ("req/s", "5xx %", "slow %")
    canary = {v.get("color") for k, v in lines.items() if k.startswith(tuple(f"canary {s}" for s in series))}
    baseline = {v.get("color") for k, v in lines.items() if k.startswith("baseline ")}
    assert len(canary) == 1 and len(baseline) == 1 and canary != baseline, lines
    assert lines["canary req/s · probes"]["dash"] != lines["canary req/s · users"]["dash"]
    assert not page.problems, page.problems
