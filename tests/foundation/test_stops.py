"""Expected stops read as verdicts: an approval still missing, a lint block, a failed verdict end the run with
a verdict box (reason and hint) and a one-line error, never a traceback into library code or papermill's red
banner; an unexpected exception keeps its whole traceback, folded under its message.

Through the real runner (papermill, a real kernel, the recorder): the fixture notebook 10-stops ends each
way once, and procedure 20 is lint-blocked on a running sandbox as `apexops rehearse --scenario
migration-lint` does it. Each test reads the executed notebook, its HTML and the recorded facts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from foundation_helpers import FIXTURES, isolate

from apexops import display, stops
from apexops.errors import (
    ApexopsError,
    ApprovalRequired,
    CanaryRolledBack,
    LockHeldError,
    MigrationBlocked,
    MigrationError,
    RolloutError,
    SecretInParameterError,
    TargetUnavailableError,
    VerificationError,
)
from apexops.runner import run_procedure
from apexops.status import Status

pytestmark = pytest.mark.notebook

FRAMES = ('.py", line', 'File "', "Traceback (most recent call last)", "--->")
PAPERMILL_BANNER = "An Exception was encountered"
LINT_HINT = (
    "add the column NULL (or with a server default), backfill, then make it NOT NULL in a later revision; "
    "nothing was changed."
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """10-stops run once per way of stopping (kernels are the expensive part)."""
    root = tmp_path_factory.mktemp("stops")
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, root)
        return {
            stop: run_procedure("10", notebooks=FIXTURES, outputs=root / "outputs", parameters={"stop": stop})
            for stop in ("blocked", "gate", "verdict", "bug")
        }


@pytest.fixture(scope="module")
def lint_blocked(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Procedure 20 on a running sandbox with the rehearsal's history: r003 adds a NOT NULL column."""
    from apexops.release.scenarios import REHEARSAL_MIGRATIONS
    from apexops.sandbox.testing import running_sandbox

    root = tmp_path_factory.mktemp("stops-20")
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, root)
        with running_sandbox(root / "home"):
            return run_procedure(
                "20-database-migration",
                outputs=root / "outputs",
                parameters={"migrations_dir": str(REHEARSAL_MIGRATIONS)},
            )


# --------------------------------------------------------------------------- reading a run


def load(result: Any) -> nbformat.NotebookNode:
    return nbformat.read(str(result.notebook_path), as_version=4)


def stop_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The one cell that ended in error (there must be exactly one)."""
    (cell,) = [c for c in nb.cells if any(o.output_type == "error" for o in c.get("outputs", []))]
    return cell


def boxes(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """Every verdict box the notebook shows, as its output data."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if 'class="apexops-verdict"' in str(out.get("data", {}).get("text/html", "")):
                found.append(out["data"])
    return found


