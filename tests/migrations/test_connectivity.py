"""The runbook's "SELECT 1 from the container app", run inside a real sandbox replica."""

from __future__ import annotations

import pytest

from apexops.migrations import check_from_app, read_state

pytestmark = pytest.mark.sandbox


def test_select_one_from_a_running_replica_and_failures_are_not_passes(tmp_path):
    from apexops.sandbox.testing import running_sandbox

    with running_sandbox(tmp_path / "sandbox") as (_settings, env):
        result = check_from_app(env.app)
        assert result.ok and result.verdict == "PASS", result.output
        assert result.exit_code == 0 and "Database connection successful: (1,)" in result.output
        serving = max(env.app.get_traffic(), key=lambda w: w.weight).revision_name
        assert result.revision == serving and result.replica.startswith(serving)
        # the replica reaches the same database the procedure migrates
        assert read_state(env.database.engine()).current == ("0002",)

        missing = check_from_app(env.app, revision="apex-backend-local--nope")
        assert not missing.ok and missing.exit_code is None and "nope" in missing.output
        assert missing.verdict == "FAIL" and missing.failed and not missing.skipped

        broken = check_from_app(env.app, python="false")  # a command that fails inside the replica
        assert not broken.ok and broken.exit_code not in (0, None)
