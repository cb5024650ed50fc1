"""The concurrent request runner against a real local HTTP server (stdlib, loopback, port 0)."""

from __future__ import annotations

import itertools
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from apexops.smoke.load import error_summary, run_requests


class _Server:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.count = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                with server.lock:
                    server.count += 1
                    n = server.count
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                time.sleep(0.01)
                status = 500 if self.path.startswith("/flaky") and n % 4 == 0 else 200
                body = b'{"ok": true}'
                # out of flight before the last byte goes: once the client has the body it may send the
                # next request, which must not find this one still counted
                with server.lock:
                    server.in_flight -= 1
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.send_header("x-apex-revision", "apex-backend-local--test")
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def test_every_request_is_issued_once_and_concurrency_is_bounded(server):
    with httpx.Client(base_url=server.url, trust_env=False) as client:
        samples = run_requests(client, "/ok", n=40, concurrency=4)
    assert [s.index for s in samples] == list(range(40))
    assert server.count == 40
    assert 1 <= server.max_in_flight <= 4
    assert all(s.status == 200 and s.ok and s.revision == "apex-backend-local--test" for s in samples)
    assert error_summary(samples) == ""


def test_durations_come_from_the_injected_clock(server):
    ticks = itertools.count()
    clock = lambda: next(ticks) * 0.025  # every reading is 25 ms after the previous one  # noqa: E731
    with httpx.Client(base_url=server.url, trust_env=False) as client:
        samples = run_requests(client, "/ok", n=5, concurrency=1, clock=clock)
    assert [s.duration_ms for s in samples] == pytest.approx([25.0] * 5)
    assert [s.started_s for s in samples] == pytest.approx([0.0, 0.05, 0.1, 0.15, 0.2])


def test_errors_are_samples_with_their_status(server):
    with httpx.Client(base_url=server.url, trust_env=False) as client:
        samples = run_requests(client, "/flaky", n=20, concurrency=2)
    assert len(samples) == 20
    failed = [s for s in samples if not s.ok]
    assert len(failed) == 5 and all(s.status == 500 for s in failed)
    assert error_summary(samples) == "5 of 20 failed: HTTP 500 x5"


def test_a_refused_connection_is_a_failed_sample_not_an_exception():
    s = _Server()
    url = s.url
    s.close()  # nothing listens there any more
    with httpx.Client(base_url=url, trust_env=False, timeout=2) as client:
        samples = run_requests(client, "/ok", n=3, concurrency=2)
    assert len(samples) == 3
    assert all(x.status is None and x.error and "ConnectError" in x.error for x in samples)
    assert error_summary(samples).startswith("3 of 3 failed: ConnectError")


def test_bad_arguments():
    with httpx.Client(trust_env=False) as client:
        with pytest.raises(ValueError):
            run_requests(client, "/", n=1, concurrency=0)
        assert run_requests(client, "/", n=0, concurrency=3) == []
