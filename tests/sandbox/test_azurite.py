"""Azurite as the sandbox's Blob Storage: installed where the project keeps its tools, one clear line
without Node.js, started on a free port, and never left running (stop, owner gone, `sandbox up`/`down`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from apexops.errors import ConfigError
from apexops.processes import alive
from apexops.sandbox import azurite
from apexops.sandbox.supervisor import free_port

pytestmark = pytest.mark.sandbox


def _wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def test_without_node_ensure_installed_is_one_line_saying_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv(azurite.TOOLS_ENV, str(tmp_path / "tools"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(ConfigError) as err:
        azurite.ensure_installed()
    text = str(err.value)
    assert "\n" not in text and "Node.js" in text and "Node.js 20" in err.value.hint
    assert not (tmp_path / "tools").exists()  # nothing was changed


def test_sandbox_up_without_node_exits_2_with_one_line_and_starts_nothing(tmp_path):
    home = tmp_path / "home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("APEXOPS_")},
        "PATH": str(tmp_path / "empty-bin"),
        "APEXOPS_SANDBOX_HOME": str(home),
        "APEXOPS_SANDBOX_PORT": str(free_port()),
        azurite.TOOLS_ENV: str(tmp_path / "tools"),
    }
    done = subprocess.run([sys.executable, "-m", "apexops.sandbox.cli", "up"], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Node.js" in lines[0] and "HINT:" in lines[0], done.stderr
    assert not (home / "daemon" / "daemon.json").exists() and not (home / "state.json").exists()


def test_the_pinned_version_is_what_counts_as_installed(tmp_path, monkeypatch):
    tools = tmp_path / "tools"
    monkeypatch.setenv(azurite.TOOLS_ENV, str(tools))
    assert azurite.tools_dir() == tools.resolve()
    package = tools / "node_modules" / "azurite"
    (package / "dist" / "src" / "blob").mkdir(parents=True)
    (package / "dist" / "src" / "blob" / "main.js").write_text("")
    (package / "package.json").write_text(json.dumps({"version": "3.0.0"}))
    assert azurite._installed(tools) is None  # another version: npm installs the pinned one
    (package / "package.json").write_text(json.dumps({"version": azurite.AZURITE_VERSION}))
    assert azurite._installed(tools) == package / "dist" / "src" / "blob" / "main.js"
    monkeypatch.delenv(azurite.TOOLS_ENV)
    assert azurite.tools_dir() == azurite.project_dir() / ".tools"


@pytest.mark.skipif(not os.environ.get("APEXOPS_TEST_NPM_INSTALL"),
                    reason="downloads Azurite with npm (~20 s); set APEXOPS_TEST_NPM_INSTALL=1")  # fmt: skip
def test_a_missing_azurite_is_installed_with_npm_into_the_tools_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(azurite.TOOLS_ENV, str(tmp_path / "tools"))
    script = azurite.ensure_installed()
    assert script.is_file() and script.is_relative_to(tmp_path / "tools")
    assert azurite.ensure_installed() == script  # found, not installed again
    home = tmp_path / "home"
    try:
        assert azurite.start(home).service_client().get_account_information()
    finally:
        azurite.stop(home)


def test_start_is_idempotent_and_stop_leaves_no_process(tmp_path):
    home = tmp_path / "home"
    ep = azurite.start(home)
    try:
        assert ep.account_url.startswith("http://127.0.0.1:") and ep.account_url.endswith("/devstoreaccount1")
        assert azurite.start(home) == ep and azurite.endpoint(home) == ep
        assert (home / "azurite").stat().st_mode & 0o077 == 0
        assert (home / "azurite" / "azurite.json").stat().st_mode & 0o077 == 0
        client = ep.service_client()
        client.create_container("docs").upload_blob("a/b.txt", b"hello")
        assert client.get_blob_client("docs", "a/b.txt").download_blob().readall() == b"hello"
    finally:
        azurite.stop(home)
    assert _wait_gone(ep.pid, 0.1) and azurite.endpoint(home) is None
    azurite.stop(home)  # idempotent
    # data survives a restart on another port (it lives under home/azurite)
    again = azurite.start(home)
    try:
        assert again.service_client().get_blob_client("docs", "a/b.txt").download_blob().readall() == b"hello"
    finally:
        azurite.stop(home)


def test_azurite_exits_when_its_owner_dies_even_by_sigkill(tmp_path):
    home = tmp_path / "home"
    owner = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from apexops.sandbox import azurite; "
         "print(azurite.start(Path(sys.argv[1])).pid, flush=True); time.sleep(600)", str(home)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        pid = int(owner.stdout.readline())
        assert alive(pid)
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(10)
        assert _wait_gone(pid, 10), "Azurite outlived its owner"
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait(10)
        azurite.stop(home)


def test_hand_over_ties_azurite_to_another_process(tmp_path):
    home = tmp_path / "home"
    ep = azurite.start(home)
    heir = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        azurite.hand_over(home, heir.pid)
        time.sleep(0.6)
        assert alive(ep.pid)  # the heir lives
        heir.kill()
        heir.wait(10)
        assert _wait_gone(ep.pid, 10), "Azurite outlived the process it was handed over to"
    finally:
        if heir.poll() is None:
            heir.kill()
            heir.wait(10)
        azurite.stop(home)
