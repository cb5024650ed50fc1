"""Pure parts of the service, without a process: fault decisions, the completeness score, configuration,
the JSON log format."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket

import pytest

from apexops.errors import ConfigError
from apexops.sandbox.images import FaultProfile
from apexops.sandbox.service import pdfcheck
from apexops.sandbox.service.__main__ import _bind
from apexops.sandbox.service.config import ServiceConfig
from apexops.sandbox.service.faults import Decision, FaultInjector, simulated_error
from apexops.sandbox.service.logs import JsonFormatter, log_exception


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def rate(inj: FaultInjector, route: str, n: int = 4000, path: str | None = None) -> float:
    return sum(inj.decide(route, path or route).error for _ in range(n)) / n


def test_healthy_profile_never_touches_a_request():
    inj = FaultInjector(FaultProfile(), "r1")
    decisions = {inj.decide(r, r) for r in ("/api/v1/projects/", "/health/ready") for _ in range(50)}
    assert decisions == {Decision(delay_s=0.0, error=False)}


def test_error_rate_applies_to_api_routes_by_default_not_health_nor_unmatched():
    inj = FaultInjector(FaultProfile(error_rate=0.25), "r1")
    assert 0.22 < rate(inj, "/api/v1/projects/") < 0.28
    assert rate(inj, "/api/v1/documents/{document_id}", path="/api/v1/documents/3") > 0.2
    assert rate(inj, "/health/ready", 500) == 0
    assert rate(inj, "unmatched", 500, path="/api/v1/nothing") == 0


def test_health_routes_are_hit_only_when_listed():
    inj = FaultInjector(FaultProfile(error_rate=1.0, error_routes=("/health/*",)), "r1")
    assert rate(inj, "/health/live", 50) == 1.0
    assert rate(inj, "/api/v1/projects/", 50) == 0


def test_latency_share_and_route_globs():
    inj = FaultInjector(
        FaultProfile(latency_ms=2500, latency_share=0.2, latency_routes=("/api/v1/documents/*",)), "r1"
    )
    delays = [inj.decide("/api/v1/documents/upload", "/api/v1/documents/upload").delay_s for _ in range(5000)]
    assert set(delays) == {0.0, 2.5}
    assert 0.18 < delays.count(2.5) / len(delays) < 0.22
    assert all(inj.decide("/api/v1/projects/", "/api/v1/projects/").delay_s == 0 for _ in range(200))


def test_seeded_per_replica_reproducible_but_different():
    p = FaultProfile(error_rate=0.5)

    def pattern(replica: str) -> list[bool]:
        inj = FaultInjector(p, replica)
        return [inj.decide("/api/v1/projects/", "/api/v1/projects/").error for _ in range(64)]

    assert pattern("rev--a-1") == pattern("rev--a-1")
    assert pattern("rev--a-1") != pattern("rev--a-2")
    assert pattern("rev--a-1") != [
        FaultInjector(FaultProfile(error_rate=0.5, seed=9), "rev--a-1")
        .decide("/api/v1/projects/", "/api/v1/projects/")
        .error
        for _ in range(64)
    ]


def test_adding_latency_does_not_change_which_requests_fail():
    base = FaultInjector(FaultProfile(error_rate=0.3), "r")
    slow = FaultInjector(FaultProfile(error_rate=0.3, latency_ms=10, latency_share=0.5), "r")
    route = "/api/v1/projects/"
    assert [base.decide(route, route).error for _ in range(200)] == [
        slow.decide(route, route).error for _ in range(200)
    ]


def test_degrade_ramps_linearly_to_the_error_rate():
    clock = Clock()
    inj = FaultInjector(FaultProfile(error_rate=0.4, degrade_s=60), "r", clock=clock, rng=random.Random(1))
    assert inj.error_rate_now() == 0
    assert rate(inj, "/api/v1/projects/", 500) == 0
    clock.t += 30
    assert inj.error_rate_now() == pytest.approx(0.2)
    assert 0.15 < rate(inj, "/api/v1/projects/") < 0.25
    clock.t += 300
    assert inj.error_rate_now() == pytest.approx(0.4)


def test_crash_after_counts_matched_requests_only():
    inj = FaultInjector(FaultProfile(crash_after_requests=3), "r")
    assert not inj.count("/health/live", "/health/live")
    assert not inj.count("unmatched", "/api/v1/x")
    assert [inj.count("/api/v1/projects/", "/api/v1/projects/") for _ in range(3)] == [False, False, True]
    assert not FaultInjector(FaultProfile(), "r").count("/api/v1/projects/", "/api/v1/projects/")


def test_simulated_error_looks_like_a_database_timeout():
    exc = simulated_error(FaultProfile(error_rate=1), "/api/v1/projects/")
    assert type(exc).__name__ == "DatabaseTimeoutError" and exc.origin == "apex.db.execute"
    assert "/api/v1/projects/" in str(exc) and "simulated" in str(exc)
    assert (
        type(simulated_error(FaultProfile(error_rate=1, error_type="BlobTimeout"), "/x")).__name__
        == "BlobTimeout"
    )


def test_a_storage_error_comes_from_the_storage_layer_and_80_recognises_it():
    from apexops.troubleshoot.logs import LOG_RULES

    exc = simulated_error(FaultProfile(error_rate=1, error_type="BlobWriteError"), "/api/v1/documents/upload")
    assert type(exc).__module__ == "apex.storage" and exc.origin == "apex.storage.blob.upload"
    assert "database" not in str(exc)
    matched = [r.id for r in LOG_RULES if r.pattern.search(f"{type(exc).__name__}: {exc}")]
    assert matched == ["LOG-005"]  # blob storage access denied or unavailable -> 70-emergency, blob


def test_completeness_score_is_deterministic_and_structural(smoke_pdf):
    a = pdfcheck.assess(smoke_pdf)
    assert a == pdfcheck.assess(bytes(smoke_pdf))
    assert a["completeness_score"] == 0.9 and a["page_count"] == 1
    assert pdfcheck.assess(b"")["completeness_score"] == 0
    truncated = pdfcheck.assess(smoke_pdf[: len(smoke_pdf) // 2])
    assert truncated["completeness_score"] < a["completeness_score"]
    assert {f["check"] for f in truncated["findings"] if not f["passed"]} >= {"eof_marker"}
    assert sum(f["weight"] for f in a["findings"]) == pytest.approx(1.0)


BASE_ENV = {
    "APEX_DATABASE_URL": "sqlite:///x.db",
    "APEX_BLOB_ENDPOINT": "http://127.0.0.1:10000/devstoreaccount1",
    "APEX_AUTH_AUDIENCE": "api://a",
    "APEX_AUTH_KEY_FILE": "/tmp/k",
}


def test_config_from_env_defaults_and_required_variables():
    cfg = ServiceConfig.from_env(
        {**BASE_ENV, "APEX_IMAGE": "r/apex-backend:v1.2.3", "CONTAINER_APP_REVISION": "app--abc"}
    )
    assert cfg.version == "v1.2.3" and cfg.revision == "app--abc" and cfg.replica.startswith("app--abc-")
    assert cfg.fault_profile == FaultProfile() and cfg.auth_issuer is None
    assert cfg.uploads_container == "uploads"
    for name in BASE_ENV:
        with pytest.raises(ConfigError, match=f"required environment variable {name} is not set"):
            ServiceConfig.from_env({k: v for k, v in BASE_ENV.items() if k != name})
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        ServiceConfig.from_env({**BASE_ENV, "LOG_LEVEL": "chatty"})


def test_json_formatter_one_line_with_exception_fields():
    logger = logging.getLogger("test.json")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("boom\nsecond line")
        except ValueError as exc:
            pid = log_exception(logger, exc, route="/r")
    finally:
        logger.removeHandler(handler)
    line = JsonFormatter().format(records[0])
    assert "\n" not in line
    data = json.loads(line)
    assert data["kind"] == "exception" and data["type"] == "ValueError" and data["route"] == "/r"
    assert data["problem_id"] == pid and pid.startswith("ValueError at ")
    assert data["level"] == "ERROR" and data["logger"] == "test.json" and "boom" in data["message"]


def test_accepted_connections_send_small_writes_at_once():
    """The replica's listening socket makes accepted connections TCP_NODELAY: without it a response body
    written after its head waited for the client's delayed ACK (~40 ms per request through the ingress)."""

    async def accepted_nodelay() -> int:
        sock = _bind("127.0.0.1", 0)
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def on_connect(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            seen.set_result(w.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            w.close()

        server = await asyncio.start_server(on_connect, sock=sock)
        _r, w = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        try:
            return await asyncio.wait_for(seen, 5)
        finally:
            w.close()
            server.close()

    assert asyncio.run(accepted_nodelay())
