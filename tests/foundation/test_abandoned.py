"""Runs whose process vanished are still recorded: a child run inside a kernel that died (90-release's
children run in its kernel), and a run whose `apexops run` was SIGKILLed (`apexops runs recover`; every new
run in the folder does the same first, see test_a_run_in_progress_elsewhere_is_left_alone for the guard)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from foundation_helpers import FIXTURES, isolate, kernels_of
from typer.testing import CliRunner

from apexops.cli import app
from apexops.ledger import Ledger
from apexops.runner import run_procedure

pytestmark = pytest.mark.notebook


def _wait_until_gone(run_id: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while kernels_of(run_id):
        assert time.monotonic() < deadline, f"the kernel of run {run_id} outlived its runner"
        time.sleep(0.2)


def _start_long_run(out) -> subprocess.Popen:
    """`apexops run 03` (a 120 s cell) in another process; returns once its kernel is in that cell."""
    cmd = [sys.executable, "-m", "apexops", "run", "03", "-p", "seconds=120", "--outputs", str(out),
           "--notebooks", str(FIXTURES)]  # fmt: skip
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    runner = subprocess.Popen(cmd, env=os.environ.copy(), **quiet)
    deadline = time.monotonic() + 60
    # 03 records "before" in the cell ahead of its long one: once the facts file exists, the kernel is there
    while not list(out.glob("runs/*/*_03-sleeps_*_running_*/.apexops-facts.json")):
        if runner.poll() is not None or time.monotonic() > deadline:
            runner.kill()
            runner.wait(10)
            pytest.fail("the run never started")
        time.sleep(0.1)
    return runner


def _no_unfinished_folders(out) -> None:
    assert not list(out.glob("runs/*/*_running_*")) and not list(out.glob("runs/*/*_recovering_*"))


def test_a_child_run_inside_a_kernel_that_died_is_recorded_and_linked_to_its_parent(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "outputs"

    parent = run_procedure("09", notebooks=FIXTURES, outputs=out, parameters={"notebooks": str(FIXTURES)})

    assert parent.outcome == "kernel_died" and parent.facts["child_started"] is True
    ledger = Ledger(out)
    children = [e for e in ledger.entries() if e.get("parent_run_id") == parent.run_id]
    assert [(c["procedure"], c["outcome"]) for c in children] == [("03-sleeps", "kernel_died")]
    child = children[0]
    assert "abandoned" in child["error"] and f"inside parent run {parent.run_id}" in child["error"]
    assert child["facts"]["before"] is True  # what the child recorded before the death survives
    assert child["parameters"]["seconds"] == 60.0
    assert "_kernel_died_" in child["run_dir"] and any(a.endswith(".html") for a in child["artifacts"])
    _no_unfinished_folders(out)
    assert ledger.verify().ok, ledger.verify().summary()
    _wait_until_gone(child["run_id"])


def test_a_run_whose_runner_was_killed_is_recorded_by_runs_recover(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "outputs"
    runner = _start_long_run(out)
    try:
        runner.send_signal(signal.SIGKILL)  # no chance to record anything
        runner.wait(10)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
    killed_id = next(out.glob("runs/*/*_running_*")).name.rsplit("_", 1)[1]
    ledger = Ledger(out)
    assert ledger.entries() == []  # nothing recorded yet: the runner died first

    recovered = CliRunner().invoke(app, ["runs", "recover", "--outputs", str(out)])

    assert recovered.exit_code == 0
    assert f"recorded {killed_id} (03-sleeps, local): kernel_died" in recovered.output
    again = CliRunner().invoke(app, ["runs", "recover", "--outputs", str(out)])
    assert "nothing to recover" in again.output
    killed = ledger.find(killed_id)
    assert killed["outcome"] == "kernel_died"
    assert killed["error"].startswith("abandoned: the process that ran it")
    assert killed["parent_run_id"] is None and killed["facts"]["before"] is True
    _no_unfinished_folders(out)
    assert ledger.verify().ok, ledger.verify().summary()
    _wait_until_gone(killed_id)


def test_a_run_in_progress_elsewhere_is_left_alone(tmp_path, monkeypatch):
    """Another live runner's run in the same outputs folder is not anyone else's to record."""
    isolate(monkeypatch, tmp_path)
    out = tmp_path / "outputs"
    runner = _start_long_run(out)
    try:
        assert run_procedure("01", notebooks=FIXTURES, outputs=out).outcome == "succeeded"
        assert len(list(out.glob("runs/*/*_03-sleeps_*_running_*"))) == 1
        assert [e["procedure"] for e in Ledger(out).entries()] == ["01-succeeds"]
    finally:
        runner.send_signal(signal.SIGTERM)  # the runner interrupts and records its run
        runner.wait(60)
    assert [e["outcome"] for e in Ledger(out).entries()] == ["succeeded", "interrupted"]
