"""Procedure parameters are typed by the parameters cell: names, types, Literal values, CLI strings."""

from __future__ import annotations

import ast

import nbformat
import pytest
from foundation_helpers import FIXTURES

from apexops.catalog import list_procedures, resolve
from apexops.errors import ConfigError
from apexops.procparams import (
    Range,
    check_cell_timeout,
    coerce_cli_value,
    parameter_type,
    parse_cli_parameters,
    validate_parameters,
)


@pytest.mark.parametrize(
    ("raw", "type_text", "default", "expected"),
    [
        ("false", "bool", "True", False),
        ("YES", "bool", "True", True),
        ("3", "int", "2", 3),
        ("0.5", "float", "1.0", 0.5),
        ("0002", "str", "'0001'", "0002"),  # a migration revision stays a string
        ("none", "str | None", "None", None),
        ("7", "Optional[int]", "None", 7),
        ("apply", "Literal['plan', 'apply']", "'plan'", "apply"),
        ("[a, b]", "list[str]", "[]", ["a", "b"]),
        ("true", None, "False", True),  # un-annotated: typed by its default
        ("v1.2.3", None, "'v1.2.2'", "v1.2.3"),
        ("12", None, "None", 12),  # nothing to go by: YAML, like papermill -p
    ],
)
def test_cli_values_are_typed_by_the_parameters_cell(raw, type_text, default, expected):
    assert coerce_cli_value("p", raw, type_text, default) == expected


@pytest.mark.parametrize(
    ("raw", "type_text", "default", "message"),
    [
        ("flase", "bool", "True", "parameter 'p' expects bool, got 'flase'. HINT: pass e.g. -p p=true"),
        ("three", "int", "2", "parameter 'p' expects int, got 'three'"),
        ("delete", "Literal['plan', 'apply']", "'plan'", "expects 'plan' or 'apply', got 'delete'"),
    ],
)
def test_cli_values_of_the_wrong_type_are_one_line(raw, type_text, default, message):
    with pytest.raises(ConfigError) as err:
        coerce_cli_value("p", raw, type_text, default)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_parse_cli_parameters_reads_types_from_the_notebook():
    proc = resolve("01", FIXTURES)
    assert parse_cli_parameters(proc, ["rounds=4", "dry_run=false", "label=x=y"]) == {
        "rounds": 4, "dry_run": False, "label": "x=y"
    }  # fmt: skip
    with pytest.raises(ConfigError, match="-p expects name=value, got 'rounds'"):
        parse_cli_parameters(proc, ["rounds"])


def test_validation_injects_env_and_refuses_a_conflicting_one():
    proc = resolve("01", FIXTURES)
    assert validate_parameters(proc, "staging", {})["env"] == "staging"
    with pytest.raises(ConfigError, match="'env' \\('prod'\\) contradicts --env local"):
        validate_parameters(proc, "local", {"env": "prod"})


def test_validation_checks_types_strictly_for_python_callers():
    proc = resolve("01", FIXTURES)
    validate_parameters(proc, "local", {"rounds": 3, "dry_run": False, "label": "x"})
    with pytest.raises(ConfigError, match="'dry_run' of 01-succeeds expects bool, got int 1"):
        validate_parameters(proc, "local", {"dry_run": 1})
    with pytest.raises(ConfigError, match="'label' of 01-succeeds expects str, got int 5"):
        validate_parameters(proc, "local", {"label": 5})  # un-annotated, typed by its default "demo"


@pytest.mark.parametrize(
    "annotation", ["Any", "MyType", "__import__('os').system('exit 1')", "list[int]()", "os.environ"]
)
def test_annotations_beyond_builtin_and_typing_names_leave_the_parameter_unchecked(annotation):
    """Only builtin and typing names are turned into types (the text is checked before it is evaluated)."""
    assert parameter_type(annotation) is None
    assert coerce_cli_value("p", "[1, 2]", annotation) == [1, 2]  # unchecked: YAML, like papermill -p


