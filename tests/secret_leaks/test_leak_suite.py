"""The secret-leak suite: a known secret, in every encoding, through every path a run has (cell output,
an exception and its traceback, evidence written by a cell and by the helper, recorded facts, the ledger
line, the HTML, the index, the terminal output of `apexops run`) and through recovery of a SIGKILLed run
from a shell without the secret's variable -> 0 occurrences in any file under the outputs folder and in
anything printed. Real kernels; two runs of one tiny notebook.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from secret_forms import SECRET, leaks

pytestmark = pytest.mark.notebook

NOTEBOOKS = Path(__file__).parent / "notebooks"
APEXOPS = [str(Path(sys.executable).with_name("apexops"))]


def _env(tmp_path: Path, *, secret: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APEXOPS_") and k != "APEX_LEAK_SECRET"}
    env.update(
        APEXOPS_OUTPUTS=str(tmp_path / "outputs"),
        APEXOPS_SANDBOX_HOME=str(tmp_path / "sandbox-home"),
        APEXOPS_OPERATOR="test-operator",
        APEXOPS_NOTEBOOKS=str(NOTEBOOKS),
        NO_COLOR="1",
        COLUMNS="200",
    )
    if secret:
        env["APEX_LEAK_SECRET"] = SECRET
    return env


def _leaks_under(folder: Path) -> dict[str, list[str]]:
    found = {}
    for dirpath, _dirs, files in os.walk(folder, followlinks=False):
        for name in files:
            path = Path(dirpath) / name
            if not path.is_symlink() and (hit := leaks(path.read_bytes())):
                found[str(path.relative_to(folder))] = hit
    return found


def _kernels_of(run_dir_name: str) -> list[int]:
    run_id = run_dir_name.rsplit("_", 1)[-1]
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"APEXOPS_RUN_ID={run_id}".encode() in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def test_a_finished_run_leaks_nothing_anywhere(tmp_path):
    done = subprocess.run(
        [*APEXOPS, "run", "10", "--outputs", str(tmp_path / "outputs")],
        env=_env(tmp_path, secret=True), capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    terminal = done.stdout + done.stderr
    assert done.returncode == 1, terminal.decode(errors="replace")
    assert b"RuntimeError" in terminal and b"[REDACTED:env:APEX_LEAK_SECRET]" in terminal
    assert leaks(terminal) == []
    out = tmp_path / "outputs"
    files = {p.name for p in out.rglob("*") if p.is_file()}
    assert {"ledger.jsonl", "index.html", "plain.txt", "utf16.bin", "b64.txt", "helper.txt"} <= files
    assert any(n.endswith(".html") and "_failed_" in n for n in files)
    assert _leaks_under(out) == {}
    line = json.loads((out / "ledger.jsonl").read_text().splitlines()[-1])
    assert line["facts"]["leaky_fact"] == "pw=[REDACTED:env:APEX_LEAK_SECRET]"
    assert line["redactions"]["total"] >= 10


def test_a_sigkilled_run_recovered_without_the_variable_leaks_nothing(tmp_path):
    out = tmp_path / "outputs"
    runner = subprocess.Popen(
        [*APEXOPS, "run", "10", "--outputs", str(out), "-p", "pause=60"],
        env=_env(tmp_path, secret=True), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    running_dir = None
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and runner.poll() is None:
            running = list(out.glob("runs/*/*_running_*/*.ipynb"))
            if running and _waiting(running[0]):
                running_dir = running[0].parent
                break
            time.sleep(0.2)
        assert running_dir is not None, "the run never reached its waiting cell"
        # the secret never reached the disk, even while the runner (and its environment) was alive
        assert _leaks_under(out) == {}
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=10)
        recovered = subprocess.run(
            [*APEXOPS, "runs", "recover", "--outputs", str(out)],
            env=_env(tmp_path, secret=False), capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        terminal = recovered.stdout + recovered.stderr
        assert recovered.returncode == 0, terminal.decode(errors="replace")
        assert leaks(terminal) == []
        assert not list(out.glob("runs/*/*_running_*")), "the run was not recovered"
        assert (out / "ledger.jsonl").exists()
        assert _leaks_under(out) == {}
        nb = next(out.glob("runs/*/*/*.ipynb")).read_text()
        assert "[REDACTED:env:APEX_LEAK_SECRET]" in nb
    finally:
        if runner.poll() is None:
            os.kill(runner.pid, signal.SIGKILL)
            runner.wait(timeout=10)
        for pid in _kernels_of(running_dir.name) if running_dir else []:
            with __import__("contextlib").suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _waiting(notebook: Path) -> bool:
    """True once papermill has saved the notebook with the waiting cell running."""
    try:
        nb = json.loads(notebook.read_text())
    except (OSError, ValueError):
        return False
    return any(
        "time.sleep(pause)" in "".join(c.get("source", ""))
        and c.get("metadata", {}).get("papermill", {}).get("status") == "running"
        for c in nb.get("cells", [])
    )
