"""Puts tests/ on sys.path so the shared test helpers (executed.py) import by name, and gives every test
its own outputs folder unless it (or a wider fixture) chose one.

Procedures that change a target take the deployment lock under `<outputs>/locks`; two xdist workers
sharing the project's `outputs/` would refuse each other's runs, and tests must not write there anyway.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _own_outputs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    if "APEXOPS_OUTPUTS" not in os.environ:
        monkeypatch.setenv("APEXOPS_OUTPUTS", str(tmp_path_factory.mktemp("outputs")))
