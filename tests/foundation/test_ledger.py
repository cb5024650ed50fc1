"""The hash-chained ledger: verify() names each edited, missing or reordered line and artifact."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from apexops.errors import LedgerError
from apexops.ledger import GENESIS, Ledger, file_digest, line_digest


def make_run(out: Path, n: int) -> dict:
    run_dir = f"runs/2026-01-01/run{n}"
    (out / run_dir / "evidence").mkdir(parents=True)
    files = {f"{run_dir}/run{n}.ipynb": f"notebook {n}", f"{run_dir}/evidence/log.txt": f"log {n}"}
    for rel, text in files.items():
        (out / rel).write_text(text)
    return {
        "run_id": f"r{n}",
        "procedure": "00-preflight",
        "outcome": "succeeded",
        "run_dir": run_dir,
        "artifacts": {rel: file_digest(out / rel) for rel in files},
    }


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    led = Ledger(tmp_path / "outputs")
    for n in range(1, 6):
        led.append(make_run(led.outputs, n))
    return led


def lines(led: Ledger) -> list[str]:
    return led.path.read_text().splitlines()


def write(led: Ledger, rows: list[str]) -> None:
    led.path.write_text("".join(r + "\n" for r in rows))


def kinds(led: Ledger) -> list[tuple[str, str]]:
    return [(p.kind, p.subject) for p in led.verify().problems]


def test_appends_form_a_chain_with_a_head(ledger):
    rows = lines(ledger)
    entries = [json.loads(r) for r in rows]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["prev"] == GENESIS
    assert all(entries[i]["prev"] == line_digest(rows[i - 1]) for i in range(1, 5))
    head = json.loads(ledger.head_path.read_text())
    assert head == {"count": 5, "digest": line_digest(rows[-1])}
    report = ledger.verify()
    assert report.ok and report.lines == 5 and report.artifacts == 10
    assert report.head_digest == head["digest"]


def test_an_edited_middle_line_is_named(ledger):
    rows = lines(ledger)
    rows[2] = rows[2].replace('"succeeded"', '"failed"')
    write(ledger, rows)
    assert kinds(ledger) == [("line-edited", "line 3 (run r3)")]


def test_an_edited_last_line_is_named_thanks_to_the_head(ledger):
    rows = lines(ledger)
    rows[-1] = rows[-1].replace('"succeeded"', '"failed"')
    write(ledger, rows)
    assert kinds(ledger) == [("line-edited", "line 5 (run r5)")]


def test_a_deleted_middle_line_is_named(ledger):
    rows = lines(ledger)
    del rows[1]
    write(ledger, rows)
    problems = ledger.verify().problems
    assert [(p.kind, p.subject) for p in problems] == [
        ("line-missing", "line 2"),
        ("run-unrecorded", "runs/2026-01-01/run2"),  # its folder is left without a line
    ]
    assert "after run r1" in problems[0].detail and "run r3" in problems[0].detail


def test_deleted_last_lines_are_named(ledger):
    write(ledger, lines(ledger)[:3])
    assert kinds(ledger) == [
        ("line-missing", "lines 4-5"),
        ("run-unrecorded", "runs/2026-01-01/run4"),
        ("run-unrecorded", "runs/2026-01-01/run5"),
    ]


def test_a_deleted_first_line_is_named(ledger):
    write(ledger, lines(ledger)[1:])
    assert kinds(ledger) == [("line-missing", "line 1"), ("run-unrecorded", "runs/2026-01-01/run1")]


def test_reordered_lines_are_named(ledger):
    rows = lines(ledger)
    rows[1], rows[2] = rows[2], rows[1]
    write(ledger, rows)
    found = kinds(ledger)
    assert {k for k, _ in found} == {"line-reordered"}
    assert ("line-reordered", "line 2 (run r3)") in found and ("line-reordered", "line 3 (run r2)") in found


def test_a_line_that_is_not_json_is_named(ledger):
    rows = lines(ledger)
    rows[3] = rows[3][:-1]
    write(ledger, rows)
    assert ("line-invalid", "line 4") in kinds(ledger)


def test_an_edited_artifact_byte_is_named(ledger):
    path = ledger.outputs / "runs/2026-01-01/run2/evidence/log.txt"
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    problems = ledger.verify().problems
    assert [(p.kind, p.subject) for p in problems] == [
        ("artifact-edited", "runs/2026-01-01/run2/evidence/log.txt")
    ]
    assert "run r2" in problems[0].detail


def test_a_missing_or_added_artifact_is_named(ledger):
    (ledger.outputs / "runs/2026-01-01/run4/run4.ipynb").unlink()
    (ledger.outputs / "runs/2026-01-01/run1/evidence/planted.txt").write_text("not from the run")
    assert sorted(kinds(ledger)) == [
        ("artifact-missing", "runs/2026-01-01/run4/run4.ipynb"),
        ("artifact-unrecorded", "runs/2026-01-01/run1/evidence/planted.txt"),
    ]
    assert ledger.verify(artifacts=False).ok  # the chain itself is intact


def test_a_missing_head_is_reported(ledger):
    ledger.head_path.unlink()
    assert kinds(ledger) == [("head-missing", "ledger.head")]


def test_after_a_deletion_the_next_append_keeps_the_gap_visible(ledger):
    write(ledger, lines(ledger)[:-1])  # someone deletes the last line...
    ledger.append(make_run(ledger.outputs, 6))  # ...and the next run is appended
    assert ("line-missing", "line 5") in kinds(ledger)


def test_find_by_prefix(ledger):
    assert ledger.find("r3")["run_id"] == "r3"
    with pytest.raises(LedgerError, match="no run 'zz'"):
        ledger.find("zz")
    with pytest.raises(LedgerError, match="matches 5 runs"):
        ledger.find("r")


def _append_many(outputs: str, worker: int) -> None:
    led = Ledger(Path(outputs))
    for i in range(10):
        led.append({"run_id": f"w{worker}-{i}", "artifacts": {}})


def test_parallel_appends_from_several_processes_keep_one_chain(tmp_path):
    out = tmp_path / "outputs"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(str(out), w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    led = Ledger(out)
    assert len(led.entries()) == 40
    assert led.verify().ok


# --------------------------------------------------------------------------- issue 14: torn lines, false OK


def test_a_torn_last_line_is_closed_by_the_next_append_and_named_as_torn(ledger):
    with ledger.path.open("a") as fh:
        fh.write('{"run_id":"r6","outcome":"succ')  # a crash mid-write: no newline
    assert kinds(ledger) == [("line-torn", "line 6")]
    ledger.append(make_run(ledger.outputs, 7))
    rows = lines(ledger)
    assert len(rows) == 7 and rows[5].endswith('"succ') and json.loads(rows[6])["run_id"] == "r7"
    assert ledger.find("r7")["seq"] == 6  # `runs show` finds the run appended after the torn line
    assert json.loads(rows[6])["prev"] == line_digest(rows[4])  # linked past the torn line
    assert kinds(ledger) == [("line-torn", "line 6")]
    ledger.append(make_run(ledger.outputs, 8))
    assert kinds(ledger) == [("line-torn", "line 6")]  # the head keeps remembering it


def test_a_truncated_line_in_the_middle_is_not_ok(ledger):
    rows = lines(ledger)
    rows[2] = rows[2][:40]
    write(ledger, rows)
    assert ("line-invalid", "line 3") in kinds(ledger)


def test_a_failed_append_leaves_the_ledger_and_head_as_they_were(ledger, monkeypatch):
    import errno

    from apexops import atomic

    before, head = ledger.path.read_bytes(), ledger.head_path.read_bytes()
    for target in (ledger.path, ledger.head_path):
        previous = atomic.set_fault_hook(atomic.fail_with(errno.ENOSPC, lambda p, t=target: p == t))
        try:
            with pytest.raises(OSError):
                ledger.append(make_run(ledger.outputs, 10 + len(str(target))))
        finally:
            atomic.set_fault_hook(previous)
        assert ledger.path.read_bytes() == before and ledger.head_path.read_bytes() == head


def test_a_short_write_is_cut_back(ledger, monkeypatch):
    import os as os_module

    before = ledger.path.read_bytes()
    real_write = os_module.write
    monkeypatch.setattr("apexops.ledger.os.write", lambda fd, data: real_write(fd, data[:10]))
    with pytest.raises(OSError):
        ledger.append(make_run(ledger.outputs, 6))
    monkeypatch.undo()
    assert ledger.path.read_bytes() == before
    assert ledger.verify().problems == [] or kinds(ledger) == [("run-unrecorded", "runs/2026-01-01/run6")]


def test_verify_is_not_ok_for_an_outputs_folder_that_does_not_exist(tmp_path):
    report = Ledger(tmp_path / "nope").verify()
    assert not report.ok and report.problems[0].kind == "outputs-missing"


def test_verify_names_a_run_folder_added_by_hand(ledger):
    rel = "runs/2026-01-02/20260102-000000_00-preflight_local_succeeded_abc"
    (ledger.outputs / rel).mkdir(parents=True)
    assert kinds(ledger) == [("run-unrecorded", rel)]


def test_verify_leaves_a_run_in_progress_alone(ledger):
    import os

    folder = ledger.outputs / "runs/2026-01-02/20260102-000000_00-preflight_local_running_abc"
    folder.mkdir(parents=True)
    (folder / ".owner.json").write_text(json.dumps({"pid": os.getpid()}))
    assert kinds(ledger) == []
    (folder / ".owner.json").write_text(json.dumps({"pid": 2**22 + 1}))  # its owner is gone
    assert kinds(ledger) == [("run-unrecorded", folder.relative_to(ledger.outputs).as_posix())]


def test_lines_give_each_entry_with_its_exact_text(ledger):
    rows = lines(ledger)
    assert [text for text, _ in ledger.lines()] == rows
    assert [entry["run_id"] for _, entry in ledger.lines()] == ["r1", "r2", "r3", "r4", "r5"]


def test_publishing_receipts_are_appended_whole_and_read_back(ledger):
    assert ledger.receipts() == []
    with ledger.publishing():
        ledger.add_receipt({"run_id": "r1", "env": "local", "state": "publishing", "offset": 0})
        ledger.add_receipt({"run_id": "r1", "env": "local", "state": "published", "seq": 1})
    assert [r["state"] for r in ledger.receipts()] == ["publishing", "published"]
    assert ledger.verify().ok  # receipts are not run artifacts and never disturb the chain


def test_a_torn_receipt_stays_on_its_own_line(ledger):
    ledger.add_receipt({"run_id": "r1", "env": "local", "state": "publishing", "offset": 0})
    with ledger.published_path.open("a") as fh:
        fh.write('{"run_id": "r2", "sta')  # a crash mid-write
    ledger.add_receipt({"run_id": "r3", "env": "local", "state": "published", "seq": 3})
    assert [r["run_id"] for r in ledger.receipts()] == ["r1", "r3"]


def test_publishers_of_one_folder_take_turns(ledger):
    import threading
    import time

    order: list[str] = []

    def publisher(name: str) -> None:
        with Ledger(ledger.outputs).publishing():
            order.append(f"{name} in")
            time.sleep(0.05)
            order.append(f"{name} out")

    threads = [threading.Thread(target=publisher, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order[0][0] == order[1][0] and order[2][0] == order[3][0]  # never interleaved


def test_a_removed_ledger_of_a_folder_that_published_is_not_ok(ledger):
    """`runs verify` alone: the receipts outlive a deleted ledger.jsonl + ledger.head."""
    ledger.add_receipt({"run_id": "r2", "env": "local", "state": "published", "seq": 2})
    assert ledger.verify().ok
    rows = lines(ledger)
    write(ledger, [r for r in rows if '"r2"' not in r])
    assert ("run-missing", "run r2") in kinds(ledger)
    ledger.path.unlink()
    ledger.head_path.unlink()
    assert ("ledger-missing", "ledger.jsonl") in kinds(ledger)
