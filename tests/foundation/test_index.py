"""The reviewers' index: each run's headline is its recorded verdict, the raw facts fold away."""

from __future__ import annotations

from apexops.display import verdict_parts
from apexops.index import render_index
from apexops.ledger import Ledger
from apexops.status import Status, Verdict, badge_html, style


def _entry(run_id: str, outcome: str, facts: dict, error: str = "") -> dict:
    return {
        "run_id": run_id,
        "procedure": "50-traffic-shifting",
        "environment": "local",
        "outcome": outcome,
        "facts": facts,
        **({"error": error} if error else {}),
    }


def test_the_verdict_is_the_headline_and_other_facts_fold_away(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append(
        _entry(
            "r-promoted",
            "succeeded",
            {
                "verdict": {"status": "PROMOTED", "reasons": ["v1.2.3 serves 100% after 3 stages", "second"]},
                "stages": [10, 50, 100],
            },
        )
    )
    error = "TrafficError: the split did not apply"
    ledger.append(_entry("r-broke", "failed", {"stages": [10]}, error=error))
    rolled = {"verdict": {"status": "ROLLBACK", "reasons": ["canary 5xx 12% vs baseline 0%"]}}
    ledger.append(_entry("r-rolled", "failed", rolled, error="RolloutError: canary rolled back"))
    page = render_index(tmp_path)
    rolled_row = page[page.index('id="run-r-rolled"') : page.index('id="run-r-broke"')]
    # the verdict already says why: the error is folded under it, not repeated in full view
    assert rolled_row.index("ROLLBACK</span>") < rolled_row.index("<summary>error</summary>")
    promoted = page[page.index('id="run-r-promoted"') :]
    assert "PROMOTED</span> v1.2.3 serves 100% after 3 stages" in promoted
    assert "(+1 more)" in promoted and "<summary>1 fact(s)</summary>" in promoted
    assert '"verdict"' not in page  # the verdict is not repeated among the raw facts
    broke = page[page.index('id="run-r-broke"') : page.index('id="run-r-promoted"')]
    assert "TrafficError: the split did not apply" in broke and "PROMOTED" not in broke
    assert "<summary>error</summary>" not in broke  # no verdict: the error is the headline
    # outcomes and verdict words are coloured by the one status map
    assert badge_html("failed") in broke and badge_html("PROMOTED") in promoted
    assert style("failed").fg == style("ROLLBACK").fg == style(Status.FAIL).fg


def test_verdict_parts_reads_strings_and_verdicts_alike():
    assert verdict_parts("PASS", ["fine"]) == ("PASS", ["fine"])
    assert verdict_parts("ROLLED_BACK") == ("ROLLED_BACK", [])
    verdict = Verdict(Status.FAIL, ("errors 12% > 10%",))
    assert verdict_parts(verdict) == ("FAIL", ["errors 12% > 10%"])
