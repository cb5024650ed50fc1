"""The `az` equivalents: exact argv as a real shell parses them, built from Settings and domain types."""

from __future__ import annotations

import shlex
import subprocess

import pytest

from apexops import azcli
from apexops.errors import ConfigError
from apexops.models import AppUpdate, TrafficWeight
from apexops.settings import load_settings

APP = ["--name", "apex-backend-prod", "--resource-group", "apex-rg-prod"]


@pytest.fixture(scope="module")
def prod():
    return load_settings("prod")


def bash_argv(command: str) -> list[str]:
    """How bash itself splits the (multi-line) command: the test of 'properly shell-quoted'."""
    out = subprocess.run(
        ["bash", "-c", 'f() { printf "%s\\0" "$@"; }; f ' + command],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return out.stdout.split("\0")[:-1]


def test_update_is_the_runbooks_step_3_command(prod):
    change = AppUpdate(
        image="apexacr.azurecr.io/apex-backend:v1.2.3",
        env=dict(prod.app.env),
        cpu=2.0,
        memory="4Gi",
        min_replicas=2,
        max_replicas=10,
    )
    cmd = azcli.containerapp_update(prod, change)
    argv = bash_argv(cmd)
    assert argv[:3] == ["az", "containerapp", "update"] and argv[3:7] == APP
    assert argv[7:9] == ["--image", "apexacr.azurecr.io/apex-backend:v1.2.3"]
    i = argv.index("--set-env-vars")
    env = argv[i + 1 : argv.index("--cpu")]
    assert "AZURE_SQL_DRIVER=ODBC Driver 18 for SQL Server" in env  # one argument, spaces and all
    assert "AZURE_AD_TENANT_ID=${env:AZURE_AD_TENANT_ID}" in env  # not expanded by the shell
    assert len(env) == len(prod.app.env)
    assert argv[argv.index("--cpu") :] == [
        "--cpu",
        "2.0",
        "--memory",
        "4Gi",
        "--min-replicas",
        "2",
        "--max-replicas",
        "10",
    ]
    assert cmd.count("\\\n") == cmd.count("\n")  # every line but the last continues
    assert shlex.split(azcli.containerapp_update(prod, change, oneline=True)) == argv


def test_update_names_only_what_changes(prod):
    assert shlex.split(
        azcli.containerapp_update(prod, AppUpdate(min_replicas=3, max_replicas=15), oneline=True)
    ) == ["az", "containerapp", "update", *APP, "--min-replicas", "3", "--max-replicas", "15"]
    with pytest.raises(ConfigError):
        azcli.containerapp_update(prod, AppUpdate())


def test_traffic_set_names_every_revision_including_those_dropping_to_zero(prod):
    weights = [TrafficWeight("apex-backend-prod--new", 10), TrafficWeight("apex-backend-prod--old", 90)]
    current = [TrafficWeight("apex-backend-prod--old", 80), TrafficWeight("apex-backend-prod--older", 20)]
    argv = bash_argv(azcli.ingress_traffic_set(prod, weights, current=current))
    assert argv == [
        "az",
        "containerapp",
        "ingress",
        "traffic",
        "set",
        *APP,
        "--revision-weight",
        "apex-backend-prod--new=10",
        "apex-backend-prod--old=90",
        "apex-backend-prod--older=0",
    ]


def test_rollback_traffic_matches_the_runbook(prod):
    cmd = azcli.ingress_traffic_set(prod, [TrafficWeight("OLD", 100), TrafficWeight("NEW", 0)], oneline=True)
    assert cmd == (
        "az containerapp ingress traffic set --name apex-backend-prod --resource-group apex-rg-prod "
        "--revision-weight OLD=100 NEW=0"
    )


@pytest.mark.parametrize("verb", ["activate", "deactivate", "restart"])
def test_revision_verbs(prod, verb):
    cmd = getattr(azcli, f"revision_{verb}")(prod, "apex-backend-prod--abc")
    assert bash_argv(cmd) == [
        "az",
        "containerapp",
        "revision",
        verb,
        *APP,
        "--revision",
        "apex-backend-prod--abc",
    ]
    with pytest.raises(ConfigError):
        getattr(azcli, f"revision_{verb}")(prod, "")


def test_app_restart_is_one_revision_restart_per_active_revision(prod):
    cmd = azcli.containerapp_restart(prod, ["r1", "r2"], oneline=True)
    assert [shlex.split(line)[-1] for line in cmd.splitlines()] == ["r1", "r2"]
    assert all(line.startswith("az containerapp revision restart ") for line in cmd.splitlines())
    with pytest.raises(ConfigError):
        azcli.containerapp_restart(prod, [])


def test_exec_quotes_the_command_as_one_argument(prod):
    code = "from apex.database.connection import engine; engine.connect()"
    argv = bash_argv(azcli.containerapp_exec(prod, ["python3", "-c", code], revision="r1"))
    assert argv == [
        "az",
        "containerapp",
        "exec",
        *APP,
        "--revision",
        "r1",
        "--command",
        f"python3 -c '{code}'",
    ]
    assert bash_argv(azcli.containerapp_exec(prod, "printenv | grep AZURE"))[-1] == "printenv | grep AZURE"


@pytest.mark.parametrize(
    ("func", "verb", "extra"),
    [
        (azcli.deployment_group_validate, "validate", []),
        (azcli.deployment_group_what_if, "what-if", ["--result-format", "FullResourcePayloads"]),
        (azcli.deployment_group_create, "create", []),
    ],
)
def test_deployment_commands(prod, func, verb, extra):
    assert bash_argv(func(prod)) == [
        "az",
        "deployment",
        "group",
        verb,
        "--resource-group",
        "apex-rg-prod",
        "--name",
        "main",
        "--template-file",
        "main.bicep",
        "--parameters",
        "parameters/prod.bicepparam",
        *extra,
    ]


def test_cancel_group_create_and_role_check_are_the_runbook_remedies(prod):
    assert azcli.deployment_group_cancel(prod, oneline=True) == (
        "az deployment group cancel --resource-group apex-rg-prod --name main"
    )
    assert azcli.group_create(prod, oneline=True) == "az group create --name apex-rg-prod --location eastus"
    # the assignee is a command substitution the shell must run, not a literal
    assert azcli.role_assignment_list(oneline=True) == (
        'az role assignment list --assignee "$(az account show --query user.name -o tsv)" --output table'
    )


def test_hostile_values_stay_single_arguments(prod):
    evil = "x; rm -rf / #$(touch /tmp/pwned)"
    argv = bash_argv(
        azcli.containerapp_update(prod, AppUpdate(env={"NOTE": evil, "A": "1", "B": "2", "C": "3"}))
    )
    assert f"NOTE={evil}" in argv


def test_staging_uses_its_own_names():
    staging = load_settings("staging")
    assert "--resource-group apex-rg-staging" in azcli.revision_list(staging, oneline=True)
    assert "parameters/staging.bicepparam" in azcli.deployment_group_what_if(staging, oneline=True)
