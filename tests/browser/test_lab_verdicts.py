"""Expected stops as the on-call engineer sees them in JupyterLab (issue 15, item 3): Run All on a blocked
migration and on an unapproved gate ends in a verdict box with the reason and the complete hint, and no
Python traceback anywhere on the page.

Procedure 20 itself runs, in Chromium, against a running sandbox of this module, with the history the
`migration-lint` rehearsal uses (r003 adds a NOT NULL column without a default: MIG-007 blocks it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browsers import wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_20 = ROOT / "notebooks" / "20-database-migration.ipynb"
GATED = ROOT / "tests" / "foundation" / "notebooks" / "10-stops.ipynb"
#: what a traceback looks like on a page (IPython's frames, Python's header, a file line)
TRACEBACK_MARKS = ("Traceback", 'File "', "--->", '.py", line')
@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A sandbox of this module's own (home, free port); its variables reach the Lab server's kernels."""
    from apexops.sandbox.testing import running_sandbox

    base = tmp_path_factory.mktemp("lab-verdicts")
    with running_sandbox(base / "home") as (settings, env):
        yield {"settings": settings, "env": env, "outputs": base / "outputs"}


def _with_parameters(source: Path, folder: Path, values: dict[str, str]) -> Path:
    """A copy of `source` whose parameters cell says what the operator would type."""
    nb = nbformat.read(source, as_version=4)
    [cell] = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    lines = []
    for line in cell.source.splitlines():
        name = line.split("=", 1)[0].split(":", 1)[0].strip()
        lines.append(f"{name} = {values[name]}" if name in values else line)
    cell.source = "\n".join(lines)
    path = folder / source.name
    nbformat.write(nb, path)
    return path


def _run_all(page: Any, url: str) -> None:
    page.goto(url)
    wait_idle(page, 90)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_selector(".apexops-verdict", timeout=90_000)
    wait_idle(page, 90)


def _screenshot(page: Any, element: Any, path: Path) -> None:
    """The element in view, without JupyterLab's "news?" notification over the page."""
    page.add_style_tag(content=".Toastify, .Toastify__toast-container { display: none !important; }")
    element.scroll_into_view_if_needed()
    path.unlink(missing_ok=True)  # the one this run takes, never a leftover
    page.screenshot(path=str(path))


def _no_traceback_on(page: Any) -> None:
    text = page.evaluate("() => document.body.innerText")
    found = [mark for mark in TRACEBACK_MARKS if mark in text]
    assert not found, f"traceback text on the page: {found}"


@pytest.mark.sandbox
def test_a_lint_blocked_migration_reads_as_a_blocked_verdict_in_jupyterlab(
    sandbox, tmp_path, lab_server, page, artifacts
):
    from apexops.release.scenarios import REHEARSAL_MIGRATIONS

    root = tmp_path / "notebooks"
    root.mkdir()
    path = _with_parameters(NOTEBOOK_20, root, {"migrations_dir": f'"{REHEARSAL_MIGRATIONS}"'})
    lab = lab_server(root, env={"APEXOPS_OUTPUTS": str(sandbox["outputs"])})
    _run_all(page, lab.url(path.name))

    finish = page.locator(".jp-CodeCell", has_text="apexops.finish(proc)")
    boxes = page.locator(".apexops-verdict")
    assert boxes.count() == 1  # the stop is shown once, in the cell that stopped
    box = finish.locator(".apexops-verdict")
    assert box.get_attribute("data-status") == "FAIL" and box.get_attribute("data-stop") == "blocked"
    shown = box.inner_text()
    assert shown.startswith("VERDICT: BLOCKED") and "database migration failed" in shown
    assert "MIG-007@r003 BLOCK" in shown
    assert "HINT: resolve or acknowledge the findings." in shown  # the complete hint, on the page
    error = finish.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert error.count() == 1 and len(error.inner_text().strip().splitlines()) == 1  # one line, no frames
    assert "MigrationBlocked" in error.inner_text() and "BLOCKED" in error.inner_text()
    _no_traceback_on(page)
    assert not page.problems, page.problems

    _screenshot(page, box, artifacts / "blocked-migration-verdict.png")
    assert (artifacts / "blocked-migration-verdict.png").stat().st_size > 10_000


def test_an_unapproved_gate_stops_run_all_with_an_approval_verdict(tmp_path, lab_server, page, artifacts):
    root = tmp_path / "notebooks"
    root.mkdir()
    path = _with_parameters(GATED, root, {"stop": '"gate"', "dry_run": "False"})
    lab = lab_server(root, env={"APEXOPS_OUTPUTS": str(tmp_path / "outputs")})  # connect() needs no sandbox
    _run_all(page, lab.url(path.name))

    check = page.locator(".jp-CodeCell", has_text="gate.check()")
    box = check.locator(".apexops-verdict")
    assert box.count() == 1 and box.get_attribute("data-status") == "WARN"
    shown = box.inner_text()
    assert shown.startswith("VERDICT: APPROVAL REQUIRED")
    assert "'DEPLOY v1.2.3 TO local' was not approved; nothing past this gate ran." in shown
    assert (
        "HINT: type the phrase in the box above, click Approve, then run this cell and those below." in shown
    )
    assert page.locator(".widget-button", has_text="Approve").count() == 1  # the box points at it
    _no_traceback_on(page)
    after = page.locator(".jp-CodeCell", has_text='apexops.record("after", True)')
    assert not re.search(r"\d", after.locator(".jp-InputPrompt").inner_text())  # Run All stopped at the gate
    assert not page.problems, page.problems
    _screenshot(page, box, artifacts / "approval-required-verdict.png")
