"""Fixtures of the foundation tests: isolated outputs, sandbox home and operator for every test.

The fixture notebooks under notebooks/ fail, time out, kill their kernel or signal the test process on
purpose; they are run by the runner tests only, never collected by nbval (`collect_ignore_glob`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from foundation_helpers import FIXTURES, OPAQUE, SECRET, isolate, kernel_children

from apexops.runner import RunInterrupted, run_procedure

collect_ignore_glob = ["notebooks/*"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path)


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Every bundle a display helper shows or updates (what the frontend receives, the notebook stores)."""
    from apexops import display

    bundles: list[dict] = []

    class Handle:
        def update(self, bundle, raw=True):
            bundles.append({"update": True, **bundle})

    def fake_display(bundle, **kwargs):
        bundles.append(dict(bundle))
        return Handle() if kwargs.get("display_id") else None

    monkeypatch.setattr(display, "_display", fake_display)
    return bundles


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every fixture notebook run once through the runner into one outputs folder (kernels are slow)."""
    root = tmp_path_factory.mktemp("runs")
    out = root / "outputs"
    results = {}
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, root)
        mp.setenv("APEX_TEST_DB_PASSWORD", SECRET)
        mp.setenv("APEX_TEST_OPAQUE", OPAQUE)
        mp.setenv("APEXOPS_TEST_INTERRUPT_PID", str(os.getpid()))

        def run(name: str, key: str | None = None, **kw) -> None:
            try:
                results[key or name] = run_procedure(name, notebooks=FIXTURES, outputs=out, **kw)
            except RunInterrupted as stop:  # recorded first, then raised so callers stop too
                results[key or name] = stop.result
                results[f"{key or name}-raised"] = True

        progress: list[str] = []
        run("01", parameters={"rounds": 3, "label": "first"}, progress=progress.append)
        results["progress"] = progress
        run("02")
        run("03", parameters={"seconds": 30.0}, cell_timeout_s=2)
        run("04")
        run("05")
        run("06")
        run("06", "06-opaque", parameters={"db_password_env": "APEX_TEST_OPAQUE"})
        run("07")
        run("08", "08-dry")
        run("08", "08-unapproved", parameters={"dry_run": False})
        run("08", "08-approved", parameters={"dry_run": False, "approval": "DEPLOY v1.2.3 TO local"})
    results["outputs"] = out
    results["kernels_left"] = kernel_children()
    return results
