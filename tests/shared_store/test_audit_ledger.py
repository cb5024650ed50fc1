"""The shared ledger on Azurite: one linear chain for many writers, publishing idempotent, verify names
every run deleted, rewritten or added on either side."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helpers next to this file (pytest's importlib mode)
from audit_helpers import kinds, record, writer

from apexops.ledger import GENESIS, Ledger, line_digest
from apexops.shared.audit import SharedLedger
from apexops.shared.publish import pending, publish_runs
from apexops.shared.verify import verify_shared


@pytest.fixture
def shared(audit_container) -> SharedLedger:
    return SharedLedger(audit_container, "team-a")


@pytest.fixture
def published(tmp_path, shared):
    """An outputs folder with 4 runs, all published."""
    out = tmp_path / "outputs"
    ids = [record(out, n)["run_id"] for n in range(4)]
    report = publish_runs(shared, out, "local")
    assert report.appended == ids and report.uploaded == 12
    return out


def rewrite_shared(shared: SharedLedger, rows: list[str]) -> None:
    """What someone with write access can do to an append blob: delete it and write another."""
    blob = shared.container.get_blob_client(shared.name("ledger.jsonl"))
    blob.delete_blob()
    blob.create_append_blob()
    if rows:
        blob.append_block("".join(r + "\n" for r in rows).encode())


def shared_rows(shared: SharedLedger) -> list[str]:
    return [ln.text for ln in shared.read()]


def test_three_writer_processes_append_one_linear_chain(tmp_path, azurite_endpoint, audit_container):
    ctx = multiprocessing.get_context("spawn")
    folders = [tmp_path / f"machine{i}" / "outputs" for i in range(3)]
    procs = [
        ctx.Process(
            target=writer,
            args=(azurite_endpoint.account_url, audit_container.container_name, str(f), 20, f"w{i}"),
        )
        for i, f in enumerate(folders)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0]

    shared = SharedLedger(audit_container)
    lines = shared.read()
    assert len(lines) == 60
    assert [ln.data["seq"] for ln in lines] == list(range(1, 61))
    assert lines[0].data["prev"] == GENESIS
    assert all(lines[i].data["prev"] == line_digest(lines[i - 1].text) for i in range(1, 60))
    assert len({ln.run_id for ln in lines}) == 60
    by_origin = {ln.origin for ln in lines}
    assert len(by_origin) == 3
    assert shared.head() == {"count": 60, "digest": line_digest(lines[-1].text)}
    for folder in folders:
        report = verify_shared(shared, folder, "local")
        assert report.ok, [str(p) for p in report.problems]
        assert report.lines == 60


def test_publishing_is_idempotent(tmp_path, shared, published):
    again = publish_runs(shared, published, "local")
    assert again.appended == [] and again.uploaded == 0
    thorough = publish_runs(shared, published, "local", thorough=True)
    assert thorough.appended == []
    assert len(shared.read()) == 4
    assert pending(published, "local") == []
    assert verify_shared(shared, published, "local").ok


def test_lost_receipts_never_publish_a_run_twice(shared, published):
    (published / "ledger.published").unlink()
    assert len(pending(published, "local")) == 4
    report = publish_runs(shared, published, "local", thorough=True)
    assert report.appended == [] and len(report.already) == 4 and report.uploaded == 0
    assert len(shared.read()) == 4


def test_a_publish_cut_short_after_the_append_is_finished_without_a_second_line(shared, published):
    entry = record(published, 9)
    receipts = published / "ledger.published"
    before = receipts.read_text()
    publish_runs(shared, published, "local")
    # the crash: the `published` receipt never got written
    lines = receipts.read_text().splitlines()
    assert json.loads(lines[-1])["state"] == "published"
    receipts.write_text("\n".join(lines[:-1]) + "\n")
    assert receipts.read_text() != before and pending(published, "local") == [entry["run_id"]]
    report = publish_runs(shared, published, "local")
    assert report.appended == [] and report.already == [entry["run_id"]]
    assert [ln.run_id for ln in shared.read()].count(entry["run_id"]) == 1


def test_an_artifact_missing_in_the_store_is_uploaded_again_and_only_it(shared, published):
    entry = Ledger(published).entries()[1]
    rel = sorted(entry["artifacts"])[0]
    shared.container.delete_blob(shared.name(rel))
    assert ("shared-artifact-missing", rel) in kinds(shared, published)
    (published / "ledger.published").unlink()
    report = publish_runs(shared, published, "local", thorough=True)
    assert report.uploaded == 1 and report.appended == []
    assert verify_shared(shared, published, "local").ok


def test_an_artifact_changed_after_the_run_is_not_published(tmp_path, shared):
    out = tmp_path / "outputs"
    entry = record(out, 1)
    html = next(rel for rel in entry["artifacts"] if rel.endswith(".html"))
    (out / html).write_text("<html>rewritten</html>")
    report = publish_runs(shared, out, "local")
    assert report.appended == [entry["run_id"]] and report.uploaded == 2
    assert report.skipped == [f"{html}: changed after the run (sha256 differs from its ledger line)"]
    problems = kinds(shared, out)
    assert ("artifact-edited", html) in problems and ("shared-artifact-missing", html) in problems


def test_a_run_deleted_locally_is_named(shared, published):
    ledger = Ledger(published)
    rows = ledger.path.read_text().splitlines()
    gone = json.loads(rows[1])["run_id"]
    ledger.path.write_text("".join(r + "\n" for i, r in enumerate(rows) if i != 1))
    problems = kinds(shared, published)
    assert ("run-deleted-locally", f"run {gone}") in problems
    assert ("line-missing", "line 2") in problems


def _rewrite_locally(published: Path) -> tuple[str, str]:
    """The attack `runs verify` alone cannot see: a run deleted, another flipped, digests and head redone."""
    ledger = Ledger(published)
    entries = ledger.entries()
    flipped, gone = entries[2]["run_id"], entries[1]["run_id"]
    ledger.path.unlink()
    ledger.head_path.unlink()
    for e in entries:
        if e["run_id"] == gone:
            continue
        e = {k: v for k, v in e.items() if k not in ("seq", "prev")}
        if e["run_id"] == flipped:
            e["outcome"] = "failed"
        ledger.append(e)
    shutil.rmtree(published / entries[1]["run_dir"])
    return flipped, gone


def test_a_local_rewrite_with_recomputed_chain_is_named_by_the_shared_ledger(shared, published):
    flipped, gone = _rewrite_locally(published)
    assert [(p.kind, p.subject) for p in Ledger(published).verify().problems] == [
        ("run-missing", f"run {gone}")
    ]
    problems = verify_shared(shared, published, "local").problems
    named = {(p.kind, p.subject) for p in problems}
    assert ("run-deleted-locally", f"run {gone}") in named
    rewritten = next(p for p in problems if p.kind == "run-rewritten")
    assert rewritten.subject == f"run {flipped}"
    assert "rewritten locally after it was published" in rewritten.detail  # the receipt's digest says so
    assert 'outcome: local "failed", shared "succeeded"' in rewritten.detail


def test_a_local_rewrite_that_also_removed_the_receipts_is_still_named(shared, published):
    flipped, gone = _rewrite_locally(published)
    (published / "ledger.published").unlink()
    assert Ledger(published).verify().ok  # locally, nothing shows
    problems = verify_shared(shared, published, "local").problems
    named = {(p.kind, p.subject) for p in problems}
    assert {("run-deleted-locally", f"run {gone}"), ("run-rewritten", f"run {flipped}")} <= named
    assert {k for k, _ in named} == {"run-deleted-locally", "run-rewritten"}  # later lines: seq, prev redone


def test_a_removed_local_ledger_is_named(shared, published):
    Ledger(published).path.unlink()
    Ledger(published).head_path.unlink()
    problems = verify_shared(shared, published, "local").problems
    missing = next(p for p in problems if p.kind == "local-ledger-missing")
    assert missing.subject == str(published / "ledger.jsonl")
    assert "holds 4 run(s) published from this folder" in missing.detail
    assert {p.kind for p in problems} == {"local-ledger-missing", "run-unrecorded"}  # its 4 run folders


def test_a_line_deleted_from_the_shared_ledger_is_named(shared, published):
    rows = shared_rows(shared)
    gone = json.loads(rows[1])["run_id"]
    rewrite_shared(shared, rows[:1] + rows[2:])
    problems = kinds(shared, published)
    assert ("shared-line-missing", "shared line 2") in problems
    assert ("run-deleted-shared", f"run {gone}") in problems


def test_the_last_shared_line_deleted_is_named_by_the_head(shared, published):
    rows = shared_rows(shared)
    gone = json.loads(rows[-1])["run_id"]
    rewrite_shared(shared, rows[:-1])
    problems = kinds(shared, published)
    assert ("shared-line-missing", "shared line 4") in problems
    assert ("run-deleted-shared", f"run {gone}") in problems


def test_a_rewritten_shared_line_is_named(shared, published):
    rows = shared_rows(shared)
    data = json.loads(rows[2])
    data["entry"]["outcome"] = "failed"
    rows[2] = json.dumps(data, sort_keys=True, separators=(",", ":"))
    rewrite_shared(shared, rows)
    problems = verify_shared(shared, published, "local").problems
    named = {(p.kind, p.subject) for p in problems}
    assert ("shared-line-edited", f"shared line 3 (run {data['run_id']})") in named
    rewritten = next(p for p in problems if p.kind == "run-rewritten")
    assert rewritten.subject == f"run {data['run_id']}"
    assert "rewritten in the shared ledger" in rewritten.detail


def test_a_run_added_locally_is_named_until_published(tmp_path, shared, published):
    entry = record(published, 7)
    assert kinds(shared, published) == [("run-unpublished", f"run {entry['run_id']}")]
    publish_runs(shared, published, "local")
    assert verify_shared(shared, published, "local").ok


def test_a_line_added_to_the_shared_ledger_for_this_folder_is_named(tmp_path, shared, published):
    other = tmp_path / "elsewhere"
    entry = record(other, 1)
    text = Ledger(other).path.read_text().splitlines()[0]
    from apexops.shared.audit import origin_of

    shared.append(text, origin=origin_of(published))  # claims to come from `published`
    problems = kinds(shared, published)
    assert ("run-deleted-locally", f"run {entry['run_id']}") in problems
    assert {k for k, _ in problems} == {"run-deleted-locally", "shared-artifact-missing"}


def test_runs_of_another_environment_are_not_published_here(tmp_path, shared):
    out = tmp_path / "outputs"
    record(out, 1, env="staging")
    local = record(out, 2)
    assert publish_runs(shared, out, "local").appended == [local["run_id"]]
    assert verify_shared(shared, out, "local").ok
