"""`apexops rehearse` when the canary goes bad: the canary rolls back, 60 runs as a child (with its own
smoke-test child), the traffic ends at the baseline. One real sandbox and outputs folder for the module, as
in test_rehearsal.py. An interrupt while the canary runs is test_rehearsal_interrupt.py (a file of its own,
so two test workers share the long release chains).
"""

from __future__ import annotations

import pytest
from rehearsal_helpers import chain, rehearse_scenario

from apexops.ledger import Ledger
from apexops.release.orchestrator import read_traffic

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
