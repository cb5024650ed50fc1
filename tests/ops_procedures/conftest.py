"""Fixtures of the ops-procedures tests; the doubles live in ops_helpers.py (put on sys.path here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ops_helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
