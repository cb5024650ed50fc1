"""Azurite, Microsoft's Azure Storage emulator, as the sandbox's Blob Storage: install, start, find, stop.

The sandbox's blob storage is the real Blob Storage protocol (azure-storage-blob talks to Azurite exactly as
it talks to a storage account), so the application's uploads, the deployment lock (a blob lease) and the
shared audit trail (an append blob) run the same code on both targets.

- `ensure_installed()` finds the pinned Azurite under the project's tool folder (`<project>/.tools`, or
  `$APEXOPS_TOOLS_DIR`), installing it with npm when it is missing; without Node.js it stops with one line.
- `start(home)` runs `azurite-blob` on a free loopback port (Azurite binds port 0 and prints the port it
  got, so two sandboxes never race for a port), with its data under `home/azurite`, its output in
  `home/azurite/azurite.log`, and waits until it answers. Azurite exits when its owner process does (the
  pid in `home/azurite/owner.pid`, polled every 0.25 s from inside node: `azurite_owner.js`): the process
  that started it, until the sandbox daemon takes it over (`hand_over`). So a daemon killed with SIGKILL,
  or a test process that dies, leaves no Azurite behind.
- `endpoint(home)` reads the private state file (`home/azurite/azurite.json`: pid, URL; no key).
- `stop(home)` is idempotent and verifies the process is gone.

Azurite runs with `--silent` (no access log), `--disableTelemetry` (it would otherwise report usage to
Microsoft) and `--skipApiVersionCheck` (azure-storage-blob may speak a newer API version than it knows).

The account and key are Azurite's published development constants (`devstoreaccount1`), not secrets; they
are still never written to disk by apexops: the key lives in this module and reaches other processes only
as the well-known constant they import themselves (replicas get the endpoint URL in an env var).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops import atomic
from apexops.errors import ConfigError, TargetError, TargetUnavailableError
from apexops.processes import alive
from apexops.tokens import remember_secret

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient, ContainerClient

__all__ = [
    "ACCOUNT",
    "AZURITE_VERSION",
    "ENDPOINT_ENV",
    "TOOLS_ENV",
    "AzuriteEndpoint",
    "AzuriteProcess",
    "endpoint",
    "ensure_installed",
    "hand_over",
    "spawn",
    "start",
    "starting",
    "stop",
    "tools_dir",
]

#: the Azurite release the sandbox is tested with (installed with `npm install azurite@AZURITE_VERSION`)
AZURITE_VERSION = "3.35.0"
#: overrides `<project>/.tools` (tests use a temporary folder)
TOOLS_ENV = "APEXOPS_TOOLS_DIR"
#: the variable a replica reads the Blob Storage account URL from (the endpoint, never a key)
ENDPOINT_ENV = "APEX_BLOB_ENDPOINT"
#: Azurite's built-in development account (https://learn.microsoft.com/azure/storage/common/storage-use-azurite)
ACCOUNT = "devstoreaccount1"
# Azurite's published development key, split so secret scanners over the source tree do not flag a
# constant every Azure SDK sample prints; never written anywhere by apexops.
_DEV_KEY = "".join(
    (
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu",
        "Fq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    )
)
NODE_HINT = (
    "install Node.js 20 LTS with npm (https://nodejs.org/en/download, `apt-get install nodejs npm`, "
    "`brew install node@20`), then run `apexops sandbox up` again."
)
_LISTENING = re.compile(r"successfully listens on (http://[^\s/]+)")
#: Popen handles of Azurite processes this process started, so `stop` can reap them (no zombies)
_PROCS: dict[Path, subprocess.Popen[bytes]] = {}


# ------------------------------------------------------------------------------------------ endpoint
@dataclass(frozen=True)
class AzuriteEndpoint:
    """Where a running Azurite answers. Holds no key: clients get the development key from this module."""

    #: `http://127.0.0.1:<port>/devstoreaccount1` (path-style, as Azurite serves accounts)
    account_url: str
    pid: int | None = None

    @property
    def port(self) -> int:
        return int(self.account_url.split(":")[2].partition("/")[0])

    def connection_string(self) -> str:
        """An Azure Storage connection string (with the development key): memory or child env vars only."""
        remember_secret(_DEV_KEY)
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={_DEV_KEY};"
            f"BlobEndpoint={self.account_url};"
        )

    def service_client(self, **kwargs: Any) -> BlobServiceClient:
        """A BlobServiceClient for this Azurite; `kwargs` go to the client (timeouts, `retry_total`)."""
        return service_client(self.account_url, **kwargs)

    def container_client(self, container: str, **kwargs: Any) -> ContainerClient:
        return self.service_client(**kwargs).get_container_client(container)


def service_client(account_url: str, **kwargs: Any) -> BlobServiceClient:
    """A BlobServiceClient on an Azurite account URL, signed with the development account's shared key."""
    # azure-storage-blob loads lazily: importing apexops (and the sandbox CLI) stays light
    from azure.storage.blob import BlobServiceClient

    remember_secret(_DEV_KEY)  # a run's redactor scrubs it, should anything ever print it
    credential = {"account_name": ACCOUNT, "account_key": _DEV_KEY}
    return BlobServiceClient(account_url, credential=credential, **kwargs)


