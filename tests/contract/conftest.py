"""The two targets the contract runs on: a real sandbox (one per module) and Azure behind the HTTP fakes.

The Azure side runs the real SDK clients against `AzureWorld` (tests/azure/_azure_fakes.py: the official
REST examples, stateful where the contract needs a write to be read back), so it is in-process and fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "azure"))

from _azure_fakes import ARM, LOGS, SUB, AzureWorld, FakeAzure, FakeCredential

from apexops.environment import Environment

#: daemon knobs for tests: fast telemetry flushes, quick deployments
TEST_OPTIONS = {"flush_interval_s": 0.05, "scale_idle_s": 1.0, "deploy_step_s": 0.01}


@dataclass(frozen=True)
class Target:
    """A wired environment and what the contract needs to know of its seeded content."""

    env: Environment
    repository: str
    audience: str
    world: AzureWorld | None = None


def _sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    from apexops.sandbox.testing import running_sandbox

    home = tmp_path_factory.mktemp("contract-sandbox")
    with running_sandbox(home, app={"health_timeout_s": 8}, options=TEST_OPTIONS) as (settings, env):
        yield Target(env, settings.app.image_repository, settings.api_audience)


def _azure() -> Iterator[Target]:
    from apexops.azure import build_environment
    from apexops.settings import load_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AZURE_SUBSCRIPTION_ID", SUB)
        mp.delenv("APEX_LOG_ANALYTICS_WORKSPACE_ID", raising=False)
        fake = FakeAzure()
        world = AzureWorld(fake)
        env = build_environment(
            load_settings("prod"),
            credential=FakeCredential(),
            arm_endpoint=ARM,
            logs_endpoint=LOGS,
            transport=fake.transport(),
            polling_interval=0,
        )
        yield Target(env, "apex-backend", "api://apex-prod-api", world)


@pytest.fixture(scope="module", params=["sandbox", "azure"])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """Each contract test runs once per target; the sandbox is shared by the tests of one module."""
    if request.param == "sandbox":
        yield from _sandbox(tmp_path_factory)
    else:
        yield from _azure()
