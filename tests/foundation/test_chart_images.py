"""Every chart of a recorded run also carries a static PNG, so viewers without JavaScript show it.

GitHub, Azure DevOps and nbviewer cannot draw plotly's mimetype; they pick the PNG from the same output
bundle. The recorded HTML keeps the interactive chart. No Chromium, or one that never answers, leaves the
run succeeded with a problem noted and no browser process behind.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from foundation_helpers import FIXTURES, SECRET, isolate

from apexops import chartimages
from apexops.runner import run_procedure

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

PLOTLY = chartimages.PLOTLY_MIME
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SECRET_CHART = """\
import os

import plotly.graph_objects as go

from apexops.display import show_chart

secret = os.environ[db_password_env]
show_chart(go.Figure(go.Bar(x=["a", "b"], y=[2, 1]), layout={"title": "connected with " + secret}))"""



@pytest.fixture(autouse=True)
def _chart_images_on(monkeypatch):
    """These tests are about the static images the rest of the suite leaves out (tests/conftest.py)."""
    monkeypatch.setenv(chartimages.IMAGES_ENV, "1")

def _secret_chart_notebooks(folder: Path) -> Path:
    """A procedure whose chart title holds a secret (a careless cell), in a notebooks folder of its own."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.update(
        kernelspec={"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        language_info={"name": "python"},
        apexops={"cell_timeout_s": 120},
    )
    params = nbformat.v4.new_code_cell('env = "local"\ndb_password_env = "APEX_TEST_DB_PASSWORD"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 01 Secret chart\n\nA chart whose title holds a secret."),
        params,
        nbformat.v4.new_code_cell("import apexops"),
        nbformat.v4.new_markdown_cell("# 1. Chart"),
        nbformat.v4.new_code_cell(_SECRET_CHART),
    ]
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / "01-secret-chart.ipynb"))
    return folder


def _path_without_chromium(farm: Path) -> str:
    """PATH with every folder holding Chromium replaced by a copy of it (symlinks) without Chromium."""
    parts = []
    for i, entry in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        folder = Path(entry)
        if not any((folder / name).exists() for name in chartimages.BROWSER_NAMES):
            parts.append(entry)
            continue
        copy = farm / str(i)
        copy.mkdir(parents=True)
        for item in folder.iterdir():
            if item.name not in chartimages.BROWSER_NAMES:
                (copy / item.name).symlink_to(item)
        parts.append(str(copy))
    return os.pathsep.join(parts)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """07-chart recorded with Chromium and without it, and the secret chart: one kernel each."""
    root = tmp_path_factory.mktemp("chart-images")
    out = root / "outputs"
    results: dict = {}
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, root)
        mp.setenv("APEX_TEST_DB_PASSWORD", SECRET)
        mp.setenv(chartimages.IMAGES_ENV, "1")  # before the per-test fixtures: this one is module-wide
        mp.delenv(chartimages.BROWSER_ENV, raising=False)
        results["07"] = run_procedure("07", notebooks=FIXTURES, outputs=out)
        results["secret"] = run_procedure("01", notebooks=_secret_chart_notebooks(root / "nbs"), outputs=out)
        mp.setenv(chartimages.BROWSER_ENV, str(root / "no-such-chromium"))
        mp.setenv("PATH", _path_without_chromium(root / "path"))
        results["07-no-chromium"] = run_procedure("07", notebooks=FIXTURES, outputs=out)
    return results


def _chart_bundles(path: Path) -> list[dict]:
    nb = json.loads(path.read_text())
    return [o["data"] for c in nb["cells"] for o in c.get("outputs", []) if PLOTLY in o.get("data", {})]


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_MAGIC and png[12:16] == b"IHDR", png[:16]
    return struct.unpack(">II", png[16:24])


