"""ENOSPC and EIO at every write point of a run's record, through the write-error seam (`apexops.atomic`).

Whatever fails, no run is lost (it ends in the ledger once, or stays recoverable and `runs recover` records
it once, with its real outcome), the folder never claims an outcome it has no record for, and `verify` is
never OK while a run is missing from the ledger.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from fault_helpers import FIXTURES, lost_runs

from apexops import atomic
from apexops.errors import ApexopsError
from apexops.ledger import HEAD_NAME, LEDGER_NAME, OWNER_FILE, Ledger
from apexops.recording import record_run
from apexops.recovery import recover_abandoned
from apexops.runner import run_procedure
from apexops.status import Outcome

#: every write of a run's record, by what the seam sees: the final path of the file
WRITE_POINTS = {
    "notebook": lambda p: p.suffix == ".ipynb",
    "html": lambda p: p.name.endswith(".html") and p.name != "index.html",
    "ledger line": lambda p: p.name == LEDGER_NAME,
    "ledger head": lambda p: p.name == HEAD_NAME,
    "everything": lambda p: True,  # a disk full from the first write of the record on
}
ERRORS = {"ENOSPC": errno.ENOSPC, "EIO": errno.EIO}


def _fail(code: int, where) -> None:
    atomic.set_fault_hook(atomic.fail_with(code, where))


@pytest.mark.parametrize("code", ERRORS.values(), ids=ERRORS.keys())
@pytest.mark.parametrize("point", WRITE_POINTS)
def test_a_write_error_while_recording_leaves_a_recoverable_run(point, code, out, ready_run):
    earlier = record_run(ready_run())  # a run recorded before: the ledger has a head and a chain
    rec = ready_run(Outcome.FAILED)
    _fail(code, WRITE_POINTS[point])

    result = record_run(rec)

    atomic.set_fault_hook(None)
    assert result.outcome is Outcome.RECORD_FAILED and result.exit_code == 7
    assert "\n" not in result.error and "runs recover" in result.error
    assert "_record_failed_" in result.run_dir.name and result.run_dir.is_dir()
    assert [d.name for d in out.glob(f"runs/*/*_{result.run_id}")] == [result.run_dir.name]  # one folder
    assert [e["run_id"] for e in Ledger(out).entries()] == [earlier.run_id]
    report = Ledger(out).verify()
    assert not report.ok and [p.kind for p in report.problems] == ["run-unrecorded"]  # 0 false OK
    assert lost_runs(out, [earlier.run_id, result.run_id]) == []

    recovered = recover_abandoned(out)

    assert [(r.run_id, r.outcome) for r in recovered] == [(result.run_id, Outcome.FAILED)]  # its real outcome
    assert point == "everything" or "RuntimeError: boom" in recovered[0].error  # (the mark has no error)
    assert recovered[0].run_dir.name.endswith(f"_failed_{result.run_id}")
    assert not (recovered[0].run_dir / OWNER_FILE).exists()
    assert "saved-after-the-last-cell" in recovered[0].notebook_path.read_text()  # the run's own notebook
    assert recovered[0].facts["rounds"] == 3  # and its facts
    assert Ledger(out).verify().ok, Ledger(out).verify().problems
    assert recover_abandoned(out) == []  # recorded once
    assert [e["run_id"] for e in Ledger(out).entries()] == [earlier.run_id, result.run_id]


@pytest.mark.parametrize("code", ERRORS.values(), ids=ERRORS.keys())
def test_a_write_error_on_the_index_does_not_fail_the_record(code, out, ready_run):
    _fail(code, lambda p: p.name == "index.html")
    result = record_run(ready_run())
    atomic.set_fault_hook(None)
    assert result.outcome is Outcome.SUCCEEDED and Ledger(out).verify().ok  # the index is rebuilt later


@pytest.mark.parametrize("code", ERRORS.values(), ids=ERRORS.keys())
def test_a_write_error_on_the_owner_file_means_the_run_does_not_start(code, out):
    _fail(code, lambda p: p.name == OWNER_FILE)
    with pytest.raises(ApexopsError) as caught:
        run_procedure("01", notebooks=FIXTURES, outputs=out)
    assert "did not start" in str(caught.value) and "\n" not in str(caught.value)
    assert not list(out.glob("runs/*/*")) and not list(out.glob("runs/*"))  # nothing left behind
    atomic.set_fault_hook(None)
    assert recover_abandoned(out) == []


def test_when_even_the_owner_update_fails_the_run_is_still_recovered(out, ready_run):
    rec = ready_run()
    _fail(errno.ENOSPC, lambda p: p.name in (LEDGER_NAME, OWNER_FILE))
    result = record_run(rec)
    atomic.set_fault_hook(None)
    assert result.outcome is Outcome.RECORD_FAILED
    assert (result.run_dir / ".ended-succeeded").is_file()  # an empty file: no data block needed
    recovered = recover_abandoned(out)  # the first owner file and the mark: recorded with its real outcome
    assert [r.run_id for r in recovered] == [result.run_id] and recovered[0].outcome is Outcome.SUCCEEDED
    assert Ledger(out).verify().ok


def test_a_failed_recovery_stays_recoverable(out, ready_run):
    result = record_run(ready_run())
    assert result.outcome is Outcome.SUCCEEDED
    rec = ready_run()
    _fail(errno.EIO, lambda p: p.name == LEDGER_NAME)
    first = record_run(rec)
    assert recover_abandoned(out) == []  # the disk is still failing: nothing recorded, nothing lost
    assert lost_runs(out, [first.run_id]) == []
    atomic.set_fault_hook(None)
    assert [r.outcome for r in recover_abandoned(out)] == [Outcome.SUCCEEDED]
    assert Ledger(out).verify().ok and lost_runs(out, [result.run_id, first.run_id]) == []


def test_a_real_full_disk_on_tmpfs(tmp_path, ready_run):
    """One real ENOSPC (not the seam): a 4 MB tmpfs nearly filled before the run is recorded."""
    import subprocess

    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        out = mnt / "outputs"
        rec = ready_run(root=out)
        filler = mnt / "filler"
        with filler.open("wb") as fh:  # leave less room than the HTML needs
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        filler_size = filler.stat().st_size
        with filler.open("r+b") as fh:
            fh.truncate(filler_size - 40_000)
        result = record_run(rec)
        assert result.outcome is Outcome.RECORD_FAILED, result
        assert "No space left" in result.error
        assert not Ledger(out).verify().ok
        filler.unlink()
        recovered = recover_abandoned(out)
        assert [(r.run_id, r.outcome) for r in recovered] == [(result.run_id, Outcome.SUCCEEDED)]
        assert Ledger(out).verify().ok
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_verify_counts_a_path_given_to_a_missing_outputs_folder_as_not_ok(tmp_path: Path):
    assert not Ledger(tmp_path / "typo").verify().ok