def error_output(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    (out,) = [o for o in cell.outputs if o.output_type == "error"]
    return out


def html_of(result: Any) -> str:
    return Path(result.html_path).read_text(encoding="utf-8")


def assert_reads_as_a_verdict(result: Any, *, stop: str, status: Status, label: str, ename: str) -> str:
    """The stop's cell: a verdict box then a one-line error; no frames, no papermill banner anywhere."""
    nb = load(result)
    cell = stop_cell(nb)
    (box,) = boxes(nb)
    assert f'data-status="{status}"' in box["text/html"] and f'data-stop="{stop}"' in box["text/html"]
    assert box["text/plain"].startswith(f"VERDICT: {label}\n")
    assert any(o.get("data") == box for o in cell.outputs)  # the box is in the cell that stopped
    err = error_output(cell)
    assert err.ename == ename and len(err.traceback) == 1 and "\n" not in err.traceback[0]
    assert label in err.traceback[0]
    text = Path(result.notebook_path).read_text(encoding="utf-8")
    assert not [f for f in FRAMES if f in text], "a traceback in the executed notebook"
    assert PAPERMILL_BANNER not in text and stops.PAPERMILL_ERROR_TAG not in text
    page = html_of(result)
    assert page.count('class="apexops-verdict"') == 1
    assert not [f for f in FRAMES if f in page] and PAPERMILL_BANNER not in page
    assert 'class="apexops-banner"' in page  # the runner's own outcome banner stays
    return str(box["text/plain"])


# --------------------------------------------------------------------------- through the runner


def test_a_lint_blocked_migration_ends_with_a_blocked_verdict_and_no_traceback(runs):
    r = runs["blocked"]
    text = assert_reads_as_a_verdict(
        r, stop="blocked", status=Status.FAIL, label="BLOCKED", ename="MigrationBlocked"
    )
    assert "MIG-007 adds NOT NULL column projects.cost_center" in text and f"HINT: {LINT_HINT}" in text
    assert r.outcome == "failed" and r.exit_code == 1
    assert r.error == f"MigrationBlocked: {r.facts['stop']['reason']} HINT: {LINT_HINT}"
    assert r.facts["stop"] == {
        "kind": "blocked",
        "error": "MigrationBlocked",
        "reason": "MIG-007 adds NOT NULL column projects.cost_center without a default",
        "hint": LINT_HINT,
    }
    assert "after" not in r.facts  # Run All stopped at the box


def test_a_missing_approval_is_an_approval_required_verdict(runs):
    r = runs["gate"]
    text = assert_reads_as_a_verdict(
        r, stop="approval_required", status=Status.WARN, label="APPROVAL REQUIRED", ename="ApprovalRequired"
    )
    assert "'DEPLOY v1.2.3 TO local' was not approved" in text
    assert 'HINT: pass -p approval="DEPLOY v1.2.3 TO local" to approve this change' in text
    assert r.exit_code == 3 and r.facts["stop"]["kind"] == "approval_required" and "after" not in r.facts


def test_a_failed_verdict_is_shown_once_by_finish_with_its_title_reasons_and_hint(runs):
    r = runs["verdict"]
    text = assert_reads_as_a_verdict(
        r, stop="failed", status=Status.FAIL, label="FAILED", ename="VerificationError"
    )
    assert text == (
        "VERDICT: FAILED\ndeployment failed\n  - v1.2.3 never got healthy\n  - 3 of 3 replicas crashed\n"
        "HINT: read the revision logs in the evidence folder, then run 80-troubleshooting."
    )
    assert r.facts["verdict"]["status"] == "FAIL"
    assert r.facts["stop"] == {
        "kind": "failed",
        "error": "VerificationError",
        "reason": "deployment failed: v1.2.3 never got healthy; 3 of 3 replicas crashed",
        "hint": "read the revision logs in the evidence folder, then run 80-troubleshooting.",
    }


def test_an_unexpected_exception_keeps_its_whole_traceback_folded_under_its_message(runs):
    r = runs["bug"]
    nb = load(r)
    cell = stop_cell(nb)
    (box,) = boxes(nb)
    message = "TypeError: unsupported operand type(s) for +: 'int' and 'str'"
    # the message first, then the traceback folded; the text form has it all, frames included
    html_box = box["text/html"]
    assert html_box.index(message.replace("'", "&#x27;")) < html_box.index("<details")
    fold = html_box[html_box.index("<details") : html_box.index("</details>")]
    assert "Traceback (most recent call last)" in fold and "shift_traffic" in fold and "---&gt;" in fold
    plain = box["text/plain"]
    assert plain.startswith(f"VERDICT: ERROR\n  - {message}")
    assert "Traceback (most recent call last)" in plain and "in shift_traffic(weights)" in plain
    assert '+ "%"' in plain and "\x1b[" not in plain  # the failing line, no terminal colour codes
    err = error_output(cell)
    assert err.ename == "TypeError" and len(err.traceback) == 1 and "folded" in err.traceback[0]
    page = html_of(r)
    assert page.index("<details") < page.index("Traceback (most recent call last)") < page.index("</details>")
    assert PAPERMILL_BANNER not in page
    assert r.facts["stop"] == {
        "kind": "error",
        "error": "TypeError",
        "reason": "unsupported operand type(s) for +: 'int' and 'str'",
        "hint": None,
    }
    assert r.error == message


@pytest.mark.sandbox
@pytest.mark.slow
def test_procedure_20_blocked_at_lint_shows_the_finding_and_the_hint_as_a_verdict(lint_blocked):
    r = lint_blocked
    text = assert_reads_as_a_verdict(
        r, stop="blocked", status=Status.FAIL, label="BLOCKED", ename="MigrationBlocked"
    )
    assert "MIG-007@r003 BLOCK" in text and "HINT: resolve or acknowledge the findings." in text
    assert (
        r.facts["stop"]["kind"] == "blocked"
        and r.facts["stop"]["hint"] == "resolve or acknowledge the findings."
    )
    assert r.facts["lint"]["verdict"] == "BLOCKED"
    block = stops.text_block(r.facts["stop"])
    assert block.splitlines()[0] == "VERDICT: BLOCKED" and block.endswith(
        "HINT: resolve or acknowledge the findings."
    )


# --------------------------------------------------------------------------- the pieces


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ApprovalRequired, stops.StopKind.APPROVAL_REQUIRED),
        (MigrationBlocked, stops.StopKind.BLOCKED),  # refused before anything ran
        (MigrationError, stops.StopKind.FAILED),  # e.g. an upgrade that failed half way
        (SecretInParameterError, stops.StopKind.BLOCKED),  # a ConfigError: refused before anything ran
        (LockHeldError, stops.StopKind.BLOCKED),
        (CanaryRolledBack, stops.StopKind.ROLLED_BACK),
        (RolloutError, stops.StopKind.FAILED),  # preconditions not met, stopped for a decision
        (VerificationError, stops.StopKind.FAILED),
        (TargetUnavailableError, stops.StopKind.FAILED),  # any other apexops error: a failure with a hint
        (ApexopsError, stops.StopKind.FAILED),
        (TypeError, stops.StopKind.ERROR),
        (KeyError, stops.StopKind.ERROR),
    ],
)
def test_every_error_type_maps_to_one_kind_of_stop(error, kind):
    assert stops.kind_of(error) is kind and stops.kind_of(error("x")) is kind


