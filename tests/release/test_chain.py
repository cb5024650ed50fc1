"""The release's decisions without processes: plan, approvals, facts forward, stops, rollback, verdict."""

from __future__ import annotations

from dataclasses import replace

import pytest
from release_helpers import DEPLOYED, NEW, OLD, SMOKED, make_plan, rec, settings_like

from apexops.errors import ApprovalRequired, ConfigError, ReleaseError
from apexops.gates import Gate
from apexops.release import chain
from apexops.release.chain import (
    Blocked,
    Carried,
    parameters_for,
    release_verdict,
    rollback_decision,
    stop_reason,
)
from apexops.release.plan import ReleaseInputs, plan_release


def _step(plan, role):
    return next(s for s in (*plan.steps, plan.rollback) if s.role == role)


# --------------------------------------------------------------------------- plan and input


@pytest.mark.parametrize(
    ("inputs", "names"),
    [
        ({"image_tag": "v1.2.3 TO prod"}, "image_tag"),
        ({"image_tag": ""}, "image_tag"),
        ({"on_inconclusive": "promote"}, "on_inconclusive"),
        ({"synthetic_load_rps": -5.0}, "synthetic_load_rps"),
        ({"cell_timeout_s": -1.0}, "cell_timeout_s"),
        ({"migrate": False, "migrations_dir": "/somewhere"}, "migrations_dir"),
    ],
)
def test_bad_input_is_one_error_naming_the_parameter(inputs, names):
    with pytest.raises(ConfigError) as err:
        make_plan(**inputs)
    assert names in str(err.value)


def test_migration_target_and_dir_are_checked_against_the_history_on_disk(tmp_path):
    settings = settings_like()
    with pytest.raises(ConfigError, match="migration_target 'nope' is not a revision"):
        plan_release(settings, ReleaseInputs(migration_target="nope"))
    with pytest.raises(ConfigError, match="migrations_dir"):
        plan_release(settings, ReleaseInputs(migrations_dir=str(tmp_path)))
    assert plan_release(settings, ReleaseInputs()).migration_revision == "0003"


def test_the_rehearsal_history_resolves_to_its_blocking_revision():
    from apexops.release.scenarios import REHEARSAL_MIGRATIONS

    plan = plan_release(settings_like(), ReleaseInputs(migrations_dir=str(REHEARSAL_MIGRATIONS)))
    assert plan.migration_revision == "r003"
    assert _step(plan, "migrate").parameters["migrations_dir"] == str(REHEARSAL_MIGRATIONS)


def test_plan_lists_every_child_with_static_parameters_and_what_it_waits_for():
    plan = make_plan(on_inconclusive="rollback", synthetic_load_rps=40.0, acknowledge="MIG-012@0003")
    assert [s.procedure for s in plan.steps] == [
        "20-database-migration",
        "30-application-deployment",
        "40-smoke-tests",
        "50-traffic-shifting",
    ]
    assert _step(plan, "migrate").parameters == {
        "env": "local",
        "dry_run": False,
        "target": "head",
        "acknowledge": "MIG-012@0003",
    }
    assert _step(plan, "shift").parameters == {
        "env": "local",
        "dry_run": False,
        "on_inconclusive": "rollback",
        "synthetic_load_rps": 40.0,
    }
    assert _step(plan, "shift").needs == ("revision", "baseline_revision")
    rows = plan.rows()
    assert len(rows) == 5 and rows[-1]["procedure"] == "60-rollback"


def test_a_dry_run_runs_20_and_30_dry_and_leaves_40_50_60_out():
    plan = make_plan(dry_run=True)
    runs = {s.procedure: s.runs for s in (*plan.steps, plan.rollback)}
    assert runs == {
        "20-database-migration": True,
        "30-application-deployment": True,
        "40-smoke-tests": False,
        "50-traffic-shifting": False,
        "60-rollback": False,
    }
    assert _step(plan, "migrate").parameters["dry_run"] is True
    assert _step(plan, "deploy").parameters["dry_run"] is True


# --------------------------------------------------------------------------- approvals


