"""The stage runner's crash safety against the real sandbox: a real process holding the lock is killed and
its guard restores the traffic. Promotion and automatic rollback through the same Rollout are tested end to
end by procedure 50's tests (tests/traffic/test_shift_sandbox.py), with the evidence they save."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apexops.canary.guard import read_journal
from apexops.canary.rollout import Rollout
from apexops.canary.traffic import effective
from apexops.errors import LockHeldError
from apexops.models import AppUpdate, TrafficWeight

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

#: compressed so a rollout takes seconds; 50% first so the sandbox's load can show the SLO in time
POLICY = {
    "stages": [
        {"weight": 50, "min_duration_s": 3, "max_duration_s": 30},
        {"weight": 100, "min_duration_s": 1, "max_duration_s": 15},
    ],
    "poll_interval_s": 1,
    "promote_confidence": 0.8,
    # the guard and the lock are under test here, not the evidence: the users' telemetry alone, no probes
    # (their warm-up would delay the split; tests/traffic/test_shift_strata_sandbox.py covers them)
    "strata": ["users"],
}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from apexops.sandbox.testing import running_sandbox

    home = tmp_path_factory.mktemp("canary-sb")
    with running_sandbox(home, canary=POLICY, options={"flush_interval_s": 0.05}) as (settings, env):
        yield settings, env


@pytest.fixture
def baseline(sandbox):
    _, env = sandbox
    base = next(r.name for r in env.app.list_revisions() if r.name.endswith("--v1-2-2"))
    yield base
    env.app.set_traffic([TrafficWeight(base, 100)])


def new_revision(env, settings, tag: str, suffix: str, timeout_s: float = 30.0) -> str:
    name = env.app.update(AppUpdate(image=settings.image(tag), revision_suffix=suffix)).latest_revision_name
    deadline = time.monotonic() + timeout_s
    while env.app.get_revision(name).health_state != "Healthy":
        assert time.monotonic() < deadline, f"{name} did not become healthy"
        time.sleep(0.1)
    return name


def guard_running(journal: Path) -> bool:
    """A live process whose command line names this journal (zombies have an empty command line)."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(journal).encode() in (proc / "cmdline").read_bytes().split(b"\0"):
                    return True
            except OSError:
                continue
    return False


CHILD = """
import json, sys
from pathlib import Path
from apexops.canary.rollout import Rollout
from apexops.environment import connect
from apexops.settings import CanaryPolicy
policy = CanaryPolicy(**json.loads(sys.argv[1]))
Rollout(connect("local"), canary=sys.argv[2], baseline=sys.argv[3], policy=policy, lock_dir=Path(sys.argv[4]),
        run_id="child-run").run()
"""


def test_a_second_run_is_refused_and_a_killed_run_is_restored_by_its_guard(sandbox, baseline, tmp_path):
    settings, env = sandbox
    canary = new_revision(env, settings, "v1.2.3", "killed")
    slow_policy = {
        **POLICY,
        "stages": [
            {"weight": 50, "min_duration_s": 600, "max_duration_s": 900},
            {"weight": 100, "min_duration_s": 1, "max_duration_s": 15},
        ],
    }
    locks = tmp_path / "locks"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(slow_policy), canary, baseline, str(locks)],
        env=os.environ.copy(),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while effective(env.app.get_traffic()) != {canary: 50, baseline: 50}:
            assert child.poll() is None, "the child run ended early"
            assert time.monotonic() < deadline, "the child never split the traffic"
            time.sleep(0.1)
        with pytest.raises(LockHeldError, match="run child-run"):
            Rollout(env, canary=canary, baseline=baseline, lock_dir=locks, guard=False).run()
        journal_path = next(locks.glob("traffic-guard-*.json"))
        assert read_journal(journal_path)["state"] == "armed"
        os.killpg(child.pid, signal.SIGKILL)  # a kernel death: nothing runs in the child any more
        child.wait(timeout=10)
        deadline = time.monotonic() + 20
        # the guard writes the traffic, then the journal: wait for both, in that order
        while effective(env.app.get_traffic()) != {baseline: 100} or (
            read_journal(journal_path).get("state") == "armed"
        ):
            assert time.monotonic() < deadline, (
                f"the guard did not restore the traffic: {read_journal(journal_path)}"
            )
            time.sleep(0.1)
        journal = read_journal(journal_path)
        assert journal["state"] == "restored" and "parent died" in journal["detail"]
        deadline = time.monotonic() + 10  # it exits right after writing the journal
        while guard_running(journal_path):
            assert time.monotonic() < deadline, "the guard process is still running"
            time.sleep(0.1)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
