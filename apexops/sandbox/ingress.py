"""The ingress: one URL that splits requests across active revisions by integer weight, plus one listener
per revision whose URL reaches only that revision (Azure's revision-specific FQDN).

A small HTTP/1.1 reverse proxy on asyncio streams (uvloop when available). It parses only what routing
needs, keeps pooled keep-alive connections to each replica, and records every request (revision, replica,
route template from the `x-apex-route` header, status, duration) into the telemetry writer's in-memory
queue, so its added latency stays well under the 2 ms budget (see benchmarks/ingress_latency.py). While a
request is in flight the writer knows its arrival time, so telemetry never claims to be complete past it.
Requests the proxy itself must answer (no ready replica, replica crashed mid-request) are recorded too,
against the revision that was chosen, because users saw them.

Revision affinity: a request to the app URL whose `apex-affinity` cookie names a revision that receives
traffic now (weight > 0) goes to that revision; otherwise (no cookie, a revision at weight 0, an unknown
name) the weights decide, so the cookie never sends users where the split does not. It stands for clients
that production pins to one revision while a canary runs, which is what gives a canary another endpoint mix
than its baseline (report-heavy sessions, say). Azure Container Apps' own sticky sessions
(`ingress.stickySessions.affinity: sticky`) pin a client to a replica, in single-revision mode only, so in
Azure such pinning comes from the clients' side (a revision label's URL, a gateway with cookie affinity).
The ingress honours the cookie and never sets one: clients that keep cookies (httpx clients, browsers)
would otherwise all be pinned by their first response, and the per-request split that the canary, the
smoke tests and the rehearsal rely on would be gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from apexops.sandbox.supervisor import ReplicaSlot, Supervisor
from apexops.sandbox.telemetry import TelemetryWriter

__all__ = ["AFFINITY_COOKIE", "Ingress", "UpstreamPool"]

MAX_HEAD = 64 * 1024
MAX_BODY = 256 * 1024 * 1024
UPSTREAM_TIMEOUT_S = 240.0  # Azure Container Apps' request timeout
POOL_IDLE_S = 4.0  # below uvicorn's 5 s keep-alive, so a pooled connection is rarely closed under us
COLD_START_WAIT_S = 60.0
#: the cookie that pins a client to a revision while that revision receives traffic
AFFINITY_COOKIE = "apex-affinity"
_AFFINITY = AFFINITY_COOKIE.encode()
#: hop-by-hop headers (and the framing the proxy rewrites): never copied between client and replica
_HOP = frozenset(
    (
        b"connection keep-alive proxy-connection te trailer transfer-encoding upgrade content-length expect"
    ).split()
)


class _BadRequest(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


#: what reading a replica's response head and body may raise: a malformed or truncated response
_MALFORMED = (ValueError, IndexError, _BadRequest, asyncio.IncompleteReadError, ConnectionError, TimeoutError)


@dataclass
class _Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    last_used: float


@dataclass
class _Request:
    """One client request as read from the connection, with when it arrived (for telemetry)."""

    method: bytes
    target: bytes
    lines: list[bytes]  # the request line and the header lines, as received
    body: bytes
    keep: bool  # keep the client connection open after the response
    via: str  # "ingress" (app URL) or "revision" (revision URL)
    t0: float  # perf_counter at arrival
    ts: float  # wall clock at arrival
    affinity: str | None = None  # the revision the client's affinity cookie names (app URL only)

    def upstream(self, client_ip: bytes) -> bytes:
        """The request as sent to a replica: end-to-end headers, forwarding headers, framed body."""
        out = bytearray(self.method + b" " + self.target + b" HTTP/1.1\r\n")
        _copy_end_to_end(out, self.lines)
        out += b"x-forwarded-for: " + client_ip + b"\r\nx-forwarded-proto: http\r\n"
        framed = self.body or self.method in (b"POST", b"PUT", b"PATCH")
        out += b"content-length: " + str(len(self.body)).encode() + b"\r\n\r\n" if framed else b"\r\n"
        return bytes(out) + self.body


def _copy_end_to_end(out: bytearray, lines: list[bytes]) -> None:
    """Append the header lines of a message (after its first line) that are not hop-by-hop."""
    for line in lines[1:]:
        if line.partition(b":")[0].strip().lower() not in _HOP:
            out += line + b"\r\n"


class UpstreamPool:
    """Idle keep-alive connections per replica port."""

    def __init__(self) -> None:
        self._idle: dict[int, list[_Conn]] = {}

    async def acquire(self, port: int) -> tuple[_Conn, bool]:
        idle = self._idle.get(port)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if now - conn.last_used < POOL_IDLE_S and not conn.reader.at_eof():
                return conn, True
            conn.writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=MAX_HEAD)
        return _Conn(reader, writer, now), False

    def release(self, port: int, conn: _Conn) -> None:
        conn.last_used = time.monotonic()
        self._idle.setdefault(port, []).append(conn)

    def close(self) -> None:
        for conns in self._idle.values():
            for c in conns:
                c.writer.close()
        self._idle.clear()


def _affinity(cookie: bytes) -> str | None:
    """The revision an affinity cookie names in a Cookie header's value, if any."""
    if _AFFINITY not in cookie:  # the common case: one substring test
        return None
    for pair in cookie.split(b";"):
        name, sep, value = pair.partition(b"=")
        if sep and name.strip() == _AFFINITY:
            return value.strip().strip(b'"').decode("latin-1") or None
    return None


