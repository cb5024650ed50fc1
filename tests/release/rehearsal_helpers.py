"""What the rehearsal tests share: run a scenario and read its records back from the ledger.

Imported by name (conftest.py puts this folder on sys.path).
"""

from __future__ import annotations

import os
from types import SimpleNamespace

from apexops.ledger import Ledger
from apexops.release.orchestrator import read_heads
from apexops.sandbox.daemon import DaemonOptions
from apexops.sandbox.rehearsal import baseline_problems, rehearse


def options() -> DaemonOptions:
    return DaemonOptions(owner_pid=os.getpid())  # a sandbox reset by rehearse still dies with this process


def rehearse_scenario(sandbox, name):
    seen = SimpleNamespace(events=[], steps=[], traffic=[], said=[])
    dirty = baseline_problems(sandbox.settings, sandbox.env)  # what an earlier scenario left behind
    result = rehearse(
        name,
        outputs=sandbox.outputs,
        say=seen.said.append,
        on_event=seen.events.append,
        on_step=seen.steps.append,
        on_traffic=seen.traffic.append,
        options=options(),
    )
    assert ("resetting" in " ".join(seen.said)) == bool(dirty)  # reset exactly when not at the baseline
    entries = Ledger(sandbox.outputs).entries()
    parent = next(e for e in entries if e["run_id"] == result.run.run_id)
    children = [e for e in entries if e.get("parent_run_id") == parent["run_id"]]
    return result, parent, children, seen


def chain(children):
    return [(c["procedure"][:2], c["outcome"]) for c in children]


def heads(env):
    return read_heads(env)
