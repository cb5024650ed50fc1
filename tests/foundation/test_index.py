"""The reviewers' index: a release's children under it, verdicts, errors and hints in full, readable facts,
every evidence file, and filters over data- attributes. Built from ledger lines shaped as the runner writes
them (the lint-blocked release is the one `apexops rehearse --scenario migration-lint` records)."""

from __future__ import annotations

from bs4 import BeautifulSoup

from apexops.display import verdict_parts
from apexops.index import readable, render_index, render_runs, split_hint
from apexops.ledger import Ledger
from apexops.status import Status, Verdict, badge_html, style

CHAIN = {"ok": True, "lines": 0, "problems": []}

# what `apexops rehearse --scenario migration-lint` records (error strings as the runner wrote them)
LINT_20 = (
    "MigrationError: database migration failed: MIG-007@r003 BLOCK: fails on a table that has rows, and old "
    "app versions' INSERTs fail HINT: resolve the findings, then re-run."
)
LINT_90_REASON = f"stopped at 20-database-migration (failed: {LINT_20})"
LINT_90 = (
    f"ReleaseError: release failed: {LINT_90_REASON}; no traffic moved: "
    "apex-backend-local--v1-2-2=100% HINT: read 20's lint and preview, fix the migration, run 90 again."
)


def _entry(run_id: str, outcome: str, facts: dict, error: str = "", **extra) -> dict:
    return {
        "run_id": run_id,
        "procedure": "50-traffic-shifting",
        "environment": "local",
        "operator": "alice",
        "started_at": "2026-12-05T10:00:00+00:00",
        "outcome": outcome,
        "facts": facts,
        **({"error": error} if error else {}),
        **extra,
    }


def _lint_blocked_release(day: str = "2026-12-05") -> list[dict]:
    """The ledger of a lint-blocked release: the 20 child is recorded first, its 90 parent after it."""
    run = f"runs/{day}/{day.replace('-', '')}-032910_20-database-migration_local_failed_7a73684ee4"
    child = _entry(
        "7a73684ee4",
        "failed",
        {
            "lint": {"blocking": ["MIG-007@r003"], "findings": ["MIG-007@r003:BLOCK"], "verdict": "BLOCKED"},
            "heads_before": ["0002"],
            "heads_after": ["0002"],
            "migration_verdict": "FAIL",
            "verdict": {"status": "FAIL", "reasons": [LINT_20.split(": ", 2)[2].split(" HINT:")[0]]},
        },
        LINT_20,
        procedure="20-database-migration",
        parent_run_id="a72571e0a5",
        started_at=f"{day}T03:29:10+00:00",
        run_dir=run,
        artifacts={
            f"{run}/{run.split('/')[-1]}.html": "d1",
            f"{run}/evidence/migration-upgrade-preview.sql": "d2",
        },
    )
    parent = _entry(
        "a72571e0a5",
        "failed",
        {
            "child_run_ids": ["7a73684ee4"],
            "release_verdict": "failed",
            "rolled_back": False,
            "verdict": {
                "status": "FAIL",
                "reasons": [LINT_90_REASON, "no traffic moved: apex-backend-local--v1-2-2=100%"],
            },
        },
        LINT_90,
        procedure="90-release",
        started_at=f"{day}T03:29:07+00:00",
    )
    return [child, parent]


def _soup(page: str) -> BeautifulSoup:
    return BeautifulSoup(page, "html.parser")


def _run(soup: BeautifulSoup, run_id: str):
    return soup.find("tbody", id=f"run-{run_id}")


def test_a_lint_blocked_release_shows_its_complete_error_and_hint():
    soup = _soup(render_runs(_lint_blocked_release(), source="out", chain=CHAIN))
    release = _run(soup, "a72571e0a5")
    # the first reason whole, the child's hint inside it included (it once ended in a bare "HINT:")
    assert release.select_one(".headline .reason").get_text() == LINT_90_REASON
    assert release.select_one(".hint").get_text(" ", strip=True) == (
        "HINT: read 20's lint and preview, fix the migration, run 90 again."
    )
    message, hint = split_hint(LINT_90)
    assert release.select_one(".err").get_text() == message  # the full error, folded under the verdict
    assert not message.rstrip().endswith("HINT:") and hint.endswith("run 90 again.")
    more = release.select_one("details.reasons-more li").get_text()
    assert more == "no traffic moved: apex-backend-local--v1-2-2=100%"
    assert "release_verdict: failed" in release.select_one(".key").get_text(" ", strip=True)
    child = _run(soup, "7a73684ee4")
    assert child.select_one(".hint").get_text(" ", strip=True) == "HINT: resolve the findings, then re-run."
    assert "blocking: MIG-007@r003" in child.select_one(".key").get_text(" ", strip=True)
    for element in soup.select(".reason, .err, .hint, .reasons li"):
        assert not element.get_text().rstrip().endswith("HINT:"), element