def _parse_headers(lines: list[bytes]) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    for line in lines:
        name, sep, value = line.partition(b":")
        if not sep:
            raise _BadRequest(400, "malformed header line")
        out[name.strip().lower()] = value.strip()
    return out


async def _read_body(reader: asyncio.StreamReader, headers: dict[bytes, bytes]) -> tuple[bytes, bool]:
    """The body per its framing: (body, delimited). Undelimited means 'read to EOF' (responses only)."""
    if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        parts, total = [], 0
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return b"".join(parts), True
            total += size
            if total > MAX_BODY:
                raise _BadRequest(413, "body too large")
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = headers.get(b"content-length")
    if length is not None:
        n = int(length)
        if n > MAX_BODY or n < 0:
            raise _BadRequest(413, "body too large")
        return (await reader.readexactly(n) if n else b""), True
    return b"", False


class Ingress:
    """Serves the app URL and the revision URLs; routing decisions come from `choose_revision`, given the
    revision the request's affinity cookie names (None without one)."""

    def __init__(
        self,
        *,
        supervisor: Supervisor,
        telemetry: TelemetryWriter,
        choose_revision: Callable[[str | None], str | None],
        is_active: Callable[[str], bool],
        rng: random.Random | None = None,
    ) -> None:
        self._sup = supervisor
        self._tel = telemetry
        self._choose = choose_revision
        self._is_active = is_active
        self._pool = UpstreamPool()
        self._servers: dict[str, asyncio.AbstractServer] = {}
        self._rng = rng or random.Random()
        self._conns: set[asyncio.StreamWriter] = set()

    # ------------------------------------------------------------------ listeners
    async def listen(self, key: str, port: int, revision: str | None) -> int:
        """Start the app listener (revision None) or a revision listener; returns the bound port."""

        async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await self._serve(r, w, revision)

        server = await asyncio.start_server(
            handler, "127.0.0.1", port, limit=MAX_HEAD, reuse_address=True, backlog=512
        )
        self._servers[key] = server
        return int(server.sockets[0].getsockname()[1])

    def has_listener(self, key: str) -> bool:
        return key in self._servers

    async def close(self) -> None:
        for server in self._servers.values():
            server.close()
        for w in list(self._conns):
            w.close()
        self._pool.close()
        for server in self._servers.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)
        self._servers.clear()

    # ------------------------------------------------------------------ one client connection
    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, revision: str | None
    ) -> None:
        self._conns.add(writer)
        peer = writer.get_extra_info("peername")
        client_ip = peer[0].encode() if peer else b"127.0.0.1"
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                except asyncio.LimitOverrunError:
                    await self._reply(writer, 431, "request head too large", close=True)
                    return
                key = self._tel.open(time.time())  # in flight until answered (the telemetry watermark)
                try:
                    keep = await self._one(reader, writer, head, revision, client_ip)
                finally:
                    self._tel.close(key)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._conns.discard(writer)
            writer.close()

    async def _one(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        head: bytes,
        fixed: str | None,
        client_ip: bytes,
    ) -> bool:
        """Serve one request of a client connection; returns whether to keep the connection open."""
        req = await self._read_request(reader, writer, head, fixed)
        if req is None:
            return False
        revision = fixed if fixed is not None else self._choose(req.affinity)
        if revision is None or (fixed is not None and not self._is_active(fixed)):
            detail = f"revision {fixed} is inactive" if fixed else "no revision receives traffic"
            await self._reply(writer, 404 if fixed else 503, detail, close=not req.keep)
            return req.keep
        slot = self._sup.pick(revision)
        if slot is None:
            slot = await self._sup.wait_ready(revision, COLD_START_WAIT_S)
        else:
            self._sup.note_demand(revision)
        if slot is None:
            await self._fail(writer, req, 503, f"revision {revision} has no ready replica", revision, "")
            return req.keep
        result = await self._forward(slot, revision, req.upstream(client_ip), req.method)
        if isinstance(result, str):
            status = 504 if "timed out" in result else 502
            await self._fail(writer, req, status, result, revision, slot.name)
            return req.keep
        status, resp_lines, resp_headers, resp_body = result
        out = bytearray(resp_lines[0] + b"\r\n")
        _copy_end_to_end(out, resp_lines)
        if not (100 <= status < 200 or status in (204, 304)):
            out += b"content-length: " + str(len(resp_body)).encode() + b"\r\n"
        out += b"connection: keep-alive\r\n\r\n" if req.keep else b"connection: close\r\n\r\n"
        writer.write(bytes(out) + (b"" if req.method == b"HEAD" else resp_body))
        await writer.drain()
        self._record(
            req,
            status,
            resp_headers.get(b"x-apex-revision", revision.encode()).decode("latin-1"),
            resp_headers.get(b"x-apex-replica", slot.name.encode()).decode("latin-1"),
            resp_headers.get(b"x-apex-route", b"unmatched").decode("latin-1"),
        )
        return req.keep

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, fixed: str | None
    ) -> _Request | None:
        """The request after `head` with its body; None after answering a malformed one (and closing)."""
        t0, ts = time.perf_counter(), time.time()
        lines = head[:-4].split(b"\r\n")
        try:
            method, target, version = lines[0].split(b" ", 2)
            headers = _parse_headers(lines[1:])
            if b"100-continue" in headers.get(b"expect", b"").lower():
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body, _ = await _read_body(reader, headers)
        except _BadRequest as exc:
            await self._reply(writer, exc.status, str(exc), close=True)
            return None
        except (ValueError, asyncio.LimitOverrunError):
            await self._reply(writer, 400, "malformed request", close=True)
            return None
        conn_hdr = headers.get(b"connection", b"").lower()
        keep = b"close" not in conn_hdr if version == b"HTTP/1.1" else b"keep-alive" in conn_hdr
        if fixed is not None:
            return _Request(method, target, lines, body, keep, "revision", t0, ts)
        cookie = headers.get(b"cookie")
        affinity = _affinity(cookie) if cookie else None
        return _Request(method, target, lines, body, keep, "ingress", t0, ts, affinity)

    async def _forward(
        self, slot: ReplicaSlot, revision: str, request: bytes, method: bytes
    ) -> tuple[int, list[bytes], dict[bytes, bytes], bytes] | str:
        """Send to the replica (retrying a stale pooled connection or a refused one once elsewhere)."""
        attempts = 0
        while True:
            attempts += 1
            try:
                conn, reused = await self._pool.acquire(slot.port)
            except OSError:
                alternatives = self._sup.others(revision, slot)
                if attempts < 3 and alternatives:
                    slot = alternatives[0]
                    continue
                return f"replica {slot.name} refused the connection"
            try:
                conn.writer.write(request)
                head = await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), UPSTREAM_TIMEOUT_S)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                conn.writer.close()
                partial = isinstance(exc, asyncio.IncompleteReadError) and exc.partial
                if reused and not partial and attempts < 3:
                    continue  # the replica closed an idle pooled connection: retry on a fresh one
                return f"replica {slot.name} closed the connection before responding (it may have crashed)"
            except TimeoutError:
                conn.writer.close()
                return f"replica {slot.name} timed out after {UPSTREAM_TIMEOUT_S:g} s"
            except asyncio.LimitOverrunError:
                conn.writer.close()
                return f"replica {slot.name} sent a response head that is too large"
            try:
                lines = head[:-4].split(b"\r\n")
                status = int(lines[0].split(b" ", 2)[1])
                headers = _parse_headers(lines[1:])
                if method == b"HEAD" or 100 <= status < 200 or status in (204, 304):
                    body, delimited = b"", True
                else:
                    body, delimited = await asyncio.wait_for(
                        _read_body(conn.reader, headers), UPSTREAM_TIMEOUT_S
                    )
                    if not delimited:
                        body = await asyncio.wait_for(conn.reader.read(MAX_BODY), UPSTREAM_TIMEOUT_S)
            except _MALFORMED:
                conn.writer.close()
                return f"replica {slot.name} sent a malformed or truncated response"
            if delimited and b"close" not in headers.get(b"connection", b"").lower():
                self._pool.release(slot.port, conn)
            else:
                conn.writer.close()
            return status, lines, headers, body

    async def _fail(
        self,
        writer: asyncio.StreamWriter,
        req: _Request,
        status: int,
        detail: str,
        revision: str,
        replica: str,
    ) -> None:
        """Answer for the replica (none ready, crashed, timed out) and record it: users saw it."""
        await self._reply(writer, status, detail, close=not req.keep, revision=revision)
        self._record(req, status, revision, replica, "unmatched")

    def _record(self, req: _Request, status: int, revision: str, replica: str, route: str) -> None:
        self._tel.request(
            req.ts,
            revision,
            replica,
            route,
            req.method.decode("latin-1"),
            req.target.decode("latin-1"),
            status,
            (time.perf_counter() - req.t0) * 1000.0,
            req.via,
        )

    @staticmethod
    async def _reply(
        writer: asyncio.StreamWriter, status: int, detail: str, *, close: bool, revision: str = ""
    ) -> None:
        body = json.dumps({"detail": detail, "source": "sandbox-ingress"}).encode()
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nx-apex-route: unmatched\r\n"
            + (f"x-apex-revision: {revision}\r\n" if revision else "")
            + f"connection: {'close' if close else 'keep-alive'}\r\n\r\n"
        )
        with contextlib.suppress(ConnectionError):
            writer.write(head.encode() + body)
            await writer.drain()