def test_every_chart_of_a_recorded_run_carries_a_png_in_its_own_bundle(recorded):
    r = recorded["07"]
    assert r.outcome == "succeeded", r.error
    assert r.ledger_line["problems"] == []
    bundles = _chart_bundles(r.notebook_path)
    assert len(bundles) == 2  # the live chart (its final state) and the static one
    for bundle in bundles:
        png = base64.b64decode(bundle["image/png"], validate=True)
        assert _png_size(png) == (1000, 500)  # the figures set no size: 1000 px wide, plotly's height
        assert 5_000 < len(png) < 300_000  # a real drawing, and a file GitHub shows without fuss
        assert "".join(bundle["text/plain"]).startswith("<chart:")  # the text line stays beside them


@pytest.mark.browser
def test_opened_as_github_would_each_chart_is_an_image(recorded, browser, artifacts, tmp_path):
    from nbconvert import HTMLExporter

    r = recorded["07"]
    body, _ = HTMLExporter().from_filename(str(r.notebook_path))  # plain nbconvert: no apexops preprocessor
    page_file = tmp_path / "as-github.html"
    page_file.write_text(body)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(page_file.as_uri(), wait_until="load")
        images = page.locator("img")
        widths = [images.nth(i).evaluate("img => img.naturalWidth") for i in range(images.count())]
        text = page.inner_text("body")
        page.screenshot(path=str(artifacts / "07-chart-without-javascript.png"), full_page=True)
    finally:
        context.close()
    assert widths == [1000, 1000]  # one image per chart, decoded by the browser
    assert "<chart:" not in text  # not the text line viewers without plotly showed before