def test_children_sit_under_their_release_in_the_order_they_ran():
    first = _lint_blocked_release("2026-12-04")
    second = _lint_blocked_release("2026-12-05")
    for e in second:  # a second release, later, with two children
        e["run_id"] = e["run_id"][:-1] + "b"
        e["parent_run_id"] = "a72571e0ab" if e.get("parent_run_id") else None
    later_child = {**second[0], "run_id": "c30c30c30b", "procedure": "30-application-deployment"}
    later_child["started_at"] = "2026-12-05T03:29:20+00:00"
    orphan = _entry("0rphan0000", "failed", {}, "TrafficError: x", parent_run_id="not-in-this-ledger")
    alone = _entry("a1one00000", "succeeded", {}, procedure="00-preflight")
    entries = [*first, alone, second[0], later_child, second[1], orphan]
    soup = _soup(render_runs(entries, source="out", chain=CHAIN))
    order = [(t["id"].removeprefix("run-"), "child" in t["class"]) for t in soup.select("tbody.run")]
    assert order == [
        ("0rphan0000", False),  # its parent is not here: it stands on its own
        ("a72571e0ab", False),  # newest release first, then its children in the order they ran
        ("7a73684eeb", True),
        ("c30c30c30b", True),
        ("a1one00000", False),
        ("a72571e0a5", False),
        ("7a73684ee4", True),
    ]
    release = _run(soup, "a72571e0ab")
    assert "release" in release["class"]
    assert [a.get_text() for a in release.select("a[href^='#run-']")] == ["7a73684eeb", "c30c30c30b"]
    assert _run(soup, "c30c30c30b").select_one("a[href='#run-a72571e0ab']") is not None


def test_the_verdict_is_the_headline_and_facts_read_as_key_value_lines(tmp_path):
    ledger = Ledger(tmp_path)
    reasons = ["v1.2.3 serves 100% after 3 stages " + "because every stage passed; " * 12, "second reason"]
    ledger.append(
        _entry(
            "r-promoted",
            "succeeded",
            {
                "verdict": {"status": "PROMOTED", "reasons": reasons},
                "canary": {"verdict": "promoted", "traffic_final": [{"revision": "app--new", "weight": 100}]},
                "approvals": [
                    {"at": "2026-12-05T10:00:01", "by": "alice", "phrase": "SHIFT", "via": "parameter"}
                ],
                "traffic_moved": True,
            },
        )
    )
    ledger.append(
        _entry("r-broke", "failed", {"stages": [10]}, error="TrafficError: the split did not apply")
    )
    rolled = {"verdict": {"status": "ROLLBACK", "reasons": ["canary 5xx 12% vs baseline 0%"]}}
    ledger.append(_entry("r-rolled", "failed", rolled, error="RolloutError: canary rolled back HINT: run 60"))
    soup = _soup(render_index(tmp_path))
    promoted = _run(soup, "r-promoted")
    assert promoted.select_one(".headline .reason").get_text() == reasons[0]  # never cut
    assert promoted.select_one(".headline").decode_contents().startswith(badge_html("PROMOTED"))
    assert [li.get_text() for li in promoted.select(".reasons li")] == ["second reason"]
    facts = promoted.select_one("details.facts")
    assert facts.summary.get_text() == "3 fact(s)"  # the verdict is the headline, not repeated
    names = [dt.get_text() for dt in facts.find("dl").find_all("dt", recursive=False)]
    assert names == ["approvals", "canary", "traffic_moved"]  # as the ledger keeps them
    text = facts.get_text(" ", strip=True)
    assert "{" not in text and '"' not in text  # no raw JSON
    assert "traffic_moved yes" in text and "verdict promoted" in text
    assert [th.get_text() for th in facts.select_one("table").select("th")] == ["at", "by", "phrase", "via"]
    assert "traffic: app--new=100%" in promoted.select_one(".key").get_text(" ", strip=True)
    rolled_row = _run(soup, "r-rolled")
    assert rolled_row.select_one("details.error .err").get_text() == "RolloutError: canary rolled back"
    assert rolled_row.select_one(".hint").get_text(" ", strip=True) == "HINT: run 60"
    broke = _run(soup, "r-broke")
    assert broke.select_one("details.error") is None  # no verdict: the error is the headline
    assert broke.select_one(".err").get_text() == "TrafficError: the split did not apply"
    assert (
        badge_html("failed") in str(broke)
        and style("failed").fg == style("ROLLBACK").fg == style(Status.FAIL).fg
    )


def test_an_expected_stop_says_what_stopped_the_run_with_its_hint():
    stop = {
        "kind": "approval_required",
        "error": "ApprovalRequired",
        "reason": "type the phrase",
        "hint": "approve",
    }
    entry = _entry("r-gate", "failed", {"stop": stop}, "ApprovalRequired: type the phrase HINT: approve it")
    run = _run(_soup(render_runs([entry], source="out", chain=CHAIN)), "r-gate")
    line = run.select_one(".stop").get_text(" ", strip=True)
    assert line == "stopped: approval_required ApprovalRequired type the phrase"
    assert run.select_one(".hint").get_text(" ", strip=True) == "HINT: approve"  # the stop's own hint
    assert run.select_one("details.error .err").get_text() == "ApprovalRequired: type the phrase"
    assert run.select_one("details.facts") is None  # the stop is the headline, not a fact again


