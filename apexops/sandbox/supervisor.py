"""Replicas as real processes: started, probed for readiness, restarted when they crash, stopped cleanly.

The supervisor is the sandbox's kubelet. For each active revision it keeps `min_replicas` processes of the
APEX reference service running (one more on demand when a scaled-to-zero revision receives a request),
probes `/health/ready` to decide which replicas receive traffic, restarts a crashed replica under the same
name with a growing back-off and a visible restart count, captures every console line into telemetry, and
reports once per revision whether it finished provisioning (all replicas ready) or failed (never ready
within the timeout, or crashing at start). Replicas are started through `apexops.sandbox._boot`, which makes
the kernel kill them if the daemon dies, so no replica can outlive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import string
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apexops.sandbox.controlplane import LiveStatus, RevisionRecord
from apexops.sandbox.telemetry import TelemetryWriter
from apexops.sandbox.zygote import Zygote, terminate

__all__ = ["ReplicaSlot", "Supervisor", "free_port", "probe"]

SERVICE_MODULE = "apexops.sandbox.service"
#: consecutive crashes before a never-ready revision is declared Failed (instead of waiting for the timeout)
CRASHES_BEFORE_FAILED = 3
_ALNUM = string.ascii_lowercase + string.digits


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def probe(port: int, path: str = "/health/ready", timeout_s: float = 2.0) -> tuple[bool, str]:
    """GET a probe path on a replica: (ok, short detail). Connection errors are 'not ready', not crashes."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout_s)
    except (OSError, TimeoutError) as exc:
        return False, f"connection to port {port} failed ({type(exc).__name__})"
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: sandbox-probe\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        data = await asyncio.wait_for(reader.read(4096), timeout_s)
        status_line, _, rest = data.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
        body = rest.partition(b"\r\n\r\n")[2][:300].decode(errors="replace")
        return 200 <= status < 400, f"HTTP {status} {body}".strip()
    except (OSError, TimeoutError, ValueError) as exc:
        return False, f"probe of port {port} failed ({type(exc).__name__})"
    finally:
        writer.close()


def _replica_name(revision: str) -> str:
    return (
        f"{revision}-{''.join(secrets.choice('0123456789abcdef') for _ in range(9))}-"
        f"{''.join(secrets.choice(_ALNUM) for _ in range(5))}"
    )


@dataclass
class ReplicaSlot:
    """One replica: a name that survives container restarts, and the process currently behind it."""

    name: str
    revision: str
    created: float
    port: int = 0
    pid: int | None = None
    proc: asyncio.subprocess.Process | None = None
    ready: bool = False
    ever_ready: bool = False
    ready_since: float | None = None
    restart_count: int = 0
    last_exit_code: int | None = None
    last_error: str = ""
    last_probe: str = ""
    stopping: bool = False
    task: asyncio.Task | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def as_dict(self) -> dict[str, Any]:
        alive = self.proc is not None and self.proc.returncode is None
        return {
            "name": self.name,
            "revision": self.revision,
            "running_state": "Running" if alive else "NotRunning",
            "created_time": datetime.fromtimestamp(self.created, UTC).isoformat(),
            "restart_count": self.restart_count,
            "ready": self.ready,
            "pid": self.pid if alive else None,
            "port": self.port,
            "last_exit_code": self.last_exit_code,
            "last_error": self.last_error,
            "last_probe": self.last_probe,
        }


@dataclass
class _RevisionRuntime:
    record: RevisionRecord
    slots: list[ReplicaSlot] = field(default_factory=list)
    provisioning: asyncio.Task | None = None
    restarting: asyncio.Task | None = None
    rr: int = 0
    last_demand: float = 0.0
    cold_start: bool = False

    @property
    def current(self) -> list[ReplicaSlot]:
        """The replicas that are not being stopped."""
        return [s for s in self.slots if not s.stopping]


