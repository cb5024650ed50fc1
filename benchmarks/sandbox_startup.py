"""Sandbox start-up speed: `up` cold and warm, update -> healthy revision, crashed replica -> ready again.

    . .venv/bin/activate && python benchmarks/sandbox_startup.py [--repeat 3]

Runs the same sequence with replicas forked from the preloaded fork server (the default) and with plain
`python -m apexops.sandbox.service` processes, side by side, each in a fresh temporary home on a free port:
  cold up      first `up` of an empty home (database migrated, baseline revision healthy)
  noop up      `up` while running (idempotent: status only)
  warm up      `up` after `down` with the state kept (revisions restored, healthy)
  new revision `update(image=...)` until the new revision is Provisioned/Healthy
  restart      SIGKILL a replica until it is ready again (includes the restart back-off, 0.2 s)
  down         stop daemon and replicas (verified gone)
Medians over --repeat runs. Measured, not asserted (the machine is shared; see the load average printed).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path


def one_run(fork_server: bool) -> dict[str, float]:
    from apexops.models import AppUpdate
    from apexops.sandbox import lifecycle
    from apexops.sandbox.adapters import build_environment
    from apexops.sandbox.client import ControlClient
    from apexops.sandbox.daemon import DaemonOptions
    from apexops.sandbox.supervisor import free_port
    from apexops.sandbox.testing import apply_overrides
    from apexops.settings import load_settings

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="apexops-bench-") as tmp:
        os.environ["APEXOPS_SANDBOX_HOME"] = str(Path(tmp) / "home")
        os.environ["APEXOPS_SANDBOX_PORT"] = str(free_port())
        settings = apply_overrides(load_settings("local"), {})
        opts = DaemonOptions(owner_pid=os.getpid(), fork_server=fork_server)
        try:
            t = time.perf_counter()
            lifecycle.up(settings, options=opts)
            out["cold up"] = time.perf_counter() - t
            t = time.perf_counter()
            lifecycle.up(settings, options=opts)
            out["noop up"] = time.perf_counter() - t
            t = time.perf_counter()
            lifecycle.down(settings)
            out["down"] = time.perf_counter() - t
            t = time.perf_counter()
            lifecycle.up(settings, options=opts)
            out["warm up"] = time.perf_counter() - t

            env = build_environment(settings)
            t = time.perf_counter()
            name = env.app.update(AppUpdate(image=settings.image("v1.2.3"))).latest_revision_name
            while (rev := env.app.get_revision(name)).provisioning_state == "Provisioning":
                time.sleep(0.01)
            assert rev.health_state == "Healthy", rev
            out["new revision"] = time.perf_counter() - t

            control = ControlClient(settings.sandbox_home())
            replica = control.call("list_replicas", revision=name)[0]
            t = time.perf_counter()
            os.kill(replica["pid"], signal.SIGKILL)
            while not any(
                r["ready"] and r["restart_count"] == 1 for r in control.call("list_replicas", revision=name)
            ):
                time.sleep(0.01)
            out["restart"] = time.perf_counter() - t
            control.close()
        finally:
            lifecycle.down(settings)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores)")
    results: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for i in range(args.repeat):
        for fork in (True, False) if i % 2 == 0 else (False, True):  # interleaved, alternating order
            results[fork].append(one_run(fork))
    keys = ["cold up", "noop up", "warm up", "new revision", "restart", "down"]
    print(f"\n{'step (median s)':<16} {'fork server':>12} {'python -m':>10}")
    for k in keys:
        f = statistics.median(r[k] for r in results[True])
        p = statistics.median(r[k] for r in results[False])
        print(f"{k:<16} {f:>12.3f} {p:>10.3f}")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
