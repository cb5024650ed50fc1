"""Procedure 60's library logic without a sandbox: choosing the revisions, refusing before any change,
the documents rendered from the facts, the rollback log, the health check and the trigger chart."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from traffic_helpers import T0, rev

from apexops.canary.triggers import evaluate_triggers
from apexops.errors import ConfigError, RolloutError
from apexops.models import TelemetryBucket, TrafficWeight
from apexops.rollback.aftercare import (
    Aftermath,
    downgrade_missing,
    not_deactivated,
    rollback_verdict,
    smoke_failed,
    unhealthy,
)
from apexops.rollback.chart import trigger_figure
from apexops.rollback.evidence import RollbackLog, user_impact
from apexops.rollback.health import check_health
from apexops.rollback.procedure import RollbackProcedure
from apexops.rollback.report import communication_draft, rca_template, timeline
from apexops.rollback.target import previous_from_ledger, resolve_rollback
from apexops.settings import RollbackTriggers, load_settings

REVS = [rev("app--v1", 0), rev("app--v2", 1, health_state="Unhealthy"), rev("app--v3", 2), rev("app--v4", 3)]


def resolve(weights: dict[str, int], entries=(), revisions=REVS, **kw):
    return resolve_rollback(
        app="app",
        env="local",
        revisions=revisions,
        traffic=[TrafficWeight(k, v) for k, v in weights.items()],
        latest=revisions[-1].name,
        entries=entries,
        **kw,
    )


def test_the_failed_revision_is_the_newest_with_traffic_and_the_target_the_newest_healthy_older_one():
    t = resolve({"app--v4": 100})
    assert (t.failed, t.to, t.action) == ("app--v4", "app--v3", "rollback")
    assert t.source.startswith("revisions")
    # an unhealthy older revision is skipped
    t = resolve({"app--v3": 100}, revisions=REVS[:3])
    assert (t.failed, t.to) == ("app--v3", "app--v1")


def test_the_ledger_names_the_previous_revision_newest_run_first():
    entries = [
        {"procedure": "30-application-deployment", "environment": "local", "run_id": "r30",
         "facts": {"new_revision": "app--v4", "old_revisions": ["app--v1"], "old_traffic": {"app--v1": 100}}},
        {"procedure": "50-traffic-shifting", "environment": "local", "run_id": "r50",
         "facts": {"canary": {"revision": "app--v4", "baseline": "app--v3"}}},
        {"procedure": "50-traffic-shifting", "environment": "prod", "run_id": "other",
         "facts": {"canary": {"revision": "app--v4", "baseline": "app--v2"}}},
    ]  # fmt: skip
    assert previous_from_ledger(entries, env="local", failed="app--v4") == ("app--v3", "r50")
    assert previous_from_ledger(entries[:1], env="local", failed="app--v4") == ("app--v1", "r30")
    t = resolve({"app--v4": 100}, entries=entries[:1])
    assert (t.to, t.source) == ("app--v1", "ledger (run r30)")


def test_parameters_win_and_bad_names_name_the_parameter():
    t = resolve({"app--v4": 100}, failed_revision="v4", rollback_to="v1")
    assert (t.failed, t.to, t.source) == ("app--v4", "app--v1", "parameter rollback_to")
    with pytest.raises(ConfigError, match="parameter rollback_to"):
        resolve({"app--v4": 100}, rollback_to="v9")


@pytest.mark.parametrize(
    ("weights", "kw", "action", "words"),
    [
        ({"app--v1": 100}, {"revisions": REVS[:1]}, "refuse", "no revision to roll back to"),
        ({"app--v4": 100}, {"rollback_to": "v4"}, "refuse", "are the same"),
        ({"app--v3": 100}, {"revisions": [*REVS[:3], rev("app--v4", 3, active=False)],
                            "failed_revision": "v4"}, "none", "already rolled back"),
    ],
)  # fmt: skip
def test_nothing_to_do_or_nothing_possible_is_said_before_anything_changes(weights, kw, action, words):
    t = resolve(weights, **kw)
    assert t.action == action and words in t.reason


class FakeEnv:
    """Just enough of an environment to construct the procedure (no call changes anything)."""

    def __init__(self, weights: dict[str, int]) -> None:
        self.settings = load_settings("local")
        self.traffic = [TrafficWeight(k, v) for k, v in weights.items()]
        self.app = SimpleNamespace(
            show=lambda: SimpleNamespace(traffic=self.traffic, latest_revision_name="app--v4", url=""),
            list_revisions=lambda: REVS,
            get_traffic=lambda: self.traffic,
        )


def procedure(tmp_path, **kw) -> RollbackProcedure:
    return RollbackProcedure(
        FakeEnv({"app--v4": 100}),
        outputs=tmp_path,
        evidence_dir=tmp_path / "evidence",
        record=lambda *_: None,
        run_id="run1",
        clock=lambda: T0,
        **kw,
    )


def test_a_real_rollback_needs_a_reason_when_no_trigger_fired(tmp_path):
    rb = procedure(tmp_path, dry_run=False)
    with pytest.raises(ConfigError, match="reason is empty and no rollback trigger fired"):
        rb.require()
    procedure(tmp_path, dry_run=False, reason="critical bug in estimates").require()
    procedure(tmp_path, dry_run=True).require()  # a dry run only reports
    rb = procedure(tmp_path, dry_run=False, reason="x")
    assert rb.approval_phrase == "ROLLBACK apex-backend-local TO app--v3"
    assert [(w.revision_name, w.weight) for w in rb.planned_traffic()] == [("app--v3", 100), ("app--v4", 0)]


def test_the_rollback_log_is_on_disk_as_soon_as_it_is_written(tmp_path):
    log = RollbackLog(clock=lambda: T0)
    log.write("first")
    path = log.attach(tmp_path)
    log.write("ROLLBACK INITIATED")
    assert path.read_text().splitlines() == [
        "2026-03-01T12:00:00+00:00 first",
        "2026-03-01T12:00:00+00:00 ROLLBACK INITIATED",
    ]


def buckets(rate: float, n: int = 8) -> list[TelemetryBucket]:
    return [
        TelemetryBucket("app--v4", T0 + timedelta(seconds=2 * i), 20, int(20 * rate), 0, 90.0)
        for i in range(n)
    ]


def test_the_documents_are_filled_from_the_facts():
    report = evaluate_triggers(buckets(0.3), RollbackTriggers(error_window_s=10, p95_window_s=10), bucket_s=2)
    impact = user_impact(buckets(0.3), "app--v4", T0, T0 + timedelta(seconds=16), 2000)
    facts = {
        "from": "app--v4", "to": "app--v3", "image": "reg/apex:v4", "reason": "error rate trigger",
        "triggers": [{"name": r.name, "fired": r.fired, "reason": r.reason} for r in report.results],
        "traffic_final": [{"revision": "app--v3", "weight": 100}, {"revision": "app--v4", "weight": 0}],
        "db_downgraded": {"to": "0001", "run_id": "r20", "ok": True},
        "user_impact": {"sentence": impact.sentence()},
    }  # fmt: skip
    comm = communication_draft(facts, env="prod", at=T0)
    assert "**APEX Production Rollback - 2026-03-01 12:00 UTC**" in comm
    assert "Deployment of version `reg/apex:v4` (revision `app--v4`) has been rolled back." in comm
    assert "Running on previous revision (`app--v3`); traffic app--v3=100" in comm
    assert "Database: Rolled back to 0001 (procedure 20, run r20)" in comm
    assert "User Impact: 48 failed requests (5xx) and 0 slower than 2000 ms, of 160 served by app--v4" in comm
    assert "DRY RUN" not in comm and "DRY RUN" in communication_draft(
        {**facts, "dry_run": True}, env="prod", at=T0
    )
    history = timeline(
        [{"procedure": "30-application-deployment", "environment": "prod", "run_id": "r30",
          "outcome": "succeeded", "ended_at": "t1", "facts": {"new_revision": "app--v4"}}],
        env="prod", revision="app--v4",
    )  # fmt: skip
    rca = rca_template(facts, env="prod", run_id="run1", log=["t2 ROLLBACK INITIATED"], history=history)
    assert "- t1 — 30-application-deployment created app--v4 (run r30, succeeded)" in rca
    assert "- t2 ROLLBACK INITIATED" in rca and "**5 Whys**" in rca
    assert "1. Why was `app--v4` rolled back? error rate trigger" in rca
    assert "error rate above 10.0% for 10 s" in rca  # the symptom, from the triggers


def test_the_trigger_chart_shades_the_window_that_fired():
    t = RollbackTriggers(error_window_s=10, p95_window_s=10)
    fired = trigger_figure(evaluate_triggers(buckets(0.3), t, bucket_s=2), title="x").to_plotly_json()
    quiet = trigger_figure(evaluate_triggers(buckets(0.01), t, bucket_s=2), title="x").to_plotly_json()
    assert len(fired["layout"].get("shapes", [])) == 1 and not quiet["layout"].get("shapes")


def test_the_health_check_wants_every_answer_from_the_restored_revision():
    served = iter(["app--v3", "app--v3", "app--v4"])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "ready"}, headers={"x-apex-revision": next(served)})

    def client(url, *, timeout_s):
        return httpx.Client(base_url=url, transport=httpx.MockTransport(handler))

    result = check_health("http://127.0.0.1:1", "app--v3", attempts=3, client_factory=client)
    assert not result.ok
    assert [r["status"] for r in result.rows] == ["PASS", "PASS", "FAIL"]
    assert "served by app--v4, not app--v3" in result.rows[2]["detail"]


# --------------------------------------------------------------------------- facts and the verdict's rules


def test_the_facts_are_the_recorded_dict_and_calling_them_gives_what_finish_records(tmp_path):
    recorded: dict = {}
    rb = RollbackProcedure(
        FakeEnv({"app--v4": 100}),
        outputs=tmp_path,
        evidence_dir=tmp_path / "evidence",
        record=recorded.__setitem__,
        run_id="run1",
        clock=lambda: T0,
    )
    assert recorded["rollback"] == dict(rb.facts) and rb.facts["from"] == "app--v4"  # saved at once
    assert rb.facts() == {"rollback": dict(rb.facts)}
    assert rb.deactivate_failed() == ("dry run: nothing was deactivated", "SKIPPED")
    verdict = rb.verdict()
    assert verdict.status == "SKIPPED" and verdict.reasons[0].startswith(
        "dry run: roll back app--v4 → app--v3"
    )
    assert recorded["rollback"]["traffic_final"] == [{"revision": "app--v4", "weight": 100}]


def after(applied=True, downgrade_to="", **facts) -> Aftermath:
    base = {"from": "app--v4", "to": "app--v3", "deactivated": True, "health": "PASS"}
    return Aftermath({**base, **facts}, applied, downgrade_to, "app--v3 serves 100% (read back)")


def test_rule_unhealthy_reads_the_health_check():
    assert unhealthy(after(health="FAIL")).status == "FAIL"
    assert unhealthy(after()) is None and unhealthy(after(health=None)) is None


def test_rule_not_deactivated_only_after_this_run_moved_the_traffic():
    assert not_deactivated(after(deactivated=False)).reason == "app--v4 was not deactivated"
    assert not_deactivated(after(applied=False, deactivated=False)) is None


def test_rule_smoke_failed_names_the_child_run():
    found = smoke_failed(after(smoke={"outcome": "failed", "run_id": "r40"}))
    assert found.reason == "smoke tests on app--v3: failed (run r40)"
    assert smoke_failed(after(smoke={"outcome": "succeeded", "run_id": "r40"})) is None


def test_rule_downgrade_missing_when_asked_and_not_done():
    assert downgrade_missing(after(downgrade_to="0001")).reason == "database downgrade to 0001: not done"
    failed = after(downgrade_to="0001", db_downgraded={"ok": False, "outcome": "failed"})
    assert downgrade_missing(failed).reason.endswith(": failed")
    assert downgrade_missing(after(downgrade_to="0001", db_downgraded={"ok": True})) is None
    assert downgrade_missing(after()) is None


def test_the_rollback_verdict_fails_with_every_problem_after_what_was_done():
    ok = rollback_verdict(after())
    assert (ok.status, ok.reasons) == ("PASS", ("app--v3 serves 100% (read back)",))
    bad = rollback_verdict(after(health="FAIL", deactivated=False))
    assert (
        bad.status == "FAIL" and bad.reasons[0] == "app--v3 serves 100% (read back)" and len(bad.reasons) == 3
    )
    with pytest.raises(RolloutError, match=r"^rollback incomplete: app--v3 serves 100%") as err:
        bad.raise_for_failure()
    assert "70-emergency" in (err.value.hint or "")
