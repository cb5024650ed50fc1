"""Item 8: the scrubber never follows a symlink and never writes outside the folder it scrubs."""

from __future__ import annotations

import os

from apexops.redact import Redactor

SECRET = "topsecretvalue-123"


def test_a_symlinked_file_in_evidence_is_left_alone_and_its_target_untouched(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text(f"outside {SECRET}")
    evidence = tmp_path / "run" / "evidence"
    evidence.mkdir(parents=True)
    (evidence / "link.txt").symlink_to(outside)
    (evidence / "real.txt").write_text(f"inside {SECRET}")
    r = Redactor({SECRET: "env:X"})
    assert r.scrub_tree(evidence) == 1
    assert outside.read_text() == f"outside {SECRET}"  # never rewritten through the link
    assert (evidence / "link.txt").is_symlink()
    assert (evidence / "real.txt").read_text() == "inside [REDACTED:env:X]"
    assert r.scrub_file(evidence / "link.txt") == 0


def test_a_symlinked_folder_is_not_descended_into(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "f.txt").write_text(SECRET)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "dir").symlink_to(outside, target_is_directory=True)
    assert Redactor({SECRET: "env:X"}).scrub_tree(evidence) == 0
    assert (outside / "f.txt").read_text() == SECRET


def test_an_evidence_folder_that_is_itself_a_symlink_is_not_scrubbed(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "f.txt").write_text(SECRET)
    (tmp_path / "evidence").symlink_to(outside, target_is_directory=True)
    assert Redactor({SECRET: "env:X"}).scrub_tree(tmp_path / "evidence") == 0
    assert (outside / "f.txt").read_text() == SECRET


def test_a_file_outside_the_given_root_is_never_written(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text(SECRET)
    root = tmp_path / "run"
    root.mkdir()
    assert Redactor({SECRET: "env:X"}).scrub_file(root / ".." / "outside.txt", root=root) == 0
    assert outside.read_text() == SECRET


def test_scrubbing_keeps_the_file_mode(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text(SECRET)
    path.chmod(0o600)
    Redactor({SECRET: "env:X"}).scrub_file(path)
    assert os.stat(path).st_mode & 0o777 == 0o600 and path.read_text() == "[REDACTED:env:X]"