def test_child_phrases_are_derived_only_from_the_matching_release_approval(plan):
    approvals = plan.approvals("RELEASE v1.2.3 TO local")
    assert approvals.migrate == "MIGRATE apex-db TO 0003"
    assert approvals.deploy == "DEPLOY v1.2.3 TO local"
    assert approvals.shift(NEW) == f"SHIFT TRAFFIC TO {NEW} IN local"
    assert approvals.rollback(OLD) == f"ROLLBACK apex-app TO {OLD}"


@pytest.mark.parametrize(
    "given", ["", "RELEASE v1.2.4 TO local", "RELEASE v1.2.3 TO prod", "release v1.2.3 to local"]
)
def test_any_other_approval_fails_closed(plan, given):
    with pytest.raises(ApprovalRequired) as err:
        plan.approvals(given)
    assert "RELEASE v1.2.3 TO local" in str(err.value) and "no child procedure ran" in str(err.value)


def test_the_notebook_gate_approves_only_when_it_was_approved_for_this_phrase(plan):
    gate = Gate(plan.approval_phrase, dry_run=False, headless=True)
    with pytest.raises(ApprovalRequired):
        plan.approvals(gate)
    assert gate.approve(plan.approval_phrase, via="widget")
    assert plan.approvals(gate).deploy == "DEPLOY v1.2.3 TO local"
    other = Gate("RELEASE v9 TO local", dry_run=False, headless=True)
    other.approve("RELEASE v9 TO local", via="widget")
    with pytest.raises(ApprovalRequired):
        plan.approvals(other)


def test_a_dry_run_derives_no_approvals():
    plan = make_plan(dry_run=True)
    approvals = plan.approvals("RELEASE v1.2.3 TO local")
    assert not approvals.approved
    assert parameters_for(_step(plan, "deploy"), plan, approvals, Carried()).get("approval") is None
    assert approvals.shift(NEW) == "" and approvals.rollback(OLD) == ""


# --------------------------------------------------------------------------- facts passed forward


def test_30s_revisions_go_to_40_and_50_and_40s_verdict_gates_50(plan):
    approvals = plan.approvals(plan.approval_phrase)
    carried = Carried.from_records([rec("migrate"), rec("deploy", **DEPLOYED)])
    assert parameters_for(_step(plan, "smoke"), plan, approvals, carried) == {"env": "local", "revision": NEW}
    blocked = parameters_for(_step(plan, "shift"), plan, approvals, carried)
    assert isinstance(blocked, Blocked) and "no passing smoke tests" in blocked.reason

    carried = Carried.from_records([rec("deploy", **DEPLOYED), rec("smoke", **SMOKED)])
    assert parameters_for(_step(plan, "shift"), plan, approvals, carried) == {
        "env": "local",
        "dry_run": False,
        "revision": NEW,
        "baseline_revision": OLD,
        "approval": f"SHIFT TRAFFIC TO {NEW} IN local",
    }


def test_a_smoke_pass_for_another_revision_does_not_count(plan):
    approvals = plan.approvals(plan.approval_phrase)
    records = [rec("deploy", **DEPLOYED), rec("smoke", smoke_verdict={"revision": OLD, "verdict": "PASS"})]
    carried = Carried.from_records(records)
    assert isinstance(parameters_for(_step(plan, "shift"), plan, approvals, carried), Blocked)
    assert "not app--new" in (stop_reason(records[-1], plan, carried) or "")


def test_several_serving_revisions_leave_the_baseline_to_50_and_block_the_rollback(plan):
    approvals = plan.approvals(plan.approval_phrase)
    records = [rec("deploy", new_revision=NEW, old_revisions=[OLD, "app--older"]), rec("smoke", **SMOKED)]
    carried = Carried.from_records(records)
    assert "baseline_revision" not in parameters_for(_step(plan, "shift"), plan, approvals, carried)
    blocked = parameters_for(plan.rollback, plan, approvals, carried)
    assert isinstance(blocked, Blocked) and "not known" in blocked.reason


