"""`apexops rehearse` when the canary goes bad: the canary rolls back, 60 runs as a child (with its own
smoke-test child), the traffic ends at the baseline; and an interrupt while the canary runs. One real
sandbox and outputs folder for the module, as in test_rehearsal.py.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from rehearsal_helpers import chain, options, rehearse_scenario

from apexops.ledger import Ledger
from apexops.release.orchestrator import read_traffic
from apexops.runner import RunInterrupted, run_procedure
from apexops.sandbox.rehearsal import prepare_sandbox

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook]


@pytest.mark.parametrize(
    ("name", "why"), [("canary-errors", "5xx"), ("canary-latency", "slow")], ids=["errors", "latency"]
)
def test_a_bad_canary_is_rolled_back_and_60_runs_as_a_child(sandbox, name, why):
    result, parent, children, seen = rehearse_scenario(sandbox, name)
    assert result.ok, result.checks
    assert result.exit_code == 0 and parent["outcome"] == "failed"  # a good rehearsal of a failed release
    assert chain(children) == [
        ("20", "succeeded"),
        ("30", "succeeded"),
        ("40", "succeeded"),
        ("50", "failed"),
        ("60", "succeeded"),
    ]
    deploy, smoke, shift, rollback = children[1], children[2], children[3], children[4]
    new, old = deploy["facts"]["new_revision"], deploy["facts"]["old_revisions"][0]
    assert smoke["facts"]["smoke_verdict"] == {"revision": new, "verdict": "PASS"}  # the fault waits for load
    assert shift["parameters"]["revision"] == new and shift["parameters"]["baseline_revision"] == old
    assert shift["facts"]["traffic_moved"] is True and why in shift["facts"]["canary"]["reason"]
    assert rollback["parameters"]["failed_revision"] == new and rollback["parameters"]["rollback_to"] == old
    assert rollback["parameters"]["approval"] == f"ROLLBACK apex-backend-local TO {old}"
    grandchildren = [
        e for e in Ledger(sandbox.outputs).entries() if e.get("parent_run_id") == rollback["run_id"]
    ]
    assert all(g["procedure"].startswith("40-") for g in grandchildren)  # 60's own child run, linked to 60
    assert parent["facts"]["release_verdict"] == "rolled_back" and parent["facts"]["rolled_back"] is True
    assert read_traffic(sandbox.env.app) == {old: 100}
    assert seen.traffic[0].get(new, 0) > 0 and seen.traffic[-1] == {old: 100}  # moved, then back


def test_an_interrupt_during_the_canary_stops_the_chain_restores_traffic_and_is_recorded(sandbox):
    env = sandbox.env
    prepare_sandbox(sandbox.settings, say=lambda _m: None, options=options())
    baseline = read_traffic(env.app)
    fired = threading.Event()

    def interrupt_when_traffic_moves() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not fired.is_set():
            weights = read_traffic(env.app)
            if len(weights) > 1:  # the canary has weight: stage 1 runs
                fired.set()
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=interrupt_when_traffic_moves, daemon=True)
    watcher.start()
    params = {
        "dry_run": False,
        "migrate": False,
        "image_tag": "v1.2.3",
        "approval": "RELEASE v1.2.3 TO local",
    }
    with pytest.raises(RunInterrupted) as stop:
        run_procedure("90-release", parameters=params, outputs=sandbox.outputs)
    fired.set()
    watcher.join(timeout=5)
    run = stop.value.result
    assert run.outcome == "interrupted"
    entries = Ledger(sandbox.outputs).entries()
    children = [e for e in entries if e.get("parent_run_id") == run.run_id]
    assert chain(children) == [("30", "succeeded"), ("40", "succeeded"), ("50", "interrupted")]  # no 60
    assert children[2]["facts"]["traffic_moved"] is True
    facts = run.facts
    assert facts["release_verdict"] == "interrupted" and facts["release"]["traffic_final"] == baseline
    assert any("verified at the baseline" in r for r in facts["release"]["reasons"])
    assert read_traffic(env.app) == baseline  # the canary restored the baseline itself
    assert Ledger(sandbox.outputs).verify(artifacts=True).ok
