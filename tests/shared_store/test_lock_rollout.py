"""Two operators, one production (the sandbox, with its Azurite): the shared lease decides who shifts traffic.

Each operator is its own process with its own outputs folder (so the local fcntl lock cannot see the
other, as on two machines); both start procedure 50's stage runner on the same app at the same moment.
Exactly one shifts traffic; the other is refused at once, naming the holder, and changes nothing. Then the
holder is SIGKILLed mid-stage: its guard keeps the lease while it restores the baseline, then lets it go,
and the next run proceeds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apexops.canary.guard import read_journal
from apexops.canary.traffic import effective
from apexops.models import AppUpdate, TrafficWeight
from apexops.shared.lock import lock_blob_name, read_lock
from apexops.shared.lock_cli import lock_app
from apexops.shared.store import open_container

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

LEASE_S = 15
#: the first stage waits far longer than the test: the holder is split at 50% until it is killed
HOLDING = {
    "stages": [
        {"weight": 50, "min_duration_s": 600, "max_duration_s": 900},
        {"weight": 100, "min_duration_s": 1, "max_duration_s": 15},
    ],
    "poll_interval_s": 1,
    "probes": {"rate_rps": 0},  # no synthetic probes (nor their warm-up): the lock is the point here
}
#: a short run that cannot promote without traffic: it shifts, then escalates back to the baseline
SHORT = {
    "stages": [
        {"weight": 50, "min_duration_s": 1, "max_duration_s": 2},
        {"weight": 100, "min_duration_s": 1, "max_duration_s": 2},
    ],
    "poll_interval_s": 1,
    "probes": {"rate_rps": 0},
    "on_inconclusive": "escalate",
}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from apexops.sandbox.testing import running_sandbox

    home = tmp_path_factory.mktemp("lock-sb")
    with running_sandbox(home, audit={"lease_duration_s": LEASE_S}) as (settings, env):
        yield settings, env


# An operator: procedure 50's stage runner, which takes the environment's shared lease (Rollout._locked).
OPERATOR = textwrap.dedent(
    """
    import json, os, sys, time, faulthandler
    faulthandler.dump_traceback_later(25, exit=False)
    from pathlib import Path
    from apexops.canary.lock import DeploymentLock
    from apexops.canary.rollout import Rollout
    from apexops.environment import connect
    from apexops.errors import LockHeldError
    from apexops.sandbox.testing import apply_overrides
    from apexops.settings import CanaryPolicy, load_settings

    policy, canary, baseline, outputs, run_id, go = sys.argv[1:7]
    settings = apply_overrides(load_settings("local"), {"audit": {"lease_duration_s": LEASE_S}})
    env = connect(settings=settings)

    rollout = Rollout(env, canary=canary, baseline=baseline, policy=CanaryPolicy(**json.loads(policy)),
                      lock_dir=Path(outputs) / "locks", run_id=run_id)
    while not Path(go).exists():
        time.sleep(0.005)
    try:
        result = rollout.run()
    except LockHeldError as exc:
        print("LOCKED", exc, flush=True)
        sys.exit(3)
    print("RESULT", result.outcome, flush=True)
    """
).replace("LEASE_S", str(LEASE_S))


def new_revision(env, settings, tag: str, suffix: str, timeout_s: float = 30.0) -> str:
    name = env.app.update(AppUpdate(image=settings.image(tag), revision_suffix=suffix)).latest_revision_name
    deadline = time.monotonic() + timeout_s
    while env.app.get_revision(name).health_state != "Healthy":
        assert time.monotonic() < deadline, f"{name} did not become healthy"
        time.sleep(0.1)
    return name


def operator(
    policy, canary, baseline, outputs: Path, run_id: str, name: str, go: Path
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", OPERATOR, json.dumps(policy), canary, baseline, str(outputs), run_id, str(go)],
        env={**os.environ, "APEXOPS_OPERATOR": name},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_one_of_two_operators_shifts_and_a_killed_holder_is_restored_and_let_go(sandbox, tmp_path):
    settings, env = sandbox
    baseline = next(r.name for r in env.app.list_revisions() if r.name.endswith("--v1-2-2"))
    canary = new_revision(env, settings, "v1.2.3", "twoops")
    env.app.set_traffic([TrafficWeight(baseline, 100)])
    container = open_container(env.audit_storage)
    lock_name = lock_blob_name(settings.audit.prefix, settings.environment, settings.app.name)
    go = tmp_path / "go"
    ops = {
        who: operator(HOLDING, canary, baseline, tmp_path / who, f"run-{who}", who, go)
        for who in ("alice", "bob")
    }
    try:
        time.sleep(2.0)  # both imported and waiting at the line
        go.touch()
        wait_for(lambda: any(p.poll() is not None for p in ops.values()), 30, "nobody was refused")
        (loser,) = [who for who, p in ops.items() if p.poll() is not None]
        (winner,) = [who for who in ops if who != loser]
        out, err = ops[loser].communicate(timeout=10)
        assert ops[loser].returncode == 3, err
        # refused at once, naming the holder: its run, its operator, its procedure
        assert out.startswith(
            "LOCKED another run holds the deployment lock for apex-backend-local in local: "
        )
        assert f"run run-{winner} by {winner} on " in out and "50-traffic-shifting" in out
        # the loser changed nothing: no guard, no journal, and the traffic is the winner's stage
        assert not list((tmp_path / loser / "locks").glob("traffic-guard-*.json"))
        deadline = time.monotonic() + 30
        while effective(env.app.get_traffic()) != {canary: 50, baseline: 50}:
            assert ops[winner].poll() is None, f"the winner ended: {ops[winner].communicate(timeout=10)}"
            if time.monotonic() > deadline:
                os.killpg(ops[winner].pid, signal.SIGKILL)
                raise AssertionError(f"the winner never split: {ops[winner].communicate(timeout=10)}")
            time.sleep(0.1)
        state = read_lock(container, lock_name)
        assert state.lease_state == "leased" and state.holder.run_id == f"run-{winner}"
        # any operator sees who holds it (the real environment's wiring: the sandbox's Azurite)
        shown = CliRunner().invoke(lock_app, ["status", "--env", "local"], env={"COLUMNS": "250"})
        assert shown.exit_code == 0 and f"run run-{winner} by {winner}" in shown.output, shown.output

        journal_path = next((tmp_path / winner / "locks").glob("traffic-guard-*.json"))
        journal = read_journal(journal_path)
        assert journal["state"] == "armed" and journal["lease"]["name"] == lock_name
        os.killpg(ops[winner].pid, signal.SIGKILL)  # a kernel death mid-stage
        ops[winner].wait(timeout=10)
        killed_at = time.monotonic()
        wait_for(lambda: read_journal(journal_path).get("state") != "armed", 20, "the guard did nothing")
        journal = read_journal(journal_path)
        assert journal["state"] == "restored", journal
        assert "shared lock kept while restoring, then released" in journal["detail"]
        assert effective(env.app.get_traffic()) == {baseline: 100}
        # the lease ends (released by the guard, at the latest expired): well within its duration
        wait_for(lambda: not read_lock(container, lock_name, wait_s=0).held, LEASE_S + 5, "the lease stayed")
        assert time.monotonic() - killed_at < LEASE_S + 5

        # the next run proceeds: it takes the lock and shifts (then escalates back to the baseline)
        go2 = tmp_path / "go2"
        go2.touch()
        nxt = operator(SHORT, canary, baseline, tmp_path / loser, f"run-{loser}-2", loser, go2)
        out, err = nxt.communicate(timeout=60)
        assert nxt.returncode == 0 and out.strip() == "RESULT escalated", err
        assert effective(env.app.get_traffic()) == {baseline: 100}
        after = read_lock(container, lock_name)
        assert after.lease_state == "available" and after.holder.run_id == f"run-{loser}-2"
    finally:
        for p in ops.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        env.app.set_traffic([TrafficWeight(baseline, 100)])