def test_the_terminal_block_is_complete_however_long_the_hint():
    hint = "run 60-rollback; " * 40 + "then tell the release channel."
    stop = {
        "kind": "rolled_back",
        "error": "RolloutError",
        "reason": "canary rolled back: 5xx 12% > 1%",
        "hint": hint,
    }
    assert stops.text_block(stop) == f"VERDICT: ROLLED BACK\ncanary rolled back: 5xx 12% > 1%\nHINT: {hint}"
    bug = {"kind": "error", "error": "TypeError", "reason": "bad operand", "hint": None}
    assert stops.text_block(bug) == "VERDICT: ERROR\nTypeError: bad operand"
    assert stops.text_block({"kind": "approval_required", "reason": "r"}) == "VERDICT: APPROVAL REQUIRED\nr"


def test_papermills_banner_cells_are_removed_and_nothing_else():
    from papermill.execute import ERROR_MARKER_TAG

    assert stops.PAPERMILL_ERROR_TAG == ERROR_MARKER_TAG
    nb = nbformat.v4.new_notebook()
    banner = nbformat.v4.new_markdown_cell(
        "An Exception was encountered", metadata={"tags": [ERROR_MARKER_TAG]}
    )
    anchor = nbformat.v4.new_markdown_cell("stopped here", metadata={"tags": [ERROR_MARKER_TAG]})
    keep = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("y"),
    ]
    nb.cells = [banner, keep[0], anchor, keep[1]]
    stops.strip_papermill_error_cells(nb)
    assert nb.cells == keep