def test_rollback_parameters_name_the_failed_and_previous_revisions_and_the_reason(plan):
    approvals = plan.approvals(plan.approval_phrase)
    records = [
        rec("deploy", **DEPLOYED),
        rec("smoke", **SMOKED),
        rec("shift", "failed", traffic_moved=True, canary={"verdict": "rolled_back", "reason": "5xx 5/18"}),
    ]
    params = parameters_for(plan.rollback, plan, approvals, Carried.from_records(records))
    assert params == {
        "env": "local",
        "dry_run": False,
        "failed_revision": NEW,
        "rollback_to": OLD,
        "reason": "release v1.2.3: 5xx 5/18",
        "approval": f"ROLLBACK apex-app TO {OLD}",
    }


def test_no_new_revision_blocks_everything_after_30(plan):
    approvals = plan.approvals(plan.approval_phrase)
    carried = Carried.from_records([rec("deploy", old_revisions=[OLD])])
    for role in ("smoke", "shift"):
        assert isinstance(parameters_for(_step(plan, role), plan, approvals, carried), Blocked)


# --------------------------------------------------------------------------- stop conditions


def test_the_first_failing_child_stops_the_chain(plan):
    carried = Carried()
    assert stop_reason(rec("migrate"), plan, carried) is None
    reason = stop_reason(rec("migrate", "failed"), plan, carried)
    assert reason and reason.startswith("failed: 20-database-migration said no")
    for outcome in ("timed_out", "kernel_died", "interrupted", "not_started"):
        assert stop_reason(rec("deploy", outcome), plan, carried)


def test_a_smoke_failure_stops_unless_overridden_with_a_reason():
    plan = make_plan()
    failed = rec("smoke", "failed", smoke_verdict={"revision": NEW, "verdict": "FAIL"})
    records = [rec("deploy", **DEPLOYED), failed]
    assert stop_reason(failed, plan, Carried.from_records(records))
    overridden = make_plan(smoke_override="LLM validation down (INC-42)")
    carried = Carried.from_records(records)
    assert stop_reason(failed, overridden, carried) is None
    params = parameters_for(
        _step(overridden, "shift"), overridden, overridden.approvals(overridden.approval_phrase), carried
    )
    assert params["smoke_override"] == "LLM validation down (INC-42)"
    assert stop_reason(rec("smoke", "timed_out"), overridden, carried)  # only a real FAIL is overridable


def test_30_must_record_a_new_revision(plan):
    assert "no new_revision" in (stop_reason(rec("deploy"), plan, Carried()) or "")


# --------------------------------------------------------------------------- rollback decision


@pytest.mark.parametrize(
    ("outcome", "facts", "needed"),
    [
        ("succeeded", {"traffic_moved": True}, False),
        ("failed", {"traffic_moved": True}, True),
        ("failed", {"traffic_moved": False}, False),
        ("failed", {}, True),  # no fact: the state is unknown
        ("timed_out", {"traffic_moved": False}, True),  # did not finish
        ("kernel_died", {"traffic_moved": True}, True),
        ("interrupted", {"traffic_moved": True}, False),  # the canary restores; nothing new starts
    ],
)
def test_60_runs_after_a_failure_once_traffic_moved_or_when_50_did_not_finish(plan, outcome, facts, needed):
    records = [rec("deploy", **DEPLOYED), rec("smoke", **SMOKED), rec("shift", outcome, **facts)]
    assert rollback_decision(plan, records).needed is needed


def test_no_rollback_without_a_50_run_or_in_a_dry_run(plan):
    assert not rollback_decision(plan, [rec("deploy", "failed")]).needed
    not_started = replace(rec("shift", "not_started"), note="no procedure", run_id=None)
    assert not rollback_decision(plan, [not_started]).needed
    dry = make_plan(dry_run=True)
    assert not rollback_decision(dry, [rec("shift", "failed", traffic_moved=True)]).needed


# --------------------------------------------------------------------------- verdict


