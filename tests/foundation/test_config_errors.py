"""Bad input gets ONE clear line naming the file (or parameter), the key and the fix, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from foundation_helpers import FIXTURES
from typer.testing import CliRunner

from apexops.catalog import list_procedures, resolve
from apexops.cli import app
from apexops.errors import ConfigError, UnknownProcedureError
from apexops.settings import load_settings, project_root

LOCAL = yaml.safe_load((project_root() / "parameters" / "local.yaml").read_text())


def write_params(folder: Path, data: dict, env: str = "local") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{env}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def one_line(err: BaseException) -> str:
    text = str(err)
    assert "\n" not in text and "HINT:" in text
    return text


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (lambda d: d["app"].update(replicas=3), ["unknown key app.replicas", "remove app.replicas"]),
        (lambda d: d["app"].update(cpu="lots"), ["key app.cpu", "'lots'", "correct app.cpu"]),
        (lambda d: d["database"].pop("expected_tables"), ["missing key database.expected_tables", "add"]),
        (lambda d: d["database"].update(password="hunter2"),
         ["database.password", "literal secret", "password_env: <ENV_VAR_NAME>"]),
    ],
    ids=["unknown-key", "wrong-type", "missing-key", "literal-secret"],
)  # fmt: skip
def test_bad_parameter_files_fail_with_one_line(tmp_path, monkeypatch, change, expect):
    data = yaml.safe_load(yaml.safe_dump(LOCAL))
    change(data)
    path = write_params(tmp_path / "parameters", data)
    monkeypatch.setenv("APEXOPS_PARAMETERS", str(path.parent))
    with pytest.raises(ConfigError) as err:
        load_settings("local")
    text = one_line(err.value)
    assert "local.yaml" in text
    for fragment in expect:
        assert fragment in text
    if "hunter2" in str(data):
        assert "hunter2" not in text


def test_the_cli_prints_the_bad_file_as_one_red_line_and_exits_2(tmp_path, monkeypatch):
    data = yaml.safe_load(yaml.safe_dump(LOCAL))
    data["canary"]["poll_interval_s"] = "often"
    path = write_params(tmp_path / "parameters", data)
    monkeypatch.setenv("APEXOPS_PARAMETERS", str(path.parent))
    result = CliRunner().invoke(app, ["run", "01", "--env", "local", "--notebooks", str(FIXTURES)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 2 and lines[1].startswith("error: ")  # the header line, then the error
    assert "canary.poll_interval_s" in lines[1] and "Traceback" not in result.output
    assert not (tmp_path / "outputs").exists()  # nothing ran, nothing was recorded


def test_an_unknown_environment_names_the_known_ones():
    with pytest.raises(ConfigError) as err:
        load_settings("qa")
    text = one_line(err.value)
    assert "'qa'" in text and "local" in text and "prod" in text and "staging" in text


def test_an_unknown_procedure_is_one_line_listing_the_procedures():
    with pytest.raises(UnknownProcedureError) as err:
        resolve("99-nothing", FIXTURES)
    text = one_line(err.value)
    assert "no procedure '99-nothing'" in text and "01-succeeds" in text and "08-gated" in text


def test_procedures_resolve_by_id_name_or_full_name():
    for query in (
        "1",
        "01",
        "succeeds",
        "01-succeeds",
        "01-succeeds.ipynb",
        str(FIXTURES / "01-succeeds.ipynb"),
    ):
        assert resolve(query, FIXTURES).slug == "01-succeeds"
    assert [p.id for p in list_procedures(FIXTURES)] == [f"0{i}" for i in range(1, 10)]


def test_the_cli_reports_an_unknown_procedure_with_exit_2():
    result = CliRunner().invoke(app, ["run", "nope", "--notebooks", str(FIXTURES)])
    assert result.exit_code == 2
    assert "error: no procedure 'nope'" in result.output and "Traceback" not in result.output
