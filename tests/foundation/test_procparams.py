"""Procedure parameters are typed by the parameters cell: names, types, Literal values, CLI strings."""

from __future__ import annotations

import pytest
from foundation_helpers import FIXTURES

from apexops.catalog import resolve
from apexops.errors import ConfigError
from apexops.procparams import coerce_cli_value, parameter_type, parse_cli_parameters, validate_parameters


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
