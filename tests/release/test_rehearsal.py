"""`apexops rehearse` end to end on one real sandbox: the scenarios that stop before traffic moves, through
the CLI and the library, and the happy path with its child records and links. The canary scenarios are in
test_rehearsal_canary.py (a file each, so two test workers share the long rehearsals).

One sandbox for the module (rehearse resets it to the baseline when a scenario left it dirty) and one
outputs folder, so the ledger holds every release of the module and must still verify at the end of each.
Assertions read the ledger and the sandbox directly rather than trusting the rehearsal's own checks.
"""

from __future__ import annotations

import pytest
from rehearsal_helpers import chain, heads, rehearse_scenario

from apexops.ledger import Ledger
from apexops.release.orchestrator import read_traffic
from apexops.sandbox.rehearsal import baseline_problems

pytestmark = [pytest.mark.sandbox, pytest.mark.notebook]


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
    assert chain(children) == [("20", "failed")]
    assert children[0]["facts"]["lint"]["blocking"] == ["MIG-007@r003"]
    assert children[0]["parameters"]["migrations_dir"].endswith("rehearsal_migrations")
    assert heads(sandbox.env) == ("0002",)  # nothing reached the database
    assert read_traffic(sandbox.env.app) == {"apex-backend-local--v1-2-2": 100}


def test_the_cli_refuses_an_unknown_scenario_before_anything_runs(sandbox):
    from typer.testing import CliRunner

    from apexops.cli import app

    before = len(Ledger(sandbox.outputs).entries())
    done = CliRunner().invoke(app, ["rehearse", "--scenario", "typo", "--outputs", str(sandbox.outputs)])
    assert done.exit_code == 2 and "--scenario 'typo' is not a rehearsal scenario" in done.output
    assert len(Ledger(sandbox.outputs).entries()) == before


def test_a_crashing_image_stops_at_30_with_no_traffic_moved(sandbox):
    result, parent, children, seen = rehearse_scenario(sandbox, "crash")
    assert result.ok, result.checks
    assert chain(children) == [("20", "succeeded"), ("30", "failed")]
    assert "AZURE_OPENAI_DEPLOYMENT_VERSION" in children[1]["error"]
    assert parent["facts"]["release"]["traffic_moved"] is False
    assert read_traffic(sandbox.env.app) == {"apex-backend-local--v1-2-2": 100}
    assert seen.traffic == []


def test_a_smoke_failure_stops_at_40_before_any_traffic_moves(sandbox):
    result, _parent, children, seen = rehearse_scenario(sandbox, "smoke")
    assert result.ok, result.checks
    assert chain(children) == [("20", "succeeded"), ("30", "succeeded"), ("40", "failed")]
    new = children[1]["facts"]["new_revision"]
    assert children[2]["parameters"]["revision"] == new  # 30's revision went to 40
    assert children[2]["facts"]["smoke"]["checks"]["blob: upload document"] == "FAIL"
    assert seen.traffic == []


def test_the_happy_path_promotes_and_links_every_child_record(sandbox):
    result, parent, children, seen = rehearse_scenario(sandbox, "none")
    assert result.ok and result.exit_code == 0, result.checks
    assert parent["outcome"] == "succeeded" and parent["facts"]["release_verdict"] == "promoted"
    assert chain(children) == [
        ("20", "succeeded"),
        ("30", "succeeded"),
        ("40", "succeeded"),
        ("50", "succeeded"),
    ]
    assert parent["facts"]["child_run_ids"] == [c["run_id"] for c in children]
    new = parent["facts"]["new_revision"]
    assert children[3]["facts"]["canary"]["verdict"] == "promoted"
    assert read_traffic(sandbox.env.app) == {new: 100} and heads(sandbox.env) == ("0003",)
    assert [t.get(new) for t in seen.traffic] == [10, 50, 100]  # the stages, seen live from outside
    assert [s for s in seen.steps if "Run the children" in s]
    # the 90 run's HTML links each child's HTML relative to its own folder; the index names the family
    page = result.run.html_path.read_text()
    for child in children:
        html_rel = next(p for p in child["artifacts"] if p.endswith(".html"))
        assert f'href="../../../{html_rel}"' in page
    index = (sandbox.outputs / "index.html").read_text()
    assert all(f'child <a href="#run-{c["run_id"]}"' in index for c in children)
