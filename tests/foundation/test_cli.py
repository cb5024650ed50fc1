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

from apexops.cli import app, main, writable_outputs
from apexops.errors import ConfigError
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


# ------------------------------------------- bad input: one line, exit 2, nothing written (issue 14, 13-14)


def one_error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("seconds", ["0", "-5", "nan", "inf"])
def test_a_cell_timeout_that_is_not_positive_is_refused_before_the_run(tmp_path, seconds):
    """`--cell-timeout 0` silently became the notebook's timeout; nan/inf were recorded as failed runs."""
    out = tmp_path / "out"
    args = ["run", "01", f"--cell-timeout={seconds}", "--outputs", str(out), "--notebooks", str(FIXTURES)]
    line = one_error_line(cli.invoke(app, args))
    assert "--cell-timeout must be a positive number of seconds" in line and "HINT" in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("procedure", "pair", "expect"),
    [
        ("80", "tail=-5", "'tail' of 80-troubleshooting must be in [1, 5000] (got -5)"),
        ("70", "window_minutes=nan", "'window_minutes' of 70-emergency must be in (0, 1440] (got nan)"),
        ("30", "health_timeout_s=-1", "'health_timeout_s' of 30-application-deployment must be in [0, inf)"),
    ],
)
def test_out_of_range_parameters_exit_2_and_write_nothing(tmp_path, procedure, pair, expect):
    """These were found inside the notebook: exit 1, a run folder and a ledger line."""
    out = tmp_path / "out"
    line = one_error_line(cli.invoke(app, ["run", procedure, "-p", pair, "--outputs", str(out)]))
    assert expect in line
    assert not out.exists()


def test_outputs_naming_a_file_is_one_line(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    line = one_error_line(
        cli.invoke(app, ["run", "01", "--outputs", str(target), "--notebooks", str(FIXTURES)])
    )
    assert f"outputs folder {target} is a file" in line
    (tmp_path / "out" / "runs").parent.mkdir()
    (tmp_path / "out" / "runs").write_text("")  # the runs folder itself a file
    line = one_error_line(
        cli.invoke(app, ["run", "01", "--outputs", str(tmp_path / "out"), "--notebooks", str(FIXTURES)])
    )
    assert "runs is a file" in line
    assert target.read_text() == "not a folder"


def test_a_read_only_outputs_folder_is_refused_before_the_run(tmp_path):
    """Tests run as root, which ignores permission bits, so the access check is injected here; on a
    read-only mount os.access answers False for root too (EROFS)."""
    asked = []

    def read_only(path: Path, mode: int) -> bool:
        asked.append((path, mode))
        return False

    with pytest.raises(ConfigError, match="is not writable") as err:
        writable_outputs(tmp_path / "out", access=read_only)
    assert asked == [(tmp_path, os.W_OK | os.X_OK)]  # the nearest folder that exists
    assert "\n" not in str(err.value) and "HINT: pass --outputs" in str(err.value)
    assert writable_outputs(tmp_path / "out") == tmp_path / "out"  # writable: fine, nothing created
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits (covered by the injected check)")
def test_a_read_only_outputs_folder_is_refused_for_real(tmp_path):
    tmp_path.chmod(0o555)
    try:
        args = ["run", "01", "--outputs", str(tmp_path / "out"), "--notebooks", str(FIXTURES)]
        line = one_error_line(cli.invoke(app, args))
    finally:
        tmp_path.chmod(0o755)
    assert "is not writable" in line


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["run", "01", "--bogus"], "No such option: --bogus"),
        (["run", "01", "--cell-timeout", "abc"], "Invalid value for '--cell-timeout'"),
        (["run"], "Missing argument 'procedure'"),
        (["runs", "list", "--limit", "x"], "Invalid value for '--limit'"),
    ],
)
def test_wrong_options_are_one_line_from_the_entry_point(capsys, args, expect):
    """The console entry point (`main`), not typer's boxed usage text: one line, exit 2."""
    with pytest.raises(SystemExit) as stop:
        main(args)
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines() if line.strip()]
    assert stop.value.code == 2
    assert len(lines) == 1 and lines[0].startswith("error: ") and expect in lines[0]
    assert "HINT: see `apexops" in lines[0]