def _chain(shift_outcome="succeeded", **shift_facts):
    return [
        rec("migrate", heads_after=["0003"]),
        rec("deploy", at=3, **DEPLOYED),
        rec("smoke", at=6, **SMOKED),
        rec("shift", shift_outcome, at=9, **shift_facts),
    ]


def test_promoted_only_when_50_succeeded_and_the_new_revision_serves_100(plan):
    v = release_verdict(plan, _chain(traffic_moved=True), stop=None, traffic={NEW: 100})
    assert (v.facts["verdict"], v.status, v.facts["rolled_back"]) == ("promoted", "PASS", False)
    assert any("serves 100%" in r for r in v.reasons) and any("0003" in r for r in v.reasons)
    v.raise_for_failure()
    odd = release_verdict(plan, _chain(traffic_moved=True), stop=None, traffic={NEW: 50, OLD: 50})
    assert odd.facts["verdict"] == "failed" and not odd.ok


def test_an_early_failure_is_failed_with_no_traffic_moved(plan):
    records = [rec("migrate"), rec("deploy", "failed", **DEPLOYED)]
    v = release_verdict(plan, records, stop="failed: crash", traffic={OLD: 100})
    assert (v.facts["verdict"], v.status, v.facts["stopped_at"], v.facts["traffic_moved"]) == (
        "failed",
        "FAIL",
        "30-application-deployment",
        False,
    )
    assert any("stays at 0%" in r for r in v.reasons)
    with pytest.raises(ReleaseError, match="release failed"):
        v.raise_for_failure()


def test_rolled_back_by_60_is_a_rollback_not_a_pass(plan):
    records = [*_chain("failed", traffic_moved=True), rec("rollback", at=12)]
    v = release_verdict(plan, records, stop="failed: 5xx", traffic={OLD: 100})
    facts = v.facts
    assert (facts["verdict"], v.status, facts["rolled_back"], facts["traffic_moved"]) == (
        "rolled_back",
        "FAIL",  # a rolled-back release is a failed release; its outcome says it is back
        True,
        True,
    )
    assert not v.ok
    with pytest.raises(ReleaseError):
        v.raise_for_failure()


def test_rolled_back_by_the_canary_when_60_could_not_run_says_so(plan):
    records = [*_chain("failed", traffic_moved=True)]
    v = release_verdict(plan, records, stop="failed", traffic={OLD: 100})
    assert v.facts["verdict"] == "rolled_back" and any("60-rollback did not run" in r for r in v.reasons)


def test_rollback_failed_when_traffic_is_not_verified_at_the_baseline(plan):
    records = [*_chain("failed", traffic_moved=True), rec("rollback", "failed", at=12)]
    v = release_verdict(plan, records, stop="failed", traffic={NEW: 10, OLD: 90})
    assert (v.facts["verdict"], v.status) == ("rollback_failed", "FAIL")
    assert "60-rollback" in v.hint
    unknown = release_verdict(plan, _chain("kernel_died"), stop="kernel_died", traffic=None)
    assert unknown.facts["verdict"] == "rollback_failed"


def test_interrupted_reads_the_traffic_back_and_says_whether_it_is_safe(plan):
    safe = release_verdict(
        plan, _chain("interrupted", traffic_moved=True), stop=None, interrupted=True, traffic={OLD: 100}
    )
    assert (safe.facts["verdict"], safe.facts["stopped_at"]) == ("interrupted", "50-traffic-shifting")
    assert any("verified at the baseline" in r for r in safe.reasons)
    unsafe = release_verdict(
        plan,
        _chain("interrupted", traffic_moved=True),
        stop=None,
        interrupted=True,
        traffic={NEW: 10, OLD: 90},
    )
    assert "NOT at the baseline" in " ".join(unsafe.reasons) and unsafe.hint == "run 60-rollback now."


def test_dry_run_verdict_passes_only_when_the_childrens_dry_runs_passed():
    plan = make_plan(dry_run=True)
    ok = release_verdict(plan, [rec("migrate"), rec("deploy")], stop=None, traffic={OLD: 100})
    assert (ok.facts["verdict"], ok.status) == ("dry_run", "PASS")
    bad = release_verdict(plan, [rec("migrate", "failed")], stop="failed: lint", traffic={OLD: 100})
    assert (bad.facts["verdict"], bad.status, bad.facts["stopped_at"]) == (
        "failed",
        "FAIL",
        "20-database-migration",
    )


