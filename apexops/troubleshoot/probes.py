"""Checks run from the app side: the database, blob storage and the network, as the replica reaches them.

Three small Python scripts, each run in a replica through `run_in_app` (so Azure shows MANUAL rows with
the exact commands). They read the replica's own configuration, the same environment the app reads:

- database: the runbook's `engine.connect()` / `SELECT 1` (`apexops.migrations.connectivity.CHECK_SCRIPT`);
- blob: the runbook's "Accessible containers" listing plus a write probe (a probe blob written and deleted,
  as the app's own readiness check does), through the app's own Blob Storage client (Azure Storage, or
  Azurite on the sandbox);
- network: a TCP connect to each endpoint the replica is configured with (the runbook's `nc -zv`), or the
  equivalent for local endpoints (a Unix socket, a database file). Endpoints the replica is
  not configured with are SKIPPED, never guessed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from apexops import azcli
from apexops.status import Status
from apexops.troubleshoot.execs import MANUAL, ExecOutcome, run_in_app
from apexops.troubleshoot.manual import sql_server

if TYPE_CHECKING:
    from apexops.ports import ContainerApp
    from apexops.settings import Settings

__all__ = [
    "BLOB_SCRIPT",
    "NETWORK_SCRIPT",
    "blob_from_app",
    "database_from_app",
    "nc_commands",
    "network_from_app",
    "network_rows",
]

BLOB_OK = "Blob write probe successful:"
#: the network script's `ok` per endpoint: reached, not reached, not configured in the replica
_PROBE_STATUS = {True: Status.PASS, False: Status.FAIL, None: Status.SKIPPED}

BLOB_SCRIPT = f"""
import importlib, os
try:
    from apex.azure.blob_storage import BlobStorageClient
    client = BlobStorageClient()
    print("Accessible containers:", client.list_containers())
    raise SystemExit(0)
except ImportError:  # an app that names its client module in its environment (the reference app)
    BlobStorageClient = importlib.import_module(os.environ["APEX_BLOB_CLIENT_MODULE"]).BlobStorageClient
client = BlobStorageClient()
print("Accessible containers:", client.list_containers())
container = os.environ.get("AZURE_STORAGE_CONTAINER_UPLOADS", "uploads")
problem = client.check_writable(container)
if problem:
    print("Blob write probe failed:", problem)
    raise SystemExit(1)
print("{BLOB_OK}", container)
""".strip()

NETWORK_SCRIPT = """
import json, os, socket, urllib.parse
out = []
def probe(name, target, fn):
    try:
        out.append({"endpoint": name, "target": target, "ok": True, "detail": fn()})
    except Exception as exc:
        out.append({"endpoint": name, "target": target, "ok": False,
                    "detail": type(exc).__name__ + ": " + str(exc)[:200]})
def tcp(host, port):
    def go():
        with socket.create_connection((host, port), timeout=3):
            return "TCP connect succeeded"
    return go
def unix(path):
    def go():
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(3)
        try:
            s.connect(path)
        finally:
            s.close()
        return "Unix socket connect succeeded"
    return go
def readable(path):
    def go():
        with open(path, "rb") as f:
            f.read(16)
        return "database file readable"
    return go
url = os.environ.get("APEX_DATABASE_URL", "")
u = urllib.parse.urlsplit(url) if url else None
if u and u.scheme.startswith("sqlite"):
    path = url.split(":///", 1)[1]
    probe("database", path, readable(path))
elif u and u.hostname:
    port = u.port or (1433 if "mssql" in u.scheme else 5432)
    probe("database", u.hostname + ":" + str(port), tcp(u.hostname, port))
elif u and urllib.parse.parse_qs(u.query).get("host", [""])[0].startswith("/"):
    sock = urllib.parse.parse_qs(u.query)["host"][0] + "/.s.PGSQL." + str(u.port or 5432)
    probe("database", sock, unix(sock))
elif os.environ.get("AZURE_SQL_SERVER"):
    host = os.environ["AZURE_SQL_SERVER"]
    probe("database", host + ":1433", tcp(host, 1433))
else:
    out.append({"endpoint": "database", "target": "", "ok": None, "detail": "not configured"})
if os.environ.get("APEX_BLOB_ENDPOINT"):
    b = urllib.parse.urlsplit(os.environ["APEX_BLOB_ENDPOINT"])
    probe("blob storage", b.hostname + ":" + str(b.port or 443), tcp(b.hostname, b.port or 443))
