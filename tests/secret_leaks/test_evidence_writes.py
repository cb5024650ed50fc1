"""Issue 14 at unit level: what a procedure writes into its evidence is scrubbed in the file the moment it
is written, not at the next notebook save (a SIGKILL in that cell would leave the secret on disk).

The secret sits behind a variable whose name does not look secret; only the runner's REDACT_VARS_ENV says
so, as in a real run. Every file is read right after the library call, with no save or recording between.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest
from secret_forms import SECRET, leaks

from apexops.errors import ApexopsError
from apexops.migrations.preview_model import Preview
from apexops.models import LogLine
from apexops.redact import REDACT_VARS_ENV
from apexops.rollback.evidence import RollbackLog, save_logs
from apexops.scrubbed import append_scrubbed, write_scrubbed
from apexops.smoke.load import RequestSample
from apexops.smoke.results import CheckResult
from apexops.smoke.suite import SmokeSession
from apexops.status import Status

MARK = b"[REDACTED:env:OPAQUE_NAME]"
AT = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)


@pytest.fixture
def evidence(tmp_path, monkeypatch):
    monkeypatch.setenv("OPAQUE_NAME", SECRET)
    monkeypatch.setenv(REDACT_VARS_ENV, "OPAQUE_NAME")
    folder = tmp_path / "evidence"
    folder.mkdir()
    return folder


class Telemetry:
    def __init__(self, lines=None, error=None):
        self.lines, self.error = lines or [], error

    def console_logs(self, revision, tail):
        if self.error:
            raise self.error
        return self.lines


def test_the_failed_revisions_logs_are_scrubbed_as_written(evidence):
    line = LogLine(AT, "app--bad", "r1", "stderr", "ERROR", f"connect failed: password={SECRET}")
    path = save_logs(Telemetry([line]), "app--bad", evidence)
    data = path.read_bytes()
    assert leaks(data) == [] and MARK in data and b"connect failed" in data
    broken = save_logs(Telemetry(error=ApexopsError(f"denied for {SECRET}")), "app--bad", evidence)
    assert leaks(broken.read_bytes()) == [] and b"logs unavailable" in broken.read_bytes()


def test_each_line_of_the_rollback_log_is_scrubbed_as_it_is_appended(evidence):
    log = RollbackLog(clock=lambda: AT)
    log.write(f"ROLLBACK INITIATED, token {SECRET}")
    path = log.attach(evidence / "rollback-evidence")
    log.write(f"read back: {SECRET}")
    data = path.read_bytes()
    assert leaks(data) == [] and data.count(MARK) == 2 and data.count(b"\n") == 2
    assert log.lines[-1].endswith(SECRET)  # memory keeps what happened; only the disk is scrubbed


def test_the_smoke_report_and_latency_samples_are_scrubbed_as_written(evidence):
    session = SmokeSession("http://127.0.0.1:9", acquire_token=lambda: None, expected_audience="api://x")
    samples = [RequestSample(0, 0.0, 12.5, None, f"refused {SECRET}", "app--1")]
    session.results = [
        CheckResult("health: ready", Status.FAIL, 1.0, f"db says {SECRET}"),
        CheckResult("performance: latency baseline", Status.PASS, 1.0, "ok", data={"samples": samples}),
    ]
    report, samples_csv = session.save_evidence(evidence)
    assert leaks(report.read_bytes()) == [] and MARK in report.read_bytes()
    assert leaks(samples_csv.read_bytes()) == []
    rows = list(csv.reader(samples_csv.open(newline="")))
    assert rows[0][0] == "index" and rows[1][4] == f"refused {MARK.decode()}"  # the CSV form ("" quotes) too


def test_a_migration_preview_is_scrubbed_as_written(evidence):
    quoted = SECRET.replace("'", "''")  # as a SQL literal renders it
    sql = f"CREATE USER app WITH PASSWORD '{quoted}';\n"
    preview = Preview("postgresql", "upgrade", ("a1",), "b2", "offline", sql, (), (), ())
    assert leaks(preview.write(evidence).read_bytes()) == []


def test_the_scrubbed_writers_replace_a_link_and_append_lines(evidence, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("untouched")
    (evidence / "linked.json").symlink_to(outside)
    path = write_scrubbed(evidence / "linked.json", f'{{"k": "{SECRET}"}}')
    assert outside.read_text() == "untouched" and not path.is_symlink() and leaks(path.read_bytes()) == []
    append_scrubbed(evidence / "events.jsonl", f"one {SECRET}\n")
    append_scrubbed(evidence / "events.jsonl", "two\n")
    assert (evidence / "events.jsonl").read_bytes() == b"one " + MARK + b"\ntwo\n"
