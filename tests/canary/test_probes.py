"""The prober against real HTTP: a running sandbox (healthy, erroring, slow and stopped revisions) and, for
the headers, a plain local HTTP server. Counts are checked, not timings (only generous bounds on stop)."""

from __future__ import annotations

import http.server
import logging
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import httpx
import pytest

from apexops.canary.probes import PROBE_HEADER, USER_AGENT, Prober, probe_targets
from apexops.errors import ConfigError, ConflictError, NotFoundError
from apexops.models import AppUpdate
from apexops.settings import ProbeSettings

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

FAULTS = """tags:
  v1.2.5-probe500:
    description: every API request answers 500 (health is fine)
    error_rate: 1.0
  v1.2.5-probeslow:
    description: every API request takes 1.5 s longer (health is fine)
    latency_ms: 1500
"""


def settings_(**kw) -> ProbeSettings:
    return ProbeSettings(**{"rate_rps": 5, "routes": ("health", "list", "get"), "timeout_s": 5, **kw})


@contextmanager
def no_new_threads():
    """Every thread started inside the block has ended when it leaves (the prober joined its own)."""
    before = set(threading.enumerate())
    yield
    # (the local HTTP server's own request threads end when it sees the prober's connection close)
    left = [t.name for t in threading.enumerate() if t not in before and "process_request" not in t.name]
    assert left == [], f"threads left behind: {left}"


def rows_by(window) -> dict[tuple[str, str], tuple[int, int, int | None]]:
    return {(r.revision, r.route): (r.requests, r.errors_5xx, r.slow) for r in window.rows}


def per_revision(window, revision: str) -> int:
    return sum(r.requests for r in window.rows if r.revision == revision)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    from apexops.sandbox.images import ImageCatalogue
    from apexops.sandbox.testing import running_sandbox

    home = tmp_path_factory.mktemp("probes-sb")
    telemetry = {"lag_s": 0, "jitter_s": 0, "sampling_percentage": 100}
    with running_sandbox(home, sandbox={"telemetry": telemetry}, options={"flush_interval_s": 0.05}) as (
        settings,
        env,
    ):
        faults = home / "probe-faults.yaml"
        faults.write_text(FAULTS)
        ImageCatalogue(settings.sandbox_home(), settings.registry.server).add_from_file(faults)
        revs = {"base": next(r.name for r in env.app.list_revisions())}
        for key, tag in (("err", "v1.2.5-probe500"), ("slow", "v1.2.5-probeslow")):
            update = AppUpdate(image=settings.image(tag), revision_suffix=tag.replace(".", "-"))
            revs[key] = env.app.update(update).latest_revision_name
        deadline = time.monotonic() + 60
        for name in revs.values():
            while env.app.get_revision(name).health_state != "Healthy":
                assert time.monotonic() < deadline, f"{name} did not become healthy"
                time.sleep(0.1)
        urls = {k: env.app.get_revision(n).url for k, n in revs.items()}
        yield settings, env, revs, urls


@pytest.fixture(scope="module")
def token(sandbox):
    settings, env, _, _ = sandbox
    return lambda: env.identity.api_token(settings.api_audience)


def probe_projects(sandbox, *, archived: bool) -> list[dict]:
    settings, env, _, _ = sandbox
    auth = env.identity.api_token(settings.api_audience).authorization_header()
    url = f"{env.app.show().url}/api/v1/projects/?page_size=100&include_archived={str(archived).lower()}"
    items = httpx.get(url, headers=auth, timeout=10).json()["items"]
    return [p for p in items if str(p["project_number"]).startswith("PROBE-")]


# --------------------------------------------------------------------------- inputs


def test_invalid_inputs_are_refused_with_one_clear_line():
    ok = {"app--a": "http://127.0.0.1:1"}
    cases = [
        ({}, settings_(), "targets is empty"),
        ({"app--a": "127.0.0.1:80"}, settings_(), "is not a revision URL"),
        (ok, ProbeSettings.model_construct(rate_rps=-1, routes=("health",), timeout_s=1), "rate_rps"),
        (ok, ProbeSettings.model_construct(rate_rps=500, routes=("health",), timeout_s=1), "rate_rps"),
        (ok, ProbeSettings.model_construct(rate_rps=1, routes=("delete_all",), timeout_s=1), "routes"),
        (ok, ProbeSettings.model_construct(rate_rps=1, routes=("health",), timeout_s=0), "timeout_s"),
    ]
    for targets, probe_settings, words in cases:
        with pytest.raises(ConfigError) as info:
            Prober(targets, probe_settings, token=None, run_id="r1", latency_ms=2000)
        assert words in info.value.message and info.value.hint and "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="latency_ms"):
        Prober(ok, settings_(), token=None, run_id="r1", latency_ms=0)
    with pytest.raises(ConfigError, match="run_id"):
        Prober(ok, settings_(), token=None, run_id="r1\r\nX-Evil: 1", latency_ms=2000)
    prober = Prober(ok, settings_(), token=None, run_id="r1", latency_ms=2000)
    with pytest.raises(ConfigError, match="since"):
        prober.counts(datetime(2026, 1, 1))  # naive
    with pytest.raises(ConfigError, match="not probed"):
        prober.per_minute("app--other", datetime.now(UTC))


