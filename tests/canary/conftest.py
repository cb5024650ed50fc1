"""Shared builders for the canary tests: a policy like production's and hand-built observations."""

from __future__ import annotations

import pytest

from apexops.canary import JudgeConfig, Observation, RevisionSnapshot
from apexops.settings import CanaryPolicy, CanaryStage


@pytest.fixture
def policy() -> CanaryPolicy:
    return CanaryPolicy(
        stages=[
            CanaryStage(weight=10, min_duration_s=600, max_duration_s=1800),
            CanaryStage(weight=50, min_duration_s=300, max_duration_s=1200),
            CanaryStage(weight=100, min_duration_s=0, max_duration_s=600),
        ],
        alpha=0.01,
        on_inconclusive="escalate",
        max_replica_restarts=1,
    )


@pytest.fixture
def cfg(policy: CanaryPolicy) -> JudgeConfig:
    return JudgeConfig.from_policy(policy)


def _obs(
    elapsed: float,
    canary: tuple[int, int, int],
    baseline: tuple[int, int, int],
    *,
    stage: int = 0,
    weight: int = 10,
    state=None,
    **canary_fields,
) -> Observation:
    """An observation from (requests, 5xx, slow) per revision."""
    partial_baseline = canary_fields.pop("baseline_partial", False)
    baseline_fields = {
        k[len("baseline_") :]: canary_fields.pop(k) for k in list(canary_fields) if k.startswith("baseline_")
    }
    return Observation(
        stage_index=stage,
        elapsed_s=elapsed,
        canary=RevisionSnapshot("app--new", weight, *canary, **canary_fields),
        baseline=RevisionSnapshot(
            "app--old", 100 - weight, *baseline, partial=partial_baseline, **baseline_fields
        ),
        state=state,
    )


@pytest.fixture
def make_obs():
    """Builder: make_obs(elapsed, (requests, 5xx, slow), (requests, 5xx, slow), stage=0, weight=10, ...)."""
    return _obs
