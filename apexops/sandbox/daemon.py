"""The sandbox daemon: one background process holding the control plane, the supervisor, the ingress and the
telemetry writer, with a loopback JSON control API that the adapters and the CLI talk to.

Started by `lifecycle.up` as `python -m apexops.sandbox.daemon --home <home>`. It reads the settings
snapshot `up` wrote (so test overrides reach it), takes an exclusive lock on the home folder (one daemon per
sandbox), binds the ingress port (failing with one line naming the port and the fix), restores every
revision from `state.json` (seeding the baseline release on first start), and only then writes
`daemon.json`, which is how `up` knows it is ready. SIGTERM or the `shutdown` call stop every replica
before the daemon exits; if the daemon is killed outright, its replicas die with it (see `_boot`).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import errno
import fcntl
import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexops.errors import ApexopsError
from apexops.processes import alive
from apexops.sandbox.controlapi import ControlAPI
from apexops.sandbox.controlplane import ControlPlane, RevisionRecord, new_template
from apexops.sandbox.deployments import ResourceGroup, baseline_template
from apexops.sandbox.identity import SandboxIdentity
from apexops.sandbox.images import ImageCatalogue
from apexops.sandbox.ingress import Ingress
from apexops.sandbox.state import SandboxPaths, read_json, write_json
from apexops.sandbox.supervisor import Supervisor
from apexops.sandbox.telemetry import TelemetryWriter
from apexops.sandbox.zygote import Zygote
from apexops.settings import Settings

__all__ = ["DaemonOptions", "main"]


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


class StartupError(Exception):
    """The daemon cannot start; the message is the one line `up` shows."""


class Daemon(ControlAPI):
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
        self._route: tuple[list[str], list[int], int] = ([], [], 0)
        self._execs: set[int] = set()  # process groups of running `exec` commands

    # ------------------------------------------------------------------ wiring
    async def start(self) -> None:
        s, p = self.settings, self.paths
        self.identity = SandboxIdentity(p.home)
        self.identity.ensure_key()
        self.images = ImageCatalogue(p.home, s.registry.server, s.app.image_repository)
        self.telemetry = TelemetryWriter(p.telemetry_db, flush_interval_s=self.options.flush_interval_s)
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
            new_template(
                s.image(tag),
                env=s.app.env,
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
                "APEX_BLOB_ROOT": str(self.paths.blobs),
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

    def _provisioned(self, name: str, ok: bool, error: str | None) -> None:
        self.control.provisioned(name, ok, error)
        self._route_gen = -1  # a latestRevision entry may now resolve elsewhere

    def _is_active(self, name: str) -> bool:
        rev = self.control.revisions.get(name)
        return rev is not None and rev.active

    def _choose(self) -> str | None:
        if self._route_gen != self.control.generation:
            weights = self.control.effective_weights()
            names = [n for n, w in weights.items() if w > 0]
            cum: list[int] = []
            total = 0
            for n in names:
                total += weights[n]
                cum.append(total)
            self._route = (names, cum, total)
            self._route_gen = self.control.generation
        names, cum, total = self._route
        if not total:
            return None
        return names[bisect.bisect_right(cum, self._rng.randrange(total))]

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
        self.telemetry.stop()
        info = read_json(self.paths.daemon_info) or {}
        if info.get("pid") == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                self.paths.daemon_info.unlink()


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
    paths = SandboxPaths(args.home.resolve())
    with contextlib.suppress(FileNotFoundError):
        paths.startup_error.unlink()
    try:
        lock_fd = _lock(paths)
    except StartupError as exc:
        paths.startup_error.write_text(str(exc) + "\n")
        return 1
    paths.pid_file.write_text(f"{os.getpid()}\n")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
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