class Supervisor:
    """Keeps each active revision's replicas running; implements `controlplane.Runtime`."""

    def __init__(
        self,
        *,
        env_for: Callable[[RevisionRecord, str], dict[str, str]],
        telemetry: TelemetryWriter,
        on_provisioned: Callable[[str, bool, str | None], None],
        provision_timeout_s: float = 60.0,
        scale_idle_s: float = 30.0,
        workdir: Path | None = None,
    ) -> None:
        self._env_for = env_for
        self._telemetry = telemetry
        self._on_provisioned = on_provisioned
        self.provision_timeout_s = provision_timeout_s
        self.scale_idle_s = scale_idle_s
        self._workdir = workdir
        self._revisions: dict[str, _RevisionRuntime] = {}
        self._closing = False
        self._tasks: set[asyncio.Task] = set()
        #: the fork server (see zygote.py) and the task starting it; None means plain processes
        self.zygote: Zygote | None = None
        self.zygote_starting: asyncio.Task | None = None  # kept so the task is not garbage-collected
        #: what replicas need before they start (the sandbox's Blob Storage): awaited before the first launch
        self.platform_ready: asyncio.Future[Any] | None = None

    # ------------------------------------------------------------------ Runtime protocol
    def _desired(self, rt: _RevisionRuntime) -> int:
        rec = rt.record
        if not rec.active or self._closing:
            return 0
        if rec.min_replicas == 0 and time.monotonic() - rt.last_demand < self.scale_idle_s and rt.last_demand:
            return min(1, rec.max_replicas)
        return rec.min_replicas

    def ensure(self, revision: RevisionRecord) -> None:
        rt = self._revisions.get(revision.name)
        if rt is None:
            rt = self._revisions[revision.name] = _RevisionRuntime(record=revision)
        rt.record = revision
        current = rt.current
        desired = self._desired(rt)
        for _ in range(desired - len(current)):
            self._start_slot(rt)
        if len(current) > desired:
            victims = sorted(current, key=lambda s: (s.ready, s.created))[: len(current) - desired]
            for slot in victims:
                self._spawn(self._stop_slot(rt, slot))
        if (
            revision.active
            and revision.provisioning_state == "Provisioning"
            and (rt.provisioning is None or rt.provisioning.done())
        ):
            rt.provisioning = self._spawn(self._provision(rt))
        if not revision.active and rt.provisioning is not None:
            rt.provisioning.cancel()
            rt.provisioning = None

    def restart(self, name: str) -> None:
        rt = self._revisions.get(name)
        if rt is not None and (rt.restarting is None or rt.restarting.done()):
            rt.restarting = self._spawn(self._rolling_restart(rt))

    def live(self, name: str) -> LiveStatus:
        rt = self._revisions.get(name)
        if rt is None:
            return LiveStatus()
        slots = rt.current
        return LiveStatus(
            replicas=len(slots),
            ready=sum(1 for s in slots if s.ready),
            desired=self._desired(rt),
            restarts=sum(s.restart_count for s in slots),
            starting=any(not s.ever_ready for s in slots),
        )

    def replicas(self, name: str) -> list[dict[str, Any]]:
        rt = self._revisions.get(name)
        return [s.as_dict() for s in rt.current] if rt else []

    # ------------------------------------------------------------------ ingress helpers
    def pick(self, name: str) -> ReplicaSlot | None:
        """A ready replica of the revision, round-robin; None when none is ready."""
        rt = self._revisions.get(name)
        ready = [s for s in rt.slots if s.ready and not s.stopping] if rt else []
        if not rt or not ready:
            return None
        rt.rr += 1
        return ready[rt.rr % len(ready)]

    def others(self, name: str, exclude: ReplicaSlot) -> list[ReplicaSlot]:
        rt = self._revisions.get(name)
        return [s for s in rt.slots if s.ready and not s.stopping and s is not exclude] if rt else []

    async def wait_ready(self, name: str, timeout_s: float) -> ReplicaSlot | None:
        """For a request to a revision with no ready replica: scale from zero if allowed, then wait."""
        rt = self._revisions.get(name)
        if rt is None or not rt.record.active:
            return None
        if rt.current and not rt.cold_start:
            return None  # replicas exist but none is ready: "no healthy upstream", answered at once
        if rt.record.min_replicas > 0 and not rt.cold_start:
            return None
        rt.last_demand = time.monotonic()
        rt.cold_start = True
        self.ensure(rt.record)
        deadline = time.monotonic() + timeout_s
        try:
            while time.monotonic() < deadline:
                slot = self.pick(name)
                if slot is not None:
                    return slot
                if not rt.current:
                    return None  # nothing starting (e.g. deactivated meanwhile)
                await asyncio.sleep(0.02)
            return None
        finally:
            rt.cold_start = False

    def note_demand(self, name: str) -> None:
        rt = self._revisions.get(name)
        if rt is not None and rt.record.min_replicas == 0:
            rt.last_demand = time.monotonic()

    async def housekeeping(self) -> None:
        """Scale idle revisions with min_replicas 0 back to zero."""
        while not self._closing:
            await asyncio.sleep(1.0)
            for rt in list(self._revisions.values()):
                if rt.record.min_replicas == 0 and rt.last_demand:
                    self.ensure(rt.record)

    # ------------------------------------------------------------------ internals
    async def _launch(self, slot: ReplicaSlot, env: dict[str, str]) -> Any:
        """Fork the replica from the zygote when it runs, else start `python -m` (same argv and env)."""
        args = ["--host", "127.0.0.1", "--port", str(slot.port)]
        cwd = str(self._workdir) if self._workdir else str(Path.cwd())
        if self.zygote_starting is not None and not self.zygote_starting.done():
            # the fork server is preloading the same imports a plain process would do: wait for it
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self.zygote_starting), 30)
        if self.zygote is not None and self.zygote.alive:
            try:
                return await self.zygote.spawn(SERVICE_MODULE, args, env=env, cwd=cwd)
            except (OSError, TimeoutError):
                pass  # fall back to a plain process below
        env = {**env, "APEXOPS_SUPERVISOR_PID": str(os.getpid())}
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "apexops.sandbox._boot",
            SERVICE_MODULE,
            *args,
            env=env,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=1 << 20,
        )

    def _spawn(self, coro: Any) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _start_slot(self, rt: _RevisionRuntime) -> ReplicaSlot:
        slot = ReplicaSlot(name=_replica_name(rt.record.name), revision=rt.record.name, created=time.time())
        rt.slots.append(slot)
        slot.task = self._spawn(self._run_slot(rt, slot))
        return slot

    def _system(self, slot: ReplicaSlot, level: int, message: str) -> None:
        """A console line from the platform about a replica (a `logging` level, like the replica's own)."""
        self._telemetry.console(
            time.time(), slot.revision, slot.name, "system", logging.getLevelName(level), message
        )

    async def _run_slot(self, rt: _RevisionRuntime, slot: ReplicaSlot) -> None:
        crashes_in_row = 0
        while not slot.stopping:
            slot.port = free_port()
            if self.platform_ready is not None and not self.platform_ready.done():
                with contextlib.suppress(Exception):  # a failed start is the daemon's to report
                    await asyncio.shield(self.platform_ready)
            env = self._env_for(rt.record, slot.name)
            started = time.monotonic()
            try:
                proc = await self._launch(slot, env)
            except OSError as exc:
                slot.last_error = f"cannot start the container: {exc}"
                self._system(slot, logging.ERROR, slot.last_error)
                rc = 127
            else:
                slot.proc, slot.pid = proc, proc.pid
                if slot.stopping:  # stopped while it was being started
                    proc.terminate()
                self._system(
                    slot,
                    logging.INFO,
                    f"Replica {slot.name} started (pid {proc.pid}, port {slot.port}, "
                    f"image {rt.record.image})",
                )
                pumps = [
                    self._spawn(self._pump(slot, proc.stdout, "stdout")),
                    self._spawn(self._pump(slot, proc.stderr, "stderr")),
                ]
                prober = self._spawn(self._probe_loop(slot))
                rc = await proc.wait()
                prober.cancel()
                slot.ready = False
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(asyncio.gather(*pumps), 2.0)
            slot.last_exit_code = rc
            if slot.stopping or self._closing:
                break
            if slot.ready_since is not None and time.monotonic() - started > 10:
                crashes_in_row = 0
            slot.ready_since = None
            slot.restart_count += 1
            delay = min(0.2 * 2**crashes_in_row, 5.0)
            crashes_in_row += 1
            self._system(
                slot,
                logging.WARNING,
                f"Container of replica {slot.name} exited with code {rc}; restart "
                f"#{slot.restart_count} in {delay:.1f} s. Last error: {slot.last_error}",
            )
            slot.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(slot.wake.wait(), delay)
        slot.proc = None

    async def _pump(self, slot: ReplicaSlot, stream: asyncio.StreamReader | None, name: str) -> None:
        if stream is None:
            return
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # a line longer than the limit: take what is buffered
                raw = await stream.read(1 << 16)
            if not raw:
                return
            level, message = self._telemetry.console_line(
                slot.revision, slot.name, name, raw.decode(errors="replace")
            )
            if logging.getLevelNamesMapping()[level] >= logging.ERROR and message.strip():
                slot.last_error = message.strip()[:500]

    async def _probe_loop(self, slot: ReplicaSlot) -> None:
        """Probe fast until this process is first ready (every 30 ms), then every second like kubelet."""
        fails, started, ready_once = 0, time.monotonic(), False
        while True:
            ok, detail = await probe(slot.port)
            slot.last_probe = detail
            if ok:
                fails = 0
                if not slot.ready:
                    slot.ready, slot.ever_ready, ready_once = True, True, True
                    slot.ready_since = time.monotonic()
                    self._system(
                        slot,
                        logging.INFO,
                        f"Replica {slot.name} is ready ({time.monotonic() - started:.2f} s after start)",
                    )
            elif slot.ready:
                fails += 1
                if fails >= 3:
                    slot.ready = False
                    self._system(slot, logging.WARNING, f"Readiness probe failed 3 times: {detail}")
            if ready_once:
                await asyncio.sleep(1.0)
            else:
                await asyncio.sleep(0.03 if time.monotonic() - started < 10 else 0.25)

    async def _stop_slot(self, rt: _RevisionRuntime, slot: ReplicaSlot, grace_s: float = 3.0) -> None:
        slot.stopping, slot.ready = True, False
        slot.wake.set()
        await terminate(slot.proc, grace_s)
        if slot.task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(slot.task, 3.0)
        if slot in rt.slots:
            rt.slots.remove(slot)
        self._system(slot, logging.INFO, f"Replica {slot.name} stopped")

    async def _provision(self, rt: _RevisionRuntime) -> None:
        """Wait for the revision's first full readiness; report Provisioned or Failed with the reason."""
        name, deadline = rt.record.name, time.monotonic() + self.provision_timeout_s
        while True:
            slots = rt.current
            desired = self._desired(rt)
            if desired == 0 or sum(1 for s in slots if s.ready) >= desired:
                return self._on_provisioned(name, True, None)
            crashing = [s for s in slots if not s.ever_ready and s.restart_count >= CRASHES_BEFORE_FAILED]
            if crashing:
                s = crashing[0]
                return self._on_provisioned(
                    name,
                    False,
                    f"replica {s.name} crashed {s.restart_count} times before becoming ready (exit code "
                    f"{s.last_exit_code}): {s.last_error or 'no error output'}",
                )
            if time.monotonic() > deadline:
                s = next((s for s in slots if not s.ready), None)
                why = (s.last_probe or s.last_error or "not started") if s else "no replica"
                return self._on_provisioned(
                    name,
                    False,
                    f"revision did not become ready within {self.provision_timeout_s:g} s; "
                    f"readiness probe /health/ready: {why}",
                )
            await asyncio.sleep(0.03)

    async def _rolling_restart(self, rt: _RevisionRuntime) -> None:
        old = rt.current
        new = [self._start_slot(rt) for _ in old]
        deadline = time.monotonic() + self.provision_timeout_s
        while new and not all(s.ready for s in new) and time.monotonic() < deadline:
            await asyncio.sleep(0.03)
        await asyncio.gather(*(self._stop_slot(rt, s) for s in old))

    async def shutdown(self) -> None:
        """Stop every replica (SIGTERM, then SIGKILL after a grace period)."""
        self._closing = True
        stops = [self._stop_slot(rt, s) for rt in self._revisions.values() for s in list(rt.slots)]
        await asyncio.gather(*stops, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        if self.zygote is not None:
            await self.zygote.close()

    def all_pids(self) -> list[int]:
        return [
            s.pid
            for rt in self._revisions.values()
            for s in rt.slots
            if s.pid and s.proc is not None and s.proc.returncode is None
        ]
