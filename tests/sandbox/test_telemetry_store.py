"""The telemetry store: console-line parsing, percentiles, batched writes read from another connection."""

from __future__ import annotations

import json

import pytest

from apexops.sandbox.telemetry import TelemetryReader, TelemetryWriter, parse_console_line, percentile


def test_json_lines_give_level_message_and_exceptions():
    line = json.dumps(
        {
            "ts": "2024-03-01T10:00:00.500+00:00",
            "level": "ERROR",
            "logger": "apex.app",
            "message": "boom",
            "kind": "exception",
            "type": "DatabaseTimeoutError",
            "problem_id": "p-1",
        }
    )
    ts, level, message, exc = parse_console_line(line + "\n", "stdout", now=0)
    assert (level, message) == ("ERROR", "boom")
    assert ts == pytest.approx(1709287200.5)
    assert exc == {"type": "DatabaseTimeoutError", "message": "boom", "problem_id": "p-1"}


@pytest.mark.parametrize(
    ("line", "stream", "level"),
    [
        ("INFO:     Started server process", "stderr", "INFO"),
        ("WARNING: disk", "stdout", "WARNING"),
        ("Traceback (most recent call last):", "stderr", "ERROR"),
        ("plain text", "stdout", "INFO"),
        ("{not json", "stdout", "INFO"),
    ],
)
def test_plain_lines_get_a_level(line, stream, level):
    assert parse_console_line(line, stream, now=5)[1] == level


def test_percentile_interpolates_like_numpy():
    values = sorted([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    assert percentile(values, 0.5) == pytest.approx(5.5)
    assert percentile(values, 0.95) == pytest.approx(9.55)
    assert percentile([], 0.5) is None


def test_writer_batches_and_reader_queries_by_window_and_revision(tmp_path):
    writer = TelemetryWriter(tmp_path / "t.db", flush_interval_s=0.05)
    writer.start()
    try:
        for i in range(100):
            writer.request(
                1000.0 + i,
                "app--a" if i % 10 else "app--b",
                "r1",
                "/api/v1/projects/",
                "GET",
                "/api/v1/projects/",
                500 if i % 25 == 0 else 200,
                float(i * 30),
                "ingress",
            )
        writer.console_line(
            "app--a",
            "r1",
            "stdout",
            json.dumps(
                {
                    "ts": "2024-01-01T00:00:00+00:00",
                    "level": "ERROR",
                    "message": "x",
                    "kind": "exception",
                    "type": "KeyError",
                }
            ),
        )
        writer.console_line("app--a", "r1", "stderr", "INFO: hello")
        writer.flush()
        reader = TelemetryReader(tmp_path / "t.db")
        stats = reader.stats(1000.0, 1100.0, slow_ms=2000)
        assert stats["app--a"]["requests"] == 90 and stats["app--b"]["requests"] == 10
        assert stats["app--a"]["errors_5xx"] + stats["app--b"]["errors_5xx"] == 4
        assert stats["app--a"]["slow"] + stats["app--b"]["slow"] == 100 - 67  # durations >= 2000 ms
        windowed = reader.stats(1000.0, 1050.0, revisions=["app--b", "app--c"])
        assert windowed["app--b"]["requests"] == 5 and windowed["app--c"]["requests"] == 0
        assert windowed["app--c"]["p95_ms"] is None
        assert [r.duration_ms for r in reader.slowest(1000.0, 1100.0, top=2)] == [2970.0, 2940.0]
        assert [e[3] for e in reader.exceptions(0, 2e9)] == ["KeyError"]
        assert [c[5] for c in reader.console("app--a", tail=1)] == ["INFO: hello"]
        assert [c[4] for c in reader.console(level="error")] == ["ERROR"]
        assert reader.last_flush() is not None
        reader.close()
    finally:
        writer.stop()
