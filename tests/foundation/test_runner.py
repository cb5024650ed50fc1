"""The runner, through real papermill and real kernels: every way a run can end is recorded as it ended.

The fixture notebooks run once per module (kernels are the expensive part); each test then reads the
artifacts of one run: the executed notebook, its HTML, the evidence folder and the ledger line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from foundation_helpers import FIXTURES, JWT, OPAQUE, SECRET

from apexops.errors import ConfigError, SecretInParameterError
from apexops.ledger import Ledger
from apexops.recording import EXIT_CODES
from apexops.runner import run_procedure

pytestmark = pytest.mark.notebook


def load(result) -> nbformat.NotebookNode:
    return nbformat.read(str(result.notebook_path), as_version=4)


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_a_successful_run_records_facts_evidence_and_context(runs):
    r = runs["01"]
    assert r.outcome == "succeeded" and r.error is None and r.exit_code == 0
    assert r.facts["rounds"] == 3 and r.facts["label"] == "first" and r.facts["dry_run"] is True
    # the kernel saw the runner's context and ran with this venv's interpreter
    assert r.facts["ctx"] == {
        "run_id": r.run_id, "procedure": "01-succeeds", "env": "local", "headless": True, "parent": None
    }  # fmt: skip
    assert r.facts["kernel_python"] == sys.executable
    # apexops.parameters(): the parameters cell's names, with the values papermill injected (env left out)
    assert r.facts["parameters"] == {"rounds": 3, "dry_run": True, "label": "first"}
    assert (r.evidence_dir / "note.txt").read_text() == "evidence for first\n"
    # folder and file names: <date>/<stamp>_<procedure>_<env>_<outcome>_<runid>/<same>.ipynb
    assert re.fullmatch(r"\d{8}-\d{6}_01-succeeds_local_succeeded_" + r.run_id, r.run_dir.name)
    assert r.run_dir.parent.name == r.run_dir.name[:4] + "-" + r.run_dir.name[4:6] + "-" + r.run_dir.name[6:8]
    assert r.notebook_path.name == r.run_dir.name + ".ipynb" and r.html_path.name == r.run_dir.name + ".html"
    assert not (r.run_dir / ".apexops-facts.json").exists()
    assert runs["progress"][-2:] == ["[5/5] 2. Save evidence", "recording: succeeded"]


def test_the_notebook_metadata_tells_the_whole_story(runs):
    r = runs["01"]
    nb = load(r)
    meta = nb.metadata["apexops"]
    assert meta["outcome"] == "succeeded" and meta["run_id"] == r.run_id
    assert meta["operator"] == "test-operator" and meta["operator_source"] == "APEXOPS_OPERATOR"
    head = subprocess.run(["git", "-C", str(FIXTURES), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert meta["git"]["commit"] == (head.stdout.strip() if head.returncode == 0 else None)
    assert meta["facts"]["rounds"] == 3
    assert nb.metadata["papermill"]["input_path"] == "tests/foundation/notebooks/01-succeeds.ipynb"
    assert nb.metadata["papermill"]["parameters"] == {"rounds": 3, "label": "first", "env": "local"}
    top = nb.cells[0]
    assert "apexops-outcome" in top.metadata["tags"] and "SUCCEEDED" in top.source and r.run_id in top.source


def test_a_failing_cell_is_recorded_as_failed_with_its_hint(runs):
    r = runs["02"]
    assert r.outcome == "failed" and r.exit_code == EXIT_CODES["failed"] == 1
    assert r.error == "MigrationError: head mismatch HINT: run 20-database-migration"
    assert r.facts["before"] is True and "after" not in r.facts
    nb = load(r)
    assert nb.metadata["papermill"]["exception"] is True
    statuses = [c.metadata["papermill"]["status"] for c in code_cells(nb)]
    assert statuses[-2:] == ["failed", "pending"]
    assert r.ledger_line["outcome"] == "failed" and r.ledger_line["error"] == r.error


def test_a_cell_timeout_is_timed_out_not_a_clean_run(runs):
    r = runs["03"]
    assert r.outcome == "timed_out" and r.exit_code == 4
    assert "2 s" in r.error and "2. Long step" in r.error
    nb = load(r)
    # papermill alone would say exception: null and every cell completed
    assert nb.metadata["papermill"]["exception"] is True
    statuses = [c.metadata["papermill"]["status"] for c in code_cells(nb)]
    assert statuses[-2:] == ["failed", "pending"]
    assert nb.metadata["apexops"]["cell_timeout_s"] == 2
    assert r.facts["before"] is True and "after" not in r.facts


def test_a_dead_kernel_is_kernel_died_and_still_leaves_a_notebook(runs):
    r = runs["04"]
    assert r.outcome == "kernel_died" and r.exit_code == 5
    assert "2. Die" in r.error
    nb = load(r)
    assert nb.metadata["apexops"]["outcome"] == "kernel_died"
    outputs = [o.get("text", "") for c in code_cells(nb) for o in c.outputs]
    assert any("about to die" in t for t in outputs)
    assert Ledger(runs["outputs"]).find(r.run_id)["outcome"] == "kernel_died"


def test_an_interrupt_lets_the_cell_clean_up_and_is_recorded(runs):
    r = runs["05"]
    assert r.outcome == "interrupted" and r.exit_code == 130
    assert runs.get("05-raised") is True  # the caller is stopped too, after the run was recorded
    assert "SIGINT" in r.error
    # the kernel was interrupted (not killed), so the cell's own cleanup ran
    assert r.facts["cleanup"] == "restored safe state"
    assert "after" not in r.facts
    assert r.ledger_line["outcome"] == "interrupted"


def test_no_kernel_is_left_running(runs):
    assert runs["kernels_left"] == []


@pytest.mark.parametrize("key", ["06", "06-opaque"])
def test_a_secret_never_reaches_any_artifact(runs, key):
    r = runs[key]
    assert r.outcome == "failed"
    secret = SECRET if key == "06" else OPAQUE
    files = [p for p in r.run_dir.rglob("*") if p.is_file()]
    files += [runs["outputs"] / "ledger.jsonl", runs["outputs"] / "index.html"]
    assert {p.suffix for p in files} >= {".ipynb", ".html", ".txt", ".jsonl"}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert secret not in text, f"{secret!r} leaked into {path}"
        assert not JWT.search(text), f"a JWT leaked into {path}"
    source = "env:APEX_TEST_DB_PASSWORD" if key == "06" else "env:APEX_TEST_OPAQUE"
    assert f"[REDACTED:{source}]" in r.error
    assert (r.evidence_dir / "conn.txt").read_text() == f"Server=db;Password=[REDACTED:{source}];\n"
    assert (r.evidence_dir / "token.txt").read_text() == "[REDACTED:jwt]"
    assert r.facts["leaky_fact"] == f"pw=[REDACTED:{source}]"
    # the count of what was hidden is itself a fact
    assert r.ledger_line["redactions"]["total"] == r.facts["redactions"] >= 5
    assert r.ledger_line["redactions"]["evidence"] == 2


def test_the_ledger_chains_every_run_and_verifies(runs):
    ledger = Ledger(runs["outputs"])
    entries = ledger.entries()
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert len(entries) == 11
    assert ledger.verify().ok
    e = entries[0]
    assert e["operator"] == "test-operator" and e["parameters"]["rounds"] == 3
    kernel_log = f"{e['run_dir']}/evidence/kernel.log"  # only when the kernel process printed something
    assert set(e["artifacts"]) - {kernel_log} == {
        f"{e['run_dir']}/{Path(e['run_dir']).name}.ipynb",
        f"{e['run_dir']}/{Path(e['run_dir']).name}.html",
        f"{e['run_dir']}/evidence/note.txt",
    }
    index = (runs["outputs"] / "index.html").read_text()
    assert all(x["run_id"] in index for x in entries) and "hash chain intact" in index
    assert "http://" not in index and "https://" not in index


def test_gates_fail_closed_headless(runs):
    dry, unapproved, approved = runs["08-dry"], runs["08-unapproved"], runs["08-approved"]
    assert dry.outcome == "succeeded" and dry.facts["applied"] is False
    text = json.dumps([o for c in code_cells(load(dry)) for o in c.outputs])
    assert "SKIPPED (dry run)" in text
    assert unapproved.outcome == "failed" and unapproved.exit_code == 3
    assert unapproved.error.startswith("ApprovalRequired: 'DEPLOY v1.2.3 TO local' was not approved")
    assert 'approval="DEPLOY v1.2.3 TO local"' in unapproved.error
    assert approved.outcome == "succeeded" and approved.facts["applied"] is True
    (approval,) = approved.facts["approvals"]
    assert approval["phrase"] == "DEPLOY v1.2.3 TO local" and approval["by"] == "test-operator"
    assert approval["via"] == "parameter"


def test_bad_input_is_refused_before_anything_runs(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(SecretInParameterError, match="'label'") as err:
        run_procedure(
            "01", notebooks=FIXTURES, outputs=out, parameters={"label": "Bearer abcdefghijklmnop1234"}
        )
    assert "abcdefghijklmnop1234" not in str(err.value) and "HINT" in str(err.value)
    with pytest.raises(ConfigError, match=r"unknown parameter 'round' .*did you mean 'rounds'"):
        run_procedure("01", notebooks=FIXTURES, outputs=out, parameters={"round": 3})
    with pytest.raises(ConfigError, match=r"'rounds' of 01-succeeds expects int, got str '3'"):
        run_procedure("01", notebooks=FIXTURES, outputs=out, parameters={"rounds": "3"})
    with pytest.raises(ConfigError, match=r"no parameters file for environment 'qa'"):
        run_procedure("01", env="qa", notebooks=FIXTURES, outputs=out)
    assert not out.exists()


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf")])
def test_a_cell_timeout_that_is_not_positive_is_refused_from_python_too(tmp_path, timeout):
    """`run_procedure(cell_timeout_s=0)` used to fall back to the default; nan/inf reached the kernel."""
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match="cell-timeout must be a positive number"):
        run_procedure("01", notebooks=FIXTURES, outputs=out, cell_timeout_s=timeout)
    assert not out.exists()
