"""The sandbox daemon: one background process holding the control plane, the supervisor, the ingress and the
telemetry writer, with a loopback JSON control API that the adapters and the CLI talk to.

Started by `lifecycle.up` as `python -m apexops.sandbox.daemon --home <home>`. It reads the settings
snapshot `up` wrote (so test overrides reach it), takes an exclusive lock on the home folder (one daemon per
sandbox), binds the ingress port (failing with one line naming the port and the fix), restores every
revision from `state.json` (seeding the baseline release on first start), and only then writes
`daemon.json`, which is how `up` knows it is ready. SIGTERM (what `down` sends) stops every replica
before the daemon exits; if the daemon is killed outright, its replicas die with it (see `_boot`).

The control API is `POST /v1/<call>` with JSON keyword arguments and a JSON result: every mutation of
the sandbox goes through it (the adapters, the CLI and tests call it through
`apexops.sandbox.client.ControlClient`). Requests must carry the token from `<home>/daemon/control.token`
(mode 0600), so only the user who started the sandbox can drive it. Errors travel as
`{"error": {"type", "message", "hint"}}` with the `apexops.errors` class name, and the client re-raises the
same class. A daemon bug answers 500 with a TargetError and keeps serving.

Calls (keyword arguments -> result):
    status() show() list_revisions() get_revision(name) update(change) get_traffic()
    set_traffic(weights) activate_revision(name) deactivate_revision(name) restart_revision(name)
    restart_app() scale_revision(name, min_replicas, max_replicas=None) list_replicas(revision)
    kill_replica(revision, replica=None, signal_name="SIGKILL")
    exec(revision, command, timeout_s=30, replica=None)
    flush_telemetry() (returns once everything recorded is queryable, simulated ingestion lag included)
    deploy_validate(template, parameters, name) deploy_what_if(..., mode)
    deploy_start(..., mode) deploy_get(name) deploy_cancel(name) list_resources()
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import fcntl
import hmac
import inspect
import itertools
import json
import os
import random
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexops.errors import (
    ApexopsError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    TargetError,
)
from apexops.processes import alive
from apexops.sandbox import azurite
from apexops.sandbox.controlplane import ControlPlane, RevisionRecord
from apexops.sandbox.deployments import ResourceGroup, baseline_template
from apexops.sandbox.identity import SandboxIdentity
from apexops.sandbox.images import ImageCatalogue
from apexops.sandbox.ingress import Ingress
from apexops.sandbox.state import SandboxPaths, read_json, write_json
from apexops.sandbox.supervisor import Supervisor
from apexops.sandbox.telemetry import Delivery, TelemetryWriter
from apexops.sandbox.zygote import Zygote
from apexops.settings import Settings

__all__ = ["TOKEN_HEADER", "DaemonOptions", "main"]

TOKEN_HEADER = b"x-sandbox-token"
#: the largest control API request body (templates and traffic lists are a few KiB); larger is 413 unread
MAX_BODY = 1 << 20
_BAD_TOKEN = AuthenticationError(
    "the control API token is missing or wrong.", hint="use the token in <home>/daemon/control.token."
)
_STATUS_FOR = {NotFoundError: 404, ConflictError: 409, AuthenticationError: 401}
#: calls answered by the control plane or the resource group as they are: call -> (attribute, method)
_DELEGATED = {
    "show": ("control", "show"),
    "list_revisions": ("control", "list_revisions"),
    "get_revision": ("control", "get_revision"),
    "get_traffic": ("control", "get_traffic"),
    "set_traffic": ("control", "set_traffic"),
    "activate_revision": ("control", "activate"),
    "deactivate_revision": ("control", "deactivate"),
    "restart_revision": ("control", "restart_revision"),
    "restart_app": ("control", "restart_app"),
    "scale_revision": ("control", "scale"),
    "list_replicas": ("control", "replicas"),
    "deploy_validate": ("resources", "validate"),
    "deploy_what_if": ("resources", "what_if"),
    "deploy_start": ("resources", "start"),
    "deploy_get": ("resources", "get"),
    "deploy_cancel": ("resources", "cancel"),
    "list_resources": ("resources", "list_resources"),
}


@dataclass(frozen=True)
class DaemonOptions:
    """Knobs of the daemon that are not environment settings (tests shorten the waits)."""

    provision_timeout_s: float | None = None  # default: settings.app.health_timeout_s
    scale_idle_s: float = 30.0  # a min-0 revision scales back to zero after this long without requests
    flush_interval_s: float = 0.2  # telemetry batch interval
    deploy_step_s: float = 0.05  # simulated time per resource of an infrastructure deployment
    owner_pid: int | None = None  # exit when this process dies (test sandboxes)
    fork_server: bool = True  # fork replicas from a preloaded zygote (False: plain `python -m` processes)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DaemonOptions:
        return cls(**{k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__})


def _refusal(status: int, exc: ApexopsError) -> tuple[int, Any]:
    """An error answer of the control API: the client re-raises the same `apexops.errors` class."""
    return status, {"error": {"type": type(exc).__name__, "message": exc.message, "hint": exc.hint}}


async def _linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limit_s: float = 1.0) -> None:
    """Half-close after a refusal, then discard (never keep) at most MAX_BODY bytes for `limit_s`.

    Closing with unread bytes in the socket makes the kernel send a reset that can overtake the answer; a
    client that already sent its (small) body reads the 401/413 instead of "connection reset".
    """
    with contextlib.suppress(OSError, RuntimeError):
        writer.write_eof()
    deadline, left = time.monotonic() + limit_s, MAX_BODY
    with contextlib.suppress(TimeoutError, ConnectionError):
        while left > 0 and (chunk := await asyncio.wait_for(reader.read(65536), deadline - time.monotonic())):
            left -= len(chunk)


class StartupError(Exception):
    """The daemon cannot start; the message is the one line `up` shows."""


class Daemon:
    """The sandbox's one background process: wiring, routing, and the control API's handlers."""

    def __init__(self, home: Path) -> None:
        self.paths = SandboxPaths(home)
        snap = read_json(self.paths.settings_snapshot)
        if not snap:
            raise StartupError(
                f"no settings snapshot in {self.paths.settings_snapshot}; start the sandbox "
                "with `apexops sandbox up`."
            )
        self.settings = Settings.model_validate(snap["settings"])
        self.resolved: dict[str, Any] = snap["resolved"]
        self.options = DaemonOptions.from_dict(snap.get("options"))
        self.token = self.paths.control_token.read_text().strip()
        self.started = time.time()
        self._stop = asyncio.Event()
        self._rng = random.Random()
        self._route_gen = -1
        self._route: tuple[list[str], list[int]] = ([], [])
        self._execs: set[int] = set()  # process groups of running `exec` commands

    # ------------------------------------------------------------------ wiring
    async def start(self) -> None:
        s, p = self.settings, self.paths
        # Blob Storage (Azurite): `up` started it before anything else (it takes ~0.5 s to listen); the
        # daemon takes it over, so it exits with the daemon however the daemon ends. Replicas wait for it
        # (they get its URL); `up` reports ready once it listens.
        started = azurite.starting(p.home)
        if started is not None:
            azurite.hand_over(p.home)
        self.blob_storage = started or azurite.spawn(p.home)
        self.blob_ready = asyncio.get_running_loop().run_in_executor(None, self.blob_storage.wait)
        self.identity = SandboxIdentity(p.home)
        self.identity.ensure_key()
        self.images = ImageCatalogue(p.home, s.registry.server, s.app.image_repository)
        self.telemetry = TelemetryWriter(
            p.telemetry_db,
            flush_interval_s=self.options.flush_interval_s,
            delivery=Delivery.from_settings(s.sandbox.telemetry),
        )
        self.telemetry.start()
        port = int(self.resolved["ingress_port"])
        self.ingress_url = f"http://127.0.0.1:{port}"
        self.control = ControlPlane(
            p.state,
            app_name=s.app.name,
            resource_group=s.azure.resource_group,
            resolve_image=lambda image: self.images.resolve(image).image,
            ingress_url=self.ingress_url,
        )
        self.supervisor = Supervisor(
            env_for=self._env_for,
            telemetry=self.telemetry,
            on_provisioned=self._provisioned,
            provision_timeout_s=self.options.provision_timeout_s or s.app.health_timeout_s,
            scale_idle_s=self.options.scale_idle_s,
            workdir=p.replicas_dir,
        )
        self.control.runtime = self.supervisor
        self.supervisor.platform_ready = self.blob_ready
        if self.options.fork_server:  # started first: replicas are forked from it once it is warm
            self.supervisor.zygote = Zygote()
            self.supervisor.zygote_starting = asyncio.get_running_loop().create_task(self._start_zygote())
        self.ingress = Ingress(
            supervisor=self.supervisor,
            telemetry=self.telemetry,
            choose_revision=self._choose,
            is_active=self._is_active,
            rng=self._rng,
        )
        self.resources = ResourceGroup(
            p.deployments,
            resource_group=s.azure.resource_group,
            location=s.azure.location,
            step_s=self.options.deploy_step_s,
            app_fqdn=f"127.0.0.1:{port}",
        )
        if not p.deployments.exists():
            self.resources.seed(baseline_template(s))
        try:
            await self.ingress.listen("app", port, None)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StartupError(
                    f"port {port} (the sandbox ingress) is already in use. HINT: stop what uses it, or pick "
                    "another port with APEXOPS_SANDBOX_PORT=<port> or sandbox.ingress_port in "
                    "parameters/local.yaml."
                ) from None
            raise StartupError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}.") from None
        self.control_server = await asyncio.start_server(self._control_conn, "127.0.0.1", 0)
        self.control_port = int(self.control_server.sockets[0].getsockname()[1])
        if not self.control.exists:
            self._seed()
        for rev in self.control.revisions.values():
            self.supervisor.ensure(rev)
        await self._sync_listeners()
        self.resources.recover()
        try:
            await self.blob_ready
        except ApexopsError as exc:
            raise StartupError(f"the sandbox's Blob Storage did not start: {exc}") from None
        self._tasks = [
            asyncio.get_running_loop().create_task(self.supervisor.housekeeping()),
            asyncio.get_running_loop().create_task(self._watchdog()),
        ]
        write_json(
            p.daemon_info,
            {
                "pid": os.getpid(),
                "control_port": self.control_port,
                "ingress_port": port,
                "ingress_url": self.ingress_url,
                "started": self.started,
                "home": str(p.home),
            },
        )

    async def _start_zygote(self) -> None:
        assert self.supervisor.zygote is not None
        try:
            await self.supervisor.zygote.start()
        except Exception as exc:  # plain processes keep working; say why in the daemon log
            print(f"replica fork server unavailable, using plain processes: {exc!r}", file=sys.stderr)

    def _seed(self) -> None:
        s = self.settings
        tag = s.sandbox.baseline_image_tag
        suffix = tag.lower().replace(".", "-").replace("_", "-")
        self.control.create_app(
            dict(
                image=s.image(tag),
                env=dict(s.app.env),
                cpu=s.app.cpu,
                memory=s.app.memory,
                min_replicas=max(1, s.app.min_replicas),
                max_replicas=s.app.max_replicas,
                revision_suffix=suffix if suffix[:1].isalnum() else None,
            )
        )

    def _env_for(self, rev: RevisionRecord, replica: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k in ("HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "SYSTEMROOT")
        }
        env["PATH"] = os.pathsep.join(
            [str(Path(sys.executable).parent), os.environ.get("PATH", "/usr/bin:/bin")]
        )
        env["PYTHONUNBUFFERED"] = "1"
        env.update(rev.template.get("env") or {})
        spec = self.images.resolve(rev.image)
        env.update(
            {
                "APEX_DATABASE_URL": self.resolved["database_url"],
                "APEX_BLOB_ENDPOINT": self._blob_endpoint(),
                # where the reference service keeps its Blob client, as the real app keeps it in
                # apex.azure.blob_storage: the troubleshooting probes import it from here
                "APEX_BLOB_CLIENT_MODULE": "apexops.sandbox.service.blob_storage",
                "APEX_AUTH_AUDIENCE": self.resolved["audience"],
                "APEX_AUTH_KEY_FILE": str(self.identity.key_path),
                "APEX_AUTH_ISSUER": self.identity.issuer,
                "APEX_FAULT_PROFILE": spec.profile.to_json(),
                "APEX_IMAGE": spec.image,
                "APP_VERSION": spec.tag,
                "CONTAINER_APP_NAME": self.control.app_name,
                "CONTAINER_APP_REVISION": rev.name,
                "CONTAINER_APP_REPLICA_NAME": replica,
                "CONTAINER_APP_HOSTNAME": f"127.0.0.1:{rev.port}",
                "CONTAINER_APP_PORT": str(self.settings.app.target_port),
            }
        )
        return env

    def _blob_endpoint(self) -> str:
        """Azurite's account URL once it listens (replicas start after that), else "" (never a key)."""
        ready = getattr(self, "blob_ready", None)
        if ready is None or not ready.done() or ready.cancelled() or ready.exception() is not None:
            return ""
        return str(ready.result().account_url)

    def _provisioned(self, name: str, ok: bool, error: str | None) -> None:
        self.control.provisioned(name, ok, error)
        self._route_gen = -1  # a latestRevision entry may now resolve elsewhere

    def _is_active(self, name: str) -> bool:
        rev = self.control.revisions.get(name)
        return rev is not None and rev.active

    def _choose(self, pinned: str | None = None) -> str | None:
        """The revision for one request: the one its client is pinned to (affinity cookie) while that one
        receives traffic, else drawn by integer weight (recomputed when the traffic changes)."""
        if self._route_gen != self.control.generation:
            weights = {n: w for n, w in self.control.effective_weights().items() if w > 0}
            self._route = (list(weights), list(itertools.accumulate(weights.values())))
            self._route_gen = self.control.generation
        names, cum = self._route
        if pinned is not None and pinned in names:  # names: the revisions at weight > 0 now
            return pinned
        return self._rng.choices(names, cum_weights=cum)[0] if names else None

    async def _sync_listeners(self) -> None:
        for rev in list(self.control.revisions.values()):
            if self.ingress.has_listener(rev.name):
                continue
            try:
                port = await self.ingress.listen(rev.name, rev.port, rev.name)
            except OSError:
                port = await self.ingress.listen(rev.name, 0, rev.name)
            self.control.set_port(rev.name, port)

    async def _watchdog(self) -> None:
        owner = self.options.owner_pid
        while not self._stop.is_set():
            await asyncio.sleep(0.5)
            if owner and not alive(owner):
                self._stop.set()
            info = read_json(self.paths.daemon_info) or {}
            if info.get("pid") not in (None, os.getpid()) or not self.paths.home.exists():
                self._stop.set()  # another daemon took over, or the home folder was deleted

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, self._stop.set)
        await self._stop.wait()
        await self.stop()

    async def stop(self) -> None:
        for task in getattr(self, "_tasks", []):
            task.cancel()
        with contextlib.suppress(Exception):
            self.control_server.close()
        await self.ingress.close()
        await self.supervisor.shutdown()
        for pgid in list(self._execs):  # `exec` commands do not outlive the sandbox either
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        self.resources.interrupt()
        if hasattr(self, "blob_storage"):  # after the replicas: they use it until they stop
            azurite.stop(self.paths.home)
        self.telemetry.stop()
        info = read_json(self.paths.daemon_info) or {}
        if info.get("pid") == os.getpid():
            self.paths.daemon_info.unlink(missing_ok=True)

    # ------------------------------------------------------------------ control API
    async def _control_conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one keep-alive connection; a refused request is answered and the connection closed.

        The token is checked on the headers, before a byte of the body is read, and the body is bounded by
        MAX_BODY: an unauthenticated or oversized request costs the daemon no memory (its body is never read).
        """
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")  # bounded by the reader's 64 KiB limit
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                target, headers, refusal = self._read_head(head)
                if refusal is None:
                    body = await reader.readexactly(int(headers[b"content-length"]))
                    status, payload = await self._dispatch(target, body)
                else:
                    status, payload = refusal
                data = json.dumps(payload, default=str).encode()
                close = b"connection: close\r\n" if refusal else b""
                writer.write(
                    b"HTTP/1.1 %d X\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%s\r\n"
                    % (status, len(data), close)
                    + data
                )
                await writer.drain()
                if refusal:
                    await _linger(reader, writer)
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    def _read_head(self, head: bytes) -> tuple[str, dict[bytes, bytes], tuple[int, Any] | None]:
        """(call path, headers, refusal): a refusal is the (status, error) answer that ends the connection."""
        lines = head[:-4].split(b"\r\n")
        parts = lines[0].split(b" ")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
        target = parts[1].decode(errors="replace") if len(parts) == 3 else ""
        if not target:
            return target, headers, _refusal(400, InvalidRequestError("malformed request line."))
        if not hmac.compare_digest(headers.get(TOKEN_HEADER, b""), self.token.encode()):
            return target, headers, _refusal(401, _BAD_TOKEN)
        length = headers.get(b"content-length")
        if length is None:
            return target, headers, _refusal(411, InvalidRequestError("a content-length is required."))
        if not length.isdigit():
            return target, headers, _refusal(400, InvalidRequestError(f"bad content-length {length[:40]!r}."))
        if int(length) > MAX_BODY:
            too_big = InvalidRequestError(f"request body over {MAX_BODY} bytes.", hint="send less per call.")
            return target, headers, _refusal(413, too_big)
        return target, headers, None

    async def _dispatch(self, target: str, body: bytes) -> tuple[int, Any]:
        name = target.removeprefix("/v1/")
        handler: Callable[..., Any] | None = getattr(self, f"api_{name}", None)
        if handler is None and name in _DELEGATED:
            owner, method = _DELEGATED[name]
            handler = getattr(getattr(self, owner), method)
        if handler is None:
            return _refusal(404, InvalidRequestError(f"unknown control API call {name!r}."))
        try:
            kwargs = json.loads(body or b"{}")
        except ValueError:
            kwargs = None
        if not isinstance(kwargs, dict):
            return _refusal(400, InvalidRequestError(f"the body of {name} is not a JSON object."))
        try:
            result = handler(**kwargs)
            return 200, {"result": await result if inspect.isawaitable(result) else result}
        except ApexopsError as exc:
            status = next((code for cls, code in _STATUS_FOR.items() if isinstance(exc, cls)), 400)
            return _refusal(status, exc)
        except TypeError as exc:
            return _refusal(400, InvalidRequestError(f"bad arguments for {name}: {exc}."))
        except Exception as exc:  # a daemon bug: keep serving, report it, log the traceback
            traceback.print_exc()
            failed = TargetError(
                f"the sandbox daemon failed on {name}: {type(exc).__name__}: {exc}",
                hint=f"see {self.paths.daemon_log}.",
            )
            return _refusal(500, failed)

    async def api_status(self) -> dict[str, Any]:
        zygote = self.supervisor.zygote
        return {
            "pid": os.getpid(),
            "ingress_url": self.ingress_url,
            "started": self.started,
            "control_port": self.control_port,
            "audience": self.resolved["audience"],
            "database_url_set": bool(self.resolved["database_url"]),
            "app": self.control.show() if self.control.exists else None,
            "revisions": self.control.list_revisions(),
            "replica_pids": self.supervisor.all_pids(),
            "helper_pids": [
                *([zygote.pid] if zygote is not None and zygote.pid else []),
                *([self.blob_storage.pid] if self.blob_storage.running() else []),
            ],
            "blob_endpoint": self._blob_endpoint() or None,
        }

    async def api_update(self, change: dict[str, Any]) -> dict[str, Any]:
        self.control.update(change)
        await self._sync_listeners()
        return self.control.show()

    def _running_replica(self, revision: str, replica: str | None, what: str, hint: str) -> dict[str, Any]:
        """The first running replica of `revision` (or the one named); ConflictError when there is none."""
        reps = [r for r in self.control.replicas(revision) if r["pid"] and replica in (None, r["name"])]
        if not reps:
            raise ConflictError(f"revision {revision} has no running replica{what}.", hint=hint)
        return reps[0]

    async def api_kill_replica(
        self, revision: str, replica: str | None = None, signal_name: str = "SIGKILL"
    ) -> Any:
        """Simulate a container crash (rehearsals, tests): signal one replica's process."""
        what = f" {replica}" if replica else ""
        rep = self._running_replica(revision, replica, what, "check list_replicas().")
        os.kill(rep["pid"], getattr(signal, signal_name))
        return {"replica": rep["name"], "pid": rep["pid"]}

    async def api_exec(
        self, revision: str, command: list[str], timeout_s: float = 30.0, replica: str | None = None
    ) -> dict[str, Any]:
        rep = self._running_replica(  # NotFoundError first when the revision does not exist
            revision, replica, " to exec into", "activate the revision or scale it up, then retry."
        )
        if not command or not all(isinstance(c, str) for c in command):
            raise InvalidRequestError("command must be a non-empty list of strings.", hint="e.g. ['env'].")
        result = {"revision": revision, "replica": rep["name"], "command": " ".join(command)}
        env = self._env_for(self.control.revisions[revision], rep["name"])
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
            return {**result, "exit_code": 127, "output": f"exec failed: {exc.strerror}: {command[0]}"}
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
        return {**result, "exit_code": code, "output": out[-1_000_000:].decode(errors="replace")}

    async def api_flush_telemetry(self) -> None:
        """Return once every request recorded before the call is queryable: written, and past its
        simulated ingestion time (at most the delivery's lag bound after it started)."""
        called = time.time()
        await asyncio.get_running_loop().run_in_executor(None, self.telemetry.flush)
        ingested = min(self.telemetry.ingested_until, called + self.telemetry.delivery.lag_bound_s)
        await asyncio.sleep(max(0.0, ingested - time.time()))