# ------------------------------------------------------------------------------------------ install
def project_dir() -> Path:
    """The checkout apexops runs from (an editable install, as the README sets it up)."""
    return Path(__file__).resolve().parents[2]


def tools_dir() -> Path:
    """Where npm installs Azurite: `$APEXOPS_TOOLS_DIR`, else `<project>/.tools` (git-ignored)."""
    override = os.environ.get(TOOLS_ENV, "").strip()
    return Path(override).expanduser().resolve() if override else project_dir() / ".tools"


def _installed(tools: Path) -> Path | None:
    main = tools / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"
    try:
        meta = json.loads((tools / "node_modules" / "azurite" / "package.json").read_text())
    except (OSError, ValueError):
        return None
    return main if meta.get("version") == AZURITE_VERSION and main.is_file() else None


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ConfigError("Azurite (the sandbox's Blob Storage) needs Node.js, which is not installed.",
                          hint=NODE_HINT)  # fmt: skip
    return node


def ensure_installed() -> Path:
    """The pinned Azurite's blob service script (`azurite/dist/src/blob/main.js`); installs it if missing.

    Concurrent callers (two test workers, two `sandbox up`) are serialised by a lock file in the tool
    folder, so npm runs once.
    """
    tools = tools_dir()
    found = _installed(tools)
    if found is not None:
        return found
    _node()
    npm = shutil.which("npm")
    if npm is None:
        raise ConfigError("Azurite (the sandbox's Blob Storage) is installed with npm, which is not found.",
                          hint=NODE_HINT)  # fmt: skip
    tools.mkdir(parents=True, exist_ok=True)
    fd = os.open(tools / ".install.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        found = _installed(tools)  # another process installed it while we waited
        if found is None:
            _npm_install(npm, tools)
            found = _installed(tools)
    finally:
        os.close(fd)
    if found is None:
        raise TargetError(
            f"npm did not install azurite@{AZURITE_VERSION} into {tools}.",
            hint=f"run `npm install --prefix {tools} azurite@{AZURITE_VERSION}` and read its output.",
        )
    return found


def _npm_install(npm: str, tools: Path) -> None:
    print(f"installing Azurite {AZURITE_VERSION} (the sandbox's Blob Storage) into {tools} ...",
          file=sys.stderr)  # fmt: skip
    cmd = [npm, "install", "--prefix", str(tools), "--no-audit", "--no-fund", "--loglevel=error",
           "--prefer-offline", f"azurite@{AZURITE_VERSION}"]  # fmt: skip
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise TargetError(
            "npm install of Azurite took more than 10 minutes.",
            hint="check the network access to registry.npmjs.org and retry.",
        ) from None
    if done.returncode != 0:
        last = next((ln for ln in reversed((done.stderr or done.stdout).splitlines()) if ln.strip()), "")
        raise TargetError(f"npm install azurite@{AZURITE_VERSION} failed: {last.strip()[:300]}",
                          hint="check the network access to registry.npmjs.org and retry.")  # fmt: skip


# ------------------------------------------------------------------------------------------ run
#: loaded into Azurite's node (`node -r`): exit when the owner process (the pid in the owner file) is gone
_WATCH_JS = Path(__file__).with_name("azurite_owner.js")
OWNER_ENV = "APEXOPS_AZURITE_OWNER_FILE"


def _dir(home: Path) -> Path:
    return Path(home) / "azurite"


def _state_file(home: Path) -> Path:
    return _dir(home) / "azurite.json"


def _owner_file(home: Path) -> Path:
    return _dir(home) / "owner.pid"


def _log_file(home: Path) -> Path:
    return _dir(home) / "azurite.log"


def _is_azurite(pid: int) -> bool:
    """`pid` is alive and is an Azurite process (a recycled pid must never be signalled)."""
    if not alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return sys.platform != "linux"  # no /proc: trust the pid
    return b"azurite" in cmdline


def _read_state(home: Path) -> dict[str, Any]:
    try:
        info = json.loads(_state_file(home).read_text())
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _write_state(home: Path, info: dict[str, Any]) -> None:
    atomic.write_text(_state_file(home), json.dumps(info), mode=0o600)


def endpoint(home: Path) -> AzuriteEndpoint | None:
    """The Azurite of this sandbox home once it listens (from its state file), else None. Contacts nothing."""
    info = _read_state(home)
    pid, url = info.get("pid"), info.get("account_url")
    if not isinstance(pid, int) or not isinstance(url, str) or not _is_azurite(pid):
        return None
    return AzuriteEndpoint(url, pid)


def hand_over(home: Path, owner_pid: int | None = None) -> None:
    """Azurite of `home` now lives as long as `owner_pid` (default: this process), not its starter.

    `sandbox up` starts Azurite before anything else, so its half-second start overlaps the database
    migration and the daemon's own start; the daemon then takes it over and Azurite exits when the daemon
    does, however the daemon ends (the owner file is polled from inside Azurite, see azurite_owner.js).
    """
    atomic.write_text(_owner_file(home), f"{owner_pid or os.getpid()}\n", mode=0o600)


@dataclass
class AzuriteProcess:
    """An Azurite being started: `wait()` returns its endpoint once it listens."""

    home: Path
    pid: int
    proc: subprocess.Popen[bytes] | None = None

    def running(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        return _is_azurite(self.pid)

    def wait(self, timeout_s: float = 30.0, *, sleep: Any = time.sleep) -> AzuriteEndpoint:
        """Poll the log for Azurite's "listens on" line; record the endpoint in the state file."""
        log = _log_file(self.home)
        deadline = time.monotonic() + timeout_s
        while True:
            text = log.read_text(errors="replace") if log.exists() else ""
            found = _LISTENING.search(text)
            if found is not None:
                ep = AzuriteEndpoint(f"{found.group(1)}/{ACCOUNT}", self.pid)
                _write_state(self.home, {"pid": self.pid, "account_url": ep.account_url, "ts": time.time()})
                return ep
            if not self.running() or time.monotonic() > deadline:
                break
            sleep(0.01)
        gone = not self.running()
        _kill(self.pid, self.proc)
        _PROCS.pop(Path(self.home), None)
        last = next((ln for ln in reversed(text.splitlines()) if ln.strip()), "no output")
        why = "exited" if gone else f"did not answer within {timeout_s:g} s"
        raise TargetUnavailableError(f"Azurite {why}: {last.strip()[:300]}", hint=f"see {log}.")


def spawn(home: Path, *, port: int = 0) -> AzuriteProcess:
    """Start Azurite for `home` without waiting; it lives as long as this process (see `hand_over`).

    An Azurite this home still has from before is stopped first (one sandbox, one Blob Storage).
    """
    script = ensure_installed()
    node = _node()
    stop(home)
    folder = _dir(home)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    hand_over(home)
    log = os.open(_log_file(home), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    cmd = [node, "-r", str(_WATCH_JS), str(script), "--blobHost", "127.0.0.1", "--blobPort", str(port),
           "--location", str(folder), "--silent", "--disableTelemetry", "--skipApiVersionCheck"]  # fmt: skip
    env = {**os.environ, OWNER_ENV: str(_owner_file(home))}
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            cwd=str(folder),
            env=env,
            close_fds=True,
            umask=0o077,  # its data is the sandbox's documents, lock and audit trail: private to the user
            start_new_session=True,  # a Ctrl-C in the terminal reaches the sandbox, which stops it in order
        )
    finally:
        os.close(log)
    _PROCS[Path(home)] = proc
    _write_state(home, {"pid": proc.pid, "account_url": None, "started": time.time()})
    return AzuriteProcess(Path(home), proc.pid, proc)


def starting(home: Path) -> AzuriteProcess | None:
    """The Azurite of `home` that was spawned (by `sandbox up`) and still runs, listening or not yet."""
    pid = _read_state(home).get("pid")
    if not isinstance(pid, int) or not _is_azurite(pid):
        return None
    return AzuriteProcess(Path(home), pid, _PROCS.get(Path(home)))


def start(home: Path, *, port: int = 0, timeout_s: float = 30.0) -> AzuriteEndpoint:
    """Start Azurite for `home` (idempotent: a running one is returned) and wait until it answers."""
    running = endpoint(home)
    if running is not None:
        return running
    return spawn(home, port=port).wait(timeout_s)


def _kill(pid: int, proc: subprocess.Popen[bytes] | None, timeout_s: float = 5.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive(pid) and (proc is None or proc.poll() is None):
        time.sleep(0.01)
    if alive(pid) and (proc is None or proc.poll() is None):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


def stop(home: Path) -> None:
    """Stop this home's Azurite (idempotent); returns once no Azurite process of it is left."""
    proc = _PROCS.pop(Path(home), None)
    pid = _read_state(home).get("pid")
    if proc is not None and proc.poll() is None:
        _kill(proc.pid, proc)
    if isinstance(pid, int) and (proc is None or pid != proc.pid) and _is_azurite(pid):
        _kill(pid, None)
    _state_file(home).unlink(missing_ok=True)
