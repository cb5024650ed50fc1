"""Item 5 at unit level: what the kernel writes (facts, evidence through the helper) and every save of the
executed notebook are scrubbed BEFORE they reach the disk, with the secrets the writer itself knows."""

from __future__ import annotations

import json

import nbformat
import pytest
from secret_forms import SECRET, leaks

from apexops import execution, kernel
from apexops.redact import REDACT_VARS_ENV, Redactor


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    folder = tmp_path / "run"
    (folder / "evidence").mkdir(parents=True)
    monkeypatch.setenv("APEXOPS_RUN_ID", "abc123")
    monkeypatch.setenv("APEXOPS_RUN_DIR", str(folder))
    monkeypatch.setenv("APEXOPS_HEADLESS", "1")
    monkeypatch.setenv("OPAQUE_NAME", SECRET)  # its name does not look secret: only the reference says so
    monkeypatch.setenv(REDACT_VARS_ENV, "OPAQUE_NAME")
    return folder


def test_the_kernel_redactor_knows_the_variables_the_runner_named():
    r = Redactor.for_kernel({REDACT_VARS_ENV: "A,B", "A": "value-behind-a", "B": "x"})
    assert r.secrets["value-behind-a"] == "env:A" and "x" not in r.secrets


def test_recorded_facts_never_hold_the_secret_on_disk(run_dir):
    kernel.record("fact", {"pw": SECRET, "r": repr(SECRET)})
    on_disk = (run_dir / kernel.FACTS_FILE).read_bytes()
    assert leaks(on_disk) == [] and b"[REDACTED:env:OPAQUE_NAME]" in on_disk


def test_evidence_saved_through_the_helper_is_scrubbed_and_never_written_through_a_link(run_dir, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("untouched")
    (run_dir / "evidence" / "linked.txt").symlink_to(outside)
    path = kernel.save_evidence("linked.txt", f"conn {SECRET}")
    assert outside.read_text() == "untouched" and not path.is_symlink()
    assert leaks(path.read_bytes()) == []
    assert leaks(kernel.save_evidence("blob.bin", SECRET.encode("utf-16-le")).read_bytes()) == []
    with pytest.raises(ValueError, match="plain file name"):
        kernel.save_evidence("../escape.txt", "x")


def test_the_parameters_cell_names_the_secret_variables():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('env = "local"\ndb_password_env = "APEX_DB"\nkey_ref: str = "K"\nn = 3')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell('other_env = "NOT_A_PARAMETER"')]
    assert execution.notebook_references(nb) == ["APEX_DB", "K"]


def test_each_save_of_the_notebook_is_scrubbed_with_its_evidence(tmp_path):
    output = tmp_path / "run" / "run.ipynb"
    evidence = output.parent / "evidence"
    evidence.mkdir(parents=True)
    (evidence / "cell-wrote.txt").write_text(f"pw {SECRET}")
    (evidence / execution.KERNEL_LOG).write_text("the runner's own open log")
    outside = tmp_path / "outside.txt"
    outside.write_text(SECRET)
    (evidence / "link.txt").symlink_to(outside)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(x)")]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{SECRET!r}\n")]
    nb.metadata["papermill"] = {"output_path": "apexops-scrubbed:" + str(output)}
    control = execution.Control(kernel_env={"APEX_SECRET_TOKEN": SECRET}, cwd=tmp_path)
    target = execution._prepare_scrubbing(nb, output, {}, control)
    try:
        execution._ScrubbingIO.write(nbformat.writes(nb), target)
    finally:
        execution._REDACTORS.pop(str(output), None)
    saved = output.read_bytes()
    assert leaks(saved) == [] and b"[REDACTED:env:APEX_SECRET_TOKEN]" in saved
    assert json.loads(saved)["metadata"]["papermill"]["output_path"] == str(output)
    assert leaks((evidence / "cell-wrote.txt").read_bytes()) == []
    assert outside.read_text() == SECRET and (evidence / "link.txt").is_symlink()
    assert control.kernel_env[REDACT_VARS_ENV] == ""
