"""Fixtures shared by the release tests (helpers live in release_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from release_helpers import make_plan


@pytest.fixture
def plan() -> Any:
    return make_plan()
