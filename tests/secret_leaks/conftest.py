"""Fixtures of the secret-leak suite: the fixture notebooks under notebooks/ print, save, record and raise
a secret on purpose; they are run by these tests only, never collected by nbval."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

collect_ignore_glob = ["notebooks/*"]
