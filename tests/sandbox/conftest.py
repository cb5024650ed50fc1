"""Shared fixtures: one running sandbox per test module (real processes, free port, temporary home)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from apexops.sandbox.client import ControlClient
from apexops.sandbox.identity import SandboxIdentity
from apexops.sandbox.testing import running_sandbox

#: daemon knobs for tests: fast telemetry flushes, min-0 revisions idle out after 1 s
TEST_OPTIONS = {"flush_interval_s": 0.05, "scale_idle_s": 1.0, "deploy_step_s": 0.01}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """(settings, env) of a sandbox shared by the tests of one module."""
    home = tmp_path_factory.mktemp("sandbox")
    with running_sandbox(home, app={"health_timeout_s": 8}, options=TEST_OPTIONS) as (settings, env):
        yield settings, env


@pytest.fixture(scope="module")
def control(sandbox):
    settings, _ = sandbox
    client = ControlClient(settings.sandbox_home())
    yield client
    client.close()


@pytest.fixture(scope="module")
def auth(sandbox) -> dict[str, str]:
    settings, _ = sandbox
    return SandboxIdentity(settings.sandbox_home()).mint(settings.api_audience).authorization_header()


def wait_for(predicate: Callable[[], Any], timeout_s: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.03)


def wait_provisioned(env, name: str, timeout_s: float = 40.0):
    return wait_for(
        lambda: (r := env.app.get_revision(name)).provisioning_state != "Provisioning" and r,
        timeout_s,
        f"{name} to finish provisioning",
    )


def within_binomial(k: int, n: int, p: float, z: float = 4.5) -> bool:
    """k successes out of n are consistent with rate p (|k - np| <= z standard deviations; z=4.5 -> ~7e-6)."""
    return abs(k - n * p) <= z * math.sqrt(n * p * (1 - p))


def burst(url: str, n: int, headers: dict[str, str], path: str = "/api/v1/projects/", concurrency: int = 16):
    """n concurrent GETs; returns the responses (status and x-apex-* headers are what tests look at)."""
    import concurrent.futures

    limits = httpx.Limits(max_connections=concurrency)
    with (
        httpx.Client(base_url=url, headers=headers, timeout=30, limits=limits) as client,
        concurrent.futures.ThreadPoolExecutor(concurrency) as pool,
    ):
        return list(pool.map(lambda _: client.get(path), range(n)))


@pytest.fixture(scope="session")
def helpers():
    """The helpers above, as a fixture (test modules cannot import conftest under --import-mode=importlib)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        wait_for=wait_for, wait_provisioned=wait_provisioned, within_binomial=within_binomial, burst=burst
    )
