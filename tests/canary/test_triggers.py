"""Procedure 60's rollback triggers over hand-built telemetry buckets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from apexops.canary import evaluate_triggers
from apexops.models import TelemetryBucket
from apexops.settings import RollbackTriggers

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RUNBOOK = RollbackTriggers()  # error rate > 10% for 300 s, P95 > 5000 ms for 300 s


def buckets(rows, revision="app--new", step=60):
    """rows: (requests, 5xx, p95_ms) per minute, starting at T0; None skips a bucket (a gap)."""
    out = []
    for i, row in enumerate(rows):
        if row is not None:
            n, e, p95 = row
            out.append(TelemetryBucket(revision, T0 + timedelta(seconds=step * i), n, e, 0, p95))
    return out


def test_error_rate_above_threshold_for_the_whole_window_fires_with_time_and_numbers():
    rows = [(100, 1, 300)] * 2 + [(100, 20, 300)] * 5 + [(100, 1, 300)]
    report = evaluate_triggers(buckets(rows), RUNBOOK, bucket_s=60)
    err = report.results[0]
    assert err.fired and err.name == "error_rate"
    assert err.since == T0 + timedelta(minutes=2)
    assert err.fired_at == T0 + timedelta(minutes=7)
    assert err.peak == pytest.approx(0.2)
    assert err.reason == "FIRED: error rate above 10.0% for 300 s (from 12:02:00, at 12:07:00); peak 20.0%"
    assert [r.name for r in report.fired] == ["error_rate"]


def test_four_minutes_is_not_five():
    rows = [(100, 50, 300)] * 4 + [(100, 1, 300)] + [(100, 50, 300)] * 4
    err = evaluate_triggers(buckets(rows), RUNBOOK, bucket_s=60).results[0]
    assert not err.fired and err.longest_s == 240
    assert err.reason == "not fired: error rate above 10.0% for 300 s needed, longest run 240 s; peak 50.0%"


def test_exactly_at_the_threshold_is_not_above_it():
    err = evaluate_triggers(buckets([(100, 10, 300)] * 6), RUNBOOK, bucket_s=60).results[0]
    assert not err.fired


def test_gaps_and_empty_buckets_break_a_run():
    gap = [(100, 50, 300)] * 3 + [None] + [(100, 50, 300)] * 3
    empty = [(100, 50, 300)] * 3 + [(0, 0, None)] + [(100, 50, 300)] * 3
    for rows in (gap, empty):
        err = evaluate_triggers(buckets(rows), RUNBOOK, bucket_s=60).results[0]
        assert not err.fired and err.longest_s == 180


def test_p95_trigger_and_series_for_the_chart():
    rows = [(100, 0, 800)] + [(100, 0, 6000)] * 5
    report = evaluate_triggers(buckets(rows), RUNBOOK, bucket_s=60)
    p95 = report.results[1]
    assert p95.fired and p95.fired_at == T0 + timedelta(minutes=6)
    assert p95.series[0] == (T0, 800)
    assert "P95" not in p95.reason and "p95 above 5000 ms for 300 s" in p95.reason


def test_app_scope_sums_revisions_and_takes_the_worst_p95():
    new = buckets([(10, 9, 7000)] * 5, revision="app--new")
    old = buckets([(90, 0, 300)] * 5, revision="app--old")
    app = evaluate_triggers(new + old, RUNBOOK, bucket_s=60)
    assert not app.results[0].fired  # 9 errors of 100 requests: 9%
    assert app.results[1].fired  # the worst revision's P95 stands for the app
    canary = evaluate_triggers(new + old, RUNBOOK, bucket_s=60, revision="app--new")
    assert canary.scope == "app--new" and canary.results[0].fired


def test_compressed_windows_from_local_settings():
    local = RollbackTriggers(error_rate=0.10, error_window_s=10, p95_ms=5000, p95_window_s=10)
    rows = [(20, 5, 300)] * 5
    err = evaluate_triggers(buckets(rows, step=2), local, bucket_s=2).results[0]
    assert err.fired and err.fired_at == T0 + timedelta(seconds=10)


def test_no_data_fires_nothing_and_says_so():
    report = evaluate_triggers([], RUNBOOK, bucket_s=60)
    assert report.fired == ()
    assert report.results[0].reason.endswith("no data")


def test_record_is_json_and_bad_bucket_size_is_refused():
    report = evaluate_triggers(buckets([(100, 50, 300)] * 5), RUNBOOK, bucket_s=60)
    record = json.loads(json.dumps(report.to_record()))
    assert (
        record["fired"] == ["error_rate"] and record["results"][0]["fired_at"] == "2026-03-01T12:05:00+00:00"
    )
    with pytest.raises(ValueError, match="bucket_s"):
        evaluate_triggers([], RUNBOOK, bucket_s=0)
