"""What procedures do with the optional capabilities: the same code, the target decides (no target names)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apexops.canary.load import resolve_load_rps, synthetic_load
from apexops.environment import connect
from apexops.errors import ConfigError, NotSupportedError
from apexops.smoke.target import token_source


@pytest.fixture
def local(tmp_path, monkeypatch):
    monkeypatch.setenv("APEXOPS_SANDBOX_HOME", str(tmp_path))  # minting needs only the key in the home
    return connect("local")


@pytest.fixture
def prod(monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "00000000-1111-2222-3333-444444444444")
    return connect("prod")


def test_the_expired_token_rehearsal_mints_an_expired_token_where_the_identity_can(local):
    acquire = token_source(local, local.settings.api_audience, rehearse="expired")
    assert acquire().expires_on < datetime.now(UTC)


def test_the_expired_token_rehearsal_is_refused_where_the_identity_cannot(prod):
    with pytest.raises(NotSupportedError) as err:
        prod.identity.rehearsal_token("api://apex", datetime.now(UTC))
    assert "az account get-access-token" in err.value.hint
    with pytest.raises(ConfigError, match="rehearse_auth_failure works on the sandbox only") as err:
        token_source(prod, "api://apex", rehearse="expired")
    assert err.value.hint == "leave rehearse_auth_failure empty outside the sandbox."


def test_synthetic_load_is_refused_before_anything_moves_with_the_message_of_the_parameter(prod):
    with pytest.raises(ConfigError) as err:
        resolve_load_rps(prod.settings, 10, env=prod)
    assert err.value.message == (
        "synthetic_load_rps 10: synthetic load is for the sandbox only, prod runs on azure."
    )
    assert err.value.hint == "pass synthetic_load_rps=0 (the canary is judged on real users there)."
    assert resolve_load_rps(prod.settings, -1, env=prod) == 0  # the policy's rate there is none


def test_a_rate_of_zero_sends_nothing_and_asks_no_target(prod):
    with synthetic_load(prod.settings, 0, 10, env=prod) as run:
        assert run is None


def test_lifecycle_on_an_always_on_target_names_the_check(prod):
    with pytest.raises(NotSupportedError) as err:
        prod.lifecycle.reachability()
    assert "az group show" in err.value.hint
