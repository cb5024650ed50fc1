"""The daemon's loopback control API: `POST /v1/<call>` with JSON keyword arguments, JSON result.

Every mutation of the sandbox goes through here (the adapters, the CLI and tests call it through
`apexops.sandbox.client.ControlClient`). Requests must carry the token from `<home>/daemon/control.token`
(mode 0600), so only the user who started the sandbox can drive it. Errors travel as
`{"error": {"type", "message", "hint"}}` with the `apexops.errors` class name, and the client re-raises the
same class. A daemon bug answers 500 with a TargetError and keeps serving.

Calls (keyword arguments -> result):
    ping() status() show() list_revisions() get_revision(name) update(change) get_traffic()
    set_traffic(weights) activate_revision(name) deactivate_revision(name) restart_revision(name)
    restart_app() scale_revision(name, min_replicas, max_replicas=None) list_replicas(revision)
    kill_replica(revision, replica=None, signal_name="SIGKILL")
    exec(revision, command, timeout_s=30, replica=None)
    flush_telemetry() shutdown() deploy_validate(template, parameters, name) deploy_what_if(..., mode)
    deploy_start(..., mode) deploy_get(name) deploy_cancel(name) list_resources()
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import inspect
import json
import os
import signal
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apexops.errors import (
    ApexopsError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    TargetError,
)

if TYPE_CHECKING:
    from apexops.sandbox.controlplane import ControlPlane, RevisionRecord
    from apexops.sandbox.deployments import ResourceGroup
    from apexops.sandbox.state import SandboxPaths
    from apexops.sandbox.supervisor import Supervisor
    from apexops.sandbox.telemetry import TelemetryWriter

__all__ = ["TOKEN_HEADER", "ControlAPI"]

TOKEN_HEADER = b"x-sandbox-token"
_STATUS_FOR = {NotFoundError: 404, ConflictError: 409, AuthenticationError: 401}
#: calls answered by the control plane or the resource group as they are: call -> (attribute, method)
_DELEGATED = {
    "show": ("control", "show"),
    "list_revisions": ("control", "list_revisions"),
    "get_revision": ("control", "get_revision"),
    "get_traffic": ("control", "get_traffic"),
    "set_traffic": ("control", "set_traffic"),
    "restart_app": ("control", "restart_app"),
    "scale_revision": ("control", "scale"),
    "deploy_validate": ("resources", "validate"),
    "deploy_what_if": ("resources", "what_if"),
    "deploy_start": ("resources", "start"),
    "deploy_get": ("resources", "get"),
    "deploy_cancel": ("resources", "cancel"),
    "list_resources": ("resources", "list_resources"),
}


class ControlAPI:
    """The API handlers, mixed into the daemon (which provides the attributes declared here)."""

    paths: SandboxPaths
    token: str
    control: ControlPlane
    supervisor: Supervisor
    telemetry: TelemetryWriter
    resources: ResourceGroup
    ingress_url: str
    started: float
    control_port: int
    resolved: dict[str, Any]
    _stop: asyncio.Event
    _execs: set[int]

    def _env_for(self, rev: RevisionRecord, replica: str) -> dict[str, str]:
        raise NotImplementedError

    async def _sync_listeners(self) -> None:
        raise NotImplementedError

    async def _control_conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head[:-4].split(b"\r\n")
                _method, target, _ = lines[0].split(b" ", 2)
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(b":")
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
                status, payload = await self._dispatch(target.decode(), headers, body)
                data = json.dumps(payload, default=str).encode()
                writer.write(
                    b"HTTP/1.1 %d X\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
                    % (status, len(data))
                    + data
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _dispatch(self, target: str, headers: dict[bytes, bytes], body: bytes) -> tuple[int, Any]:
        def error(status: int, exc: ApexopsError) -> tuple[int, Any]:
            return status, {"error": {"type": type(exc).__name__, "message": exc.message, "hint": exc.hint}}

        if not hmac.compare_digest(headers.get(TOKEN_HEADER, b""), self.token.encode()):
            return error(
                401,
                AuthenticationError(
                    "the control API token is missing or wrong.",
                    hint="use the token in <home>/daemon/control.token.",
                ),
            )
        name = target.removeprefix("/v1/")
        handler: Callable[..., Any] | None = getattr(self, f"api_{name}", None)
        if handler is None and name in _DELEGATED:
            owner, method = _DELEGATED[name]
            handler = getattr(getattr(self, owner), method)
        if handler is None:
            return error(404, InvalidRequestError(f"unknown control API call {name!r}."))
        try:
            result = handler(**json.loads(body or b"{}"))
            return 200, {"result": await result if inspect.isawaitable(result) else result}
        except ApexopsError as exc:
            status = next((code for cls, code in _STATUS_FOR.items() if isinstance(exc, cls)), 400)
            return error(status, exc)
        except TypeError as exc:
            return error(400, InvalidRequestError(f"bad arguments for {name}: {exc}."))
        except Exception as exc:  # a daemon bug: keep serving, report it, log the traceback
            traceback.print_exc()
            return error(
                500,
                TargetError(
                    f"the sandbox daemon failed on {name}: {type(exc).__name__}: {exc}",
                    hint=f"see {self.paths.daemon_log}.",
                ),
            )

    async def api_ping(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "ingress_url": self.ingress_url,
            "started": self.started,
            "control_port": self.control_port,
            "audience": self.resolved["audience"],
            "database_url_set": bool(self.resolved["database_url"]),
        }

    async def api_status(self) -> dict[str, Any]:
        app = self.control.show() if self.control.exists else None
        return {
            **await self.api_ping(),
            "app": app,
            "revisions": self.control.list_revisions(),
            "replica_pids": self.supervisor.all_pids(),
            "helper_pids": [p for p in [self.supervisor.zygote.pid if self.supervisor.zygote else None] if p],
        }

    async def api_update(self, change: dict[str, Any]) -> dict[str, Any]:
        self.control.update(change)
        await self._sync_listeners()
        return self.control.show()

    async def api_activate_revision(self, name: str) -> dict[str, Any]:
        self.control.activate(name)
        return self.control.get_revision(name)

    async def api_deactivate_revision(self, name: str) -> dict[str, Any]:
        self.control.deactivate(name)
        return self.control.get_revision(name)

    async def api_restart_revision(self, name: str) -> dict[str, Any]:
        self.control.restart_revision(name)
        return self.control.get_revision(name)

    async def api_list_replicas(self, revision: str) -> list[dict[str, Any]]:
        return self.control.replicas(revision)

    async def api_kill_replica(
        self, revision: str, replica: str | None = None, signal_name: str = "SIGKILL"
    ) -> Any:
        """Simulate a container crash (rehearsals, tests): signal one replica's process."""
        reps = [r for r in self.control.replicas(revision) if r["pid"] and (replica in (None, r["name"]))]
        if not reps:
            raise ConflictError(
                f"revision {revision} has no running replica{' ' + replica if replica else ''}.",
                hint="check list_replicas().",
            )
        os.kill(reps[0]["pid"], getattr(signal, signal_name))
        return {"replica": reps[0]["name"], "pid": reps[0]["pid"]}

    async def api_exec(
        self, revision: str, command: list[str], timeout_s: float = 30.0, replica: str | None = None
    ) -> dict[str, Any]:
        rev = self.control.revisions.get(revision)
        if rev is None:
            self.control.get_revision(revision)  # raises NotFoundError with the known revisions
        assert rev is not None
        reps = [r for r in self.control.replicas(revision) if r["pid"] and replica in (None, r["name"])]
        if not reps:
            raise ConflictError(
                f"revision {revision} has no running replica to exec into.",
                hint="activate the revision or scale it up, then retry.",
            )
        if not command or not all(isinstance(c, str) for c in command):
            raise InvalidRequestError("command must be a non-empty list of strings.", hint="e.g. ['env'].")
        env = self._env_for(rev, reps[0]["name"])
        try:
            proc = await asyncio.create_subprocess_exec(
                *command,
                env=env,
                cwd=str(self.paths.replicas_dir),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError) as exc:
            return {
                "revision": revision,
                "replica": reps[0]["name"],
                "command": " ".join(command),
                "exit_code": 127,
                "output": f"exec failed: {exc.strerror}: {command[0]}",
            }
        self._execs.add(proc.pid)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout_s)
            code = proc.returncode
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, _ = await proc.communicate()
            out += f"\n[exec timed out after {timeout_s:g} s]".encode()
            code = 124
        finally:
            self._execs.discard(proc.pid)
        return {
            "revision": revision,
            "replica": reps[0]["name"],
            "command": " ".join(command),
            "exit_code": code,
            "output": out[-1_000_000:].decode(errors="replace"),
        }

    async def api_flush_telemetry(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.telemetry.flush)

    async def api_shutdown(self) -> None:
        asyncio.get_running_loop().call_later(0.05, self._stop.set)
