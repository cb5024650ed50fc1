"""Real browsers for the tests: Debian's Chromium driven by Playwright, and real JupyterLab servers to open.

A pytest plugin (`pytest_plugins` in tests/conftest.py), so any test folder can use these fixtures.

Chromium comes from the machine (`apt-get install chromium`, done by `scripts/setup`); Playwright never
downloads a browser here, it is pointed at the executable. The flags are the ones this machine's closed
network needs (without the background-networking ones Chromium keeps dialling Google's hosts).

Fixtures:
- `browser`: one Chromium per test module, closed after it (no process is left behind).
- `page`: a fresh 1280x900 page; `page.problems` collects console errors and uncaught page errors.
- `lab_server(root_dir, env=...)`: a JupyterLab server on a free loopback port serving `root_dir`, with the
  given extra environment (sandbox home and port, outputs); `.url(path)` opens a notebook with the token.
- `artifacts`: the folder where screenshots are kept for the reviewer (`test-artifacts/` at the project
  root, or `$APEXOPS_TEST_ARTIFACTS`); CI publishes it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI machines run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
_RUN_VARS = ("APEXOPS_RUN_ID", "APEXOPS_RUN_DIR", "APEXOPS_HEADLESS", "APEXOPS_PROCEDURE", "APEXOPS_ENV",
             "APEXOPS_PARENT_RUN", "APEXOPS_NOTEBOOKS")  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `bash scripts/setup` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page 1280 px wide; console errors and uncaught exceptions land in `page.problems`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    new_page = context.new_page()
    problems: list[str] = []
    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text}")

    new_page.on("console", on_console)
    new_page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    new_page.problems = problems
    try:
        yield new_page
    finally:
        context.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Where this test keeps screenshots for the reviewer (kept after the run; CI publishes the folder)."""
    base = Path(os.environ.get("APEXOPS_TEST_ARTIFACTS") or ROOT / "test-artifacts")
    folder = base / request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class LabServer:
    """One running JupyterLab server (its process group is stopped by the fixture)."""

    port: int
    token: str
    root_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    client: httpx.Client = field(repr=False)

    def url(self, path: str = "") -> str:
        """The browser address of `path` (a notebook relative to root_dir) with the token."""
        where = f"lab/tree/{path}" if path else "lab"
        return f"http://127.0.0.1:{self.port}/{where}?token={self.token}"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


@pytest.fixture
def lab_server(tmp_path: Path) -> Iterator[Callable[..., LabServer]]:
    """Start JupyterLab servers: `lab_server(root_dir, env={...})`; every one is stopped with its kernels."""
    started: list[tuple[LabServer, Any]] = []

    def start(root_dir: Path, env: dict[str, str] | None = None) -> LabServer:
        port, token = free_port(), secrets.token_hex(16)
        n = len(started)
        full_env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(tmp_path / f"lab{n}-runtime"),
            "JUPYTER_CONFIG_DIR": str(tmp_path / f"lab{n}-config"),
            "JUPYTER_DATA_DIR": str(tmp_path / f"lab{n}-data"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / f"lab{n}-workspaces"),
            **(env or {}),
        }
        for var in _RUN_VARS:
            full_env.pop(var, None)
        # no "get notified about official Jupyter news?" toast over the page (and no request for news)
        settings = tmp_path / f"lab{n}-settings"
        notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notification.parent.mkdir(parents=True, exist_ok=True)
        notification.write_text('{"fetchNews": "false", "checkForUpdates": false}')
        full_env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
        # the venv's own share/jupyter (labextensions: plotly, widgets) stays on the data path
        full_env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}", "--allow-root",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--ServerApp.disable_check_xsrf=True"]  # fmt: skip
        log_path = tmp_path / f"lab{n}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            cmd, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"token {token}"},
            timeout=20,
            trust_env=False,
        )
        server = LabServer(port, token, root_dir, process, log_path, client)
        started.append((server, log))
        deadline = time.monotonic() + 90
        while True:
            try:
                if client.get("/api/status").status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{server.log_tail()}")
            time.sleep(0.2)

    try:
        yield start
    finally:
        for server, log in started:
            server.client.close()
            if server.process.poll() is None:
                os.killpg(server.process.pid, signal.SIGTERM)  # the server shuts its kernels down
                try:
                    server.process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(server.process.pid, signal.SIGKILL)
                    server.process.wait(10)
            log.close()


# --------------------------------------------------------------------------- driving a JupyterLab page

#: the status bar says "Python 3 (ipykernel) | Idle" once the kernel is connected and has nothing queued
KERNEL_IDLE_JS = """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
    .some(e => /\\(ipykernel\\) \\| Idle$/.test(e.textContent.trim()))"""


def wait_idle(page: Any, timeout_s: float, *, what: str = "the kernel is still busy") -> None:
    """Until the kernel is connected and has stayed idle for a second (a starting kernel goes idle, busy,
    idle again, and queued cells run back to back: keys pressed before that are lost)."""
    deadline, idle_since = time.monotonic() + timeout_s, None
    while True:
        now = time.monotonic()
        if page.evaluate(KERNEL_IDLE_JS):
            idle_since = idle_since or now
            if now - idle_since >= 1.0:
                return
        else:
            idle_since = None
        assert now < deadline, what
        page.wait_for_timeout(100)


def open_notebook(page: Any, url: str) -> None:
    """Open a notebook in JupyterLab and wait until its kernel is ready for keys."""
    page.goto(url)
    wait_idle(page, 90, what="the notebook's kernel did not start")


def menu(page: Any, name: str, item: str) -> None:
    """Click a menu item as the operator does (e.g. Run > Run All Cells)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=name).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()
