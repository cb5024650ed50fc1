"""The runbook's "SELECT 1 from the container app": the database as the application sees it.

The notebook's own engine reaching the database proves little about the app: the app goes through its
own network path (private endpoint, DNS) and its own configuration. So the check runs *inside* a replica
(`az containerapp exec` on Azure, a process in the replica's environment on the sandbox) through the
ContainerApp port, with the runbook's script: the app's engine when it has one (`apex.database
.connection`), else the replica's configured URL (APEX_DATABASE_URL, as the sandbox sets it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexops.errors import ApexopsError, NotSupportedError
from apexops.status import Status

if TYPE_CHECKING:
    from apexops.ports import ContainerApp

__all__ = ["CHECK_SCRIPT", "ConnectivityResult", "check_from_app", "pick_revision"]

SUCCESS = "Database connection successful:"

#: the runbook's Step 6 script, made to work on SQLAlchemy 2 (text()) and to exit non-zero on failure
CHECK_SCRIPT = f"""
import sqlalchemy as sa
try:
    from apex.database.connection import engine
except ImportError:
    import os
    engine = sa.create_engine(os.environ["APEX_DATABASE_URL"])
try:
    with engine.connect() as conn:
        result = conn.execute(sa.text("SELECT 1 AS test"))
        print("{SUCCESS}", tuple(result.fetchone()))
except Exception as e:
    first = str(e).strip().splitlines()
    print("Database connection failed:", type(e).__name__, first[0] if first else "")
    raise SystemExit(1)
""".strip()


@dataclass(frozen=True)
class ConnectivityResult:
    revision: str
    replica: str
    ok: bool
    exit_code: int | None
    output: str
    duration_s: float
    #: the target cannot run a command in a replica (Azure through the SDK): not a failure, a manual step
    skipped: bool = False

    @property
    def verdict(self) -> Status:
        if self.skipped:
            return Status.SKIPPED
        return Status.PASS if self.ok else Status.FAIL

    @property
    def failed(self) -> bool:
        return not self.ok and not self.skipped

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "verdict": self.verdict,
                "revision": self.revision,
                "replica": self.replica,
                "exit code": self.exit_code,
                "output": self.output.strip()[-300:],
                "seconds": round(self.duration_s, 2),
            }
        ]


def pick_revision(app: ContainerApp) -> str | None:
    """The revision serving most traffic (the one users reach), else the latest ready one."""
    state = app.show()
    weights = sorted((w for w in state.traffic if w.weight > 0), key=lambda w: -w.weight)
    if weights:
        return weights[0].revision_name or state.latest_ready_revision_name
    return state.latest_ready_revision_name or state.latest_revision_name


def check_from_app(
    app: ContainerApp,
    *,
    revision: str | None = None,
    timeout_s: float = 30.0,
    python: str = "python3",
    clock: Callable[[], float] = time.monotonic,
) -> ConnectivityResult:
    """Run `SELECT 1` inside a running replica of `revision` (default: the one taking most traffic)."""
    started = clock()
    name = revision or pick_revision(app)
    if not name:
        return ConnectivityResult("", "", False, None, "the app has no revision to exec into", 0.0)
    try:
        result = app.exec(name, [python, "-c", CHECK_SCRIPT], timeout_s=timeout_s)
    except NotSupportedError as exc:  # Azure: exec is the CLI's websocket session; the hint is that command
        return ConnectivityResult(name, "", False, None, str(exc), clock() - started, skipped=True)
    except ApexopsError as exc:  # no running replica, target down ...: a failed check, shown with its hint
        return ConnectivityResult(name, "", False, None, str(exc), clock() - started)
    ok = result.exit_code == 0 and SUCCESS in result.output
    return ConnectivityResult(
        result.revision, result.replica, ok, result.exit_code, result.output, clock() - started
    )
