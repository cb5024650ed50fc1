"""Replica bootstrap: tie the process's life to its supervisor, then run the service module as `__main__`.

`python -m apexops.sandbox._boot apexops.sandbox.service --host H --port P` behaves like
`python -m apexops.sandbox.service --host H --port P` (runpy, same argv and environment) except that the
replica cannot outlive the daemon: on Linux the kernel sends it SIGKILL when the daemon dies (even by
SIGKILL, which gives the daemon no chance to clean up); elsewhere a thread polls the parent pid.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


def die_with_parent(expected_parent: int) -> None:
    """Arrange to be killed when `expected_parent` exits; exit at once if it already has."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl failed")
    except (OSError, AttributeError):

        def watch() -> None:
            while os.getppid() == expected_parent:
                time.sleep(0.5)
            os._exit(70)

        threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    if expected_parent and os.getppid() != expected_parent:
        os._exit(70)  # the parent died between fork and prctl


def main() -> None:
    parent = int(os.environ.pop("APEXOPS_SUPERVISOR_PID", "0") or 0)
    die_with_parent(parent or os.getppid())
    if len(sys.argv) < 2:
        sys.stderr.write("usage: python -m apexops.sandbox._boot <module> [args...]\n")
        raise SystemExit(2)
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
