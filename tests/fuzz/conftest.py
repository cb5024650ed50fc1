"""Puts tests/fuzz on sys.path so the harness (fuzz_harness.py) imports by name."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
