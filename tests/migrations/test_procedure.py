"""Procedure 20's object: parameters refused before anything changes, preconditions, the dry-run verdict.

The Environment is the real sandbox wiring (`connect("local")`) pointed at a SQLite file through
APEXOPS_SANDBOX_DATABASE_URL; these steps only touch the database port, so no sandbox process is needed.
"""

from __future__ import annotations

import pytest

from apexops.environment import connect
from apexops.errors import ConfigError, SecretInParameterError
from apexops.migrations.plan import check_preconditions
from apexops.migrations.procedure import MigrationProcedure
from apexops.settings import load_settings


@pytest.fixture
def local_env(tmp_path, monkeypatch, upgrade_to):
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'apex.db'}"
    engine = sa.create_engine(url)
    upgrade_to(engine, "0002")
    engine.dispose()
    monkeypatch.setenv("APEXOPS_SANDBOX_DATABASE_URL", url)
    return connect("local")


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"downgrade_to": "-1", "kill_session": 7}, "downgrade_to, kill_session"),
        ({"allow_stamp": True, "target": "0003"}, "allow_stamp, target"),
    ],
)
def test_one_change_per_run(local_env, kwargs, names):
    with pytest.raises(ConfigError, match=f"one change per run: {names}"):
        MigrationProcedure(local_env, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"kill_session": "abc"}, "kill_session"),
        ({"kill_session": -3}, "kill_session"),
        ({"acknowledge": "MIG-012"}, "acknowledge"),
        ({"migrations_dir": "/nonexistent/history"}, "migrations_dir"),
        ({"lock_timeout_ms": -1}, "lock_timeout_ms"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(local_env, kwargs, parameter):
    with pytest.raises(ConfigError, match=parameter):
        MigrationProcedure(local_env, **kwargs)


def test_a_downgrade_target_above_the_current_revision_is_refused_before_anything_runs(local_env):
    proc = MigrationProcedure(local_env, downgrade_to="0003")
    with pytest.raises(ConfigError, match="downgrade_to '0003' is not a revision below the current one"):
        proc.plan()


def test_dry_run_verdict_names_the_change_and_its_approval_phrase(local_env):
    proc = MigrationProcedure(local_env, lock_timeout_ms=1000)
    assert proc.state().pending_ids == ("0003",)
    assert proc.approval_phrase == "MIGRATE apex-db-local TO 0003"
    assert proc.plan().lint.verdict == "PASS" and proc.plan().status == "PASS"
    verdict = proc.verdict()
    assert verdict.status == "SKIPPED"
    assert 'approval="MIGRATE apex-db-local TO 0003"' in verdict.reasons[1]
    assert proc.facts()["heads_before"] == ["0002"] and proc.facts()["migration_verdict"] == "SKIPPED"
    verdict.raise_for_failure()  # SKIPPED is not a failure


def test_a_target_that_cannot_exec_into_a_replica_is_not_a_failed_migration(local_env):
    """Azure has no SDK exec: step 8 becomes the az command to run, not a FAIL of the whole procedure."""
    from dataclasses import replace
    from types import SimpleNamespace

    from apexops.errors import NotSupportedError

    def no_exec(*_args, **_kw):
        raise NotSupportedError("running a command inside a replica is not available through the Azure SDK.")

    state = SimpleNamespace(traffic=[], latest_ready_revision_name="app--r", latest_revision_name="app--r")
    app = SimpleNamespace(exec=no_exec, show=lambda: state)
    proc = MigrationProcedure(replace(local_env, app=app))
    proc.plan()
    assert proc.connectivity().verdict == "SKIPPED"
    assert proc.verdict().status == "SKIPPED"  # the dry run's own verdict, not FAIL

    refused = SimpleNamespace(exit_code=1, output="refused", revision="app--r", replica="x")
    app.exec = lambda *_a, **_k: refused
    proc = MigrationProcedure(replace(local_env, app=app))
    proc.plan()
    assert proc.connectivity().verdict == "FAIL"
    assert proc.verdict().status == "FAIL"  # a replica that cannot reach the database still fails the run


def test_stamp_and_kill_runs_have_their_own_phrases(local_env):
    assert (
        MigrationProcedure(local_env, kill_session=4242).approval_phrase
        == "KILL SESSION 4242 ON apex-db-local"
    )
    stamp_run = MigrationProcedure(local_env, allow_stamp=True)
    assert (
        stamp_run.approval_phrase == "STAMP apex-db-local AS NOTHING"
    )  # versioned already: nothing to stamp
    assert stamp_run.verdict().status == "FAIL"


def test_production_requires_a_backup_reference_and_refuses_a_secret_in_it():
    prod = load_settings("prod")
    missing = check_preconditions(prod)
    assert missing.verdict == "FAIL"
    assert missing.require(dry_run=True) is False  # a dry run reports it
    with pytest.raises(ConfigError, match="backup_reference is required for prod"):
        missing.require(dry_run=False)
    ok = check_preconditions(prod, backup_reference="apex-db-prod-2024-07-02T14-00.bacpac")
    assert ok.verdict == "PASS" and ok.require() is True
    with pytest.raises(SecretInParameterError, match="backup_reference"):
        check_preconditions(prod, backup_reference="https://st.blob.core.windows.net/b/x.bacpac?sv=1&sig=abc")
    assert check_preconditions(load_settings("local")).verdict == "PASS"  # the sandbox needs none


def test_a_failed_verdict_stops_the_run_with_a_migration_error_and_its_hint(local_env):
    from apexops.errors import MigrationError
    from apexops.status import Status

    verdict = MigrationProcedure(local_env, allow_stamp=True).verdict()
    assert verdict.status is Status.FAIL
    with pytest.raises(MigrationError, match=r"^database migration failed: nothing to stamp: "):
        verdict.raise_for_failure()
    assert verdict.hint == "" and MigrationProcedure(local_env).verdict().status is Status.SKIPPED


def test_a_target_behind_the_database_is_refused_before_the_approval_gate(local_env):
    """Issue 14 #10: `target=<older revision>` planned an "upgrade", took the approval, then failed."""
    from apexops.errors import MigrationError
    from apexops.migrations.state import read_version_rows

    proc = MigrationProcedure(local_env, target="0001", dry_run=False)
    state = proc.state()
    assert state.condition == "ahead_of_target" and state.blocking and state.status == "FAIL"
    refusal = (
        r"^database migration failed: target 0001 is older than the database's current revision 0002: "
        r"a downgrade is downgrade_to=0001 \(with its own lint and backup reference\)"
    )
    with pytest.raises(MigrationError, match=refusal) as err:
        proc.plan()
    assert "downgrade_to=0001" in err.value.hint
    with pytest.raises(MigrationError, match=refusal):
        proc.approval_phrase  # noqa: B018 - the gate's phrase is never produced, so it cannot be approved
    assert proc.result is None and proc.verdict().status == "FAIL"
    with proc._engine.connect() as conn:
        assert read_version_rows(conn) == (True, ("0002",))  # nothing ran


def test_a_target_equal_to_the_current_revision_is_nothing_pending(local_env):
    proc = MigrationProcedure(local_env, target="0002", dry_run=False)
    assert proc.plan().nothing_to_do and proc.approval_phrase == "MIGRATE apex-db-local TO 0002"
    assert proc.verdict().status == "PASS" and "nothing to do" in proc.verdict().reasons[0]


@pytest.mark.parametrize(
    ("target", "message", "hint"),
    [
        ("0009", r"'0009' is not a revision of this migration history \(heads: 0003\)", "0001, 0002, 0003"),
        ("base", "target base is not an upgrade", "downgrade_to=base"),
    ],
)
def test_an_unknown_or_base_target_is_refused_from_the_parameters(local_env, target, message, hint):
    with pytest.raises(ConfigError, match=message) as err:
        MigrationProcedure(local_env, target=target, dry_run=False)
    assert hint in err.value.hint


def test_the_library_plan_of_an_older_target_is_blocked_and_never_applied(local_env):
    """Below the procedure too: `apply` refuses the plan instead of "nothing to do: already at 0001"."""
    from apexops.errors import MigrationError
    from apexops.migrations.execute import apply
    from apexops.migrations.plan import plan_upgrade

    plan = plan_upgrade(local_env.database.engine(), target="0001")
    assert plan.blocked and plan.status == "FAIL" and "downgrade_to=0001" in " ".join(plan.reasons())
    with pytest.raises(MigrationError, match="the plan is blocked; nothing was run"):
        apply(local_env.database.engine(), plan)
