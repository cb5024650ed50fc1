"""Fixtures of the fault-injection suite (see fault_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest
from fault_helpers import _isolated, out, ready_run

_isolated = pytest.fixture(autouse=True)(_isolated)
out = pytest.fixture(out)
ready_run = pytest.fixture(ready_run)
