"""The sandbox's one folder: where each piece of state lives, and JSON files written atomically.

Everything the sandbox knows survives a restart of the CLI or of the daemon because it lives in files under
one home folder; a crash mid-write must never leave a torn file, so every write goes to a temporary file in
the same folder, is fsynced, then renamed over the old one (rename is atomic on POSIX).
"""

from __future__ import annotations

import contextlib
import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexops import atomic

__all__ = ["SandboxPaths", "read_json", "write_json"]


@dataclass(frozen=True)
class SandboxPaths:
    """The layout of a sandbox home folder."""

    home: Path

    @property
    def state(self) -> Path:
        """Control-plane state: the app, its revisions and the traffic list."""
        return self.home / "state.json"

    @property
    def settings_snapshot(self) -> Path:
        """The settings the daemon was started with (so overrides reach the daemon process)."""
        return self.home / "daemon" / "settings.json"

    @property
    def daemon_dir(self) -> Path:
        return self.home / "daemon"

    @property
    def daemon_info(self) -> Path:
        """Written by the daemon once it listens: pid, control port, ingress port, start time."""
        return self.home / "daemon" / "daemon.json"

    @property
    def pid_file(self) -> Path:
        return self.home / "daemon" / "daemon.pid"

    @property
    def lock_file(self) -> Path:
        return self.home / "daemon" / "daemon.lock"

    @property
    def control_token(self) -> Path:
        """Shared secret for the loopback control API (mode 0600)."""
        return self.home / "daemon" / "control.token"

    @property
    def startup_error(self) -> Path:
        """One line written by a daemon that could not start (e.g. port in use)."""
        return self.home / "daemon" / "startup-error.txt"

    @property
    def daemon_log(self) -> Path:
        return self.home / "daemon" / "daemon.log"

    @property
    def telemetry_db(self) -> Path:
        return self.home / "telemetry.db"

    @property
    def deployments(self) -> Path:
        """Resource-group inventory and deployment history."""
        return self.home / "deployments.json"

    @property
    def azurite(self) -> Path:
        """The Blob Storage's data (Azurite's workspace), its log and its state file (pid, URL; no key)."""
        return self.home / "azurite"

    @property
    def replicas_dir(self) -> Path:
        """Working folders of replica processes."""
        return self.home / "replicas"

    def ensure(self) -> SandboxPaths:
        """Create the folders, private to the user (0700), and make what an older sandbox left private too.

        The home holds the database, telemetry (request paths, logs), the signing key and the control
        token: nobody else on the machine may read them. New files are 0600 because the daemon runs with
        umask 077 and `up` creates its own files with explicit modes; this also tightens a home created by
        a version that left them 0644 (the top two levels: Azurite's data and replica folders sit under 0700
        folders).
        """
        for folder in (self.home, self.daemon_dir, self.azurite, self.replicas_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for entry in [self.home, *self.home.iterdir(), *self.daemon_dir.iterdir()]:
            with contextlib.suppress(FileNotFoundError):  # a temporary file renamed meanwhile
                mode = entry.lstat().st_mode
                if not stat.S_ISLNK(mode) and mode & 0o077:
                    entry.chmod(stat.S_IMODE(mode) & 0o700)  # keep the owner's bits, drop the others'
        return self


def write_json(path: Path, data: Any, *, mode: int = 0o600) -> None:
    """Write JSON atomically (`apexops.atomic`: temp file in the same folder, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, json.dumps(data, indent=1, sort_keys=True, default=str), mode=mode)


def read_json(path: Path, default: Any = None) -> Any:
    """Read a JSON file; `default` when it does not exist."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return default
