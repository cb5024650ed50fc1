"""`apexops run 90-release` interrupted while its canary runs: the chain stops, the canary restores the
baseline itself, no 60 runs, and the release is recorded as interrupted. A file of its own (one real sandbox
and outputs folder), so two test workers share the long release chains with test_rehearsal_canary.py.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from rehearsal_helpers import chain, options

from apexops.ledger import Ledger
from apexops.release.orchestrator import read_traffic
from apexops.runner import RunInterrupted, run_procedure
from apexops.sandbox.rehearsal import prepare_sandbox

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook]


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
