"""JupyterLab as an on-call engineer uses it: the real server, a kernel started for a procedure notebook,
and the approval gate driven the way the browser drives it (widget messages over the kernel websocket).

No browser here, so the frontend's part is played by the Jupyter messaging protocol: typing into the text box
is a widget `update` of its value, clicking Approve is the button's `click` event. What the kernel does with
them is the real code path.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from foundation_helpers import free_port

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PHRASE = "SHIFT TRAFFIC TO apex-backend-local--v1-2-3 IN local"


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a free loopback port, serving the procedures; stopped with all its kernels."""
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "APEXOPS_OUTPUTS": str(tmp_path / "outputs"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
    }
    for var in ("APEXOPS_RUN_ID", "APEXOPS_RUN_DIR", "APEXOPS_HEADLESS", "APEXOPS_PROCEDURE", "APEXOPS_ENV"):
        env.pop(var, None)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={NOTEBOOKS}",
           "--allow-root"]  # fmt: skip  (CI machines often run as root)
    log = (tmp_path / "lab.log").open("wb")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"token {token}"}
    client = httpx.Client(base_url=base, headers=auth, timeout=20, trust_env=False)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/api/status").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (tmp_path / "lab.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "JupyterLab did not start"
            time.sleep(0.2)
        yield {"client": client, "port": port, "token": token, "outputs": tmp_path / "outputs"}
    finally:
        client.close()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)
        log.close()


class KernelChannel:
    """The browser's side of one kernel connection: execute requests and widget messages."""

    def __init__(self, port: int, token: str, kernel_id: str) -> None:
        import websocket

        url = f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={token}"
        self.ws = websocket.create_connection(url, timeout=60)
        self.session = uuid.uuid4().hex
        self.models: dict[str, dict] = {}  # comm id -> widget state, from the kernel's comm_open messages

    def _send(self, msg_type: str, content: dict, channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": msg_type, "username": "on-call", "session": self.session,
                  "date": "", "version": "5.3"}  # fmt: skip
        msg = {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": channel}
        self.ws.send(json.dumps(msg))
        return msg_id

    def execute(self, code: str) -> tuple[dict, list[dict]]:
        """Run `code`; returns the execute_reply content and the outputs (iopub) of that request."""
        msg_id = self._send("execute_request", {"code": code, "silent": False, "store_history": True,
                                                "user_expressions": {}, "allow_stdin": False})  # fmt: skip
        return self._until_idle(msg_id)

    def widget_update(self, comm_id: str, **state) -> None:
        data = {"method": "update", "state": state, "buffer_paths": []}
        self._until_idle(self._send("comm_msg", {"comm_id": comm_id, "data": data}), reply_expected=False)

    def widget_click(self, comm_id: str) -> None:
        data = {"method": "custom", "content": {"event": "click"}}
        self._until_idle(self._send("comm_msg", {"comm_id": comm_id, "data": data}), reply_expected=False)

    def model(self, name: str) -> str:
        """The comm id of the one widget model of that class, e.g. TextModel."""
        found = [cid for cid, state in self.models.items() if state.get("_model_name") == name]
        assert len(found) == 1, {c: s.get("_model_name") for c, s in self.models.items()}
        return found[0]

    def _until_idle(self, msg_id: str, *, reply_expected: bool = True) -> tuple[dict, list[dict]]:
        """Messages of one request until the kernel is idle again (and its shell reply, when it sends one:
        a comm message gets none)."""
        reply: dict | None = None if reply_expected else {}
        outputs: list[dict] = []
        idle = False
        deadline = time.monotonic() + 60
        while reply is None or not idle:
            assert time.monotonic() < deadline, "the kernel did not answer"
            msg = json.loads(self.ws.recv())
            kind = msg["header"]["msg_type"]
            if kind == "comm_open" and msg["content"].get("target_name") == "jupyter.widget":
                self.models[msg["content"]["comm_id"]] = msg["content"]["data"]["state"]
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if kind == "execute_reply":
                reply = msg["content"]
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif kind in ("display_data", "execute_result", "stream", "error"):
                outputs.append(msg["content"])
        return reply, outputs

    def close(self) -> None:
        self.ws.close()


def test_the_lab_serves_the_procedures_and_the_gate_approves_only_the_typed_phrase(lab):
    client = lab["client"]
    assert "JupyterLab" in client.get("/lab").text
    listed = {item["name"] for item in client.get("/api/contents/").json()["content"]}
    assert {"50-traffic-shifting.ipynb", "60-rollback.ipynb", "90-release.ipynb"} <= listed

    session = client.post(
        "/api/sessions",
        json={"path": "50-traffic-shifting.ipynb", "type": "notebook", "kernel": {"name": "python3"}},
    ).json()
    kernel = KernelChannel(lab["port"], lab["token"], session["kernel"]["id"])
    try:
        reply, outputs = kernel.execute(
            "from apexops import gates\n"
            f"gate = gates.require_approval({PHRASE!r}, approval='', dry_run=False)"
        )
        assert reply["status"] == "ok"
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)

        reply, _ = kernel.execute("gate.check()")  # the cell after the gate: Run All stops here
        assert reply["status"] == "error" and reply["ename"] == "ApprovalRequired"

        text, button = kernel.model("TextModel"), kernel.model("ButtonModel")
        kernel.widget_update(text, value=PHRASE.replace("v1-2-3", "v1-2-4"))  # another change's phrase
        kernel.widget_click(button)
        reply, _ = kernel.execute("gate.check()")
        assert reply["status"] == "error" and reply["ename"] == "ApprovalRequired"

        kernel.widget_update(text, value=PHRASE)
        kernel.widget_click(button)
        reply, outputs = kernel.execute(
            "import apexops, json\nfrom apexops.kernel import facts\n"
            "assert gate.check()\n"
            "ctx = apexops.run_context()\n"
            "seen = {'procedure': ctx.procedure, 'dir': str(ctx.run_dir), 'facts': facts()}\n"
            "print(json.dumps(seen, default=str))"
        )
        assert reply["status"] == "ok", reply
        seen = json.loads("".join(o.get("text", "") for o in outputs))
    finally:
        kernel.close()
        client.delete(f"/api/sessions/{session['id']}")

    # an interactive session keeps its own record, named after the notebook it serves, outside the ledger
    assert seen["procedure"] == "50-traffic-shifting"
    assert Path(seen["dir"]).parent == lab["outputs"] / "interactive"
    [approval] = seen["facts"]["approvals"]
    assert approval["phrase"] == PHRASE and approval["via"] == "widget" and approval["by"]
    assert not (lab["outputs"] / "ledger.jsonl").exists()
