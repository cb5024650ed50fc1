"""Each fault profile produces its declared effect in a real replica, measured over real requests.

Rates are checked against binomial tolerances (4 standard deviations); the replicas' random generators
are seeded, so a given replica name replays the same draws and these tests cannot flake on chance.
"""

from __future__ import annotations

import json
import math
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from apexops.sandbox.images import FaultProfile, ImageCatalogue

pytestmark = pytest.mark.sandbox


def within_binomial(count: int, n: int, p: float, sds: float = 4.0) -> bool:
    sd = math.sqrt(n * p * (1 - p))
    return n * p - sds * sd <= count <= n * p + sds * sd


def hammer(url: str, headers: dict, paths: list[str], workers: int = 8) -> list[tuple[str, int, float]]:
    """GET every path concurrently; (path, status, seconds) per request."""
    with httpx.Client(
        base_url=url, headers=headers, timeout=30, limits=httpx.Limits(max_connections=workers)
    ) as client:

        def one(path: str) -> tuple[str, int, float]:
            t = time.perf_counter()
            r = client.get(path)
            return path, r.status_code, time.perf_counter() - t

        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(one, paths))


@pytest.fixture
def catalogue(tmp_path):
    return ImageCatalogue(tmp_path / "registry-home")


def test_errors10_answers_about_ten_percent_500_and_logs_each_as_exception(launch, catalogue, token_headers):
    replica = launch.start(profile=catalogue.get("v1.2.4-errors10").profile.to_json())
    n = 400
    results = hammer(replica.url, token_headers, ["/api/v1/projects/"] * n)
    errors = [s for _, s, _ in results if s == 500]
    assert {s for _, s, _ in results} <= {200, 500}
    assert within_binomial(len(errors), n, 0.10), f"{len(errors)} of {n}"
    # health probes are never touched, nor requests that fail authentication
    assert {s for _, s, _ in hammer(replica.url, {}, ["/health/live"] * 60)} == {200}
    assert {s for _, s, _ in hammer(replica.url, {}, ["/api/v1/projects/"] * 40)} == {401}
    extra = 0
    while True:
        extra += 1
        r = httpx.get(replica.url + "/api/v1/projects/", headers=token_headers)
        if r.status_code == 500 or extra == 200:
            break
    assert r.json()["problem_id"] == "DatabaseTimeoutError at apex.db.execute"
    assert r.headers["x-apex-route"] == "/api/v1/projects/"
    access = replica.access_lines(1 + n + 60 + 40 + extra)  # + the readiness wait's probe
    access_500 = [e for e in access if e["status"] == 500]
    assert all(e["fault"] == "error" for e in access_500)
    exceptions = [e for e in replica.logs() if e.get("kind") == "exception"]
    assert len(exceptions) == len(access_500) == len(errors) + 1
    assert {(e["level"], e["type"], e["problem_id"]) for e in exceptions} == {
        ("ERROR", "DatabaseTimeoutError", "DatabaseTimeoutError at apex.db.execute")
    }
    assert all("simulated" in e["message"] for e in exceptions)


def test_latency_hits_the_declared_share_on_the_listed_routes_only(launch, token_headers):
    profile = FaultProfile(latency_ms=800, latency_share=0.25, latency_routes=("/api/v1/projects/",))
    replica = launch.start(profile=profile.to_json())
    n = 120
    listed = hammer(replica.url, token_headers, ["/api/v1/projects/"] * n, workers=24)
    other = hammer(
        replica.url, token_headers, ["/api/v1/projects/1"] * 30 + ["/health/ready"] * 30, workers=8
    )
    access = replica.access_lines(1 + n + 60)
    delayed = [e for e in access if e.get("fault") == "latency+800ms"]
    assert all(e["route"] == "/api/v1/projects/" for e in delayed)
    assert within_binomial(len(delayed), n, 0.25), f"{len(delayed)} of {n}"
    assert all(e["duration_ms"] >= 800 for e in delayed)
    slow_seen_by_client = [t for _, s, t in listed if t >= 0.8]
    assert len(slow_seen_by_client) >= len(delayed)  # every delayed request really took the extra time
    assert {s for _, s, _ in listed} == {200}
    assert {s for _, s, _ in other} <= {200, 404}
    assert not any("fault" in e for e in access if e["route"] != "/api/v1/projects/")


def test_crash_at_start_exits_1_with_an_error_line_and_never_binds(launch, catalogue):
    replica = launch.start(profile=catalogue.get("v1.2.4-crash").profile.to_json(), wait=False)
    assert replica.exit_code() == 1
    errors = [e for e in replica.logs() if e["level"] == "ERROR"]
    assert len(errors) == 1
    assert "required environment variable AZURE_OPENAI_DEPLOYMENT_VERSION is not set" in errors[0]["message"]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", replica.port), timeout=0.5).close()


def test_notready_fails_readiness_but_serves_on_a_database_one_migration_behind(
    launch, catalogue, migrated_db, token_headers
):
    replica = launch.start(profile=catalogue.get("v1.2.4-notready").profile.to_json(), db=migrated_db("0002"))
    r = httpx.get(replica.url + "/health/ready")
    assert r.status_code == 503
    assert r.json()["status"] == "not_ready"
    assert r.json()["checks"]["database"].startswith("unhealthy:")
    assert r.json()["checks"]["blob_storage"] == "healthy"
    assert httpx.get(replica.url + "/health/live").status_code == 200
    with httpx.Client(base_url=replica.url, headers=token_headers) as api:
        created = api.post(
            "/api/v1/projects/",
            json={
                "project_number": "OLD-SCHEMA-1",
                "project_name": "x",
                "voltage_level": 230,
                "line_miles": 3,
                "terrain_type": "urban",
            },
        )
        assert created.status_code == 201
        assert api.get(f"/api/v1/projects/{created.json()['id']}").json()["terrain_type"] == "urban"


