"""The helpers every notebook uses: kernel facts/evidence, display, gates (in-process, no kernel)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from apexops import display, gates, kernel, livechart
from apexops.errors import ApprovalRequired
from apexops.tokens import AccessToken

# --------------------------------------------------------------------------- kernel


def test_interactive_runs_write_under_outputs_interactive(tmp_path, monkeypatch):
    monkeypatch.setattr(kernel, "_interactive_id", None)
    monkeypatch.setenv("JPY_SESSION_NAME", "/work/notebooks/20-database-migration.ipynb")
    ctx = kernel.run_context()
    assert not ctx.headless and ctx.procedure == "20-database-migration"
    assert ctx.run_dir.parent == tmp_path / "outputs" / "interactive"
    kernel.record("head", "0003")
    kernel.record("approvals", {"by": "me"}, append=True)
    kernel.record("approvals", {"by": "you"}, append=True)
    (kernel.evidence() / "plan.sql").write_text("SELECT 1;")
    assert kernel.facts() == {"head": "0003", "approvals": [{"by": "me"}, {"by": "you"}]}
    assert (ctx.run_dir / "evidence" / "plan.sql").exists()
    assert kernel.run_context().run_id == ctx.run_id  # one run per kernel session


def test_under_the_runner_the_context_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("APEXOPS_RUN_ID", "abc123")
    monkeypatch.setenv("APEXOPS_RUN_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("APEXOPS_PROCEDURE", "50-traffic-shifting")
    monkeypatch.setenv("APEXOPS_ENV", "prod")
    monkeypatch.setenv("APEXOPS_HEADLESS", "1")
    monkeypatch.setenv("APEXOPS_PARENT_RUN", "parent9")
    ctx = kernel.run_context()
    assert (ctx.run_id, ctx.procedure, ctx.env, ctx.headless, ctx.parent_run_id) == (
        "abc123", "50-traffic-shifting", "prod", True, "parent9"
    )  # fmt: skip
    assert kernel.evidence() == tmp_path / "run" / "evidence"


@dataclass(frozen=True)
class Revision:
    name: str
    weight: int
    _private: str = "hidden"


def test_facts_become_plain_json_and_never_carry_a_token():
    token = AccessToken(
        "eyJhbGciOiJub25lIn0.eyJhdWQiOiJhcGk6Ly94In0.", expires_on=datetime(2030, 1, 1, tzinfo=UTC)
    )
    value = kernel.to_jsonable({"rev": Revision("app--v2", 10), "at": datetime(2026, 1, 2, tzinfo=UTC),
                                "token": token, "tags": {"b", "a"}})  # fmt: skip
    assert value["rev"] == {"name": "app--v2", "weight": 10}
    assert value["at"] == "2026-01-02T00:00:00+00:00" and value["tags"] == ["a", "b"]
    assert "eyJ" not in json.dumps(value) and "value=<hidden>" in value["token"]
    with pytest.raises(TypeError, match="a object is not JSON data"):
        kernel.to_jsonable(object())


# --------------------------------------------------------------------------- display


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str


def test_show_table_colours_statuses_and_has_a_text_rendering(shown):
    display.show_table([Check("sandbox", "PASS", "running"), Check("identity", "FAIL", "no login")],
                       status_column="status", title="Preflight")  # fmt: skip
    (bundle,) = shown
    text = bundle["text/plain"].splitlines()
    assert text[0] == "Preflight" and text[1].split() == ["name", "status", "detail"]
    assert text[3].split() == ["sandbox", "PASS", "running"]
    assert "#c8e6c9" in bundle["text/html"] and "#ffcdd2" in bundle["text/html"]  # green PASS, red FAIL


def test_show_table_accepts_a_dataframe(shown):
    pd = pytest.importorskip("pandas")
    display.show_table(pd.DataFrame({"revision": ["a", "b"], "weight": [90, 10]}))
    assert shown[0]["text/plain"].splitlines()[2].split() == ["a", "90"]


def test_show_context_redacts_parameters(shown, monkeypatch):
    from apexops.settings import load_settings

    display.show_context(load_settings("local"), {"env": "local", "api_key": "x" * 20})
    context, params = shown
    assert "apex-backend-local" in context["text/plain"] and "interactive" in context["text/plain"]
    assert "[REDACTED:parameter]" in params["text/plain"] and "xxxxxxxx" not in params["text/plain"]


def test_verdicts_and_skips_read_as_text(shown):
    display.show_verdict("FAIL", ["error rate 12% > 1%"])
    display.step_skipped("dry run")
    display.show_code("SELECT 1;")
    assert shown[0]["text/plain"] == "VERDICT: FAIL\n  - error rate 12% > 1%"
    assert shown[1]["text/plain"] == "SKIPPED (dry run)"
    assert shown[2]["text/markdown"] == "```sql\nSELECT 1;\n```"


def test_live_chart_updates_one_display_in_place(shown):
    import plotly.graph_objects as go

    chart = livechart.LiveChart(go.Figure(go.Scatter(name="errors", x=[], y=[]), layout={"title": "canary"}))
    for i in range(3):
        chart.update(lambda f, i=i: f.update_traces(x=[*f.data[0].x, i], y=[*f.data[0].y, i * 2]))
    first, *updates = shown
    assert "update" not in first and all(u.get("update") for u in updates) and len(updates) == 2
    final = updates[-1]["application/vnd.plotly.v1+json"]
    assert final["data"][0]["y"] == [0, 2, 4] and final["layout"]["title"]["text"] == "canary"
    assert updates[-1]["text/plain"] == "<chart: canary>"


# --------------------------------------------------------------------------- gates


def test_headless_gate_fails_closed_without_the_phrase(shown):
    gate = gates.require_approval("DEPLOY v1.2.3 TO prod", approval="", dry_run=False, headless=True)
    with pytest.raises(ApprovalRequired) as err:
        gate.check()
    assert 'pass -p approval="DEPLOY v1.2.3 TO prod"' in str(err.value)
    wrong = gates.require_approval("DEPLOY v1.2.3 TO prod", approval="DEPLOY v1.2.2 TO prod", dry_run=False,
                                   headless=True)  # fmt: skip
    with pytest.raises(ApprovalRequired):
        wrong.check()


def test_headless_gate_with_the_phrase_approves_and_records(shown, tmp_path):
    gate = gates.require_approval("DEPLOY v1.2.3 TO prod", approval="DEPLOY v1.2.3 TO prod", dry_run=False,
                                  headless=True)  # fmt: skip
    assert gate.check() is True
    (approval,) = kernel.facts()["approvals"]
    assert approval["phrase"] == "DEPLOY v1.2.3 TO prod" and approval["by"] == "test-operator"


def test_dry_run_needs_no_approval_and_skips(shown):
    gate = gates.require_approval("DEPLOY v1.2.3 TO prod", approval="", dry_run=True, headless=True)
    assert gate.check() is False
    assert "SKIPPED" in shown[-1]["text/plain"]


def test_interactive_gate_shows_a_widget_and_approves_on_click():
    pytest.importorskip("ipywidgets")
    gate = gates.require_approval("ROLLBACK prod TO app--v1", approval="", dry_run=False, headless=False)
    text, button = gate._widget.children[0].children
    with pytest.raises(ApprovalRequired, match="click Approve"):
        gate.check()
    text.value = "ROLLBACK prod"  # not the phrase
    button.click()
    assert not gate.approved
    text.value = "ROLLBACK prod TO app--v1"
    button.click()
    assert gate.approved and gate.via == "widget" and gate.check() is True
