"""A real sandbox delivering telemetry on production's terms (lag with jitter, 50% sampling, platform buckets
published after their own lag): what the canary judge's three strata read through the ports."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime

import pytest

from apexops.sandbox.client import ControlClient
from apexops.sandbox.telemetry import TelemetryReader
from apexops.sandbox.testing import running_sandbox

#: production's shape, scaled down: users' rows 3 +- 1 s late and half of them sampled out; platform counters
#: in 2-s buckets published 1.5 +- 0.5 s after each bucket ends
DELIVERY = {
    "lag_s": 3.0,
    "jitter_s": 1.0,
    "sampling_percentage": 50,
    "platform_grain_s": 2.0,
    "platform_lag_s": 1.5,
    "platform_jitter_s": 0.5,
}
TEST_OPTIONS = {"flush_interval_s": 0.05, "scale_idle_s": 30.0, "deploy_step_s": 0.01}
PROBE_HEADERS = {"User-Agent": "apexops-probe/test", "X-Apexops-Probe": "run-test"}


@pytest.fixture(scope="module")
def lagged(tmp_path_factory):
    """(settings, env, raw store reader) of a sandbox delivering telemetry late and sampled."""
    home = tmp_path_factory.mktemp("lagged")
    with running_sandbox(
        home, app={"health_timeout_s": 8}, options=TEST_OPTIONS, sandbox={"telemetry": DELIVERY}
    ) as (settings, env):
        raw = TelemetryReader(settings.sandbox_home() / "telemetry.db")
        yield settings, env, raw
        raw.close()


@pytest.fixture(scope="module")
def auth(lagged) -> dict[str, str]:
    from apexops.sandbox.identity import SandboxIdentity

    settings, _, _ = lagged
    return SandboxIdentity(settings.sandbox_home()).mint(settings.api_audience).authorization_header()


def now() -> datetime:
    return datetime.now(UTC)


def serving(env) -> str:
    return max(env.app.get_traffic(), key=lambda w: w.weight).revision_name


def wait_until(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.1)
    return value


def wait_for_bucket_start(grain: float) -> datetime:
    """Sleep to the next bucket boundary (a window's first whole bucket), return it."""
    t = math.ceil(time.time() / grain) * grain
    time.sleep(max(0.0, t - time.time()) + 0.01)
    return datetime.fromtimestamp(t, UTC)


def test_a_request_made_now_is_not_visible_before_its_lag_and_sampled_rows_carry_item_count_2(
    lagged, auth, helpers
):
    _settings, env, raw = lagged
    name = serving(env)
    since = now()
    responses = helpers.burst(env.app.show().url, 300, auth, concurrency=8)
    sent = now()
    assert {r.status_code for r in responses} == {200}
    first = env.telemetry.user_requests_by_route(since, now(), revisions=[name], slow_ms=2000)
    stats = env.telemetry.request_stats(since, now(), revisions=[name])
    looked = time.time()
    bound = DELIVERY["lag_s"] + DELIVERY["jitter_s"]
    assert first.complete_until.timestamp() <= max(since.timestamp(), looked - bound) + 1e-3
    if looked - since.timestamp() < DELIVERY["lag_s"] - DELIVERY["jitter_s"]:  # fast enough to look early
        assert stats[name].requests == 0  # nothing of it is ingested yet ...
        assert first.rows == () and first.complete_until == since  # ... and nothing is read as zero
    assert env.telemetry.ingestion_lag_s() >= bound

    window = wait_until(
        lambda: (w := env.telemetry.user_requests_by_route(since, now(), revisions=[name], slow_ms=2000))
        .complete_until >= sent and w,
        30,
        "the users' window to be complete past the burst",
    )
    (route,) = window.rows  # one route: the projects list
    assert route.revision == name and route.route != "*" and route.slow == 0 and route.errors_5xx == 0
    assert helpers.within_binomial(route.requests, 300, 0.5), route.requests  # about half are kept ...
    assert route.estimated_requests == 2 * route.requests  # ... each standing for two
    kept = raw.requests(since.timestamp(), sent.timestamp(), [name], visible_at=float("inf"))
    assert {r.item_count for r in kept} == {2} and len(kept) == route.requests
    # the existing queries keep working on sampled rows: their counts are item-count estimates
    assert env.telemetry.request_stats(since, sent, revisions=[name])[name].requests == 2 * len(kept)
    buckets = env.telemetry.request_buckets(since, sent, bucket_s=1, revisions=[name])
    assert sum(b.requests for b in buckets) == 2 * len(kept)


def test_complete_until_is_never_later_than_what_is_visible(lagged, auth, helpers):
    _settings, env, raw = lagged
    name = serving(env)
    since = now()
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            helpers.burst(env.app.show().url, 20, auth, concurrency=4)

    windows = []
    sender = threading.Thread(target=traffic)
    sender.start()
    try:
        deadline = time.monotonic() + 9
        while time.monotonic() < deadline:
            windows.append(env.telemetry.user_requests_by_route(since, now(), revisions=[name], slow_ms=2000))
            time.sleep(0.25)
    finally:
        stop.set()
        sender.join()
    ControlClient(_settings.sandbox_home()).call("flush_telemetry")
    complete = [w for w in windows if w.complete_until > since]
    assert len(complete) >= 5  # the lag is 3 +- 1 s: most polls of the 9 s had complete data
    for w in windows:
        everything = raw.user_routes(since.timestamp(), w.complete_until.timestamp(), [name], 2000,
                                     visible_at=float("inf"))  # fmt: skip
        assert sum(r.requests for r in w.rows) == sum(r.rows for r in everything), w.complete_until
        assert w.complete_until <= now()


def test_probes_via_revision_urls_never_appear_among_users_and_the_platform_counts_them_per_bucket(
    lagged, auth, helpers
):
    _settings, env, raw = lagged
    name = serving(env)
    revision_url = env.app.get_revision(name).url
    assert revision_url and revision_url != env.app.show().url
    grain = DELIVERY["platform_grain_s"]
    start = wait_for_bucket_start(grain)
    probes = helpers.burst(revision_url, 30, {**auth, **PROBE_HEADERS}, concurrency=4)
    users = helpers.burst(env.app.show().url, 50, auth, concurrency=4)
    sent = now()
    assert {r.status_code for r in probes + users} == {200}

    early = env.platform_metrics.request_counts(start, now(), revisions=[name])
    assert early.since == start and early.complete_until < sent  # the last bucket is not published yet
    earliest = DELIVERY["platform_lag_s"] - DELIVERY["platform_jitter_s"]  # no bucket is out sooner
    assert early.complete_until.timestamp() <= max(start.timestamp(), time.time() - earliest)

    platform = wait_until(
        lambda: (w := env.platform_metrics.request_counts(start, now(), revisions=[name])).complete_until
        >= sent and w,
        30,
        "the platform buckets to be published",
    )
    (counts,) = platform.rows
    assert (counts.revision, counts.route, counts.slow) == (name, "*", None)
    assert counts.requests == 30 + 50  # exact: not sampled, revision-URL requests (probes) included
    assert counts.errors_5xx == 0 and counts.estimated_requests == counts.requests
    assert platform.complete_until.timestamp() % grain == pytest.approx(0, abs=1e-6)
    assert (platform.complete_until - start).total_seconds() % grain == pytest.approx(0, abs=1e-6)

    users_window = wait_until(
        lambda: (w := env.telemetry.user_requests_by_route(start, now(), revisions=[name], slow_ms=2000))
        .complete_until >= sent and w,
        30,
        "the users' window",
    )
    kept = raw.requests(start.timestamp(), sent.timestamp(), [name], visible_at=float("inf"))
    kept_users = [r for r in kept if r.via == "ingress"]
    assert any(r.via == "revision" for r in kept)  # the probes are in the store: request_stats counts them
    assert sum(r.requests for r in users_window.rows) == len(kept_users)  # ... but never among the users
    assert sum(r.estimated_requests for r in users_window.rows) == 2 * len(kept_users)
