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

#: Chromium, pages and JupyterLab servers for the browser tests (tests/browsers.py)
pytest_plugins = ("browsers",)


@pytest.fixture(autouse=True)
def _own_outputs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    if "APEXOPS_OUTPUTS" not in os.environ:
        monkeypatch.setenv("APEXOPS_OUTPUTS", str(tmp_path_factory.mktemp("outputs")))
    # the static PNGs of charts cost a Chromium start (~2-4 s here) in each of ~40 recorded runs with charts:
    # only the tests of the images turn them on (tests/foundation/test_chart_images.py, test_shift_sandbox.py)
    if "APEXOPS_CHART_IMAGES" not in os.environ:
        monkeypatch.setenv("APEXOPS_CHART_IMAGES", "0")


#: the files that wait longest on real processes (canary stages, whole releases), slowest first. Two
#: xdist workers take files in collection order; these would otherwise be collected last (release, traffic)
#: and leave one worker running them alone at the end. Started first, the short files fill in around them.
SLOW_FIRST = (
    "tests/release/test_rehearsal.py",
    "tests/release/test_rehearsal_canary.py",
    "tests/traffic/test_shift_sandbox.py",
    "tests/traffic/test_rollback_sandbox.py",
    "tests/traffic/test_shift_strata_sandbox.py",
    "tests/browser/test_lab_canary.py",
    "tests/foundation/test_papermill_engine.py",
    "tests/foundation/test_chart_images.py",
    "tests/traffic/test_shift_affinity_sandbox.py",
    "tests/browser/test_offline_html.py",
    "tests/release/test_rehearsal_interrupt.py",
    "tests/browser/test_lab_verdicts.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    root = Path(str(config.rootpath))

    def key(item: pytest.Item) -> int:
        try:
            relative = Path(str(item.path)).relative_to(root).as_posix()
        except ValueError:
            return len(SLOW_FIRST)
        return rank.get(relative, len(SLOW_FIRST))

    items.sort(key=key)  # stable: every other file keeps its order
