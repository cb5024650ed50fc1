"""The Azure target is wired lazily; its fixtures are the verbatim examples (behaviour: tests/contract)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _azure_fakes import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]


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


def test_every_example_is_listed_in_sources_and_is_the_verbatim_copy():
    sources = (EXAMPLES / "SOURCES.md").read_text()
    rows = dict(re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{16})…` \|$", sources, re.M))
    files = sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.json"))
    assert files and sorted(rows) == files
    for rel, prefix in rows.items():
        text = (EXAMPLES / rel).read_text()
        assert hashlib.sha256(text.encode()).hexdigest().startswith(prefix), rel
        json.loads(text)
