"""Entry point of one replica: `python -m apexops.sandbox.service --host 127.0.0.1 --port P`.

Order matters and mirrors a container's life: read the environment (a missing variable is a startup
failure), apply start-up faults (crash, slow start), bind the port (a busy port fails in milliseconds with
one stderr line, before the heavy imports), then import FastAPI and serve on the bound socket.

Exit codes: 1 startup failure (configuration, crash at start, simulated crash), 2 usage error or the port
cannot be bound. SIGTERM/SIGINT shut down gracefully (in-flight requests finish, at most 5 s), after which
uvicorn re-raises the signal, so a stopped replica ends with -15 (SIGTERM) as a container would.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import time

from apexops.errors import ConfigError
from apexops.sandbox.service.logs import setup_logging

_T0 = time.perf_counter()
log = logging.getLogger("apex.app")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is outside 0-65535")
    return value


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m apexops.sandbox.service",
        description="One replica of the APEX reference service (configured by environment variables: "
        "APEX_DATABASE_URL, APEX_BLOB_ENDPOINT, APEX_AUTH_AUDIENCE, APEX_AUTH_KEY_FILE, optional "
        "APEX_AUTH_ISSUER, APEX_FAULT_PROFILE, APEX_IMAGE, APP_VERSION, CONTAINER_APP_REVISION, "
        "CONTAINER_APP_REPLICA_NAME).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, required=True, help="port to bind (0 = any free port)")
    return parser.parse_args(argv)


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, created here so a busy port fails before the heavy imports.

    Made with proto IPPROTO_TCP and TCP_NODELAY: asyncio sets TCP_NODELAY only on sockets whose proto is
    IPPROTO_TCP (a bare `socket.socket()` has proto 0), and without it the response body, written after
    its head, waits for the peer's delayed ACK: ~40 ms on every proxied request.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    setup_logging()
    # imports stay inside main: a replica reads its configuration and binds its port before it pays for
    # FastAPI, SQLAlchemy and uvicorn, so a bad environment or a busy port fails fast
    try:
        from apexops.sandbox.service.config import ServiceConfig

        config = ServiceConfig.from_env()
        setup_logging(config.log_level)
        from apexops.sandbox.identity import load_signing_key

        key = load_signing_key(config.auth_key_file)
    except ConfigError as exc:
        log.error("Application startup failed: %s", exc, extra={"event": "startup_failed"})
        return 1
    profile = config.fault_profile
    if profile.crash_at_start:
        log.error(
            profile.crash_message
            or "Application startup failed: required environment variable APEX_FEATURE_FLAGS is not set",
            extra={"event": "startup_failed"},
        )
        return 1
    if profile.slow_start_s > 0:
        log.info(
            "warming up caches (slow start %.1f s, simulated by the image's fault profile)",
            profile.slow_start_s,
            extra={"event": "slow_start"},
        )
        time.sleep(profile.slow_start_s)
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(
            f"apex service: cannot bind {args.host}:{args.port}: {exc.strerror or exc} "
            "(is another process using the port?)",
            file=sys.stderr,
            flush=True,
        )
        return 2

    import uvicorn

    from apexops.sandbox.service.app import create_app

    app = create_app(config, key)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            server_header=False,
            lifespan="on",
            timeout_graceful_shutdown=5,
            timeout_keep_alive=30,
        )
    )
    port = sock.getsockname()[1]
    log.info(
        "serving on http://%s:%d (app built %.0f ms after process start)",
        args.host,
        port,
        (time.perf_counter() - _T0) * 1000,
        extra={"event": "listening", "port": port},
    )
    server.run(sockets=[sock])
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
