"""Helpers shared by the foundation tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "notebooks"
SECRET = "Sup3r-S3cret-Pa55word!x"  # printed by 06-leaks from $APEX_TEST_DB_PASSWORD
OPAQUE = "opaque-value-7f3a9c2e1b"  # behind a reference whose NAME does not look secret
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{20,}")
_RUN_VARS = ("APEXOPS_RUN_ID", "APEXOPS_RUN_DIR", "APEXOPS_PROCEDURE", "APEXOPS_ENV", "APEXOPS_HEADLESS",
             "APEXOPS_PARENT_RUN", "APEXOPS_NOTEBOOKS")  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolate(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Outputs, sandbox home/port and operator of this test only; no run context leaking in."""
    for var in _RUN_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("APEXOPS_OUTPUTS", str(root / "outputs"))
    monkeypatch.setenv("APEXOPS_SANDBOX_HOME", str(root / "sandbox-home"))
    monkeypatch.setenv("APEXOPS_SANDBOX_PORT", str(free_port()))
    monkeypatch.setenv("APEXOPS_OPERATOR", "test-operator")


def kernel_children() -> list[int]:
    """Kernel processes started by this test process that are still alive (they must never be)."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        ppid = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")), 0)
        state = next((line.split()[1] for line in status.splitlines() if line.startswith("State:")), "")
        if ppid == me and b"ipykernel" in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def kernels_of(run_id: str) -> list[int]:
    """Live processes started for this run (its kernel carries APEXOPS_RUN_ID in its environment)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"APEXOPS_RUN_ID={run_id}".encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
