"""Real runs on the sandbox's Azurite: published right after they are recorded; a store stopped mid-run
leaves the run recorded locally and pending, and `apexops runs publish` uploads it exactly once; the
`runs ... --shared` commands read the shared store."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from apexops.cli import app
from apexops.ledger import Ledger
from apexops.runner import run_procedure
from apexops.sandbox import azurite
from apexops.shared.publish import pending, shared_for

pytestmark = pytest.mark.notebook
cli = CliRunner()


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch):
    """The CLI's consoles wrap at the width they found at import (80 when another test set COLUMNS):
    these tests read whole lines, so they get a console wider than any temporary path."""
    from apexops import cli as cli_module

    for console in (cli_module.console, cli_module.err_console):
        monkeypatch.setattr(console, "width", 250)

STOP_STORE = """\
import os
from pathlib import Path

import apexops
from apexops.sandbox import azurite

if stop_store:
    azurite.stop(Path(os.environ["APEXOPS_SANDBOX_HOME"]))  # the shared store goes away mid-run
(apexops.evidence() / "note.txt").write_text("evidence\\n")
apexops.record("stopped", stop_store)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def notebooks(tmp_path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'env = "local"  # environment\nstop_store: bool = False  # stop Azurite'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 Store down\n\nA run whose shared store stops."), params]
    nb.cells.append(nbformat.v4.new_code_cell(STOP_STORE))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "01-store-down.ipynb")
    return folder


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """This test's sandbox home with Azurite running (and nothing else of the sandbox)."""
    home = tmp_path / "sandbox-home"
    for var in ("APEXOPS_RUN_ID", "APEXOPS_RUN_DIR", "APEXOPS_PARENT_RUN", "APEXOPS_NOTEBOOKS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("APEXOPS_SANDBOX_HOME", str(home))
    monkeypatch.setenv("APEXOPS_SANDBOX_PORT", str(_free_port()))
    monkeypatch.setenv("APEXOPS_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("APEXOPS_OPERATOR", "test-operator")
    azurite.start(home)
    try:
        yield home
    finally:
        azurite.stop(home)


def shared_run_ids() -> list[str]:
    return [ln.run_id for ln in shared_for("local").read()]


def test_a_run_is_published_as_it_is_recorded_and_reads_back_from_the_store(sandbox, notebooks, tmp_path):
    out = tmp_path / "outputs"
    result = run_procedure("01", notebooks=notebooks, outputs=out)
    assert result.outcome == "succeeded"
    assert result.shared is not None and result.shared.ok, result.shared
    assert shared_run_ids() == [result.run_id]
    shared = shared_for("local")
    stored = shared.artifact_digests(str(result.ledger_line["run_dir"]))
    assert stored == result.ledger_line["artifacts"]  # notebook, HTML, evidence: every byte there
    assert pending(out, "local") == []

    listed = cli.invoke(app, ["runs", "list", "--shared"])
    assert (
        listed.exit_code == 0 and result.run_id in listed.output and socket.gethostname()[:8] in listed.output
    )
    shown = cli.invoke(app, ["runs", "show", "--shared", result.run_id[:6]])
    text = " ".join(shown.output.split())  # the console wraps at its width
    assert shown.exit_code == 0 and f"run {result.run_id}" in text and "shared line 1" in text
    verified = cli.invoke(app, ["runs", "verify", "--shared"])
    assert verified.exit_code == 0, verified.output
    assert "shared ledger OK: 1 run(s)" in verified.output
    index = cli.invoke(app, ["runs", "index", "--shared"])
    assert index.exit_code == 0 and "index.html (1 run(s)" in index.output
    page = shared.container.download_blob("index.html").readall().decode()
    assert result.run_id in page


def test_store_stopped_mid_run_the_run_is_recorded_and_published_later_exactly_once(
    sandbox, notebooks, tmp_path
):
    out = tmp_path / "outputs"
    first = run_procedure("01", notebooks=notebooks, outputs=out)
    assert first.shared is not None and first.shared.ok

    result = run_procedure("01", notebooks=notebooks, outputs=out, parameters={"stop_store": True})
    assert result.outcome == "succeeded"  # the store going away fails nothing
    assert result.shared is not None and not result.shared.ok
    assert "cannot be reached" in result.shared.reason or "not running" in result.shared.reason
    assert [e["run_id"] for e in Ledger(out).entries()] == [first.run_id, result.run_id]
    assert Ledger(out).verify().ok
    assert pending(out, "local") == [result.run_id]

    down = cli.invoke(app, ["runs", "publish"])
    assert down.exit_code == 1 and down.output.count("\n") == 1 and "error:" in down.output
    listed = cli.invoke(app, ["runs", "list"])
    assert "1 run(s) of local recorded here only" in listed.output

    azurite.start(sandbox)  # the store is back (same data folder, another port)
    assert shared_run_ids() == [first.run_id]
    unverified = cli.invoke(app, ["runs", "verify", "--shared"])
    assert unverified.exit_code == 6 and f"run-unpublished run {result.run_id}" in unverified.output
    published = cli.invoke(app, ["runs", "publish"])
    assert published.exit_code == 0, published.output
    assert f"published {result.run_id}" in published.output
    assert "1 run(s) published, 0 already in the shared ledger, 3 artifact(s) uploaded" in published.output
    again = cli.invoke(app, ["runs", "publish"])
    assert again.exit_code == 0 and "0 run(s) published" in again.output
    assert shared_run_ids() == [first.run_id, result.run_id]
    assert pending(out, "local") == []
    assert cli.invoke(app, ["runs", "verify", "--shared"]).exit_code == 0


def test_verify_shared_names_a_run_deleted_locally(sandbox, notebooks, tmp_path):
    out = tmp_path / "outputs"
    runs = [run_procedure("01", notebooks=notebooks, outputs=out) for _ in range(2)]
    ledger = Ledger(out)
    rows = ledger.path.read_text().splitlines()
    ledger.path.write_text(rows[1] + "\n")
    result = cli.invoke(app, ["runs", "verify", "--shared"])
    assert result.exit_code == 6
    assert f"run-deleted-locally run {runs[0].run_id}" in result.output
    assert "shared ledger FAILED verification" in result.output


def test_shared_commands_say_in_one_line_when_the_store_is_down(sandbox, tmp_path):
    azurite.stop(sandbox)
    for args in (
        ["runs", "list", "--shared"],
        ["runs", "verify", "--shared"],
        ["runs", "show", "--shared", "x"],
    ):
        result = cli.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and "HINT:" in lines[0], result.output
        assert "Traceback" not in result.output


def test_runs_publish_refuses_an_unknown_environment_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("APEXOPS_OUTPUTS", str(tmp_path / "outputs"))
    result = cli.invoke(app, ["runs", "publish", "--env", "nowhere"])
    assert result.exit_code == 2 and result.output.strip().count("\n") == 0, result.output
    assert json.dumps("nowhere")[1:-1] in result.output


def test_apexops_run_says_where_the_run_was_published(sandbox, notebooks, tmp_path):
    result = cli.invoke(app, ["run", "01", "--notebooks", str(notebooks)])
    assert result.exit_code == 0, result.output
    assert "shared:   published to http://127.0.0.1:" in result.output
    result = cli.invoke(app, ["run", "01", "--notebooks", str(notebooks), "-p", "stop_store=true"])
    assert result.exit_code == 0, result.output
    assert "shared:   PENDING, recorded locally only" in result.output
    assert "`apexops runs publish --env local` uploads it" in result.output


def test_an_environment_without_a_shared_store_is_named_with_the_setting_to_add(tmp_path, monkeypatch):
    import yaml

    from apexops.settings import parameters_dir

    params = tmp_path / "parameters"
    params.mkdir()
    staging = yaml.safe_load((parameters_dir() / "staging.yaml").read_text())
    staging.pop("audit", None)  # an Azure environment whose shared store is not set up yet
    (params / "staging.yaml").write_text(yaml.safe_dump(staging))
    monkeypatch.setenv("APEXOPS_PARAMETERS", str(params))
    monkeypatch.setenv("APEXOPS_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "00000000-1111-2222-3333-444444444444")
    result = cli.invoke(app, ["runs", "verify", "--shared", "--env", "staging"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: environment 'staging' has no shared store (lock and audit trail) configured. "
        "HINT: set audit.account (a storage account of its own) in parameters/staging.yaml."
    )
