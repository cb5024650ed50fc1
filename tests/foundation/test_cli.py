"""The `apexops` CLI as users run it: procedures, run (exit code = outcome), runs list|show|verify|index."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from foundation_helpers import FIXTURES, kernels_of
from typer.testing import CliRunner

from apexops.cli import app
from apexops.ledger import Ledger

pytestmark = pytest.mark.notebook
cli = CliRunner()


def apexops(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "apexops", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_procedures_lists_ids_titles_and_parameters():
    result = cli.invoke(app, ["procedures"])
    assert result.exit_code == 0
    assert "00" in result.output and "preflight" in result.output and "require_sandbox" in result.output
    result = cli.invoke(app, ["procedures", "--notebooks", str(FIXTURES)])
    assert "rounds: int = 2" in result.output and "08" in result.output


def test_run_succeeds_with_exit_code_0_and_typed_parameters(tmp_path):
    out = tmp_path / "out"
    proc = apexops("run", "succeeds", "-p", "rounds=4", "-p", "dry_run=false", "--outputs", str(out),
                   "--notebooks", str(FIXTURES))  # fmt: skip
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    (entry,) = Ledger(out).entries()
    assert f"SUCCEEDED run {entry['run_id']}" in stdout
    assert "2. Save evidence" in stdout  # progress: the steps as they ran
    assert entry["parameters"] == {"rounds": 4, "dry_run": False, "env": "local"}
    assert "Traceback" not in stderr


def test_a_failed_run_exits_1_with_its_error_on_one_line(tmp_path):
    result = cli.invoke(app, ["run", "02", "--outputs", str(tmp_path / "out"), "--notebooks", str(FIXTURES)])
    assert result.exit_code == 1
    assert "FAILED run" in result.output
    assert "error: MigrationError: head mismatch HINT: run 20-database-migration" in result.output


def test_bad_parameters_exit_2_before_anything_runs(tmp_path):
    out = tmp_path / "out"
    for args, message in (
        (["-p", "rounds=many"], "parameter 'rounds' expects int, got 'many'"),
        (["-p", "password=hunter22"], "parameter 'password' looks like a secret"),
        (["-p", "nope=1"], "unknown parameter 'nope'"),
    ):
        result = cli.invoke(app, ["run", "01", *args, "--outputs", str(out), "--notebooks", str(FIXTURES)])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
        assert "hunter22" not in result.output
    assert not out.exists()


def test_sigterm_interrupts_records_and_leaves_no_kernel(tmp_path):
    out = tmp_path / "out"
    proc = apexops("run", "03", "-p", "seconds=120", "--outputs", str(out), "--notebooks", str(FIXTURES))
    deadline = time.monotonic() + 90
    facts = []
    while time.monotonic() < deadline and not facts:  # wait until the long step is running
        facts = [p for p in out.glob("runs/*/*_running_*/.apexops-facts.json") if "before" in p.read_text()]
        time.sleep(0.2)
    assert facts, "the run never reached its long step"
    run_id = facts[0].parent.name.rsplit("_", 1)[1]
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    entry = Ledger(out).find(run_id)
    assert (
        entry["outcome"] == "interrupted" and "SIGTERM" in entry["error"] and "2. Long step" in entry["error"]
    )
    assert entry["facts"]["before"] is True and "after" not in entry["facts"]
    assert Path(out / entry["run_dir"]).name.endswith(f"_interrupted_{run_id}")
    assert f"INTERRUPTED run {run_id}" in stdout
    assert kernels_of(run_id) == []


@pytest.fixture
def outputs_copy(runs, tmp_path) -> Path:
    copy = tmp_path / "outputs-copy"
    shutil.copytree(runs["outputs"], copy)
    return copy


def test_runs_list_show_and_index(outputs_copy, runs, monkeypatch):
    from rich.console import Console

    import apexops.cli

    # an 80-column terminal: run ids and outcomes stay whole (they are what people copy and scan)
    monkeypatch.setattr(apexops.cli, "console", Console(width=80, highlight=False))
    result = cli.invoke(app, ["runs", "list", "--outputs", str(outputs_copy), "--limit", "50"])
    assert result.exit_code == 0
    assert runs["01"].run_id in result.output and "kernel_died" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    monkeypatch.undo()
    prefix = runs["04"].run_id[:6]
    result = cli.invoke(app, ["runs", "show", prefix, "--outputs", str(outputs_copy)])
    assert result.exit_code == 0 and "KERNEL_DIED" in result.output and "04-dies" in result.output
    (outputs_copy / "index.html").unlink()
    result = cli.invoke(app, ["runs", "index", "--outputs", str(outputs_copy)])
    assert result.exit_code == 0 and runs["04"].run_id in (outputs_copy / "index.html").read_text()
    result = cli.invoke(app, ["runs", "show", "zzzz", "--outputs", str(outputs_copy)])
    assert result.exit_code == 1 and "error: no run 'zzzz'" in result.output


def test_verify_passes_then_names_an_edited_artifact(outputs_copy, runs):
    result = cli.invoke(app, ["runs", "verify", "--outputs", str(outputs_copy)])
    assert result.exit_code == 0 and "ledger OK: 11 run(s)" in result.output
    html = outputs_copy / runs["07"].html_path.relative_to(runs["outputs"])
    data = bytearray(html.read_bytes())
    data[len(data) // 2] ^= 0x20  # one byte
    html.write_bytes(bytes(data))
    result = cli.invoke(app, ["runs", "verify", "--outputs", str(outputs_copy)])
    assert result.exit_code == 6
    assert f"artifact-edited {html.relative_to(outputs_copy).as_posix()}" in result.output
    assert "FAILED verification: 1 problem(s)" in result.output


def test_verify_names_a_deleted_ledger_line(outputs_copy, runs):
    ledger = outputs_copy / "ledger.jsonl"
    rows = ledger.read_text().splitlines()
    deleted = json.loads(rows[3])
    ledger.write_text("".join(r + "\n" for i, r in enumerate(rows) if i != 3))
    result = cli.invoke(app, ["runs", "verify", "--outputs", str(outputs_copy)])
    assert result.exit_code == 6
    assert "line-missing line 4" in result.output
    # its run folder is still there, now unaccounted for by any line: verify says so too
    assert deleted["run_id"] in result.output or "line 4" in result.output


def test_extension_groups_load_lazily_or_explain_themselves(monkeypatch):
    import apexops.cli as cli_module

    result = cli.invoke(app, ["sandbox", "--help"])
    assert result.exit_code == 0 and "Usage: apexops sandbox" in result.output
    monkeypatch.setitem(sys.modules, "apexops.sandbox.cli", None)  # as if the module were missing
    result = cli.invoke(app, ["sandbox", "status"])
    assert result.exit_code == 2 and "not available" in result.output
    assert "sandbox" in cli_module.EXTENSIONS


def test_the_cli_does_not_import_papermill_for_help():
    code = (
        "import sys; from apexops.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
    )
    code += "print(sorted(m for m in sys.modules if m.split('.')[0] in ('papermill', 'pandas', 'azure')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "120"})  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "[]"