def test_rate_zero_means_disabled_counts_stay_empty():
    since = datetime.now(UTC)
    with no_new_threads():
        with Prober(
            {"app--a": "http://127.0.0.1:1"}, settings_(rate_rps=0), token=None, run_id="r0", latency_ms=2000
        ) as prober:
            assert not prober.enabled
            time.sleep(0.3)
            window = prober.counts(since)
        assert window.rows == () and window.complete_until >= since
        assert prober.per_minute("app--a", since) == {}
    with pytest.raises(ConfigError, match="stopped"):
        prober.start()


def test_a_token_that_cannot_be_had_fails_at_start_before_any_probe():
    from apexops.errors import AuthenticationError

    def no_token() -> str:
        raise AuthenticationError("no credential", hint="az login")

    prober = Prober(
        {"app--a": "http://127.0.0.1:1"}, settings_(), token=no_token, run_id="t", latency_ms=2000
    )
    with no_new_threads(), pytest.raises(AuthenticationError):
        prober.start()
    assert not prober.running and prober.summary() == []


# --------------------------------------------------------------------------- headers (plain HTTP server)


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []
    delay_s: ClassVar[float] = 0.0

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        time.sleep(self.delay_s)
        body = b'{"items": [{"id": 7}], "total": 1}'
        self.send_response(500 if self.path.removeprefix("/api/v1/projects/").isdigit() else 200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder():
    _Recorder.seen, _Recorder.delay_s = [], 0.0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()
    server.server_close()
    thread.join()


def test_probes_carry_the_markers_and_the_token_which_is_never_shown(recorder, caplog):
    url, seen = recorder
    secret = "probe-test-token-" + "x" * 20
    since = datetime.now(UTC)
    caplog.set_level(logging.DEBUG, logger="apexops.canary.probes")
    with (
        no_new_threads(),
        Prober(
            {"app--r": url}, settings_(rate_rps=10), token=lambda: secret, run_id="run-42", latency_ms=1e-6
        ) as prober,
    ):
        time.sleep(1.0)
        shown = repr(prober) + repr(prober.summary()) + repr(prober.counts(since))
    assert seen and all(h["user-agent"] == USER_AGENT for h in seen)
    assert all(h[PROBE_HEADER.lower()] == "run-42" and h["authorization"] == f"Bearer {secret}" for h in seen)
    assert any(h["path"] == "/api/v1/projects/7" for h in seen)  # `get` reads the project `list` showed
    assert secret not in shown + caplog.text
    cells = rows_by(prober.counts(since))
    n_get = cells[("app--r", "get")][0]
    assert cells[("app--r", "get")] == (n_get, n_get, n_get)  # 500: errors; latency_ms ~0: all slow
    assert cells[("app--r", "health")][1] == cells[("app--r", "list")][1] == 0
    total = sum(n for n, _, _ in cells.values())
    assert sum(r for r, _ in prober.per_minute("app--r", since).values()) == total
    assert total <= len(seen) <= total + 1  # a probe in flight at stop was cancelled: sent, not counted


def test_a_probe_in_flight_is_not_counted_and_holds_complete_until_back(recorder):
    url, seen = recorder
    _Recorder.delay_s = 1.5
    since = datetime.now(UTC)
    with no_new_threads():
        prober = Prober(
            {"app--r": url}, settings_(rate_rps=1), token=None, run_id="hang", latency_ms=2000
        ).start()
        try:
            time.sleep(0.6)
            window = prober.counts(since)
            assert len(seen) == 1 and window.rows == ()  # sent, no outcome yet: not counted as anything
            assert since <= window.complete_until < datetime.now(UTC) - timedelta(seconds=0.4)
        finally:
            prober.stop()
    after = prober.counts(since)
    assert after.rows == () and after.complete_until > window.complete_until  # cancelled: never counted


def test_probe_times_come_from_the_injected_clock(recorder):
    url, _ = recorder
    frozen = datetime(2026, 3, 1, 14, 2, 10, tzinfo=UTC)
    with Prober(
        {"app--r": url},
        settings_(rate_rps=10),
        token=None,
        run_id="clk",
        latency_ms=2000,
        clock=lambda: frozen,
    ) as prober:
        time.sleep(0.5)
    window = prober.counts(frozen)
    n = per_revision(window, "app--r")
    assert n >= 3 and window.complete_until == frozen
    errors = sum(r.errors_5xx for r in window.rows)  # the recorder answers `get` with 500
    assert prober.per_minute("app--r", frozen) == {datetime(2026, 3, 1, 14, 2, tzinfo=UTC): (n, errors)}
    assert prober.counts(frozen + timedelta(seconds=1)).rows == ()


# --------------------------------------------------------------------------- against the sandbox


def test_rate_is_respected_and_both_revisions_are_probed(sandbox, token):
    _, _, revs, urls = sandbox
    targets = {revs["base"]: urls["base"], revs["err"]: urls["err"]}
    rate = 5
    since = datetime.now(UTC)
    with no_new_threads():
        t0 = time.monotonic()
        with Prober(targets, settings_(rate_rps=rate), token=token, run_id="rate", latency_ms=2000) as prober:
            time.sleep(3.0)
        elapsed = time.monotonic() - t0
    window = prober.counts(since)
    cells = rows_by(window)
    for rev in targets:
        n = per_revision(window, rev)
        assert 0.6 * 3.0 * rate <= n <= elapsed * rate + 1, (rev, n, elapsed)
        assert {route for r, route in cells if r == rev} == {"health", "list", "get"}
        # steady, never a burst: any one-second window holds at most rate + 1 probes of a revision
        for k in range(30):
            start = since + timedelta(seconds=k * 0.1)
            inside = per_revision(prober.counts(start), rev) - per_revision(
                prober.counts(start + timedelta(seconds=1)), rev
            )
            assert inside <= rate + 1, (rev, start, inside)
    assert all(err == 0 for (r, _), (_, err, _) in cells.items() if r == revs["base"])
    # the erroring revision: every API probe is a 500, its health probes are fine
    for route in ("list", "get"):
        n, err, slow = cells[(revs["err"], route)]
        assert n > 0 and err == n and slow == 0
    assert cells[(revs["err"], "health")][1] == 0
    for row in window.rows:
        assert row.estimated_requests == row.requests and row.estimated_errors == row.errors_5xx
    assert window.since == since and window.complete_until <= datetime.now(UTC) and not window.partial
    minutes = prober.per_minute(revs["err"], since)
    assert sum(r for r, _ in minutes.values()) == per_revision(window, revs["err"])
    assert sum(e for _, e in minutes.values()) == sum(
        c.errors_5xx for c in window.rows if c.revision == revs["err"]
    )


def test_probes_reach_telemetry_as_revision_traffic_never_as_users(sandbox, token):
    settings, _, revs, urls = sandbox
    start = time.time()
    with Prober(
        {revs["base"]: urls["base"]}, settings_(rate_rps=10), token=token, run_id="tel", latency_ms=2000
    ):
        time.sleep(1.0)
    db = settings.sandbox_home() / "telemetry.db"

    def by_via() -> dict[str, int]:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            sql = "SELECT via, COUNT(*) FROM requests WHERE revision = ? AND ts >= ? GROUP BY via"
            return dict(conn.execute(sql, (revs["base"], start - 1)).fetchall())

    deadline = time.monotonic() + 30
    while by_via().get("revision", 0) < 8:
        assert time.monotonic() < deadline, f"probes did not reach the telemetry store: {by_via()}"
        time.sleep(0.2)
    assert "ingress" not in by_via()


def test_stopped_and_hanging_revisions_are_counted_as_errors_without_exceptions(sandbox, token):
    from apexops.sandbox.supervisor import free_port

    _, _, revs, urls = sandbox
    dead = "apex-backend-local--stopped"
    targets = {
        revs["base"]: urls["base"],
        revs["slow"]: urls["slow"],
        dead: f"http://127.0.0.1:{free_port()}",
    }
    rate = 4
    since = datetime.now(UTC)
    with no_new_threads():
        prober = Prober(
            targets, settings_(rate_rps=rate, timeout_s=0.5), token=token, run_id="down", latency_ms=400
        ).start()
        time.sleep(2.5)
        during = prober.counts(since)
        t = time.monotonic()
        prober.stop()
        stop_s = time.monotonic() - t
        prober.stop()  # idempotent
    assert stop_s < 3.0, stop_s  # generous: reads in flight are cancelled, not awaited
    assert during.complete_until <= datetime.now(UTC)
    cells = rows_by(prober.counts(since))
    # connection refused: every probe an error, none reached the revision (nothing for the platform)
    assert per_revision(prober.counts(since), dead) >= 0.6 * 2.5 * rate
    assert all(err == n for (r, _), (n, err, _) in cells.items() if r == dead)
    assert prober.per_minute(dead, since) == {}
    # hanging API routes: timeouts are errors and slow; health answers
    for route in ("list", "get"):
        n, err, slow = cells[(revs["slow"], route)]
        assert n > 0 and err == n and slow == n
    assert cells[(revs["slow"], "health")][1] == 0
    # the healthy revision kept its own schedule and saw no error
    assert per_revision(prober.counts(since), revs["base"]) >= 0.6 * 2.5 * rate
    assert all(err == 0 for (r, _), (_, err, _) in cells.items() if r == revs["base"])
    failures = {s["revision"]: s["failures"] for s in prober.summary()}
    assert failures[dead] and "timeout" in failures[revs["slow"]]


@pytest.mark.parametrize("ending", ["normal", "exception", "interrupt"])
def test_create_delete_leaves_no_probe_project_behind(sandbox, token, ending):
    _, _, revs, urls = sandbox
    probe = settings_(rate_rps=10, routes=("create_delete", "health"))
    raised = {"exception": RuntimeError("the run failed"), "interrupt": KeyboardInterrupt()}.get(ending)
    since = datetime.now(UTC)
    with (
        no_new_threads(),
        pytest.raises(type(raised)) if raised else _nothing(),
        Prober({revs["base"]: urls["base"]}, probe, token=token, run_id=ending, latency_ms=2000) as p,
    ):
        time.sleep(1.2)
        if raised:
            raise raised
    n, err, _ = rows_by(p.counts(since))[(revs["base"], "create_delete")]
    assert n >= 4 and err == 0
    assert p.left_behind == ()
    assert probe_projects(sandbox, archived=False) == []
    assert all(x["status"] == "ARCHIVED" for x in probe_projects(sandbox, archived=True))


@contextmanager
def _nothing():
    yield


def test_a_create_in_flight_at_stop_is_still_deleted(sandbox, token):
    _, _, revs, urls = sandbox
    probe = settings_(rate_rps=2, routes=("create_delete",), timeout_s=5)
    with no_new_threads():
        prober = Prober({revs["slow"]: urls["slow"]}, probe, token=token, run_id="inflight", latency_ms=2000)
        prober.start()
        time.sleep(0.3)  # the first create (1.5 s on this revision) is in flight
        assert prober.summary()[0]["sent"] == 1
        prober.stop()
    assert prober.left_behind == ()
    assert probe_projects(sandbox, archived=False) == []


def test_creates_answered_500_are_searched_for_through_a_revision_that_answers(sandbox, token):
    _, _, revs, urls = sandbox
    targets = {revs["err"]: urls["err"], revs["base"]: urls["base"]}
    probe = settings_(rate_rps=6, routes=("create_delete",))
    since = datetime.now(UTC)
    with no_new_threads(), Prober(targets, probe, token=token, run_id="e500", latency_ms=2000) as prober:
        time.sleep(1.0)
    n, err, _ = rows_by(prober.counts(since))[(revs["err"], "create_delete")]
    assert n > 0 and err == n  # every create a 500: unknown whether it was created, so searched for
    assert prober.left_behind == ()  # the erroring revision cannot list; the baseline could
    assert probe_projects(sandbox, archived=False) == []


def test_probe_targets_names_each_revision_url_or_says_why_not(sandbox):
    _, env, revs, urls = sandbox
    assert probe_targets(env.app, revs["err"], revs["base"]) == {
        revs["err"]: urls["err"],
        revs["base"]: urls["base"],
    }
    with pytest.raises(NotFoundError, match="canary revision 'apex-backend-local--nope'"):
        probe_targets(env.app, "apex-backend-local--nope", revs["base"])
    with pytest.raises(ConfigError, match="two different revisions"):
        probe_targets(env.app, revs["base"], revs["base"])
    env.app.deactivate_revision(revs["err"])
    try:
        with pytest.raises(ConflictError, match="inactive") as info:
            probe_targets(env.app, revs["err"], revs["base"])
        assert "rate_rps: 0" in info.value.hint
    finally:
        env.app.activate_revision(revs["err"])
        deadline = time.monotonic() + 60
        while env.app.get_revision(revs["err"]).health_state != "Healthy":
            assert time.monotonic() < deadline, "the revision did not come back"
            time.sleep(0.1)