elif os.environ.get("AZURE_STORAGE_ACCOUNT"):
    host = os.environ["AZURE_STORAGE_ACCOUNT"] + ".blob.core.windows.net"
    probe("blob storage", host + ":443", tcp(host, 443))
else:
    out.append({"endpoint": "blob storage", "target": "", "ok": None, "detail": "not configured"})
endpoint = os.environ.get("AZURE_OPENAI_ENDPOINT", "")
if endpoint:
    e = urllib.parse.urlsplit(endpoint)
    port = e.port or (443 if e.scheme == "https" else 80)
    probe("azure openai", e.hostname + ":" + str(port), tcp(e.hostname, port))
else:
    out.append({"endpoint": "azure openai", "target": "", "ok": None,
                "detail": "AZURE_OPENAI_ENDPOINT is not set in the replica"})
print("APEXOPS-NETWORK " + json.dumps(out))
""".strip()


def _script_in_app(
    app: ContainerApp, settings: Settings, script: str, check: str, marker: str, revision: str | None,
    timeout_s: float,
) -> ExecOutcome:
    """Run one probe script in a replica; it succeeded when its output carries `marker`."""
    return run_in_app(app, settings, ["python3", "-c", script], check=check, revision=revision,
                      success=lambda out: marker in out, timeout_s=timeout_s)  # fmt: skip


def database_from_app(
    app: ContainerApp, settings: Settings, *, revision: str | None = None, timeout_s: float = 30.0
) -> ExecOutcome:
    """The runbook's `python3 -c '... engine.connect()'` in a replica (SELECT 1)."""
    from apexops.migrations.connectivity import CHECK_SCRIPT, SUCCESS  # migrations loads sqlalchemy

    check = "database: SELECT 1 from the app"
    return _script_in_app(app, settings, CHECK_SCRIPT, check, SUCCESS, revision, timeout_s)


def blob_from_app(
    app: ContainerApp, settings: Settings, *, revision: str | None = None, timeout_s: float = 30.0
) -> ExecOutcome:
    """The runbook's container listing from the app, plus a write probe (written and deleted)."""
    check = "blob: list + write probe from the app"
    return _script_in_app(app, settings, BLOB_SCRIPT, check, "Accessible containers:", revision, timeout_s)


def network_from_app(
    app: ContainerApp, settings: Settings, *, revision: str | None = None, timeout_s: float = 30.0
) -> ExecOutcome:
    check = "network from the app"
    return _script_in_app(app, settings, NETWORK_SCRIPT, check, "APEXOPS-NETWORK", revision, timeout_s)


def nc_commands(settings: Settings) -> list[tuple[str, str]]:
    """The runbook's `nc -zv` tests from the container app to SQL, storage and OpenAI (Azure names)."""
    sql = (
        settings.database.server
        if settings.database.server.endswith(".windows.net")
        else f"{sql_server(settings)}.database.windows.net"
    )
    host = urlsplit(settings.openai.endpoint).hostname or ""
    openai = host if host.endswith(".azure.com") else f"{settings.openai.name}.openai.azure.com"
    targets = [
        ("database", f"{sql} 1433"),
        ("blob storage", f"{settings.storage.account}.blob.core.windows.net 443"),
        ("azure openai", f"{openai} 443"),
    ]
    return [(name, azcli.containerapp_exec(settings, f"nc -zv {t}")) for name, t in targets]


def network_rows(outcome: ExecOutcome, settings: Settings) -> list[dict[str, Any]]:
    """One row per endpoint: the replica's own results, or MANUAL rows with the runbook's nc commands."""
    if outcome.status == MANUAL:
        return [
            {"status": Status.SKIPPED, "run": MANUAL, "endpoint": name, "target": "",
             "detail": cmd.replace(" \\\n  ", " ")}
            for name, cmd in nc_commands(settings)
        ]  # fmt: skip
    marker = "APEXOPS-NETWORK "
    line = next((x for x in outcome.output.splitlines() if x.startswith(marker)), None)
    failed = {"status": Status.FAIL, "endpoint": "(probe)", "target": outcome.revision}
    if line is None:
        return [{**failed, "detail": outcome.output.strip()[-300:] or "no output", "hint": outcome.hint}]
    try:
        results = json.loads(line[len(marker) :])
    except ValueError:
        return [{**failed, "detail": "unreadable probe output"}]
    return [
        {"status": _PROBE_STATUS[r["ok"]], **{k: r[k] for k in ("endpoint", "target", "detail")}}
        for r in results
    ]
