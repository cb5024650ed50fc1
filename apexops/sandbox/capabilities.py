"""The sandbox's optional capabilities: apexops starts it (`Lifecycle`) and it takes synthetic users
(`SyntheticLoad`), the two things Azure has no equivalent of. Both contact nothing when built."""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

from apexops.ports import Reachability
from apexops.settings import Settings

if TYPE_CHECKING:
    from apexops.sandbox.loadgen import LoadGenerator

__all__ = ["START_COMMAND", "SandboxLifecycle", "SandboxSyntheticLoad", "start_blocker"]

START_COMMAND = "apexops sandbox up"


def start_blocker(settings: Settings) -> tuple[str, str] | None:
    """Why the sandbox could not start now (its ingress port taken, its folder not writable), with the fix."""
    port = settings.sandbox_ingress_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return (
                f"port {port} is in use by another program",
                "free it, or set APEXOPS_SANDBOX_PORT / sandbox.ingress_port in parameters/local.yaml",
            )
    home = settings.sandbox_home()
    existing = next((p for p in [home, *home.parents] if p.exists()), None)
    if existing is None or not os.access(existing, os.W_OK):
        return (f"{home} is not writable", "set APEXOPS_SANDBOX_HOME to a writable folder")
    return None


class SandboxLifecycle:
    """`apexops sandbox up | status` seen from a procedure: is it running, could it start?"""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def reachability(self) -> Reachability:
        from apexops.sandbox import lifecycle  # the daemon's modules load only when asked

        probe = lifecycle.probe(self._settings)
        if probe.running:
            return Reachability(True, probe.detail, start=START_COMMAND)
        reason, fix = start_blocker(self._settings) or ("", "")
        return Reachability(False, probe.detail, blocker=reason, fix=fix, start=START_COMMAND)


class SandboxSyntheticLoad:
    """The load generator aimed at the sandbox ingress, with a sandbox token (loopback only, bounded)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def ensure_available(self) -> None:
        return None

    def start(self, rate: float, duration_s: float, *, seed: int | None = None) -> LoadGenerator:
        from apexops.sandbox import loadgen  # httpx/asyncio machinery, only for a canary with load

        return loadgen.for_sandbox(self._settings, rate=rate, duration_s=duration_s, seed=seed).start()