# --------------------------------------------------------------------------- the children's contracts


def _notebook(path, parameters: str) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})]
    nbformat.write(nb, str(path))


def test_every_child_takes_what_the_release_passes_it(plan):
    from apexops.release.plan import check_procedures

    rows = check_procedures(plan)
    assert [r["procedure"] for r in rows] == [
        "20-database-migration",
        "30-application-deployment",
        "40-smoke-tests",
        "50-traffic-shifting",
        "60-rollback",
    ]
    assert "baseline_revision" in rows[3]["parameters the release passes"]


def test_a_missing_child_or_parameter_fails_before_anything_runs(plan, tmp_path):
    from apexops.release.plan import check_procedures

    common = 'env = "local"\ndry_run = True\napproval = ""\n'
    _notebook(tmp_path / "20-database-migration.ipynb", common + 'target = "head"\n')
    _notebook(tmp_path / "30-application-deployment.ipynb", common + 'image_tag = "v1"\n')
    _notebook(tmp_path / "40-smoke-tests.ipynb", 'env = "local"\nrevision = ""\n')
    _notebook(tmp_path / "50-traffic-shifting.ipynb", common + 'revision = ""\nsmoke_override = ""\n')
    with pytest.raises(ConfigError, match="50-traffic-shifting: unknown parameter 'baseline_revision'"):
        check_procedures(plan, tmp_path)
    _notebook(
        tmp_path / "50-traffic-shifting.ipynb",
        common + 'revision = ""\nbaseline_revision = ""\nsmoke_override = ""\n',
    )
    with pytest.raises(ConfigError, match="needs procedure 60-rollback"):
        check_procedures(plan, tmp_path)


def test_re_running_a_release_that_already_serves_100_is_idempotent(plan):
    again = rec("deploy", new_revision=NEW, old_revisions=[NEW], plan_action="none")
    carried = Carried.from_records([rec("migrate"), again])
    assert carried.already_released and stop_reason(again, plan, carried) is None
    v = release_verdict(plan, [rec("migrate"), again], stop=None, traffic={NEW: 100})
    assert (v.facts["verdict"], v.status) == ("already_released", "PASS")
    split = rec("deploy", new_revision=NEW, old_revisions=[OLD, NEW])
    assert "finish or undo" in (stop_reason(split, plan, Carried.from_records([split])) or "")


# --------------------------------------------------------------------------- the verdict's rules, one by one


def _situation(plan, records, **kw):
    return chain.Situation(plan, tuple(records), **kw)


def test_rule_interrupted_applies_only_to_an_interrupt_and_names_the_child(plan):
    records = _chain("interrupted", traffic_moved=False)
    assert chain.interrupted(_situation(plan, records, traffic={OLD: 100})) is None
    v = chain.interrupted(_situation(plan, records, interrupted=True, traffic={OLD: 100}))
    assert v.facts["verdict"] == "interrupted" and v.hint == "re-run 90 when ready."
    assert v.reasons[0].startswith("interrupted during 50-traffic-shifting")


def test_rule_dry_run_passed_needs_a_dry_run_where_nothing_failed():
    dry = make_plan(dry_run=True)
    assert chain.dry_run_passed(_situation(dry, [rec("migrate"), rec("deploy")])).status == "PASS"
    assert chain.dry_run_passed(_situation(dry, [rec("migrate", "failed")])) is None
    assert chain.dry_run_passed(_situation(make_plan(), [rec("migrate")])) is None


def test_rule_dry_run_stopped_fails_any_dry_run_that_reaches_it():
    v = chain.dry_run_stopped(_situation(make_plan(dry_run=True), [rec("migrate")], stop="lint"))
    assert (v.status, v.reasons) == ("FAIL", ("dry run stopped: lint",))
    assert chain.dry_run_stopped(_situation(make_plan(), [rec("migrate")])) is None