def test_slow_start_delays_readiness(launch):
    t0 = time.monotonic()
    replica = launch.start(profile=FaultProfile(slow_start_s=1.5).to_json())
    assert time.monotonic() - t0 >= 1.5
    events = [e.get("event") for e in replica.logs()]
    assert events.index("slow_start") < events.index("listening")


def test_degrade_ramps_the_error_rate_up_from_zero(launch, token_headers):
    replica = launch.start(profile=FaultProfile(error_rate=1.0, degrade_s=3.0).to_json())
    early = hammer(replica.url, token_headers, ["/api/v1/projects/"] * 30, workers=4)
    time.sleep(3.2)
    late = hammer(replica.url, token_headers, ["/api/v1/projects/"] * 20, workers=4)
    early_errors = sum(s == 500 for _, s, _ in early)
    assert early_errors < 30
    assert all(s == 500 for _, s, _ in late)


def test_crash_after_requests_exits_so_the_daemon_restarts_it(launch, token_headers):
    replica = launch.start(profile=FaultProfile(crash_after_requests=5).to_json())
    with httpx.Client(base_url=replica.url, headers=token_headers) as api:
        for _ in range(3):
            assert httpx.get(replica.url + "/health/live").status_code == 200  # probes do not count
        statuses = [api.get("/api/v1/projects/").status_code for _ in range(5)]
    assert statuses == [200] * 5
    assert replica.exit_code() == 1
    crash = [e for e in replica.logs() if e.get("kind") == "crash"]
    assert len(crash) == 1 and crash[0]["level"] == "ERROR"


def test_port_in_use_fails_fast_with_one_stderr_line(launch):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        replica = launch.start(port=port, wait=False)
        assert replica.exit_code() == 2
    assert len(replica.err_lines) == 1
    assert f"cannot bind 127.0.0.1:{port}" in replica.err_lines[0]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"APEX_AUTH_KEY_FILE": None}, "APEX_AUTH_KEY_FILE"),
        ({"APEX_DATABASE_URL": ""}, "APEX_DATABASE_URL"),
        ({"APEX_FAULT_PROFILE": '{"error_rate": 2}'}, "APEX_FAULT_PROFILE: error_rate"),
        ({"APEX_FAULT_PROFILE": "{oops"}, "APEX_FAULT_PROFILE is not valid JSON"),
    ],
)
def test_bad_configuration_is_a_startup_failure_naming_the_variable(launch, env, named):
    replica = launch.start(wait=False, **env)
    assert replica.exit_code() == 1
    errors = [e for e in replica.logs() if e["level"] == "ERROR"]
    assert len(errors) == 1 and named in errors[0]["message"], errors


def test_unhandled_exception_is_a_500_with_headers_and_one_exception_line(launch, tmp_path, token_headers):
    import sqlalchemy as sa

    from apexops.schema.tables import projects

    db = tmp_path / "half.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    projects.create(engine)  # no documents table: a database that was never fully migrated
    engine.dispose()
    replica = launch.start(db=db)
    ready = httpx.get(replica.url + "/health/ready").json()
    assert ready["checks"]["database"] == "unhealthy: table(s) documents missing (database not migrated?)"
    r = httpx.get(replica.url + "/api/v1/documents/1", headers=token_headers)
    assert r.status_code == 500
    assert r.headers["x-apex-route"] == "/api/v1/documents/{document_id}"
    assert r.headers["x-apex-revision"] == "apex-backend-test--r1"
    line = replica.wait_for(lambda e: e.get("kind") == "exception")
    assert line["type"] == "OperationalError" and "no such table" in line["message"]
    assert r.json() == {"detail": "Internal Server Error", "problem_id": line["problem_id"]}
    replica.access_lines(3)  # the readiness wait, /health/ready, the failed request
    assert len([e for e in replica.logs() if e.get("kind") == "exception"]) == 1
    assert line["problem_id"].startswith("OperationalError at ")
    assert "Traceback" in line["traceback"]
    json.dumps(line)  # one JSON object on one line
    assert replica.proc.poll() is None  # the replica survives


def test_sigterm_stops_the_replica_and_leaves_no_process(launch):
    replica = launch.start()
    replica.proc.terminate()
    assert replica.proc.wait(10) in (0, -15)
    replica.stop()
    assert subprocess.run(["kill", "-0", str(replica.proc.pid)], capture_output=True).returncode != 0


def test_a_missing_sqlite_file_is_unhealthy_and_never_created(launch, tmp_path, token_headers):
    missing = tmp_path / "no such dir" / "apex.db"
    replica = launch.start(db=missing)
    ready = httpx.get(replica.url + "/health/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "unhealthy: OperationalError: unable to open database file"
    assert httpx.get(replica.url + "/api/v1/projects/", headers=token_headers).status_code == 500
    assert not missing.exists() and not missing.parent.exists()
