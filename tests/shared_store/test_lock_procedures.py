"""The procedures that change something take the shared lock first: 30 (revisions) and 20 (database) here,
against a real Azurite. While another operator's run holds the app, they change nothing and name it; else
they make their change holding the lease, named as their procedure. (50/60/70 are covered by the traffic
tests and test_lock_rollout.py.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from apexops.errors import LockHeldError
from apexops.sandbox.testing import apply_overrides
from apexops.settings import load_settings
from apexops.shared.lock import LeaseLock, lock_blob_name, read_lock

pytestmark = [pytest.mark.slow]


class Storage:
    def __init__(self, container) -> None:
        self._container = container

    def container(self):
        return self._container

    def describe(self) -> str:
        return self._container.url


@pytest.fixture
def env(audit_container, tmp_path, monkeypatch):
    monkeypatch.setenv("APEXOPS_OUTPUTS", str(tmp_path / "outputs"))  # the local lock of this "machine"
    settings = apply_overrides(load_settings("local"), {"audit": {"lease_duration_s": 15}})
    return SimpleNamespace(
        settings=settings,
        audit_storage=Storage(audit_container),
        database=SimpleNamespace(engine=lambda: None),
        app=None,
    )


def holder_of(env) -> str:
    name = lock_blob_name(env.settings.audit.prefix, env.settings.environment, env.settings.app.name)
    state = read_lock(env.audit_storage.container(), name)
    return f"{state.lease_state} {state.holder.procedure}"


def another_operator(env) -> LeaseLock:
    return LeaseLock(
        env.audit_storage.container(),
        env=env.settings.environment,
        app=env.settings.app.name,
        duration_s=15,
        run_id="other-op",
        procedure="50-traffic-shifting",
    ).acquire()


def test_30_creates_its_revision_only_under_the_lease(env, monkeypatch):
    from apexops.deploy import procedure as deploy

    changes: list[str] = []
    monkeypatch.setattr(
        deploy, "apply_plan", lambda app, plan, on_progress=None: changes.append(holder_of(env))
    )
    d = deploy.Deployment(env, "v1.2.3")
    d.plan = object()  # what step 3 made; the change itself is recorded above
    other = another_operator(env)
    try:
        with pytest.raises(LockHeldError, match=r"run other-op by .*50-traffic-shifting"):
            d.apply()
        assert changes == []
    finally:
        other.release()
    d.apply()
    assert changes == ["leased 30-application-deployment"]
    assert holder_of(env) == "available 30-application-deployment"


def test_20_refuses_naming_the_holder_and_migrates_under_the_lease(env, monkeypatch):
    from apexops.migrations.procedure import MigrationProcedure, Refusal

    proc = MigrationProcedure(env, dry_run=False)
    changes: list[str] = []
    monkeypatch.setattr(proc, "_apply", lambda on_progress=None: changes.append(holder_of(env)) or "migrated")
    other = another_operator(env)
    try:
        result = proc.apply()
        assert isinstance(result, Refusal) and changes == []
        (reason,) = result.reasons
        assert "another run holds the deployment lock for apex-backend-local in local: run other-op" in reason
    finally:
        other.release()
    assert proc.apply() == "migrated"
    assert changes == ["leased 20-database-migration"]
