"""Replica time-to-ready: from spawning `python -m apexops.sandbox.service` to the first 200 on /health/ready.

The daemon starts several replicas per revision, so this is the latency a new revision pays before it
can become Healthy. Measured, printed, not asserted (goal: well under 1.5 s on the 2-core CI machine).

    python benchmarks/sandbox_replica_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from alembic import command
from alembic.config import Config

from apexops.sandbox import azurite
from apexops.sandbox.identity import SandboxIdentity
from apexops.schema import MIGRATIONS_DIR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_replicas(env: dict[str, str], count: int) -> list[tuple[float, float]]:
    """Spawn `count` replicas at once; per replica (seconds to port accepting, seconds to ready 200)."""
    t0 = time.perf_counter()
    ports = [free_port() for _ in range(count)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "apexops.sandbox.service", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    bound: dict[int, float] = {}
    ready: dict[int, float] = {}
    try:
        with httpx.Client(timeout=2.0) as client:
            while len(ready) < count:
                for i, (port, proc) in enumerate(zip(ports, procs, strict=True)):
                    if i in ready:
                        continue
                    if proc.poll() is not None:
                        raise RuntimeError(f"replica exited with {proc.returncode}")
                    try:
                        if i not in bound:
                            with socket.create_connection(("127.0.0.1", port), timeout=0.05):
                                bound[i] = time.perf_counter() - t0
                        if client.get(f"http://127.0.0.1:{port}/health/ready").status_code == 200:
                            ready[i] = time.perf_counter() - t0
                    except (OSError, httpx.HTTPError):
                        pass
                time.sleep(0.005)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)
    return [(bound[i], ready[i]) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'apex.db'}"
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", url)
        command.upgrade(cfg, "head")
        identity = SandboxIdentity(home)
        blob = azurite.start(home)  # the replicas' Blob Storage (stopped below)
        env = {
            **os.environ,
            "APEX_DATABASE_URL": url,
            "APEX_BLOB_ENDPOINT": blob.account_url,
            "APEX_AUTH_AUDIENCE": "api://apex-local-client",
            "APEX_AUTH_KEY_FILE": str(identity.ensure_key()),
            "CONTAINER_APP_REVISION": "bench--1",
            "CONTAINER_APP_REPLICA_NAME": "bench--1-r1",
        }
        try:
            start_replicas(env, 1)  # warm the page cache and .pyc files
            single = [start_replicas(env, 1)[0] for _ in range(args.runs)]
            pairs = [max(r for _, r in start_replicas(env, 2)) for _ in range(args.runs)]
        finally:
            azurite.stop(home)
    rows = (
        ("1 replica: port accepting", [b for b, _ in single]),
        ("1 replica: /health/ready 200", [r for _, r in single]),
        ("2 at once: both ready", pairs),
    )
    print(f"replica start-up, spawn -> event, seconds over {args.runs} runs (2 cores; goal < 1.5 s)")
    print(f"{'':30}{'median':>8}{'min':>8}{'max':>8}")
    for name, xs in rows:
        print(f"{name:30}{statistics.median(xs):8.3f}{min(xs):8.3f}{max(xs):8.3f}")


if __name__ == "__main__":
    main()
