"""papermill's own CLI: `--engine apexops` makes the audited run `apexops run` makes; plain papermill warns.

Everything goes through real commands, as a CI author types them: `python -m papermill` (with the engine
papermill finds through its entry point), `python -m apexops runs list/verify`, real kernels. The runs of
00-preflight happen once per module, each into its own outputs folder; 00 on `local` without a sandbox
reports the sandbox down (WARN), or FAIL with `require_sandbox True`, which is the failing run here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from foundation_helpers import _RUN_VARS, FIXTURES, free_port, kernels_of

from apexops.ledger import Ledger, file_digest

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PREFLIGHT = ROOT / "notebooks" / "00-preflight.ipynb"
PAPERMILL = [sys.executable, "-m", "papermill"]
APEXOPS = [sys.executable, "-m", "apexops"]


def environment(root: Path, **extra: str) -> dict[str, str]:
    """A clean environment for one command: its own outputs, sandbox home and port, no run context."""
    env = {k: v for k, v in os.environ.items() if k not in _RUN_VARS}
    env.update(
        APEXOPS_OUTPUTS=str(root / "outputs"),
        APEXOPS_SANDBOX_HOME=str(root / "sandbox-home"),
        APEXOPS_SANDBOX_PORT=str(free_port()),
        APEXOPS_OPERATOR="test-operator",
        COLUMNS="200",
        **extra,
    )
    return env


def command(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 180
) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def last_entry(outputs: Path) -> dict:
    entries = Ledger(outputs).entries()
    assert entries, f"no ledger line in {outputs}"
    return entries[-1]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """00-preflight four ways: papermill --engine apexops (succeeds, fails), apexops run, plain papermill."""
    done: dict = {}
    running = []
    for key, args in {
        "engine": [*PAPERMILL, "--engine", "apexops", str(PREFLIGHT), "out.ipynb", "-p", "env", "local"],
        "failing": [
            *PAPERMILL,
            "--engine",
            "apexops",
            str(PREFLIGHT),
            "out.ipynb",
            "-p",
            "require_sandbox",
            "True",
        ],
        "apexops-run": [*APEXOPS, "run", "00", "--env", "local"],
        "plain": [*PAPERMILL, str(PREFLIGHT), "out.ipynb", "-p", "env", "local", "--no-progress-bar"],
    }.items():
        root = tmp_path_factory.mktemp(key)
        env = environment(root)
        done[key] = {"root": root, "outputs": root / "outputs", "env": env}
        # side by side: each waits mostly on its kernel
        popen = subprocess.Popen(
            args, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        running.append((key, args, popen))
    for key, args, popen in running:
        try:
            out, err = popen.communicate(timeout=180)
        finally:
            if popen.poll() is None:
                popen.kill()
                popen.wait()
        done[key]["proc"] = subprocess.CompletedProcess(args, popen.returncode, out, err)
    return done


def test_papermill_engine_apexops_is_an_audited_run(made):
    run = made["engine"]
    assert run["proc"].returncode == 0, run["proc"].stderr
    out = run["root"] / "out.ipynb"
    assert out.is_file()
    entry = last_entry(run["outputs"])
    assert (entry["procedure"], entry["environment"], entry["outcome"]) == (
        "00-preflight",
        "local",
        "succeeded",
    )
    listed = command([*APEXOPS, "runs", "list"], run["env"], run["root"])
    assert listed.returncode == 0, listed.stderr
    assert entry["run_id"] in listed.stdout and "succeeded" in listed.stdout
    verified = command([*APEXOPS, "runs", "verify"], run["env"], run["root"])
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # papermill's output is the recorded notebook itself, byte for byte: its digest is the ledger's
    notebook = next(path for path in entry["artifacts"] if path.endswith(".ipynb"))
    assert file_digest(out) == entry["artifacts"][notebook]
    assert f"SUCCEEDED run {entry['run_id']}" in run["proc"].stderr
    executed = nbformat.read(str(out), as_version=4)
    assert executed.metadata["apexops"]["run_id"] == entry["run_id"]
    assert "apexops-unaudited" not in out.read_text()  # an audited run has no banner


def test_the_record_is_the_one_apexops_run_makes(made):
    ours, theirs = last_entry(made["engine"]["outputs"]), last_entry(made["apexops-run"]["outputs"])
    assert made["apexops-run"]["proc"].returncode == 0, made["apexops-run"]["proc"].stderr
    assert set(ours) == set(theirs)
    same = ("procedure", "environment", "outcome", "parameters", "operator", "source", "git", "error")
    assert {k: ours[k] for k in same} == {k: theirs[k] for k in same}
    assert ours["facts"]["preflight"]["checks"] == theirs["facts"]["preflight"]["checks"]
    assert sorted(Path(p).suffix for p in ours["artifacts"]) == sorted(
        Path(p).suffix for p in theirs["artifacts"]
    )
    assert sorted(Path(p).suffix for p in ours["artifacts"]) == [".html", ".ipynb"]


def test_a_failing_run_makes_papermill_exit_non_zero_and_is_recorded_failed(made):
    run = made["failing"]
    assert run["proc"].returncode == 1, run["proc"].stderr
    entry = last_entry(run["outputs"])
    assert entry["outcome"] == "failed" and "PreflightFailed" in entry["error"]
    assert (run["root"] / "out.ipynb").is_file()
    assert f"FAILED run {entry['run_id']}" in run["proc"].stderr
    assert "Traceback" not in run["proc"].stderr
    listed = command([*APEXOPS, "runs", "list"], run["env"], run["root"])
    assert entry["run_id"] in listed.stdout and "failed" in listed.stdout


def test_plain_papermill_shows_the_banner_first_and_on_its_stderr(made):
    run = made["plain"]
    assert run["proc"].returncode == 0, run["proc"].stderr
    nb = nbformat.read(str(run["root"] / "out.ipynb"), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    first = outputs[0]
    assert first.output_type == "display_data"
    assert 'class="apexops-unaudited"' in first.data["text/html"]
    assert first.data["text/plain"].startswith("NOT AUDITED")
    assert (
        "papermill --engine apexops" in first.data["text/plain"]
        and "apexops run 00-preflight" in first.data["text/plain"]
    )
    # once in the notebook (the banner, not a stray stderr stream), and on papermill's terminal
    assert json.dumps(nb).count("NOT AUDITED: ") == 1
    banner = [line for line in run["proc"].stderr.splitlines() if line.startswith("NOT AUDITED")]
    assert len(banner) == 1 and "papermill --engine apexops" in banner[0]
    assert not (run["outputs"] / "ledger.jsonl").exists()


def _catalog_copy(root: Path) -> Path:
    copy = root / "elsewhere" / "00-preflight.ipynb"
    copy.parent.mkdir()
    shutil.copy(PREFLIGHT, copy)
    return copy


def papermill_here(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | str | None, str]:
    """papermill's click command in this process (a refusal starts no kernel; a process each costs ~3 s)."""
    from papermill.cli import papermill

    with pytest.raises(SystemExit) as stop:
        papermill.main(args, prog_name="papermill")
    return stop.value.code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["-p", "bogus", "1"], "'bogus'"),
        (["-p", "require_sandbox", "maybe"], "'require_sandbox'"),
        (["-p", "env", "nowhere"], "'nowhere'"),
        (["--execution-timeout", "-5"], "--execution-timeout"),
        (["-p", "target", "0003"], "-r target"),  # papermill's -p makes it the int 3: its fix is -r
        ("outside", "not a procedure"),
    ],
    ids=["unknown", "type", "env", "timeout", "number-for-text", "outside-catalog"],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, args, named):
    notebook = PREFLIGHT if "target" not in args else ROOT / "notebooks" / "20-database-migration.ipynb"
    if args == "outside":
        notebook, args = _catalog_copy(tmp_path), []
    code, err = papermill_here(
        ["--engine", "apexops", str(notebook), str(tmp_path / "out.ipynb"), *args], capsys
    )
    assert code == 2, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and named in errors[0] and "HINT:" in errors[0], err
    assert not (tmp_path / "out.ipynb").exists()
    assert not (tmp_path / "outputs").exists()


