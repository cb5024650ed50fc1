"""Procedure 50's step 1 (preconditions), the traffic helpers and the deployment lock."""

from __future__ import annotations

import pytest

from apexops.canary.lock import DeploymentLock
from apexops.canary.preconditions import check_preconditions, find_smoke_run, require
from apexops.canary.traffic import effective, split
from apexops.errors import LockHeldError, NotFoundError, RolloutError, TrafficError
from apexops.models import Revision, TrafficWeight
from apexops.status import Status

NEW, OLD = "app--new", "app--old"


def revision(name, **kw):
    base = dict(
        name=name,
        active=True,
        traffic_weight=0,
        replicas=1,
        provisioning_state="Provisioned",
        health_state="Healthy",
        running_state="Running",
        created_time=None,
        fqdn="",
        url="",
        image="i",
    )
    return Revision(**{**base, **kw})


class App:
    def __init__(self, revisions, traffic):
        self.revisions, self.traffic = {r.name: r for r in revisions}, traffic

    def get_revision(self, name):
        if name not in self.revisions:
            raise NotFoundError(f"revision {name} not found")
        return self.revisions[name]

    def get_traffic(self):
        return self.traffic


SMOKE = {
    "run_id": "r40",
    "procedure": "40-smoke-tests",
    "environment": "local",
    "outcome": "succeeded",
    "ended_at": "2026-03-01T12:00:00+00:00",
    "facts": {"smoke_verdict": {"revision": NEW, "verdict": "PASS"}},
}


def test_all_preconditions_pass():
    app = App([revision(NEW), revision(OLD)], [TrafficWeight(OLD, 100), TrafficWeight(NEW, 0)])
    checks = check_preconditions(app, canary=NEW, baseline=OLD, smoke_run=SMOKE)
    assert [c.status for c in checks] == [Status.PASS] * 4
    require(checks)


def test_every_failure_is_named_at_once():
    app = App(
        [revision(NEW, health_state="Unhealthy"), revision(OLD, active=False)],
        [TrafficWeight(OLD, 90), TrafficWeight(NEW, 10)],
    )
    checks = check_preconditions(app, canary=NEW, baseline=OLD, smoke_run=None)
    assert [c.status for c in checks] == [Status.FAIL] * 4
    with pytest.raises(RolloutError) as info:
        require(checks)
    text = str(info.value)
    assert "new revision: app--new: health state Unhealthy (expected Healthy)" in text
    assert "old revision: app--old: not active" in text
    assert "traffic is {'app--old': 90, 'app--new': 10}, expected app--old=100" in text
    assert "no passing smoke run (procedure 40) for app--new in the ledger" in text
    assert "nothing was changed" in text


def test_missing_revision_and_override():
    app = App([revision(OLD)], [TrafficWeight(OLD, 100)])
    checks = check_preconditions(app, canary=NEW, baseline=OLD, smoke_run=None, override="hotfix, INC-42")
    assert checks[0].status is Status.FAIL and "does not exist" in checks[0].reason
    assert checks[3].status is Status.WARN and checks[3].reason.endswith("override: hotfix, INC-42")


def test_smoke_run_must_be_for_this_revision_env_and_a_pass():
    other_rev = {**SMOKE, "facts": {"smoke_verdict": {"revision": "app--x", "verdict": "PASS"}}}
    failed = {**SMOKE, "outcome": "failed"}
    fail_verdict = {**SMOKE, "facts": {"smoke_verdict": {"revision": NEW, "verdict": "FAIL"}}}
    prod = {**SMOKE, "environment": "prod"}
    deploy = {**SMOKE, "procedure": "30-application-deployment"}
    for entries in ([other_rev], [failed], [fail_verdict], [prod], [deploy], []):
        assert find_smoke_run(entries, env="local", revision=NEW) is None
    newer = {**SMOKE, "run_id": "r41"}
    assert find_smoke_run([SMOKE, failed, newer], env="local", revision=NEW)["run_id"] == "r41"


def test_traffic_lists_are_complete():
    assert split(NEW, OLD, 10) == (TrafficWeight(NEW, 10), TrafficWeight(OLD, 90))
    assert effective(split(NEW, OLD, 0)) == {OLD: 100}
    with pytest.raises(TrafficError, match="same revision"):
        split(NEW, NEW, 10)
    with pytest.raises(TrafficError, match=r"outside 0\.\.100"):
        split(NEW, OLD, 101)


def test_lock_names_its_holder_and_is_released(tmp_path):
    first = DeploymentLock(tmp_path, env="prod", app="apex-backend-prod", run_id="abc123").acquire()
    try:
        with pytest.raises(LockHeldError, match=r"run abc123 \(pid \d+, since "):
            DeploymentLock(tmp_path, env="prod", app="apex-backend-prod").acquire()
        # another app, or the same app in another environment, is not blocked
        DeploymentLock(tmp_path, env="staging", app="apex-backend-prod").acquire().release()
    finally:
        first.release()
    with DeploymentLock(tmp_path, env="prod", app="apex-backend-prod", run_id="def") as lock:
        assert lock.held and lock.holder()["run_id"] == "def"
    assert not lock.held


def test_guard_process_starts_and_leaves_when_the_rollout_ends(tmp_path):
    from apexops.canary.guard import TrafficGuard, read_journal

    with TrafficGuard(env="local", app="apex", safe=split(NEW, OLD, 0), folder=tmp_path) as guard:
        assert guard.process is not None and guard.process.poll() is None
        guard.arm("stage 1")
        assert read_journal(guard.path)["state"] == "armed"
        guard.disarm()
        process = guard.process
    assert process.poll() == 0  # exited by itself on "done", nothing restored
    assert read_journal(guard.path)["state"] == "done"


def test_the_guardian_keeps_watching_while_its_parent_lives_and_leaves_on_done_or_when_safe(tmp_path):
    import json
    import os

    from apexops.canary.guard import _watch

    path = tmp_path / "journal.json"
    assert _watch(path, os.getppid()) == 0  # no journal: nothing to guard
    journal = {"state": "armed", "parent_pid": os.getpid(), "env": "local", "safe": []}
    path.write_text(json.dumps(journal))
    assert _watch(path, os.getppid()) is None  # parent alive: keep watching
    path.write_text(json.dumps({**journal, "state": "safe", "parent_pid": 2**22 + 12345}))
    assert _watch(path, os.getppid()) == 0  # parent gone, traffic safe: nothing to restore
    path.write_text(json.dumps({**journal, "state": "done"}))
    assert _watch(path, os.getppid()) == 0
