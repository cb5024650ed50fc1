"""The Azure target is wired lazily, matches the ports exactly, and its fixtures are the verbatim examples."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from _azure_fakes import EXAMPLES

import apexops.ports as ports

ROOT = Path(__file__).resolve().parents[2]

PORTS = {
    "app": ports.ContainerApp,
    "telemetry": ports.Telemetry,
    "registry": ports.Registry,
    "identity": ports.Identity,
    "blobs": ports.BlobStore,
    "database": ports.Database,
    "deployments": ports.Deployments,
}


def _run(code: str) -> dict:
    env = {**os.environ, "AZURE_SUBSCRIPTION_ID": "00000000-1111-2222-3333-444444444444"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_apexops_loads_no_azure_module():
    got = _run(
        "import sys, json, apexops; print(json.dumps(sorted(m for m in sys.modules "
        "if m == 'azure' or m.startswith('azure.'))))"
    )
    assert got == []


def test_connect_prod_builds_every_adapter_without_sdk_import_or_network():
    got = _run(
        "import sys, json, apexops\n"
        "env = apexops.connect('prod')\n"
        "clients = env.app._c\n"
        "print(json.dumps({'target': env.target, 'name': env.name,\n"
        "  'types': {k: type(getattr(env, k)).__name__ for k in "
        "('app','telemetry','registry','identity','blobs','database','deployments')},\n"
        "  'azure_modules': sorted(m for m in sys.modules if m == 'azure' or m.startswith('azure.')),\n"
        "  'clients_built': sorted(clients._cache), 'credential_built': clients._credential is not None}))"
    )
    assert got["target"] == "azure" and got["name"] == "prod"
    assert got["types"] == {
        "app": "AzureContainerApp",
        "telemetry": "AzureTelemetry",
        "registry": "AzureRegistry",
        "identity": "AzureIdentity",
        "blobs": "AzureBlobStore",
        "database": "AzureDatabase",
        "deployments": "AzureDeployments",
    }
    assert got["azure_modules"] == [] and got["clients_built"] == [] and got["credential_built"] is False


def test_a_missing_subscription_fails_at_first_use_with_the_az_command(monkeypatch, credential, fake):
    from apexops.azure import AzureClients, AzureContainerApp
    from apexops.errors import ConfigError
    from apexops.settings import load_settings

    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    app = AzureContainerApp(
        AzureClients(load_settings("prod"), credential=credential, transport=fake.transport())
    )
    with pytest.raises(ConfigError, match="AZURE_SUBSCRIPTION_ID") as err:
        app.show()
    assert "az account show --query id -o tsv" in err.value.hint
    assert fake.requests == []


def _hints(func) -> dict:
    from sqlalchemy.engine import Engine

    from apexops.tokens import AccessToken

    module = sys.modules[func.__module__]
    return typing.get_type_hints(
        func, globalns=vars(module), localns={"Engine": Engine, "AccessToken": AccessToken}
    )


def _port_methods(port) -> list[str]:
    return [
        n for n, v in vars(port).items() if not n.startswith("_") and (callable(v) or isinstance(v, property))
    ]


def _adapters(target: str) -> dict:
    from apexops.settings import load_settings

    if target == "azure":
        from apexops.azure import build_environment

        env = build_environment(load_settings("prod"))
    else:
        adapters = pytest.importorskip("apexops.sandbox.adapters")
        env = adapters.build_environment(load_settings("local"))
    return {k: getattr(env, k) for k in PORTS}


def _check_against_ports(target: str, *, exact: bool) -> None:
    """Every port method exists with the port's parameters (names, kinds, defaults) and annotations.

    exact: no extra parameter either. Otherwise extras are tolerated only when keyword-only with a
    default, so that every call written against the port works on this target.
    """
    for key, adapter in _adapters(target).items():
        port = PORTS[key]
        cls = type(adapter).__name__
        assert isinstance(adapter, port), f"{cls} does not implement {port.__name__}"
        for name in _port_methods(port):
            want, have = vars(port)[name], inspect.getattr_static(type(adapter), name)
            if isinstance(want, property):
                assert isinstance(have, property), f"{cls}.{name} must be a property"
                assert _hints(want.fget)["return"] == _hints(have.fget)["return"]
                continue
            wanted = [(p.name, p.kind, p.default) for p in inspect.signature(want).parameters.values()]
            params = list(inspect.signature(have).parameters.values())
            got = [(p.name, p.kind, p.default) for p in params]
            if exact:
                assert got == wanted, f"{cls}.{name}"
            else:
                assert [g for g in got if g[0] in {w[0] for w in wanted}] == wanted, f"{cls}.{name}"
                extras = [p for p in params if p.name not in {w[0] for w in wanted}]
                assert all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in extras), (
                    f"{cls}.{name}"
                )
            hints_have = _hints(have)
            assert {k: v for k, v in hints_have.items() if k in _hints(want)} == _hints(want), (
                f"{cls}.{name} annotations differ"
            )


def test_azure_adapters_have_exactly_the_port_signatures(monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "x")
    _check_against_ports("azure", exact=True)


def test_sandbox_adapters_have_exactly_the_port_signatures(monkeypatch):
    """Same signatures on both targets, so a notebook cannot write a call that only one target accepts."""
    _check_against_ports("sandbox", exact=True)


def test_every_example_is_listed_in_sources_and_is_the_verbatim_copy():
    sources = (EXAMPLES / "SOURCES.md").read_text()
    rows = dict(re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{16})…` \|$", sources, re.M))
    files = sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.json"))
    assert files and sorted(rows) == files
    for rel, prefix in rows.items():
        text = (EXAMPLES / rel).read_text()
        assert hashlib.sha256(text.encode()).hexdigest().startswith(prefix), rel
        json.loads(text)