def test_rule_already_released_when_30_found_the_revision_serving_everything(plan):
    again = rec("deploy", new_revision=NEW, old_revisions=[NEW])
    assert chain.already_released(_situation(plan, [again])).facts["verdict"] == "already_released"
    assert chain.already_released(_situation(plan, [again], stop="x")) is None
    assert chain.already_released(_situation(plan, [rec("deploy", **DEPLOYED)])) is None


def test_rule_not_serving_after_promotion_reads_the_traffic_back(plan):
    records = _chain(traffic_moved=True)
    v = chain.not_serving_after_promotion(_situation(plan, records, traffic={NEW: 50, OLD: 50}))
    assert (v.facts["verdict"], v.facts["stopped_at"], v.hint) == (
        "failed",
        "50-traffic-shifting",
        "run 80 then 60.",
    )
    assert chain.not_serving_after_promotion(_situation(plan, records, traffic={NEW: 100})) is None
    assert chain.not_serving_after_promotion(_situation(plan, records, traffic=None)) is None


def test_rule_promoted_says_when_the_smoke_tests_were_overridden():
    overridden = make_plan(smoke_override="INC-42")
    records = [*_chain(traffic_moved=True)[:2], rec("smoke", "failed"), rec("shift", traffic_moved=True)]
    v = chain.promoted(_situation(overridden, records, traffic={NEW: 100}))
    assert v.status == "PASS" and v.reasons[-1] == "smoke tests overridden: INC-42"
    assert chain.promoted(_situation(make_plan(), _chain("failed", traffic_moved=True))) is None


def test_rule_rolled_back_needs_the_traffic_back_at_the_baseline(plan):
    records = [*_chain("failed", traffic_moved=True), rec("rollback", at=12)]
    v = chain.rolled_back(_situation(plan, records, stop="failed", traffic={OLD: 100}))
    assert v.facts["rolled_back"] is True and v.status == "FAIL"
    assert chain.rolled_back(_situation(plan, records, stop="failed", traffic=None)) is not None  # 60 said so
    assert chain.rolled_back(_situation(plan, records, stop="failed", traffic={NEW: 100})) is None
    assert (
        chain.rolled_back(_situation(plan, _chain("failed", traffic_moved=False), traffic={OLD: 100})) is None
    )


def test_rule_rollback_failed_applies_to_any_moved_traffic_that_is_left(plan):
    records = _chain("failed", traffic_moved=True)
    v = chain.rollback_failed(_situation(plan, records, stop="failed", traffic={NEW: 10, OLD: 90}))
    assert v.reasons[-1] == f"traffic is not verified at the baseline {OLD}=100%"
    assert "60-rollback did not run" in v.reasons[1]
    assert chain.rollback_failed(_situation(plan, _chain("failed", traffic_moved=False))) is None


def test_rule_failed_is_the_fallback_and_says_what_stays_behind(plan):
    records = [rec("migrate", heads_after=["0003"]), rec("deploy", **DEPLOYED), rec("smoke", "failed")]
    v = chain.failed(_situation(plan, records, stop="failed: smoke", traffic={OLD: 100}))
    assert v.reasons[1] == f"no traffic moved: {OLD}=100% (as before the release)"
    assert "stays at 0%" in v.reasons[2] and "stays migrated to 0003" in v.reasons[3]
    assert v.hint.startswith("read 40's failing checks")
    assert chain.VERDICT_RULES[-1] is chain.failed


def test_the_release_verdict_raises_a_release_error_with_its_outcome(plan):
    v = release_verdict(plan, _chain("failed", traffic_moved=True), stop="failed", traffic={OLD: 100})
    with pytest.raises(ReleaseError, match=r"^release rolled_back: stopped at 50-traffic-shifting") as err:
        v.raise_for_failure()
    assert err.value.hint == v.hint
    assert chain.release_fact(v)["status"] == "FAIL" and chain.release_fact(v)["verdict"] == "rolled_back"
