"""`apexops sandbox up | status | down | reset` from Python: start, inspect and stop the sandbox daemon.

`up` is idempotent: if the daemon already runs it only reports status. On the very first `up` of a home
folder it seeds the baseline release (the database migrated with Alembic to
`settings.sandbox.baseline_migration`, the app with one revision of `baseline_image_tag` at 100%). It checks
the ingress port before anything starts, so a port in use is one clear line and nothing is half-started.
`up` starts Azurite (the sandbox's Blob Storage, `apexops.sandbox.azurite`) before anything else, so its
half-second start overlaps the migration and the daemon's start; the daemon takes it over and stops it with
itself. `down` stops the daemon, every replica and Azurite, and verifies that no process is left. State
lives in the home folder and survives both.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from apexops.errors import ConflictError, TargetError, TargetUnavailableError
from apexops.models import Revision, TrafficWeight
from apexops.polling import poll_until
from apexops.processes import alive
from apexops.sandbox import azurite
from apexops.sandbox.client import ControlClient, revision_from_dict, traffic_from_dicts
from apexops.sandbox.controlplane import ControlPlane
from apexops.sandbox.daemon import DaemonOptions
from apexops.sandbox.split import split_warning
from apexops.sandbox.state import SandboxPaths, read_json, write_json
from apexops.schema import MIGRATIONS_DIR
from apexops.settings import Settings

__all__ = ["SandboxProbe", "SandboxStatus", "down", "probe", "reset", "status", "up"]

#: Popen handles of daemons this process started, so `down` can reap them (no zombies left behind)
_CHILDREN: dict[Path, subprocess.Popen] = {}


@dataclass(frozen=True)
class SandboxProbe:
    running: bool
    url: str | None
    detail: str


@dataclass(frozen=True)
class SandboxStatus:
    """What `apexops sandbox status` shows; revisions come from the state file when the daemon is down."""

    running: bool
    home: Path
    url: str | None
    app_name: str
    revisions: tuple[Revision, ...] = ()
    traffic: tuple[TrafficWeight, ...] = ()
    pid: int | None = None
    replica_pids: tuple[int, ...] = ()
    helper_pids: tuple[int, ...] = ()  # the replica fork server and Azurite (the Blob Storage)
    #: the Blob Storage account URL (Azurite on loopback); no key
    blob_endpoint: str | None = None
    started: datetime | None = None
    database: str = ""
    replicas_ready: dict[str, int] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    detail: str = ""
    #: one line when traffic is split with no run holding the deployment lock (see `split`)
    warning: str | None = None


def _paths(settings: Settings) -> SandboxPaths:
    return SandboxPaths(settings.sandbox_home().resolve())


def _safe_db(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def probe(settings: Settings) -> SandboxProbe:
    """Is the sandbox up? Cheap (files + one local TCP connect); never starts anything."""
    paths = _paths(settings)
    info = read_json(paths.daemon_info)
    if not info:
        return SandboxProbe(False, None, f"not running (no daemon in {paths.home})")
    if not alive(info.get("pid")):
        return SandboxProbe(False, None, f"not running (stale daemon.json, pid {info.get('pid')} is gone)")
    try:
        with socket.create_connection(("127.0.0.1", int(info["control_port"])), timeout=0.5):
            pass
    except OSError:
        return SandboxProbe(False, None, f"daemon pid {info['pid']} does not answer on its control port")
    return SandboxProbe(True, info["ingress_url"], f"running (pid {info['pid']}, {info['ingress_url']})")


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConflictError(
                    f"port {port} (the sandbox ingress) is already in use.",
                    hint="stop what uses it, or pick another port with APEXOPS_SANDBOX_PORT=<port> or "
                    "sandbox.ingress_port in parameters/local.yaml.",
                ) from None
            raise


def _alembic(url: str) -> Any:
    """Alembic's configuration for the APEX migrations on `url`."""
    # Alembic and SQLAlchemy load lazily: only a first `up` and `reset` migrate; probe/status/down stay light
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _migrate_baseline(settings: Settings, url: str) -> str | None:
    """Migrate a fresh database to the baseline revision; leave one that already has a version alone."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    db = Path(url.removeprefix("sqlite:///").partition("?")[0])
    if url.startswith("sqlite:///") and db.name != ":memory:":
        db.parent.mkdir(parents=True, exist_ok=True)  # created private: SQLite's journals take its mode
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT, 0o600))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    if current is not None:
        return current
    command.upgrade(_alembic(url), settings.sandbox.baseline_migration)
    return settings.sandbox.baseline_migration


def up(
    settings: Settings, *, options: DaemonOptions | None = None, wait_s: float | None = None
) -> SandboxStatus:
    """Start the sandbox (idempotent) and return its status once the serving revisions settled.

    Concurrent `up` calls for the same home (two notebooks, two threads) are serialised by a lock file
    in the home folder, so exactly one starts the daemon and the others report its status.
    """
    paths = _paths(settings)
    if probe(settings).running:
        return status(settings)
    with _up_lock(paths):
        return _up_locked(settings, paths, options, wait_s)


@contextlib.contextmanager
def _up_lock(paths: SandboxPaths, timeout_s: float = 120.0) -> Iterator[None]:
    for folder in (paths.home, paths.daemon_dir):  # private from the start (see SandboxPaths.ensure)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(paths.daemon_dir / "up.lock", os.O_RDWR | os.O_CREAT, 0o600)

    def locked() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        if not poll_until(locked, timeout_s, interval_s=0.05):
            raise TargetError(
                "another `apexops sandbox up` for this sandbox is still running.",
                hint="wait for it, or run `apexops sandbox down` and retry.",
            )
        yield
    finally:
        os.close(fd)


def _up_locked(
    settings: Settings, paths: SandboxPaths, options: DaemonOptions | None, wait_s: float | None
) -> SandboxStatus:
    if probe(settings).running:
        return status(settings)
    port = settings.sandbox_ingress_port()
    _check_port_free(port)
    azurite.ensure_installed()  # Blob Storage: npm installs the pinned Azurite once; no Node.js -> one line
    paths.ensure()
    azurite.spawn(paths.home)  # first: its ~0.5 s start overlaps the migration; the daemon takes it over
    try:
        return _start_daemon(settings, paths, port, options, wait_s)
    except BaseException:
        if not probe(settings).running:  # nothing half-started (a running daemon keeps its Azurite)
            azurite.stop(paths.home)
        raise


def _start_daemon(
    settings: Settings, paths: SandboxPaths, port: int, options: DaemonOptions | None, wait_s: float | None
) -> SandboxStatus:
    db_url = settings.sandbox_database_url()
    if not paths.state.exists():
        _migrate_baseline(settings, db_url)
    if not paths.control_token.exists():
        fd = os.open(paths.control_token, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    opts = options or DaemonOptions()
    write_json(
        paths.settings_snapshot,
        {
            "settings": settings.model_dump(mode="json"),
            "resolved": {
                "home": str(paths.home),
                "ingress_port": port,
                "database_url": db_url,
                "audience": settings.api_audience,
            },
            "options": {k: getattr(opts, k) for k in opts.__dataclass_fields__},
        },
    )
    paths.startup_error.unlink(missing_ok=True)
    paths.daemon_info.unlink(missing_ok=True)
    log = os.fdopen(os.open(paths.daemon_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "apexops.sandbox.daemon", "--home", str(paths.home)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
            cwd=str(paths.home),
        )
    finally:
        log.close()
    _CHILDREN[paths.home] = proc
    started = poll_until(lambda: _started(paths, proc), 30, until=lambda s: s is not None, interval_s=0.02)
    if started.value is None:
        _terminate(proc.pid, proc)
        raise TargetError("the sandbox daemon did not start within 30 s.", hint=f"see {paths.daemon_log}.")
    if not started.value:
        _CHILDREN.pop(paths.home, None)
        why = (
            paths.startup_error.read_text().strip()
            if paths.startup_error.exists()
            else (f"the daemon exited with code {proc.returncode}; see {paths.daemon_log}")
        )
        message, _, hint = why.partition(" HINT: ")
        cls = ConflictError if "in use" in message or "already runs" in message else TargetError
        raise cls(message, hint=hint or f"see {paths.daemon_log}.")
    _wait_settled(
        settings,
        wait_s if wait_s is not None else (opts.provision_timeout_s or settings.app.health_timeout_s) + 5,
    )
    return status(settings)


def _started(paths: SandboxPaths, proc: subprocess.Popen) -> bool | None:
    """True once the daemon wrote daemon.json, False when it exited first, None while it starts."""
    info = read_json(paths.daemon_info)
    if info and info.get("pid") == proc.pid:
        return True
    return None if proc.poll() is None else False


def _wait_settled(settings: Settings, timeout_s: float) -> None:
    """Wait until every revision that receives traffic has finished provisioning."""

    def settled() -> bool:
        serving = [r for r in client.call("list_revisions") if r["traffic_weight"] > 0 and r["active"]]
        return all(
            r["provisioning_state"] != "Provisioning" and r["running_state"] != "Processing" for r in serving
        )

    client = ControlClient(_paths(settings).home)
    try:
        poll_until(settled, timeout_s, interval_s=0.03)
    finally:
        client.close()


def status(settings: Settings) -> SandboxStatus:
    """The daemon's view when it runs, else the state file's; with a warning for an orphaned split."""
    paths = _paths(settings)
    p = probe(settings)
    common = {
        "home": paths.home,
        "app_name": settings.app.name,
        "database": _safe_db(settings.sandbox_database_url()),
        "detail": p.detail,
    }
    st = _status(settings, paths, p, common)
    return replace(st, warning=split_warning(st.revisions, env=settings.environment, app=settings.app.name))


def _status(
    settings: Settings, paths: SandboxPaths, p: SandboxProbe, common: dict[str, Any]
) -> SandboxStatus:
    if p.running:
        client = ControlClient(paths.home)
        try:
            st = client.call("status")
        except TargetUnavailableError:
            st = None
        finally:
            client.close()
        if st is not None:
            return SandboxStatus(
                running=True,
                url=st["ingress_url"],
                revisions=tuple(revision_from_dict(r) for r in st["revisions"]),
                traffic=tuple(traffic_from_dicts((st["app"] or {}).get("traffic", []))),
                pid=st["pid"],
                replica_pids=tuple(st["replica_pids"]),
                helper_pids=tuple(st.get("helper_pids", [])),
                blob_endpoint=st.get("blob_endpoint"),
                started=datetime.fromtimestamp(st["started"], UTC),
                replicas_ready={r["name"]: r["ready_replicas"] for r in st["revisions"]},
                restarts={r["name"]: r["restarts"] for r in st["revisions"]},
                **common,
            )
    revisions: tuple[Revision, ...] = ()
    traffic: tuple[TrafficWeight, ...] = ()
    if paths.state.exists():
        cp = ControlPlane(
            paths.state,
            app_name=settings.app.name,
            resource_group=settings.azure.resource_group,
            resolve_image=lambda image: image,
        )
        revisions = tuple(revision_from_dict({**r, "url": "", "fqdn": ""}) for r in cp.list_revisions())
        traffic = tuple(traffic_from_dicts(cp.get_traffic()))
    return SandboxStatus(running=False, url=None, revisions=revisions, traffic=traffic, **common)


def _terminate(pid: int, proc: subprocess.Popen | None, timeout_s: float = 10.0) -> None:
    """SIGTERM the daemon, then SIGKILL its whole process group (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    poll_until(
        lambda: not alive(pid) or (proc is not None and proc.poll() is not None), timeout_s, interval_s=0.02
    )
    if alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


def down(settings: Settings, *, timeout_s: float = 10.0) -> list[int]:
    """Stop the daemon and all replicas; returns the pids that were stopped (all verified gone)."""
    paths = _paths(settings)
    info = read_json(paths.daemon_info) or {}
    pid = info.get("pid")
    if not pid and paths.pid_file.exists():
        with contextlib.suppress(ValueError):
            pid = int(paths.pid_file.read_text().strip())
    proc = _CHILDREN.pop(paths.home, None)
    if not alive(pid):
        if proc is not None:
            proc.poll()
        paths.daemon_info.unlink(missing_ok=True)
        azurite.stop(paths.home)  # left by a daemon that died where the kernel cannot tie lifetimes
        return []
    replica_pids: list[int] = []
    with contextlib.suppress(TargetError):
        client = ControlClient(paths.home, timeout_s=5)
        st = client.call("status")
        replica_pids = [*st["replica_pids"], *st.get("helper_pids", [])]
        client.close()
    _terminate(pid, proc if proc is not None and proc.pid == pid else None, timeout_s)
    poll_until(lambda: not any(alive(p) for p in replica_pids), 5, interval_s=0.02)
    for p in replica_pids:  # belt and braces: the kernel kills them with the daemon (see _boot)
        if alive(p):
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
    azurite.stop(paths.home)  # the daemon stopped it; this verifies (and stops one that was left)
    paths.daemon_info.unlink(missing_ok=True)
    return [pid, *replica_pids]


def reset(settings: Settings, *, start: bool = True, options: DaemonOptions | None = None) -> SandboxStatus:
    """Back to a fresh baseline: stop, wipe the home folder (the identity key stays), and `up` again."""
    paths = _paths(settings)
    down(settings)
    db_url = settings.sandbox_database_url()
    if paths.home.exists():
        for child in (c for c in paths.home.iterdir() if c.name != "identity"):
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    if not db_url.startswith("sqlite:///") or not Path(
        db_url.removeprefix("sqlite:///")
    ).resolve().is_relative_to(paths.home):
        _downgrade_external(db_url)
    return up(settings, options=options) if start else status(settings)


def _downgrade_external(url: str) -> None:
    """A database outside the home folder is reset through Alembic (to base), not by deleting files."""
    from alembic import command  # lazily, see _alembic

    command.downgrade(_alembic(url), "base")
