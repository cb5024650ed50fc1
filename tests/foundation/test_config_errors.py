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
        (lambda d: d["canary"].update(probes={"rate_rps": -1}),
         ["canary.probes.rate_rps", "greater than or equal to 0"]),
        (lambda d: d["canary"].update(probes={"rate_rps": 5000}),
         ["canary.probes.rate_rps", "less than or equal to 50"]),
        (lambda d: d["canary"].update(strata=[]), ["canary.strata", "at least 1"]),
        (lambda d: d["canary"].update(strata=["probes", "logs"]), ["canary.strata", "'logs'"]),
        (lambda d: d["monitoring"].update(platform_metrics_lag_s=-5), ["monitoring.platform_metrics_lag_s"]),
        (lambda d: d.update(audit={"lease_duration_s": 90}),
         ["audit.lease_duration_s", "less than or equal to 60"]),
        (lambda d: d.update(audit={"container": "Audit_Log"}), ["audit", "not valid for Azure"]),
    ],
    ids=["unknown-key", "wrong-type", "missing-key", "literal-secret", "probe-rate-negative",
         "probe-rate-absurd", "strata-missing", "stratum-unknown", "platform-lag-negative",
         "lease-out-of-range", "container-invalid"],
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
    assert len(lines) == 1 and lines[0].startswith("error: ")  # checked before the run's header
    assert "canary.poll_interval_s" in lines[0] and "Traceback" not in result.output
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
    assert [p.id for p in list_procedures(FIXTURES)] == [f"{i:02d}" for i in range(1, 11)]


def test_the_cli_reports_an_unknown_procedure_with_exit_2():
    result = CliRunner().invoke(app, ["run", "nope", "--notebooks", str(FIXTURES)])
    assert result.exit_code == 2
    assert "error: no procedure 'nope'" in result.output and "Traceback" not in result.output


# ------------------------------------------------- unreadable parameters files (issue 14, items 14 and 7)

STORAGE_KEY = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFla+/abcdefghij0123456789xy=="


def load_text(tmp_path, monkeypatch, content: str | bytes | None) -> str:
    """Write parameters/local.yaml (None: make it a folder), load it, return the one-line error."""
    folder = tmp_path / "parameters"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "local.yaml"
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    monkeypatch.setenv("APEXOPS_PARAMETERS", str(folder))
    with pytest.raises(ConfigError) as err:
        load_settings("local")
    text = one_line(err.value)
    assert "local.yaml" in text
    return text


def with_app_env(name: str, value: str) -> str:
    data = yaml.safe_load(yaml.safe_dump(LOCAL))
    data["app"]["env"][name] = value
    return yaml.safe_dump(data)


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (None, "is a folder, not a parameters file"),
        ("environment: caf\xe9\n".encode("latin-1"), "is not UTF-8 text (byte 16)"),
        ("a: &x [*x]\n", "line 1 is not valid YAML (YAML aliases (*name) are not allowed)"),
        ("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n", "YAML aliases (*name) are not allowed"),
        ("[" * 3000, "nested too deeply"),
        ("environment: local\nenvironment: prod\n", "line 2 is not valid YAML (duplicate key 'environment')"),
        ("- just\n- a list\n", "the top level must be a mapping"),
    ],
    ids=["folder", "not-utf8", "recursive-alias", "billion-laughs", "deep-nesting", "duplicate-key", "list"],
)
def test_unreadable_parameters_files_are_one_line(tmp_path, monkeypatch, content, expect):
    assert expect in load_text(tmp_path, monkeypatch, content)


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("AZURE_STORAGE_KEY", STORAGE_KEY, "its key names a secret"),
        ("STORE", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFla", "base64"),
        ("DB", "Server=tcp:x.database.windows.net;User ID=apex;Password=hunter2-hunter2;", "Password="),
        ("DB_URL", "postgresql://apex:hunter2-hunter2@db.example.com/apex", "a URL with a password"),
    ],
    ids=["secret-key-name", "base64-value", "password-connection-string", "user-password-url"],
)
def test_literal_secrets_in_parameters_files_are_refused(tmp_path, monkeypatch, key, value, reason):
    text = load_text(tmp_path, monkeypatch, with_app_env(key, value))
    assert f"key app.env.{key} holds a literal secret" in text and reason in text
    assert f"{key}_env: <ENV_VAR_NAME>" in text  # the fix: a reference
    assert value not in text and "hunter2" not in text


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_non_finite_numbers_in_parameters_files_are_refused(tmp_path, monkeypatch, value):
    content = yaml.safe_dump(LOCAL).replace("health_timeout_s: 60", f"health_timeout_s: {value}")
    assert "key app.health_timeout_s" in load_text(tmp_path, monkeypatch, content)


def test_the_shipped_parameters_files_still_load():
    for env in ("local", "staging", "prod"):
        assert load_settings(env).environment == env


# ------------------------------------------------------------- corrupt notebooks (issue 14, item 14)

CORRUPT = {
    "55-torn.ipynb": b'{"cells": [',
    "56-old.ipynb": b'{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}',
    "57-invalid.ipynb": b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, '
    b'"cells": [{"cell_type": "code"}]}',
    "58-binary.ipynb": b"\xff\xfe\x00",
    "59-list.ipynb": b"[]",
}


@pytest.fixture
def notebooks_with_corrupt(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("01-succeeds.ipynb", "08-gated.ipynb"):
        (folder / name).write_bytes((FIXTURES / name).read_bytes())
    for name, data in CORRUPT.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_running_a_corrupt_notebook_is_one_line_and_writes_nothing(notebooks_with_corrupt, tmp_path, name):
    result = CliRunner().invoke(app, ["run", name[:2], "--notebooks", str(notebooks_with_corrupt)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: notebook {name} is not a readable notebook")
    assert "Traceback" not in result.output
    assert not (tmp_path / "outputs").exists()


def test_procedures_lists_every_other_notebook_and_marks_the_corrupt_ones(notebooks_with_corrupt):
    result = CliRunner().invoke(app, ["procedures", "--notebooks", str(notebooks_with_corrupt)])
    assert result.exit_code == 0, result.output
    assert "rounds: int = 2" in result.output  # 08-gated's parameters, listed as before
    cells = "".join(ch for ch in result.output if not ch.isspace() and ch != "│")  # undo the table's folding
    assert cells.count("unreadable") == len(CORRUPT)  # in the title column
    for name in CORRUPT:
        assert f"notebook{name}isnotareadablenotebook" in cells
