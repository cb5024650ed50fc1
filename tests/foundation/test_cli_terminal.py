"""What `apexops run` leaves on the terminal: the facts as `key: value` lines with the next step's inputs
first, never cut at the width; a stop as its verdict block (reason and hint, complete); and, during a long
step, the run's latest progress note (`apexops.kernel.note_progress`: what 50's judge sees in a stage)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from rich.console import Console

from apexops import cli, kernel
from apexops.canary.pollnote import poll_note
from apexops.canary.rollout import PollRecord
from apexops.cireport import fact_lines
from apexops.ledger import Ledger
from apexops.settings import load_settings

# --------------------------------------------------------------------------- facts as lines


def test_the_next_steps_inputs_come_first_then_the_rest_in_recorded_order():
    facts = {
        "image": "acrapex.azurecr.io/apex:v1.2.3",
        "digest": "sha256:abc",
        "image_tag": "v1.2.3",
        "old_revisions": ["apex--v122"],
        "zeta": 1,
        "new_revision": "apex--v123",
        "verdict": {"status": "PASS", "reasons": ["created"]},
        "redactions": 0,
    }
    keys = [k for k, _ in fact_lines("30-application-deployment", facts)]
    assert keys == ["new_revision", "old_revisions", "image_tag", "image", "digest", "zeta"]
    assert dict(fact_lines("30", facts))["old_revisions"] == "apex--v122"


def test_nested_facts_read_as_lines_and_tables_say_where_they_are_whole():
    facts = {
        "children": [{"procedure": "20-database-migration", "outcome": "succeeded"}],
        "release": {"new_revision": "apex--v123", "traffic_final": {"apex--v123": 100}},
        "canary": {"verdict": "promoted", "stages": [{"stage": 1}, {"stage": 2}], "rolled_back": False},
        "new_revision": "apex--v123",
        "release_verdict": "promoted",
    }
    lines = fact_lines("90-release", facts, run_id="abc123")
    assert lines[:2] == [("release_verdict", "promoted"), ("new_revision", "apex--v123")]
    shown = dict(lines)
    assert "children" not in shown  # the child runs are listed on their own
    assert shown["release.traffic_final"] == "apex--v123=100"
    assert shown["canary.stages"] == "2 entries (all of them in `apexops runs show abc123`)"
    assert dict(fact_lines("90", {"approvals": [{"phrase": "x"}]}))["approvals"].startswith("1 entry (")
    assert shown["canary.rolled_back"] == "false"


def _console(width: int = 40) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, highlight=False, color_system=None), buffer


def _result(facts: dict, **kw) -> SimpleNamespace:
    fields = {
        "run_id": "r1",
        "procedure": "30-application-deployment",
        "outcome": "failed",
        "error": "ApprovalRequired: not approved HINT: pass -p approval=...",
        "notebook_path": Path("/x/nb.ipynb"),
        "html_path": None,
        "evidence_dir": Path("/x/evidence"),
        "shared": None,
        "facts": facts,
    }
    return SimpleNamespace(**{**fields, **kw})


def test_a_stop_prints_as_its_verdict_block_and_no_value_is_cut(monkeypatch):
    out, out_text = _console()
    err, err_text = _console()
    monkeypatch.setattr(cli, "console", out)
    monkeypatch.setattr(cli, "err_console", err)
    long_hint = 'pass -p approval="DEPLOY v1.2.3 TO local" to approve this change; ' + "then re-run " * 12
    stop = {
        "kind": "approval_required",
        "error": "ApprovalRequired",
        "reason": "not approved",
        "hint": long_hint,
    }
    cli._print_result(_result({"stop": stop, "new_revision": "apex--" + "x" * 90}), "local")
    errors = err_text.getvalue()
    assert errors.splitlines()[0].startswith("VERDICT: ")
    assert "not approved" in errors and f"HINT: {long_hint.strip()}" in errors  # one line, whole
    assert "error:" not in errors  # the block replaces the raw one-line error
    assert f"    new_revision: apex--{'x' * 90}" in out_text.getvalue()  # wider than 40, not cut


def test_without_a_stop_the_error_stays_one_line(monkeypatch):
    err, err_text = _console(200)
    monkeypatch.setattr(cli, "console", _console()[0])
    monkeypatch.setattr(cli, "err_console", err)
    cli._print_result(_result({}), "local")
    assert err_text.getvalue().strip() == "error: ApprovalRequired: not approved HINT: pass -p approval=..."


# --------------------------------------------------------------------------- progress notes


def _headless(monkeypatch, run_dir: Path, run_id: str, parent: str | None = None) -> None:
    monkeypatch.setenv("APEXOPS_RUN_ID", run_id)
    monkeypatch.setenv("APEXOPS_RUN_DIR", str(run_dir))
    monkeypatch.setenv("APEXOPS_PROCEDURE", "50-traffic-shifting")
    monkeypatch.setenv("APEXOPS_HEADLESS", "1")
    if parent:
        monkeypatch.setenv("APEXOPS_PARENT_RUN", parent)


def test_a_note_is_found_by_its_run_and_by_its_parent_run(tmp_path, monkeypatch):
    today = datetime.now(UTC).date()
    day = tmp_path / "runs" / today.isoformat()
    child = day / f"{today:%Y%m%d}-000000_50-traffic-shifting_local_running_child1"
    other = day / f"{today:%Y%m%d}-000000_50-traffic-shifting_local_running_other1"
    child.mkdir(parents=True)
    other.mkdir(parents=True)
    _headless(monkeypatch, other, "other1")
    kernel.note_progress("someone else's stage")
    _headless(monkeypatch, child, "child1", parent="parent1")
    kernel.note_progress("stage 1/2 · 10% · canary 41 req")
    note = json.loads((child / kernel.PROGRESS_FILE).read_text())
    assert note["run_id"] == "child1" and note["parent_run_id"] == "parent1"
    for run_id in ("parent1", "child1"):
        assert (
            kernel.latest_progress_note(tmp_path, run_id, since=today)["text"]
            == "stage 1/2 · 10% · canary 41 req"
        )
    assert kernel.latest_progress_note(tmp_path, "nobody") is None

    seen: list[dict] = []
    watch = kernel.NoteWatch(tmp_path, seen.append, run_id="parent1")
    watch.poll()
    watch.poll()  # the same note again: not handed on twice
    kernel.note_progress("stage 1/2 · 10% · canary 80 req")
    watch.poll()
    assert [n["text"] for n in seen] == ["stage 1/2 · 10% · canary 41 req", "stage 1/2 · 10% · canary 80 req"]


def test_interactive_sessions_write_no_note(tmp_path, monkeypatch):
    monkeypatch.setenv("APEXOPS_OUTPUTS", str(tmp_path))
    kernel.note_progress("stage 1")
    assert not list(tmp_path.rglob(kernel.PROGRESS_FILE))


def test_the_spinner_shows_the_latest_note_and_a_log_gets_one_every_few_seconds(tmp_path, monkeypatch):
    updates: list[str] = []
    out, text = _console(200)
    display = cli._RunDisplay(out, "90-release", tmp_path)
    display.progress("run abc123: 90-release on local (cell timeout 600 s)")
    assert display.notes.run_id == "abc123"
    display.status = SimpleNamespace(update=lambda r: updates.append(str(r)))
    display.note({"procedure": "50-traffic-shifting", "text": "stage 1/2 · 10% · 20 s left at most"})
    assert "50-traffic-shifting: stage 1/2 · 10% · 20 s left at most" in updates[-1]
    display.status = None  # not a terminal: lines in the log, at most one per NOTE_EVERY_S
    clock = iter([100.0, 101.0, 100.0 + display.NOTE_EVERY_S])
    monkeypatch.setattr(cli.time, "monotonic", lambda: next(clock))
    for n in (1, 2, 3):
        display.note({"procedure": "90-release", "text": f"note {n}"})
    assert [ln.strip() for ln in text.getvalue().splitlines() if "note" in ln] == ["note 1", "note 3"]


def test_a_poll_reads_as_what_the_judge_sees():
    policy = load_settings("local").canary
    first = policy.stages[0]
    record = PollRecord(
        at=datetime.now(UTC),
        stage_index=0,
        weight=first.weight,
        elapsed_s=first.max_duration_s - 18,
        verdict="HOLD",
        reason=f"stage 1 ({first.weight}%): holding: not enough canary requests yet",
        numbers={
            "canary_requests": 41, "canary_5xx": 0, "canary_slow": 2,
            "baseline_requests": 380, "baseline_5xx": 1, "baseline_slow": None,
            "harm_errors_e_value": 1.26, "harm_errors_threshold": 20.0,
        },
    )  # fmt: skip
    note = poll_note(record, policy)
    assert note.startswith(f"stage 1/{len(policy.stages)} · {first.weight}% · ")
    assert "18 s left at most" in note
    assert "canary 41 req · 0 5xx · 2 slow | baseline 380 req · 1 5xx" in note
    assert "e 5xx 1.26/20" in note and note.endswith(" · HOLD: holding: not enough canary requests yet")


# --------------------------------------------------------------------------- a real run


def _notebook(folder: Path) -> Path:
    """A small procedure '30-fake-deploy' that records facts in an order unlike the display's and publishes
    a progress note during a step that takes a moment."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 30 Fake deploy"),
        nbformat.v4.new_code_cell('env = "local"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import time\n\nimport apexops\nfrom apexops import kernel"),
        nbformat.v4.new_markdown_cell("## 1. Create the revision"),
        nbformat.v4.new_code_cell(
            'apexops.record("image", "acr/apex:v9")\n'
            'apexops.record("note", "n" * 300)\n'
            'kernel.note_progress("stage 1/2 · 10% · canary 41 req · 0 5xx")\n'
            "time.sleep(3)\n"
            'apexops.record("new_revision", "apex--v9")'
        ),
    ]
    folder.mkdir(parents=True)
    path = folder / "30-fake-deploy.ipynb"
    nbformat.write(nb, path)
    return folder


@pytest.mark.notebook
def test_a_run_shows_its_note_and_ends_with_readable_facts(tmp_path):
    notebooks, outputs = _notebook(tmp_path / "nb"), tmp_path / "outputs"
    result = subprocess.run(
        [sys.executable, "-m", "apexops", "run", "30", "--notebooks", notebooks, "--outputs", outputs],
        capture_output=True, text=True, timeout=180, env={**os.environ, "COLUMNS": "60"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "      stage 1/2 · 10% · canary 41 req · 0 5xx" in lines  # the note, while the step ran
    facts = lines[lines.index("  facts:") + 1 :]
    assert facts[:2] == ["    new_revision: apex--v9", "    image: acr/apex:v9"]  # 30's output first
    assert f"    note: {'n' * 300}" in facts  # wider than the terminal: whole, on one line
    assert Ledger(outputs).verify().ok  # the note was a working file, not an unrecorded artifact
    assert not list(outputs.rglob(kernel.PROGRESS_FILE))
