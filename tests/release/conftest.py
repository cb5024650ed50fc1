"""Fixtures shared by the release tests (builders: release_helpers.py; rehearsals: rehearsal_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from release_helpers import make_plan


@pytest.fixture
def plan() -> Any:
    return make_plan()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """One real sandbox and outputs folder per test module (rehearse resets it to the baseline as needed)."""
    from apexops.sandbox.testing import running_sandbox

    root = tmp_path_factory.mktemp("release")
    with running_sandbox(root / "sandbox") as (settings, env):
        yield SimpleNamespace(settings=settings, env=env, outputs=root / "outputs")