def test_every_evidence_file_of_a_promoted_canary_is_linked():
    run_dir = "runs/2026-12-05/20261205-015159_50-traffic-shifting_local_succeeded_ababf645c0"
    names = ["canary-decision.json", "canary-polls.json", "canary-traffic.json"]
    artifacts = {f"{run_dir}/{run_dir.split('/')[-1]}.{ext}": "d" for ext in ("ipynb", "html")}
    artifacts |= {f"{run_dir}/evidence/{n}": "d" for n in names}
    artifacts |= {f"{run_dir}/evidence/extra-{i}.txt": "d" for i in range(7)}
    entry = _entry("r-1", "succeeded", {}, run_dir=run_dir, artifacts=artifacts)
    run = _run(_soup(render_runs([entry], source="out", chain=CHAIN)), "r-1")
    links = {a.get_text(): a["href"] for a in run.select("td.links a")}
    for name in names:
        assert links[name] == f"{run_dir}/evidence/{name}"
    assert links["evidence"] == f"{run_dir}/evidence/"
    assert links["html"].endswith(".html") and links["notebook"].endswith(".ipynb")
    assert run.select_one(".evidence details summary").get_text() == "2 more"  # ten files: eight shown
    assert len([a for a in run.select(".evidence a") if a.get_text() != "evidence"]) == 10


def test_rows_carry_what_the_filters_select_and_the_options_count_them():
    entries = [
        _entry("r-a", "succeeded", {}, operator="alice", environment="local"),
        _entry(
            "r-b", "failed", {}, operator="bob", environment="staging", started_at="2026-12-06T09:00:00+00:00"
        ),
        _entry("r-c", "failed", {}, operator="bob", environment="staging", procedure="00-preflight"),
    ]
    soup = _soup(render_runs(entries, source="out", chain=CHAIN))
    row = _run(soup, "r-b")
    assert (row["data-outcome"], row["data-environment"], row["data-operator"], row["data-date"]) == (
        "failed",
        "staging",
        "bob",
        "2026-12-06",
    )
    form = soup.select_one("form#filters")
    assert form.has_attr("hidden")  # shown by the script; with scripting off every row stays visible
    options = {s["data-filter"]: [o.get_text() for o in s.select("option")] for s in form.select("select")}
    assert options["outcome"] == ["all", "failed (2)", "succeeded (1)"]
    assert options["operator"] == ["all", "alice (1)", "bob (2)"]
    assert options["procedure"] == ["all", "00-preflight (1)", "50-traffic-shifting (2)"]
    dates = form.select("input[type=date]")
    assert [(d["data-filter"], d["min"], d["max"]) for d in dates] == [
        ("from", "2026-12-05", "2026-12-06"),
        ("to", "2026-12-05", "2026-12-06"),
    ]
    assert not soup.select("script[src], link[href^='http']")  # nothing from the network


def test_facts_become_lines_tables_and_records():
    assert readable({"a": 1.23456, "b": None, "c": True}) == {
        "pairs": [("a", {"text": "1.235"}), ("b", {"text": "none"}), ("c", {"text": "yes"})]
    }
    assert readable(["0002", "0003"]) == {"text": "0002, 0003"}
    narrow = readable([{"revision": "r1", "weight": 90}, {"revision": "r2", "weight": 10}])
    assert narrow == {"table": {"columns": ["revision", "weight"], "rows": [["r1", "90"], ["r2", "10"]]}}
    wide = readable([{str(i): i for i in range(8)}])
    assert wide == {"records": [[(str(i), str(i)) for i in range(8)]]}
    deep = readable({"a": {"b": {"c": {"d": [1, 2]}}}})
    assert deep == {"pairs": [("a", {"pairs": [("b", {"pairs": [("c", {"text": "d=1, 2"})]})]})]}


def test_split_hint_keeps_a_quoted_child_hint_in_the_message():
    assert split_hint("E: a HINT: b (x HINT: y) HINT: z") == ("E: a HINT: b (x HINT: y)", "z")
    assert split_hint("E: nothing to suggest") == ("E: nothing to suggest", "")


def test_verdict_parts_reads_strings_and_verdicts_alike():
    assert verdict_parts("PASS", ["fine"]) == ("PASS", ["fine"])
    assert verdict_parts("ROLLED_BACK") == ("ROLLED_BACK", [])
    verdict = Verdict(Status.FAIL, ("errors 12% > 10%",))
    assert verdict_parts(verdict) == ("FAIL", ["errors 12% > 10%"])
