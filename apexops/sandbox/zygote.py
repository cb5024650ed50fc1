"""A fork server for replicas: import the service's libraries once, then fork a fresh process per replica.

Starting a replica with `python -m apexops.sandbox.service` spends ~0.7 s of CPU importing FastAPI,
uvicorn, SQLAlchemy and pydantic before it can serve; with several revisions starting at once on a busy
2-core machine that becomes seconds. The zygote pays those imports once. For each replica it forks a child
that gets the replica's own stdin/stdout/stderr (passed over a Unix socket), a clean environment (exactly
the revision's variables), its own working folder and argv, and then runs the service module as
`__main__` exactly as `python -m` would: the same code, a new process, a clean environment — only the
library imports are already done. Children die with the zygote and the zygote dies with the daemon (Linux
parent-death signal), so nothing outlives the daemon. If the zygote cannot start, the supervisor falls back
to plain `python -m` processes.

Because modules are imported once per daemon, editing the service's code takes effect at the next
`apexops sandbox up` (like rebuilding an image), not for revisions created meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import json
import os
import random
import runpy
import select
import signal
import socket
import sys
import traceback
from typing import Any

from apexops.sandbox._boot import die_with_parent

__all__ = ["PRELOAD", "Zygote", "ZygoteProcess", "terminate"]

#: what a replica imports on its way to serving (missing ones are skipped)
PRELOAD = (
    "apexops.sandbox.service.app",  # FastAPI, Starlette, pydantic, SQLAlchemy
    "apexops.sandbox.service.config",
    "apexops.sandbox.service.logs",
    "apexops.sandbox.identity",
    "sqlalchemy.dialects.sqlite",
    "python_multipart",
    "uvicorn",
    "uvicorn.config",
    "uvicorn.server",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "uvicorn.loops.uvloop",
    "uvloop",
    "anyio._core._sockets",
    "anyio._core._streams",
)
#: imported only when the zygote is idle: replicas need them soon after start, not to become ready
PRELOAD_IDLE = ("jwt", "sqlalchemy.dialects.postgresql")
MAX_MSG = 1 << 20


# ------------------------------------------------------------------------------------------ server side
def _set_name(name: bytes) -> None:
    """Name the process in `ps -o comm` / top (its command line stays the zygote's)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name), 0, 0, 0)  # PR_SET_NAME


def _child(req: dict[str, Any], fds: list[int], sock: socket.socket, wake_r: int, wake_w: int) -> None:
    code = 1
    try:
        sock.close()
        os.close(wake_r)
        os.close(wake_w)
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        die_with_parent(int(req["parent"]))
        _set_name(b"apex-replica")
        os.environ.clear()
        os.environ.update(req["env"])
        os.chdir(req["cwd"])
        random.seed()
        sys.argv = [req["module"], *req["args"]]
        try:
            runpy.run_module(req["module"], run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def serve(sock_fd: int) -> None:
    """The zygote's main loop: preload, then fork on request and report exits."""
    die_with_parent(int(os.environ.get("APEXOPS_SUPERVISOR_PID", "0") or os.getppid()))
    _set_name(b"apex-zygote")
    for name in PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    sock = socket.socket(fileno=sock_fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    sock.send(json.dumps({"ready": os.getpid()}).encode())
    idle_imports = list(PRELOAD_IDLE)
    while True:
        with contextlib.suppress(ChildProcessError):  # report every exited child, then serve
            while (reaped := os.waitpid(-1, os.WNOHANG)) != (0, 0):
                pid, status = reaped
                sock.send(json.dumps({"exit": pid, "code": os.waitstatus_to_exitcode(status)}).encode())
        readable, _, _ = select.select([sock, wake_r], [], [], 0.1 if idle_imports else 1.0)
        if not readable and idle_imports:
            with contextlib.suppress(Exception):
                importlib.import_module(idle_imports.pop(0))
        if wake_r in readable:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 512)
        if sock in readable:
            msg, fds, _flags, _addr = socket.recv_fds(sock, MAX_MSG, 3)
            if not msg:
                os._exit(0)  # the daemon went away; children die with us
            req = json.loads(msg)
            pid = os.fork()
            if pid == 0:
                _child(req, fds, sock, wake_r, wake_w)
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"id": req["id"], "pid": pid}).encode())