@pytest.mark.browser
def test_the_recorded_html_keeps_the_interactive_chart(recorded, browser):
    r = recorded["07"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(Path(r.html_path).as_uri(), wait_until="load")
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 2")
        drawn = page.evaluate(
            "() => [...document.querySelectorAll('.js-plotly-plot')].map(d => (d.data || []).length)"
        )
        shown_images = page.evaluate("() => document.images.length")  # <noscript> is not parsed with JS on
    finally:
        context.close()
    assert drawn == [1, 1] and shown_images == 0


def test_the_image_is_drawn_from_the_scrubbed_figure(recorded, tmp_path):
    r = recorded["secret"]
    assert r.outcome == "succeeded", r.error
    (bundle,) = _chart_bundles(r.notebook_path)
    title = bundle[PLOTLY]["layout"]["title"]["text"]
    assert SECRET not in title and "[REDACTED:" in title
    # the stored PNG is exactly the drawing of the stored (scrubbed) figure, not of the secret one
    leaky = json.loads(json.dumps(bundle[PLOTLY]))
    leaky["layout"]["title"]["text"] = "connected with " + SECRET
    again = nbformat.from_dict(
        {"cells": [_code_cell({PLOTLY: bundle[PLOTLY]}), _code_cell({PLOTLY: leaky})], "metadata": {}}
    )
    problems: list[str] = []
    chartimages.add_static_images(again, problems)
    scrubbed_png, leaky_png = (c.outputs[0].data["image/png"] for c in again.cells)
    assert problems == []
    assert bundle["image/png"] == scrubbed_png != leaky_png


def _code_cell(data: dict) -> dict:
    return {"cell_type": "code", "outputs": [{"output_type": "display_data", "data": data, "metadata": {}}]}


def test_without_chromium_the_run_succeeds_with_a_problem_and_no_image(recorded):
    r = recorded["07-no-chromium"]
    assert r.outcome == "succeeded", r.error
    (problem,) = r.ledger_line["problems"]
    assert problem.startswith("2 charts recorded without a static image: BROWSER_PATH=")
    assert "install chromium" in problem and "set BROWSER_PATH" in problem
    bundles = _chart_bundles(r.notebook_path)
    assert len(bundles) == 2 and not any("image/png" in b for b in bundles)
    assert Path(r.html_path).read_text().count("Plotly.newPlot(") == 2  # the HTML draws them all the same


def test_chromium_missing_from_path_is_named_in_the_problem(monkeypatch, tmp_path):
    monkeypatch.delenv(chartimages.BROWSER_ENV, raising=False)
    monkeypatch.setenv("PATH", _path_without_chromium(tmp_path / "path"))
    nb = nbformat.from_dict({"cells": [_code_cell({PLOTLY: {"data": [], "layout": {}}})], "metadata": {}})
    problems: list[str] = []

    chartimages.add_static_images(nb, problems)

    assert problems == [
        "1 chart recorded without a static image: no Chromium on PATH; install chromium (apt-get install "
        "chromium) or set BROWSER_PATH to a Chromium executable"
    ]
    assert "image/png" not in nb.cells[0].outputs[0].data


@pytest.mark.parametrize(
    ("script", "start_timeout_s", "words"),
    [
        ("sleep 6137\n", 2.0, "Chromium did not start within 2 s"),
        ("exit 3\n", 15.0, "Chromium failed to start"),
    ],
    ids=["never-answers", "exits-at-once"],
)
def test_a_browser_that_fails_is_noted_and_leaves_no_process(
    monkeypatch, tmp_path, script, start_timeout_s, words
):
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    monkeypatch.setenv(chartimages.BROWSER_ENV, str(fake))
    nb = nbformat.from_dict({"cells": [_code_cell({PLOTLY: {"data": [], "layout": {}}})], "metadata": {}})
    problems: list[str] = []

    started = time.monotonic()
    chartimages.add_static_images(nb, problems, start_timeout_s=start_timeout_s)
    took = time.monotonic() - started

    (problem,) = problems
    assert problem.startswith("1 chart recorded without a static image: " + words)
    assert "set BROWSER_PATH" in problem
    assert "image/png" not in nb.cells[0].outputs[0].data
    # bounded (a behaviour, not a speed goal): the silent browser is killed after its start timeout,
    # not waited for until it sleeps out
    assert took < start_timeout_s + 2 * chartimages.CLOSE_TIMEOUT_S
    assert not _processes_mentioning(str(fake)) and not _processes_mentioning("sleep 6137")


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                state = next(x for x in (entry / "status").read_text().splitlines() if x.startswith("State:"))
            except (OSError, StopIteration):
                continue
            if text.encode() in cmdline and "zombie" not in state:
                found.append(int(entry.name))
    return found


def test_a_run_without_charts_never_loads_the_renderer():
    code = (
        "import sys, nbformat\n"
        "from apexops import chartimages\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('pass')])\n"
        "problems = []\n"
        "chartimages.add_static_images(nb, problems)\n"
        "print(problems, [m for m in ('kaleido', 'choreographer') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[] []"


def test_a_pipeline_can_leave_the_images_out(monkeypatch):
    """`APEXOPS_CHART_IMAGES=0`: the chart keeps its plotly JSON, nothing is started, no problem is noted."""
    monkeypatch.setenv(chartimages.IMAGES_ENV, "0")
    monkeypatch.setenv(chartimages.BROWSER_ENV, "/no/such/chromium")  # it would be a problem if it were used
    nb = nbformat.v4.new_notebook()
    figure = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {}}
    output = nbformat.v4.new_output("display_data", data={chartimages.PLOTLY_MIME: figure, "text/plain": "c"})
    nb.cells = [nbformat.v4.new_code_cell("chart", outputs=[output])]
    problems: list[str] = []
    chartimages.add_static_images(nb, problems)
    assert problems == [] and chartimages.PNG_MIME not in nb.cells[0].outputs[0]["data"]


def test_a_prewarmed_renderer_that_draws_nothing_leaves_no_browser():
    """A notebook that declares charts starts Chromium while it runs; a run that drew none (a dry run)
    closes it: no process of the browser is left."""
    import psutil

    def browsers() -> set[int]:  # Chromium processes of this test process (Playwright's may be open)
        return {p.pid for p in psutil.Process().children(recursive=True) if "chrom" in p.name().lower()}

    before = browsers()
    nb = nbformat.v4.new_notebook()
    assert chartimages.prewarm(nb) is None  # no charts declared: nothing started
    nb.metadata["apexops"] = {"charts": True}
    renderer = chartimages.prewarm(nb)
    assert renderer is not None
    chartimages.add_static_images(nb, [], renderer=renderer)  # no plotly output: the browser is closed
    renderer.close()  # idempotent
    assert browsers() - before == set()