def test_a_secret_parameter_is_refused_by_the_papermill_command_with_exit_2(tmp_path):
    args = [
        *PAPERMILL,
        "--engine",
        "apexops",
        str(PREFLIGHT),
        "out.ipynb",
        "-p",
        "db_password",
        "hunter2-Secret",
    ]
    proc = command(args, environment(tmp_path), tmp_path)
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "'db_password'" in errors[0] and "-p db_password_env " in errors[0]
    assert "Traceback" not in proc.stderr and "hunter2-Secret" not in proc.stderr
    assert not (tmp_path / "out.ipynb").exists()
    assert not (tmp_path / "outputs").exists()


def test_ctrl_c_interrupts_the_kernel_and_records_the_run_interrupted(tmp_path):
    env = environment(tmp_path, APEXOPS_NOTEBOOKS=str(FIXTURES))
    args = [
        *PAPERMILL,
        "--engine",
        "apexops",
        str(FIXTURES / "03-sleeps.ipynb"),
        "out.ipynb",
        "-p",
        "seconds",
        "60",
    ]
    proc = subprocess.Popen(args, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        assert proc.stderr is not None
        for line in proc.stderr:  # the engine's progress: the long step has started in the kernel
            seen.append(line)
            if "Long step" in line:
                break
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, "".join(seen) + rest
    entry = last_entry(tmp_path / "outputs")
    assert entry["outcome"] == "interrupted" and "SIGINT" in entry["error"]
    assert (tmp_path / "out.ipynb").is_file()
    assert kernels_of(entry["run_id"]) == []


def test_the_engine_names_do_not_collide():
    """`apexops` is papermill's entry point for the audited engine; the runner's own engine has its own name,
    so a run inside `papermill --engine apexops` does not replace the engine papermill was asked for."""
    from papermill.engines import papermill_engines

    from apexops import execution
    from apexops.papermill_engine import AuditedEngine

    assert papermill_engines.get_engine("apexops") is AuditedEngine
    assert execution._ENGINE != "apexops"
    papermill_engines.register(execution._ENGINE, execution._engine_class())  # what every run does
    assert papermill_engines.get_engine("apexops") is AuditedEngine


@pytest.mark.parametrize(
    ("argv", "papermill"),
    [
        (["/venv/bin/python3", "/venv/bin/papermill", "00-preflight.ipynb", "out.ipynb"], True),
        (["python", "-m", "papermill", "in.ipynb", "out.ipynb"], True),
        (["C:\\venv\\Scripts\\papermill.exe", "in.ipynb", "out.ipynb"], True),
        (["/venv/bin/python", "/venv/bin/jupyter-lab", "notebooks/"], False),
        (["/venv/bin/python", "-m", "pytest", "--nbval-lax", "notebooks/"], False),
        (["/venv/bin/python", "-m", "apexops", "run", "00"], False),
        (["/venv/bin/python", "/venv/bin/jupyter-lab", "/home/me/papermill"], False),
    ],
)
def test_only_papermills_command_counts_as_plain_papermill(argv, papermill):
    from apexops.unaudited import is_papermill_command

    assert is_papermill_command(argv) is papermill


def test_no_banner_outside_papermill():
    """This test process's kernel-less context (pytest's parent is not papermill) shows nothing."""
    from apexops import unaudited

    assert unaudited.notice() is None
    assert unaudited.plain_papermill() is False


def test_as_a_library_a_failed_run_raises_papermills_error_and_bad_input_the_typed_one(tmp_path):
    """`papermill.execute_notebook(..., engine_name="apexops")` from a script: no SystemExit, exceptions."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from apexops.errors import ConfigError

    out = tmp_path / "out.ipynb"
    with pytest.raises(ConfigError, match="'bogus'"):
        pm.execute_notebook(str(PREFLIGHT), str(out), parameters={"bogus": 1}, engine_name="apexops")
    assert not out.exists() and not (tmp_path / "outputs").exists()
    with pytest.raises(PapermillExecutionError, match="failed: PreflightFailed"):
        pm.execute_notebook(
            str(PREFLIGHT),
            str(out),
            parameters={"require_sandbox": True},
            engine_name="apexops",
            progress_bar=False,
        )
    entry = last_entry(tmp_path / "outputs")
    assert entry["outcome"] == "failed"
    notebook = next(path for path in entry["artifacts"] if path.endswith(".ipynb"))
    assert file_digest(out) == entry["artifacts"][notebook]