# ------------------------------------------------------------------------------------------ daemon side
class ZygoteProcess:
    """The parts of `asyncio.subprocess.Process` the supervisor uses, for a forked replica."""

    def __init__(self, pid: int, stdout: asyncio.StreamReader, stderr: asyncio.StreamReader) -> None:
        self.pid, self.stdout, self.stderr = pid, stdout, stderr
        self.returncode: int | None = None
        self._exited = asyncio.Event()

    def _set_exit(self, code: int) -> None:
        self.returncode = code
        self._exited.set()

    async def wait(self) -> int:
        await self._exited.wait()
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    """The daemon's handle on the fork server."""

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[asyncio.Future, int, int]] = {}
        self._procs: dict[int, ZygoteProcess] = {}
        self._ready: asyncio.Future | None = None
        self._pipe_tasks: set[asyncio.Task] = set()
        self.alive = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def start(self, timeout_s: float = 60.0) -> None:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {k: v for k, v in os.environ.items() if not k.startswith("APEX_")}
        env.update(PYTHONUNBUFFERED="1", APEXOPS_SUPERVISOR_PID=str(os.getpid()))
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "apexops.sandbox.zygote",
            str(theirs.fileno()),
            pass_fds=(theirs.fileno(),),
            stdin=asyncio.subprocess.DEVNULL,
            env=env,
        )
        theirs.close()
        ours.setblocking(False)
        self._sock = ours
        self._ready = loop.create_future()
        loop.add_reader(ours.fileno(), self._on_readable)
        await asyncio.wait_for(self._ready, timeout_s)
        self.alive = True

    def _on_readable(self) -> None:
        assert self._sock is not None
        while True:
            try:
                msg = self._sock.recv(MAX_MSG)
            except BlockingIOError:
                return
            except OSError:
                msg = b""
            if not msg:
                self._lost()
                return
            data = json.loads(msg)
            if "ready" in data and self._ready is not None and not self._ready.done():
                self._ready.set_result(data["ready"])
            elif "id" in data:
                fut, out_r, err_r = self._pending.pop(data["id"])
                proc = ZygoteProcess(data["pid"], self._reader(out_r), self._reader(err_r))
                self._procs[data["pid"]] = proc
                if not fut.done():
                    fut.set_result(proc)
            elif "exit" in data:
                proc = self._procs.pop(data["exit"], None)
                if proc is not None:
                    proc._set_exit(int(data["code"]))

    def _reader(self, fd: int) -> asyncio.StreamReader:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 20, loop=loop)
        pipe = os.fdopen(fd, "rb", 0)
        task = loop.create_task(
            loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe)
        )
        self._pipe_tasks.add(task)
        task.add_done_callback(self._pipe_tasks.discard)
        return reader

    def _lost(self) -> None:
        """The zygote died or is being closed: its children die with it (parent-death signal)."""
        self.alive = False
        if self._sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        for proc in self._procs.values():
            proc._set_exit(-signal.SIGKILL)
        self._procs.clear()
        for fut, out_r, err_r in self._pending.values():
            if not fut.done():
                fut.set_exception(OSError("the replica fork server exited"))
            for fd in (out_r, err_r):
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._pending.clear()

    async def spawn(
        self, module: str, args: list[str], *, env: dict[str, str], cwd: str, timeout_s: float = 30.0
    ) -> ZygoteProcess:
        if not self.alive or self._sock is None:
            raise OSError("the replica fork server is not running")
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        devnull = os.open(os.devnull, os.O_RDONLY)
        rid = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._pending[rid] = (fut, out_r, err_r)
        try:
            payload = json.dumps(
                {"id": rid, "module": module, "args": args, "env": env, "cwd": cwd, "parent": self.pid}
            ).encode()
            socket.send_fds(self._sock, [payload], [devnull, out_w, err_w])
        except OSError:
            self._pending.pop(rid, None)
            for fd in (out_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in (devnull, out_w, err_w):
                os.close(fd)
        return await asyncio.wait_for(fut, timeout_s)

    async def close(self) -> None:
        self._lost()
        await terminate(self._proc)


async def terminate(proc: asyncio.subprocess.Process | ZygoteProcess | None, grace_s: float = 3.0) -> None:
    """SIGTERM a running process, SIGKILL it when it is still there after `grace_s`; wait for its exit."""
    if proc is None or proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), grace_s)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
