"""The reviewer's copies, opened as a reviewer opens them: from disk in Chromium with the network blocked.

One outputs folder for the module: a real lint-blocked release (`apexops rehearse --scenario migration-lint`
on a sandbox of its own: the 90 run and its 20 child, about 12 s) and a run of the chart fixture notebook
with a wide "Decision per stage" table added (the sixteen columns procedure 50 recorded before its table was
shortened, the reason squeezed to a word per line). Every request that is not a file is aborted and
recorded: none may be attempted.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbformat
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sandbox, pytest.mark.notebook]

FIXTURES = Path(__file__).resolve().parents[1] / "foundation" / "notebooks"

#: one stage row as procedure 50 recorded it in its facts and showed it (sixteen columns)
WIDE_STAGE = {
    "stage": 1, "weight": 10, "polls": 49, "elapsed_s": 50.9, "verdict": "PROMOTE",
    "reason": "stage 1 (10%): passed: 51 s >= min 50 s; canary error rate <= 0.24% (80% anytime bound; "
    "0/1107) < 1%; canary slow share (>= 2000 ms) <= 3.6% (80% anytime bound; 31/1287) < 5%",
    "canary_requests": 1107, "canary_5xx": 0, "canary_slow": 31, "baseline_requests": 1106,
    "baseline_5xx": 0, "baseline_slow": 36, "harm_errors_e_value": 1.0, "harm_latency_e_value": 0.1276,
    "slo_errors_upper": 0.0024, "slo_latency_upper": 0.0357,
}  # fmt: skip

WIDE_CELL = f"""from apexops.display import show_table
from apexops.canary.report import stage_table
stages = [{WIDE_STAGE!r}] * 3
show_table(stages, status_column="verdict", title="Decision per stage (as recorded before)")
show_table(stage_table(stages), status_column="verdict", title="Decision per stage")"""

#: the plotly graphs drawn, each with its trace count and whether plotly drew its svg
CHARTS_JS = """() => [...document.querySelectorAll('.apexops-chart')].map(box => {
    const gd = box.querySelector('.js-plotly-plot');
    return gd ? [(gd.data || []).length, !!gd.querySelector('svg.main-svg')] : [0, false];
})"""

#: per table caption: the width of its reason cell, of the table and of the output it scrolls in
REASON_JS = """(caption) => {
    const table = [...document.querySelectorAll('caption')].find(c => c.textContent === caption)
        .parentElement;
    const reason = [...table.querySelectorAll('th')].findIndex(th => th.textContent === 'reason');
    const cell = table.querySelector(`tbody tr td:nth-child(${reason + 1})`);
    const box = table.closest('.jp-OutputArea-output');
    return {cell: cell.getBoundingClientRect().width, table: table.getBoundingClientRect().width,
            box: box.clientWidth, scrolls: getComputedStyle(box).overflowX};
}"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    from typer.testing import CliRunner

    from apexops.cli import app
    from apexops.ledger import Ledger
    from apexops.runner import run_procedure
    from apexops.sandbox.supervisor import free_port
    from apexops.sandbox.testing import running_sandbox

    root = tmp_path_factory.mktemp("offline")
    outputs, notebooks = root / "outputs", root / "notebooks"
    notebooks.mkdir()
    nb = nbformat.read(str(FIXTURES / "07-chart.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(WIDE_CELL))
    nbformat.write(nb, str(notebooks / "07-chart.ipynb"))
    with pytest.MonkeyPatch.context() as mp:
        for var in ("APEXOPS_RUN_ID", "APEXOPS_RUN_DIR", "APEXOPS_HEADLESS", "APEXOPS_PARENT_RUN"):
            mp.delenv(var, raising=False)
        mp.setenv("APEXOPS_OUTPUTS", str(outputs))
        mp.setenv("APEXOPS_OPERATOR", "reviewer-test")
        mp.setenv("APEXOPS_SANDBOX_HOME", str(root / "unused-home"))
        mp.setenv("APEXOPS_SANDBOX_PORT", str(free_port()))
        with running_sandbox(root / "sandbox"):
            done = CliRunner().invoke(app, ["rehearse", "-s", "migration-lint", "--outputs", str(outputs)])
        assert done.exit_code == 0, done.output
        chart = run_procedure("07", notebooks=notebooks, outputs=outputs)
    assert chart.outcome == "succeeded", chart.error
    entries = Ledger(outputs).entries()
    release = next(e for e in entries if e["procedure"] == "90-release")
    child = next(e for e in entries if e.get("parent_run_id") == release["run_id"])
    yield SimpleNamespace(outputs=outputs, chart=chart, release=release, child=child, entries=entries)
    shutil.rmtree(root / "sandbox", ignore_errors=True)


def _offline(page: Any) -> list[str]:
    """Let file:// through, abort everything else and remember it."""
    attempted: list[str] = []

    def handle(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return attempted


def _html(outputs: Path, entry: dict[str, Any]) -> Path:
    [rel] = [a for a in entry["artifacts"] if a.endswith(".html")]
    return outputs / rel


def test_the_run_html_draws_every_chart_and_keeps_wide_tables_readable(recorded, page, artifacts):
    attempted = _offline(page)
    page.goto(recorded.chart.html_path.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.apexops-chart .main-svg').length >= 2")
    charts = page.evaluate(CHARTS_JS)
    assert charts == [[1, True], [1, True]]  # the live chart's final figure and the static one, both drawn
    r = recorded.chart
    assert page.title() == f"{r.procedure} · local · succeeded · run {r.run_id}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    before = page.evaluate(REASON_JS, "Decision per stage (as recorded before)")
    now = page.evaluate(REASON_JS, "Decision per stage")
    # sixteen columns: the table is wider than the page, scrolls inside its own output, the reason stays
    # a readable column instead of a word per line
    assert before["table"] > before["box"] and before["scrolls"] == "auto"
    assert before["cell"] >= 250, before
    # the shortened table fits the page
    assert now["table"] <= now["box"] and now["cell"] >= 250, now
    page.screenshot(path=str(artifacts / "run-html.png"), full_page=True)
    assert page.problems == []
    assert attempted == []


def test_the_release_html_pages_are_titled_by_their_run_and_fit_the_page(recorded, page):
    attempted = _offline(page)
    for entry in (recorded.release, recorded.child):
        page.goto(_html(recorded.outputs, entry).as_uri())
        page.wait_for_selector(".apexops-banner")
        words = (entry["procedure"], entry["environment"], entry["outcome"], f"run {entry['run_id']}")
        assert page.title() == " · ".join(words)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        hint = page.inner_text(".apexops-banner .apexops-hint")
        assert hint == "HINT: " + entry["error"].rpartition(" HINT: ")[2]
    assert page.problems == []
    assert attempted == []


def test_the_index_groups_the_release_shows_its_full_hint_and_filters_by_clicking(recorded, page, artifacts):
    attempted = _offline(page)
    page.goto((recorded.outputs / "index.html").as_uri())
    page.wait_for_selector("form#filters:not([hidden])")
    assert page.title().startswith("apexops runs · 3 run(s)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    release, child = recorded.release["run_id"], recorded.child["run_id"]
    order = page.eval_on_selector_all("tbody.run", "els => els.map(e => e.id)")
    assert order.index(f"run-{child}") == order.index(f"run-{release}") + 1  # the child under its release
    hint = page.inner_text(f"#run-{release} .hint")
    assert hint == "HINT: read 20's lint and preview, fix the migration, run 90 again."
    reason = page.inner_text(f"#run-{release} .headline .reason")
    assert reason.endswith("HINT: resolve the findings, then re-run.)")  # the child's hint, whole
    assert page.is_visible(f"#run-{child} .evidence a:text('migration-upgrade-preview.sql')")
    page.screenshot(path=str(artifacts / "index.png"), full_page=True)

    def visible() -> list[str]:
        return [r["run_id"] for r in reversed(recorded.entries) if page.is_visible(f"#run-{r['run_id']}")]

    page.select_option("select[data-filter=outcome]", "succeeded")
    assert visible() == [recorded.chart.run_id]
    assert page.inner_text("#shown") == "1 of 3 run(s) shown"
    page.click("button[type=reset]")
    assert len(visible()) == 3
    page.select_option("select[data-filter=procedure]", "20-database-migration")
    assert visible() == [child]
    page.click("button[type=reset]")
    page.fill("input[data-filter=to]", "2000-01-01")
    assert visible() == []
    page.fill("input[data-filter=to]", "")
    page.select_option("select[data-filter=outcome]", "failed")
    page.select_option("select[data-filter=operator]", "reviewer-test")
    assert sorted(visible()) == sorted([release, child])
    page.screenshot(path=str(artifacts / "index-failed-only.png"), full_page=True)
    assert page.problems == []
    assert attempted == []
