"""Helpers of the fault-injection suite: an isolated outputs folder, and a run ready to be recorded.

`ready_run` builds what a run leaves when its kernel has finished (run folder with its owner file, the
notebook as saved after each cell, facts, evidence) without starting a kernel, so each write point can be
failed in a fraction of a second; the end-to-end cases (`apexops run` killed at each phase) use the tiny
fixture notebooks of tests/foundation.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "foundation"))

from foundation_helpers import FIXTURES, isolate

from apexops import atomic, kernel
from apexops.catalog import resolve
from apexops.ledger import Ledger, file_digest
from apexops.recording import RunRecord
from apexops.runner import _seed, _start_folder
from apexops.status import Outcome

__all__ = ["FIXTURES", "lost_runs"]


def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    isolate(monkeypatch, tmp_path)
    monkeypatch.delenv("APEXOPS_TEST_KILL_AT", raising=False)
    yield
    atomic.set_fault_hook(None)


def out(tmp_path: Path) -> Path:
    return tmp_path / "outputs"


def ready_run(out: Path) -> Callable[..., RunRecord]:
    """A run of 01-succeeds whose kernel has finished: what `record_run` gets from the runner."""
    import nbformat

    def make(outcome: Outcome = Outcome.SUCCEEDED, root: Path | None = None) -> RunRecord:
        out_root = root or out
        proc = resolve("01", FIXTURES)
        params = {"rounds": 3}
        seeded = _seed(proc, "local", 60.0, None)
        run_dir = _start_folder(out_root, proc, params, seeded)
        nb = nbformat.read(str(proc.path), as_version=4)
        running_nb = run_dir / f"{run_dir.name}.ipynb"
        saved = nbformat.read(str(proc.path), as_version=4)  # as papermill saved it after the last cell
        saved.cells[-1].outputs = [nbformat.v4.new_output("stream", text="saved-after-the-last-cell\n")]
        nbformat.write(saved, str(running_nb))
        nb.metadata["apexops"] = seeded
        (run_dir / kernel.FACTS_FILE).write_text(json.dumps({"rounds": 3}))
        (run_dir / "evidence" / "log.txt").write_text("evidence line\n")
        return RunRecord(
            proc=proc,
            params=params,
            seeded=seeded,
            out_root=out_root,
            run_dir=run_dir,
            running_nb=running_nb,
            seeded_nb=nb,
            outcome=outcome,
            error=None if outcome is Outcome.SUCCEEDED else "RuntimeError: boom",
            cell_index=None,
            references=(),
            source_digest=file_digest(proc.path),
            ended=datetime.now(UTC),
        )

    return make


def lost_runs(out: Path, run_ids: list[str]) -> list[str]:
    """Runs that are neither in the ledger exactly once nor left recoverable: must always be empty."""
    ids = [str(e.get("run_id")) for e in Ledger(out).entries()]
    lost = []
    for run_id in run_ids:
        if ids.count(run_id) == 1:
            continue
        unfinished = [d for d in out.glob(f"runs/*/*_{run_id}") if (d / ".owner.json").is_file()]
        if ids.count(run_id) > 1 or not unfinished:
            lost.append(run_id)
    return lost


def env_without_pytest() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
