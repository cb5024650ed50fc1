"""SIGKILL of `apexops run` at each phase, a disk full under the CLI, torn ledger lines: 0 lost runs, 0 false
OK. The kill is timed by `APEXOPS_TEST_KILL_AT` (the runner kills itself at that phase), not by sleeps;
SIGKILL mid-cell is tests/foundation/test_abandoned.py (test_a_run_whose_runner_was_killed_...).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys

import pytest
from fault_helpers import FIXTURES, lost_runs
from typer.testing import CliRunner

from apexops import atomic
from apexops.cli import app
from apexops.ledger import LEDGER_NAME, OWNER_FILE, Ledger
from apexops.recovery import recover_abandoned
from apexops.status import Outcome

pytestmark = pytest.mark.notebook

#: phase -> what `runs recover` must record afterwards (None: the line was written, only tidying was left)
PHASES = {
    "started": Outcome.KERNEL_DIED,  # owner file written, kernel not started
    "recording": Outcome.SUCCEEDED,  # folder renamed for its outcome, nothing of the record written
    "recorded": None,  # ledger line written, working files not yet tidied
    "publishing": None,  # recorded and tidied, the index not yet regenerated
}


def _killed_run(out, phase: str) -> str:
    cmd = [sys.executable, "-m", "apexops", "run", "01", "--outputs", str(out), "--notebooks", str(FIXTURES)]
    env = {**os.environ, "APEXOPS_TEST_KILL_AT": phase}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    (folder,) = out.glob("runs/*/*")
    return folder.name.rsplit("_", 1)[1]


@pytest.mark.parametrize("phase", PHASES)
def test_a_run_killed_at_each_phase_is_recorded_once(phase, out):
    run_id = _killed_run(out, phase)
    assert lost_runs(out, [run_id]) == []
    before = Ledger(out).verify()
    assert before.ok is (
        phase == "publishing"
    )  # 0 false OK: an unfinished run or its working files are named

    recovered = recover_abandoned(out)

    expected = PHASES[phase]
    assert [(r.run_id, r.outcome) for r in recovered] == ([(run_id, expected)] if expected else [])
    assert [e["run_id"] for e in Ledger(out).entries()] == [run_id]
    assert not list(out.glob(f"runs/*/*/{OWNER_FILE}")) and not list(out.glob("runs/*/*_running_*"))
    report = Ledger(out).verify()
    assert report.ok, report.problems
    assert recover_abandoned(out) == []
    if phase == "publishing":  # the index is only a view of the ledger: the next `runs index` brings it back
        assert CliRunner().invoke(app, ["runs", "index", "--outputs", str(out)]).exit_code == 0
        assert run_id in (out / "index.html").read_text()


def test_a_disk_full_on_the_ledger_under_the_cli_is_one_line_and_recoverable(out):
    atomic.set_fault_hook(atomic.fail_with(errno.ENOSPC, lambda p: p.name == LEDGER_NAME))
    args = ["run", "01", "--outputs", str(out), "--notebooks", str(FIXTURES)]
    done = CliRunner().invoke(app, args)
    atomic.set_fault_hook(None)

    assert done.exit_code == 7 and isinstance(done.exception, SystemExit | None), done.output
    assert "Traceback" not in done.output and "RECORD_FAILED" in done.output
    assert "No space left on device" in done.output and "runs recover" in done.output
    (folder,) = out.glob("runs/*/*")
    assert "_record_failed_" in folder.name
    verify = CliRunner().invoke(app, ["runs", "verify", "--outputs", str(out)])
    assert verify.exit_code != 0 and "run-unrecorded" in verify.output

    recover = CliRunner().invoke(app, ["runs", "recover", "--outputs", str(out)])

    assert recover.exit_code == 0 and ": succeeded" in recover.output
    assert CliRunner().invoke(app, ["runs", "verify", "--outputs", str(out)]).exit_code == 0
    assert len(Ledger(out).entries()) == 1


def test_a_run_after_a_torn_line_is_shown_and_verify_names_the_torn_line(out, ready_run):
    from apexops.recording import record_run

    first = record_run(ready_run())
    with (out / LEDGER_NAME).open("a") as fh:
        fh.write('{"run_id":"torn","outco')  # a crash in the middle of writing line 2
    second = record_run(ready_run())
    assert second.outcome is Outcome.SUCCEEDED

    show = CliRunner().invoke(app, ["runs", "show", second.run_id, "--outputs", str(out)])
    assert show.exit_code == 0 and second.run_id in show.output
    rows = (out / LEDGER_NAME).read_text().splitlines()
    assert json.loads(rows[2])["run_id"] == second.run_id  # never glued to the torn line
    verify = CliRunner().invoke(app, ["runs", "verify", "--outputs", str(out)])
    assert verify.exit_code != 0 and "line-torn" in verify.output and "line 2" in verify.output
    assert [p.kind for p in Ledger(out).verify().problems] == ["line-torn"]  # nothing else blamed
    assert lost_runs(out, [first.run_id, second.run_id]) == []


def test_a_truncated_ledger_is_not_ok(out, ready_run):
    from apexops.recording import record_run

    runs = [record_run(ready_run()) for _ in range(3)]
    ledger = out / LEDGER_NAME
    ledger.write_bytes(ledger.read_bytes()[:-30])  # the end of the last line lost (restored from a bad copy)
    report = Ledger(out).verify()
    assert not report.ok and ("line-torn", "line 3") in [(p.kind, p.subject) for p in report.problems]
    assert lost_runs(out, [r.run_id for r in runs[:2]]) == []


def test_verify_of_an_outputs_folder_that_does_not_exist_fails(tmp_path):
    done = CliRunner().invoke(app, ["runs", "verify", "--outputs", str(tmp_path / "nope")])
    assert done.exit_code != 0 and "outputs-missing" in done.output