def test_the_verdict_box_carries_its_status_and_escapes_what_it_shows():
    bundle = display.verdict_bundle(Status.FAIL, ["<b>x</b>"], label="BLOCKED", hint="a & b", stop="blocked")
    assert bundle["text/html"].startswith(
        '<div class="apexops-verdict" data-status="FAIL" data-stop="blocked"'
    )
    assert "&lt;b&gt;x&lt;/b&gt;" in bundle["text/html"] and "a &amp; b" in bundle["text/html"]
    assert bundle["text/plain"] == "VERDICT: BLOCKED\n  - <b>x</b>\nHINT: a & b"


# --------------------------------------------------------------------------- the handler in a shell


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """An IPython shell in this process with the stop handler installed; what it displays is collected."""
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    shown: list[dict[str, Any]] = []
    monkeypatch.setattr(display, "_display", lambda bundle, **kw: shown.append(dict(bundle)))
    stops.install()
    stops.install()  # idempotent
    sh.shown = shown
    yield sh
    InteractiveShell.clear_instance()


def _ansi_free(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_in_a_shell_a_stop_shows_one_box_one_line_and_records_the_fact(shell, capsys):
    from apexops import kernel

    result = shell.run_cell(
        'from apexops.errors import LockHeldError\nraise LockHeldError("held by run r1", hint="wait")'
    )
    assert isinstance(result.error_in_exec, LockHeldError)
    (box,) = shell.shown
    assert box["text/plain"] == "VERDICT: BLOCKED\n  - held by run r1\nHINT: wait"
    out = _ansi_free(capsys.readouterr().out).strip()
    assert out == "LockHeldError: the run stopped here, BLOCKED (see the verdict above)"
    assert kernel.facts()["stop"]["kind"] == "blocked"


def test_in_a_shell_finish_shows_a_failed_verdict_once(shell):
    result = shell.run_cell(
        "import apexops\nfrom apexops.errors import CanaryRolledBack\n"
        "from apexops.status import Status, Verdict\n"
        "class P:\n    def verdict(self):\n"
        "        return Verdict(Status.FAIL, ('5xx 12%',), hint='run 60', title='canary rolled back',\n"
        "                       error=CanaryRolledBack)\n"
        "    def facts(self):\n        return {}\n"
        "apexops.finish(P())"
    )
    assert isinstance(result.error_in_exec, CanaryRolledBack)
    (box,) = shell.shown
    assert box["text/plain"] == "VERDICT: ROLLED BACK\ncanary rolled back\n  - 5xx 12%\nHINT: run 60"
    assert 'data-status="FAIL"' in box["text/html"]


def test_in_a_shell_interrupts_and_syntax_errors_keep_ipythons_own_rendering(shell, capsys):
    shell.run_cell("raise KeyboardInterrupt")
    shell.run_cell("def broken(:")
    assert shell.shown == []
    out = _ansi_free(capsys.readouterr().out)
    assert "KeyboardInterrupt" in out and "SyntaxError" in out
    assert shell.custom_exceptions == (Exception,)  # only Exceptions: interrupts are not ours


def test_in_a_shell_a_stop_that_cannot_be_drawn_still_ends_the_cell_with_its_traceback(
    shell, capsys, monkeypatch
):
    def broken(bundle: Any, **kw: Any) -> None:
        raise RuntimeError("display is broken")

    monkeypatch.setattr(display, "_display", broken)
    result = shell.run_cell('from apexops.errors import MigrationError\nraise MigrationError("m", hint="h")')
    assert isinstance(result.error_in_exec, MigrationError)
    out = _ansi_free(capsys.readouterr().out)
    assert "MigrationError" in out and "HINT: h" in out  # IPython's own rendering: never swallowed
    assert shell.custom_exceptions == (Exception,)  # and the handler stays installed for the next stop
