"""Telemetry on production's terms, at the store: ingestion lag with jitter, sampling, the watermark, and the
platform counters published per bucket after their own lag (the writer and the reader, no daemon)."""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apexops.errors import ConfigError
from apexops.sandbox.delivery import Delivery
from apexops.sandbox.telemetry import TelemetryReader, TelemetryWriter
from apexops.settings import SandboxTelemetry, load_settings

ROOT = Path(__file__).parents[2]


def record(
    writer: TelemetryWriter, ts: float, revision: str = "app--a", status: int = 200, via: str = "ingress"
) -> None:
    writer.request(ts, revision, "r1", "GET /api/v1/projects/", "GET", "/api/v1/projects/", status, 12.0, via)


@pytest.fixture
def store(tmp_path):
    """(make_writer, reader) over one store; every writer made is stopped at the end."""
    writers: list[TelemetryWriter] = []

    def make(delivery: Delivery, seed: int = 7) -> TelemetryWriter:
        rng = random.Random(seed)
        w = TelemetryWriter(tmp_path / "t.db", flush_interval_s=0.02, delivery=delivery, rng=rng)
        writers.append(w)
        return w

    reader = TelemetryReader(tmp_path / "t.db")
    yield make, reader
    reader.close()
    for w in writers:
        w.stop()


def test_a_request_is_invisible_until_its_own_ingestion_time_within_lag_plus_minus_jitter(store):
    make, reader = store
    writer = make(Delivery(lag_s=100.0, jitter_s=20.0))
    t0 = time.time()
    for i in range(300):
        record(writer, t0 + i * 0.001)
    writer.flush()
    assert reader.requests(t0, t0 + 10, None) == []  # now: nothing ingested yet
    assert reader.stats(t0, t0 + 10) == {}
    assert reader.requests(t0, t0 + 10, None, visible_at=t0 + 79.9) == []  # before lag - jitter: nothing
    everything = reader.requests(t0, t0 + 10, None, visible_at=t0 + 121)  # after lag + jitter: everything
    assert len(everything) == 300
    halfway = reader.requests(t0, t0 + 10, None, visible_at=t0 + 100.15)
    assert 0 < len(halfway) < 300  # the jitter spreads arrivals over [lag - jitter, lag + jitter]
    assert reader.delivery().lag_bound_s == 120.0  # the store says its own bound to every reader


def test_the_watermark_stays_at_the_oldest_request_in_flight(store):
    make, reader = store
    writer = make(Delivery())
    writer.start()
    key = writer.open(1000.0)  # a slow request that arrived at t=1000 is still being served
    record(writer, time.time())
    writer.flush()
    assert reader.watermark() == 1000.0
    writer.close(key)
    writer.flush()
    assert reader.watermark() > time.time() - 5


@pytest.mark.parametrize(("percentage", "n"), [(50, 2), (25, 4), (100, 1)])
def test_sampling_keeps_one_row_in_n_each_carrying_item_count_n(store, percentage, n):
    make, reader = store
    writer = make(Delivery(sampling_percentage=percentage))
    t0 = time.time() - 10
    for i in range(4000):
        record(writer, t0 + i * 0.001, status=500 if i % 10 == 0 else 200)
    writer.flush()
    rows = reader.requests(t0, t0 + 10, None)
    assert {r.item_count for r in rows} == {n}
    assert abs(len(rows) - 4000 / n) <= 4.5 * math.sqrt(4000 * (1 / n) * (1 - 1 / n)) + 1e-9
    (route,) = reader.user_routes(t0, t0 + 10, None, slow_ms=2000)
    assert route.rows == len(rows) and route.estimated_requests == n * len(rows)
    assert route.estimated_errors == n * route.errors_5xx
    assert reader.stats(t0, t0 + 10)["app--a"]["requests"] == n * len(rows)  # stats stay estimates
    # the platform counts what it served: every request, exact, whatever Application Insights keeps
    assert reader.platform(0, 2e10, None) == {"app--a": (4000, 400)}


def test_users_are_the_app_url_only_and_the_platform_counts_revision_urls_too(store):
    make, reader = store
    writer = make(Delivery())
    t0 = time.time() - 10
    for i in range(30):
        record(writer, t0 + i * 0.01, via="ingress" if i < 10 else "revision")
    writer.flush()
    (route,) = reader.user_routes(t0, t0 + 10, ["app--a"], slow_ms=2000)
    assert route.rows == 10
    assert reader.platform(0, 2e10, ["app--a"]) == {"app--a": (30, 0)}


def test_platform_buckets_are_published_after_their_lag_as_an_unbroken_prefix():
    d = Delivery(platform_grain_s=60, platform_lag_s=90, platform_jitter_s=30, seed=42)
    for k in range(1000):
        assert 60 <= d.published_at(k) - (k + 1) * 60 <= 120
    assert Delivery(**{**d.__dict__}).published_at(5) == d.published_at(5)  # every reader agrees
    now = 10_000.0
    first = 100
    until = d.published_until(first, now, written_until=now)
    assert all(d.published_at(k) <= now for k in range(first, until))
    assert d.published_at(until) > now
    assert (until + 1) * 60 > now - 120  # nothing much older than the lag bound is held back
    # a bucket whose requests are not all written yet is not published, whatever the clock says
    assert d.published_until(first, now + 1000, written_until=first * 60 + 59) == first


def test_platform_counts_and_the_delivery_survive_a_reader_in_another_process(store, tmp_path):
    make, _ = store
    writer = make(Delivery(platform_grain_s=60, platform_lag_s=10, platform_jitter_s=5, seed=3))
    record(writer, 6000.5, status=503)
    record(writer, 6030.0)
    record(writer, 6075.0)
    writer.flush()
    code = (
        "import sys; from apexops.sandbox.telemetry import TelemetryReader; "
        "r = TelemetryReader(sys.argv[1]); d = r.delivery(); "
        "print(d.published_at(100), r.platform(6000, 6060, None))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "t.db")], capture_output=True, text=True)
    assert out.stdout.split(" ", 1) == [str(writer.delivery.published_at(100)), "{'app--a': (2, 1)}\n"]


def test_delivery_comes_from_the_settings_and_bad_values_are_refused_there():
    d = Delivery.from_settings(load_settings("local").sandbox.telemetry)
    assert d.lag_bound_s <= 2 and d.item_count == 1  # local: a short lag, so the rehearsal stays short
    for bad in ({"lag_s": -1}, {"lag_s": 1, "jitter_s": 2}, {"platform_lag_s": 1, "platform_jitter_s": 3},
                {"sampling_percentage": 0}):  # fmt: skip
        with pytest.raises(ValueError):
            SandboxTelemetry(**bad)


@pytest.mark.parametrize(
    ("change", "named"),
    [("lag_s: -1, jitter_s: 0.5", "sandbox.telemetry.lag_s"), ("lag_s: 1, jitter_s: 2", "sandbox.telemetry")],
)
def test_apexops_run_refuses_a_bad_telemetry_delivery_in_one_line(tmp_path, change, named):
    text = (ROOT / "parameters" / "local.yaml").read_text()
    assert "lag_s: 1, jitter_s: 0.5" in text
    (tmp_path / "local.yaml").write_text(text.replace("lag_s: 1, jitter_s: 0.5", change, 1))
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_settings("local", path=tmp_path / "local.yaml")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "apexops"), "run", "00", "--env", "local", "--outputs",
         str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, env={**os.environ, "APEXOPS_PARAMETERS": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 2
    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1 and named in lines[0] and "HINT" in lines[0]
    assert not (tmp_path / "out").exists()  # refused before anything ran
