"""`apexops rehearse` end to end on one real sandbox: every scenario, its children, the ledger links, the
rollback when traffic had moved, and an interrupt while the canary runs.

One sandbox for the module (rehearse resets it to the baseline when a scenario left it dirty) and one
outputs folder, so the ledger holds every release of the module and must still verify at the end of each.
The scenarios that fail early run first; the canary scenarios use the environment's compressed policy.
Assertions read the ledger and the sandbox directly rather than trusting the rehearsal's own checks.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from types import SimpleNamespace

import pytest

from apexops.ledger import Ledger
from apexops.release.orchestrator import _effective
from apexops.release.rehearse import baseline_problems, prepare_sandbox, rehearse
from apexops.runner import RunInterrupted, run_procedure
from apexops.sandbox.daemon import DaemonOptions

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from apexops.sandbox.testing import running_sandbox

    root = tmp_path_factory.mktemp("release")
    with running_sandbox(root / "sandbox") as (settings, env):
        yield SimpleNamespace(settings=settings, env=env, outputs=root / "outputs")


def _options() -> DaemonOptions:
    return DaemonOptions(owner_pid=os.getpid())  # a sandbox reset by rehearse still dies with this process


def _rehearse(sandbox, name):
    seen = SimpleNamespace(events=[], steps=[], traffic=[], said=[])
    dirty = baseline_problems(sandbox.settings, sandbox.env)  # what an earlier scenario left behind
    result = rehearse(
        name,
        outputs=sandbox.outputs,
        say=seen.said.append,
        on_event=seen.events.append,
        on_step=seen.steps.append,
        on_traffic=seen.traffic.append,
        options=_options(),
    )
    assert ("resetting" in " ".join(seen.said)) == bool(dirty)  # reset exactly when not at the baseline
    entries = Ledger(sandbox.outputs).entries()
    parent = next(e for e in entries if e["run_id"] == result.run.run_id)
    children = [e for e in entries if e.get("parent_run_id") == parent["run_id"]]
    return result, parent, children, seen


def _chain(children):
    return [(c["procedure"][:2], c["outcome"]) for c in children]


def _heads(env):
    from alembic.runtime.migration import MigrationContext

    with env.database.engine().connect() as conn:
        return MigrationContext.configure(conn).get_current_heads()


def test_migration_lint_through_the_cli_blocks_at_20_and_nothing_changes(sandbox):
    """The CLI as a user runs it: progress child by child, the summary, exit code 0 for a good rehearsal."""
    from typer.testing import CliRunner

    from apexops.cli import app

    assert baseline_problems(sandbox.settings, sandbox.env) == []  # first in the module: nothing to reset
    done = CliRunner().invoke(app, ["rehearse", "-s", "migration-lint", "--outputs", str(sandbox.outputs)])
    out = done.output
    assert done.exit_code == 0, out
    assert "▶ 20-database-migration" in out and "✗ 20-database-migration failed" in out
    assert "- 30-application-deployment not_run: the chain stopped before it" in out
    assert "release verdict: FAILED" in out and "MIG-007@r003" in out
    assert "rehearsal OK" in out and "✗" not in out.split("rehearsal checks:")[1].split("to read:")[0]
    assert f"reviewer's index: {sandbox.outputs / 'index.html'}" in out
    assert f"apexops runs verify --outputs {sandbox.outputs}" in out
    entries = Ledger(sandbox.outputs).entries()
    parent = next(e for e in reversed(entries) if e["procedure"] == "90-release")
    children = [e for e in entries if e.get("parent_run_id") == parent["run_id"]]
    assert parent["outcome"] == "failed" and parent["facts"]["release_verdict"] == "failed"
    assert _chain(children) == [("20", "failed")]
    assert children[0]["facts"]["lint"]["blocking"] == ["MIG-007@r003"]
    assert children[0]["parameters"]["migrations_dir"].endswith("rehearsal_migrations")
    assert _heads(sandbox.env) == ("0002",)  # nothing reached the database
    assert _effective(sandbox.env.app) == {"apex-backend-local--v1-2-2": 100}


def test_the_cli_refuses_an_unknown_scenario_before_anything_runs(sandbox):
    from typer.testing import CliRunner

    from apexops.cli import app

    before = len(Ledger(sandbox.outputs).entries())
    done = CliRunner().invoke(app, ["rehearse", "--scenario", "typo", "--outputs", str(sandbox.outputs)])
    assert done.exit_code == 2 and "--scenario 'typo' is not a rehearsal scenario" in done.output
    assert len(Ledger(sandbox.outputs).entries()) == before


def test_a_crashing_image_stops_at_30_with_no_traffic_moved(sandbox):
    result, parent, children, seen = _rehearse(sandbox, "crash")
    assert result.ok, result.checks
    assert _chain(children) == [("20", "succeeded"), ("30", "failed")]
    assert "AZURE_OPENAI_DEPLOYMENT_VERSION" in children[1]["error"]
    assert parent["facts"]["release"]["traffic_moved"] is False
    assert _effective(sandbox.env.app) == {"apex-backend-local--v1-2-2": 100}
    assert seen.traffic == []


def test_a_smoke_failure_stops_at_40_before_any_traffic_moves(sandbox):
    result, _parent, children, seen = _rehearse(sandbox, "smoke")
    assert result.ok, result.checks
    assert _chain(children) == [("20", "succeeded"), ("30", "succeeded"), ("40", "failed")]
    new = children[1]["facts"]["new_revision"]
    assert children[2]["parameters"]["revision"] == new  # 30's revision went to 40
    assert children[2]["facts"]["smoke"]["checks"]["blob: upload document"] == "FAIL"
    assert seen.traffic == []


@pytest.mark.parametrize(
    ("name", "why"), [("canary-errors", "5xx"), ("canary-latency", "slow")], ids=["errors", "latency"]
)
def test_a_bad_canary_is_rolled_back_and_60_runs_as_a_child(sandbox, name, why):
    result, parent, children, seen = _rehearse(sandbox, name)
    assert result.ok, result.checks
    assert result.exit_code == 0 and parent["outcome"] == "failed"  # a good rehearsal of a failed release
    assert _chain(children) == [
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
    assert _effective(sandbox.env.app) == {old: 100}
    assert seen.traffic[0].get(new, 0) > 0 and seen.traffic[-1] == {old: 100}  # moved, then back


def test_the_happy_path_promotes_and_links_every_child_record(sandbox):
    result, parent, children, seen = _rehearse(sandbox, "none")
    assert result.ok and result.exit_code == 0, result.checks
    assert parent["outcome"] == "succeeded" and parent["facts"]["release_verdict"] == "promoted"
    assert _chain(children) == [
        ("20", "succeeded"),
        ("30", "succeeded"),
        ("40", "succeeded"),
        ("50", "succeeded"),
    ]
    assert parent["facts"]["child_run_ids"] == [c["run_id"] for c in children]
    new = parent["facts"]["new_revision"]
    assert children[3]["facts"]["canary"]["verdict"] == "promoted"
    assert _effective(sandbox.env.app) == {new: 100} and _heads(sandbox.env) == ("0003",)
    assert [t.get(new) for t in seen.traffic] == [10, 50, 100]  # the stages, seen live from outside
    assert [s for s in seen.steps if "Run the children" in s]
    # the 90 run's HTML links each child's HTML relative to its own folder; the index names the family
    page = result.run.html_path.read_text()
    for child in children:
        html_rel = next(p for p in child["artifacts"] if p.endswith(".html"))
        assert f'href="../../../{html_rel}"' in page
    index = (sandbox.outputs / "index.html").read_text()
    assert all(f'child <a href="#run-{c["run_id"]}"' in index for c in children)


def test_an_interrupt_during_the_canary_stops_the_chain_restores_traffic_and_is_recorded(sandbox):
    env = sandbox.env
    prepare_sandbox(sandbox.settings, say=lambda _m: None, options=_options())
    baseline = _effective(env.app)
    fired = threading.Event()

    def interrupt_when_traffic_moves() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not fired.is_set():
            weights = _effective(env.app)
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
    assert _chain(children) == [("30", "succeeded"), ("40", "succeeded"), ("50", "interrupted")]  # no 60
    assert children[2]["facts"]["traffic_moved"] is True
    facts = run.facts
    assert facts["release_verdict"] == "interrupted" and facts["release"]["traffic_final"] == baseline
    assert any("verified at the baseline" in r for r in facts["release"]["reasons"])
    assert _effective(env.app) == baseline  # the canary restored the baseline itself
    assert Ledger(sandbox.outputs).verify(artifacts=True).ok