def _lock(paths: SandboxPaths) -> int:
    fd = os.open(paths.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StartupError(f"another sandbox daemon already runs for {paths.home}.") from None
    return fd


async def _amain(home: Path) -> int:
    paths = SandboxPaths(home)
    daemon = Daemon(home)
    try:
        await daemon.start()
    except (StartupError, ApexopsError) as exc:
        paths.startup_error.write_text(str(exc) + "\n")
        with contextlib.suppress(Exception):
            await daemon.stop()
        return 1
    await daemon.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apexops.sandbox.daemon")
    parser.add_argument("--home", required=True, type=Path)
    args = parser.parse_args(argv)
    os.umask(0o077)  # every file the daemon and its replicas create (telemetry, logs, blobs) is private
    paths = SandboxPaths(args.home.resolve())
    paths.startup_error.unlink(missing_ok=True)
    try:
        lock_fd = _lock(paths)
    except StartupError as exc:
        paths.startup_error.write_text(str(exc) + "\n")
        return 1
    paths.pid_file.write_text(f"{os.getpid()}\n")
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    try:
        code = asyncio.run(_amain(paths.home))
    except StartupError as exc:
        paths.startup_error.write_text(str(exc) + "\n")
        code = 1
    finally:
        if paths.pid_file.exists() and paths.pid_file.read_text().strip() == str(os.getpid()):
            paths.pid_file.unlink()
        os.close(lock_fd)
    return code


if __name__ == "__main__":
    sys.exit(main())
