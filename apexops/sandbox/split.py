"""Traffic left split by a run that is gone: what `sandbox up` and `sandbox status` warn about.

A canary (procedure 50) splits traffic while it holds the deployment lock (`apexops.canary.lock`, an
exclusive `flock` on `<outputs>/locks/<env>--<app>.lock` that the kernel drops when the run's process ends).
If the sandbox daemon is killed mid-canary, the run fails without being able to restore the baseline, the
lock is released, and the restarted daemon restores the split from `state.json` as it was: 10/90 with
nobody watching it. A split with no run holding the lock is therefore an interrupted shift, and the
operator is told so, with the weights and the command that restores a safe state.

The lock is probed with a shared, non-blocking `flock` released at once (the holder's pid in the file is
not enough: an interactive kernel outlives the run that wrote it); the probe lasts microseconds, and runs
only when traffic is split. Only the default outputs folder
(`APEXOPS_OUTPUTS`, else `<project>/outputs`) is looked at: runs given another `--outputs` lock there.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Sequence
from pathlib import Path

from apexops.kernel import outputs_root
from apexops.models import Revision

__all__ = ["deployment_lock_held", "lock_file", "orphaned_split", "split_warning"]


def deployment_lock_held(path: Path) -> bool:
    """True while some process holds the exclusive deployment lock on `path`."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False  # no run ever locked this app here
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def lock_file(env: str, app: str, root: Path | None = None) -> Path:
    """Where procedures 50/60/70 lock `app` in `env` (the path `DeploymentLock` uses)."""
    # apexops.canary loads scipy: imported only when traffic is split, so `status` stays light otherwise
    from apexops.canary.lock import DeploymentLock

    return DeploymentLock((root or outputs_root()) / "locks", env=env, app=app).path


def orphaned_split(revisions: Sequence[Revision], *, env: str, lock_held: bool) -> str | None:
    """The one-line warning for traffic split between revisions with no run holding the lock, else None."""
    serving = [r for r in revisions if r.traffic_weight > 0]
    if len(serving) < 2 or lock_held:
        return None
    newest = max(serving, key=lambda r: r.created_time.timestamp() if r.created_time else 0.0)
    back_to = max((r for r in serving if r is not newest), key=lambda r: r.traffic_weight)
    weights = ", ".join(f"{r.name}={r.traffic_weight}" for r in serving)
    return (
        f"traffic is split between revisions ({weights}) and no run holds the deployment lock: a traffic "
        f"shift was interrupted. HINT: restore it with 60-rollback: `apexops run 60 --env {env} -p "
        f"failed_revision={newest.name} -p rollback_to={back_to.name}` (a dry run; add -p dry_run=false and "
        "the approval it asks for), then shift again with `apexops run 50`."
    )


def split_warning(
    revisions: Sequence[Revision], *, env: str, app: str, root: Path | None = None
) -> str | None:
    """`orphaned_split` for `app` in `env`, probing the deployment lock only when traffic is split."""
    if sum(r.traffic_weight > 0 for r in revisions) < 2:
        return None
    held = deployment_lock_held(lock_file(env, app, root))
    return orphaned_split(revisions, env=env, lock_held=held)