# ---------------------------------------------------------------- declared ranges (issue 14, item 13)

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("help_text", "allowed", "refused"),
    [
        ("[1, 5000]; lines", [1, 100, 5000], [0, -5, 5001, NAN, INF]),  # closed both ends
        ("(0, 1440]; minutes", [0.5, 1440], [0, -1, 1441, NAN]),  # open low end
        ("[0, inf); seconds", [0, 1e9], [-1, INF, NAN]),  # `inf)` excludes infinity
        ("[0, inf]; seconds", [0, INF, 10**400], [-1, NAN, -INF]),  # `inf]` allows it
        ("[0, 1000] or -1; rate", [-1, 0, 1000], [-2, -0.5, 1001, NAN]),  # a sentinel outside the range
        ("(0, 1] or nan; ratio", [0.5, NAN], [0, INF]),  # nan only when named
        ("no range here", [-5, 0, 1e300], [NAN, INF, -INF, 10**400]),  # undeclared: any finite number
    ],
    ids=["closed", "open-low", "inf-excluded", "inf-included", "sentinel", "nan-named", "undeclared"],
)
def test_a_declared_range_allows_and_refuses(help_text, allowed, refused):
    r = Range.declared(help_text)
    assert [v for v in allowed if not r.allows(v)] == []
    assert [v for v in refused if r.allows(v)] == []


def test_a_range_must_open_the_help_and_end_with_a_semicolon():
    assert Range.declared("lines to show [1, 5000]; x") == Range()
    assert Range.declared("[1, 5000] lines") == Range()
    assert Range.declared("  [1, 5e3]; x").text == "in [1, 5e3]"


@pytest.mark.parametrize(
    ("procedure", "name", "value", "message"),
    [
        ("80", "tail", -5, "parameter 'tail' of 80-troubleshooting must be in [1, 5000] (got -5)"),
        ("70", "window_minutes", NAN, "'window_minutes' of 70-emergency must be in (0, 1440] (got nan)"),
        (
            "30",
            "health_timeout_s",
            -1.0,
            "'health_timeout_s' of 30-application-deployment must be in [0, inf)",
        ),
        ("30", "health_timeout_s", INF, "must be in [0, inf) (got inf)"),
        ("50", "synthetic_load_rps", -2.0, "must be in [0, 1000] or -1 (got -2.0)"),
        ("20", "kill_session", -3, "'kill_session' of 20-database-migration must be in [0, inf)"),
    ],
)
def test_out_of_range_values_are_refused_before_the_run(procedure, name, value, message):
    proc = resolve(procedure)
    with pytest.raises(ConfigError) as err:
        validate_parameters(proc, "local", {name: value})
    text = str(err.value)
    assert message in text and "\n" not in text and f"HINT: pass e.g. -p {name}=" in text


def test_every_notebook_default_lies_in_its_declared_range():
    """A declaration that refuses its own default would make the notebook unrunnable as written."""
    checked = 0
    for proc in list_procedures():
        for p in proc.parameters():
            default = ast.literal_eval(p.default)
            if isinstance(default, int | float) and not isinstance(default, bool):
                assert Range.declared(p.help).allows(default), (proc.slug, p.name, p.help)
                checked += Range.declared(p.help) != Range()
    assert checked >= 14  # the counts, timeouts, windows and rates of 20-90 declare their ranges


def test_float_parameters_without_a_declaration_must_be_finite(tmp_path):
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    cell = nbformat.v4.new_code_cell("ratio = 0.5  # a ratio\nlimit = 1.0  # [0, inf]; infinity allowed")
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    nbformat.write(nb, tmp_path / "01-floats.ipynb")
    proc = resolve("01", tmp_path)
    assert validate_parameters(proc, "local", {"ratio": -3.5, "limit": INF})["limit"] == INF
    for value in (NAN, INF, -INF):
        with pytest.raises(ConfigError, match="'ratio' of 01-floats must be a finite number"):
            validate_parameters(proc, "local", {"ratio": value})
    with pytest.raises(ConfigError, match="must be a finite number"):  # from the command line too
        validate_parameters(proc, "local", parse_cli_parameters(proc, ["ratio=nan"]))


@pytest.mark.parametrize("seconds", [0, -1, -0.5, NAN, INF, -INF])
def test_a_cell_timeout_must_be_positive_and_finite(seconds):
    """`--cell-timeout 0` used to become the 600 s default silently; nan and inf reached the runner."""
    with pytest.raises(ConfigError, match="--cell-timeout must be a positive number of seconds"):
        check_cell_timeout(seconds)


def test_a_cell_timeout_may_be_left_out_or_positive():
    assert check_cell_timeout(None) is None
    assert check_cell_timeout(0.5) == 0.5
