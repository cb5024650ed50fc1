"""The sandbox's Application Insights: requests, exceptions and console logs in one SQLite file.

The daemon records every request that passes the ingress or a revision URL, and every line a replica
writes, into in-memory queues; a writer thread flushes them in batches (one transaction every
`flush_interval_s`) so the request path never waits for the disk. The store is SQLite in WAL mode, so the
adapters in other processes read it concurrently without going through the daemon.

Requests are delivered on production's terms (`apexops.sandbox.delivery`): each row becomes queryable at
its own `ingested_at`, sampled rows carry `item_count`, and the ingress' per-revision platform counters
(every request, exact, revision URLs included) are kept per bucket and published after the platform lag.
With every flush the writer also records its watermark: every request that started before it is in the
store (the oldest request still in flight bounds it), so "complete until" never runs ahead of the data.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import logging
import math
import random
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from apexops.polling import poll_until
from apexops.sandbox.delivery import Delivery

__all__ = ["Delivery", "TelemetryReader", "TelemetryWriter", "parse_console_line", "percentile"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
  ts REAL NOT NULL, revision TEXT NOT NULL, replica TEXT NOT NULL, route TEXT NOT NULL,
  method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, duration_ms REAL NOT NULL,
  via TEXT NOT NULL, item_count INTEGER NOT NULL DEFAULT 1, ingested_at REAL);
CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts);
CREATE TABLE IF NOT EXISTS platform (
  revision TEXT NOT NULL, bucket REAL NOT NULL, requests INTEGER NOT NULL, errors_5xx INTEGER NOT NULL,
  PRIMARY KEY (revision, bucket));
CREATE TABLE IF NOT EXISTS exceptions (
  ts REAL NOT NULL, revision TEXT NOT NULL, replica TEXT NOT NULL, type TEXT NOT NULL,
  message TEXT NOT NULL, problem_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS exceptions_ts ON exceptions (ts);
CREATE TABLE IF NOT EXISTS console (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, revision TEXT NOT NULL, replica TEXT NOT NULL,
  stream TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS console_revision ON console (revision, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
"""

_REQUEST_COLUMNS = "ts, revision, replica, route, method, path, status, duration_ms, via, item_count"
#: a row is queryable once its ingestion time has passed (rows of a store older than that column: at once)
_VISIBLE = "COALESCE(ingested_at, ts) <= ?"
#: the columns the writer fills, per table (console ids take their default)
_COLUMNS = {
    "requests": _REQUEST_COLUMNS + ", ingested_at",
    "exceptions": "ts, revision, replica, type, message, problem_id",
    "console": "ts, revision, replica, stream, level, message",
}
_PREFIX = re.compile(r"^(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)[:\s]")
MAX_CONSOLE_ROWS = 200_000


def level_name(word: object, default: int = logging.INFO) -> str:
    """A console line's level as `logging` spells it (WARN reads as WARNING); anything else is `default`.

    These are log levels, the replica's vocabulary, not apexops statuses (`apexops.status`).
    """
    number = logging.getLevelNamesMapping().get(str(word).upper(), default)
    return logging.getLevelName(number if number >= logging.DEBUG else default)


def parse_console_line(
    line: str, stream: str, now: float | None = None
) -> tuple[float, str, str, dict | None]:
    """(timestamp, level, message, exception-or-None) of one console line of a replica.

    JSON lines (the service's own logging) give their level and message; an object with
    kind=exception is also an exception record. Plain lines get a level from a `LEVEL:` prefix
    (uvicorn's style), else INFO on stdout and ERROR on stderr (tracebacks, crashes).
    """
    now = time.time() if now is None else now
    text = line.rstrip("\r\n")
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            level = level_name(obj.get("level"))
            message = str(obj.get("message", ""))
            ts = now
            with contextlib.suppress(ValueError, AttributeError):  # no or a malformed `ts`: now
                ts = datetime.fromisoformat(obj.get("ts").replace("Z", "+00:00")).timestamp()
            exc = None
            if obj.get("kind") == "exception":
                exc = {
                    "type": str(obj.get("type") or obj.get("exception_type") or "Exception"),
                    "message": str(obj.get("exception_message") or message),
                    "problem_id": str(obj.get("problem_id") or ""),
                }
            return ts, level, message, exc
    m = _PREFIX.match(text)
    default = logging.ERROR if stream == "stderr" else logging.INFO
    return now, level_name(m.group(1) if m else None, default), text, None


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default) of already-sorted values; None when empty."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    if lo == hi:
        return float(sorted_values[lo])
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo))


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, timeout=5, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(SCHEMA)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(requests)")}
        if "ingested_at" not in columns:  # a store written before delivery was simulated
            conn.execute("ALTER TABLE requests ADD COLUMN ingested_at REAL")
    return conn


class TelemetryWriter:
    """Batches records in memory and writes them from one background thread."""

    def __init__(
        self,
        path: Path,
        *,
        flush_interval_s: float = 0.2,
        delivery: Delivery | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.path = Path(path)
        self.flush_interval_s = flush_interval_s
        self.delivery = delivery or Delivery()
        self._rng = rng or random.Random()
        #: requests in flight (arrival times by key): the watermark never passes the oldest of them
        self._open: dict[int, float] = {}
        self._open_lock = threading.Lock()
        self._keys = itertools.count()
        #: the latest ingestion time of any row written so far (what `flush` callers may wait out)
        self.ingested_until = 0.0
        self._queues: dict[str, collections.deque[tuple]] = {table: collections.deque() for table in _COLUMNS}
        self._requests, self._exceptions, self._console = self._queues.values()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._flushed = threading.Condition()
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._conn = connect(self.path)
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", self.delivery.meta().items()
            )
        self._last_meta = self._watermark = 0.0
        self._flushes = 0

    # -------------------------------------------------------------- hot path (event-loop thread)
    def request(
        self,
        ts: float,
        revision: str,
        replica: str,
        route: str,
        method: str,
        path: str,
        status: int,
        duration_ms: float,
        via: str,
    ) -> None:
        self._requests.append((ts, revision, replica, route, method, path, status, duration_ms, via))

    def open(self, ts: float) -> int:
        """A request arrived at `ts` and is in flight; returns the key to `close` it with (always)."""
        key = next(self._keys)
        with self._open_lock:
            self._open[key] = ts
        return key

    def close(self, key: int) -> None:
        """The request is answered and recorded (or was never recorded: a client that went away)."""
        with self._open_lock:
            self._open.pop(key, None)

    def exception(
        self, ts: float, revision: str, replica: str, type_: str, message: str, problem_id: str = ""
    ) -> None:
        self._exceptions.append((ts, revision, replica, type_, message[:4000], problem_id))

    def console(self, ts: float, revision: str, replica: str, stream: str, level: str, message: str) -> None:
        self._console.append((ts, revision, replica, stream, level, message[:8000]))

    def console_line(self, revision: str, replica: str, stream: str, line: str) -> tuple[str, str]:
        """Parse and record one raw line of a replica; returns (level, message)."""
        ts, level, message, exc = parse_console_line(line, stream)
        self.console(ts, revision, replica, stream, level, message)
        if exc is not None:
            self.exception(ts, revision, replica, exc["type"], exc["message"], exc["problem_id"])
        return level, message

    # -------------------------------------------------------------- writer thread
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="telemetry-writer", daemon=True)
        self._thread.start()

    def _deliver(self, rows: list[tuple]) -> tuple[list[tuple], list[tuple[int, int, str, float]]]:
        """The rows the store keeps (sampled, with item count and ingestion time) and the platform counts
        (every request, exact: the platform counts what it served, sampling is Application Insights')."""
        kept: list[tuple] = []
        counts: collections.Counter[tuple[str, float]] = collections.Counter()
        errors: collections.Counter[tuple[str, float]] = collections.Counter()
        d, n = self.delivery, self.delivery.item_count
        for row in rows:
            key = (row[1], d.bucket(row[0]) * d.platform_grain_s)
            counts[key] += 1
            errors[key] += row[6] >= 500
            ingested = d.draw(self._rng, row[0])
            if ingested is not None:
                kept.append((*row, n, ingested))
                self.ingested_until = max(self.ingested_until, ingested)
        return kept, [(c, errors[k], *k) for k, c in counts.items()]

    def _write_once(self) -> None:
        now = time.time()
        with self._open_lock:  # before draining: a request not in flight now and older is in the queue
            watermark = min(self._open.values(), default=now)
        batches = {table: [q.popleft() for _ in range(len(q))] for table, q in self._queues.items()}
        held = self._watermark < self._last_meta  # a request in flight held the last watermark back
        if not any(batches.values()) and now - self._last_meta < 1.0 and not held:
            return
        batches["requests"], platform = self._deliver(batches["requests"])
        with self._conn:
            for table, rows in batches.items():
                if rows:
                    marks = ",".join("?" * len(_COLUMNS[table].split(",")))
                    self._conn.executemany(f"INSERT INTO {table} ({_COLUMNS[table]}) VALUES ({marks})", rows)
            self._conn.executemany(
                "INSERT INTO platform (requests, errors_5xx, revision, bucket) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (revision, bucket) DO UPDATE SET requests = requests + excluded.requests,"
                " errors_5xx = errors_5xx + excluded.errors_5xx",
                platform,
            )
            self._conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (("last_flush", now), ("watermark", watermark)),
            )
            self._flushes += 1
            if self._flushes % 500 == 0:
                self._conn.execute(
                    "DELETE FROM console WHERE id < (SELECT MAX(id) FROM console) - ?", (MAX_CONSOLE_ROWS,)
                )
        self._last_meta, self._watermark = now, watermark

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            try:
                self._write_once()
            except sqlite3.Error:
                time.sleep(self.flush_interval_s)  # e.g. a reader holding a lock; retry next round
            with self._flushed:
                self._generation += 1
                self._flushed.notify_all()
        self._write_once()

    def flush(self, timeout_s: float = 5.0) -> None:
        """Block until everything recorded before this call is on disk (tests, `flush` API)."""
        if self._thread is None or not self._thread.is_alive():
            self._write_once()
            return

        def next_round(wait_s: float) -> None:
            self._wake.set()
            self._flushed.wait(wait_s)

        with self._flushed:
            target = self._generation + 2  # the round in progress may have drained before our records
            poll_until(lambda: self._generation >= target, timeout_s, interval_s=0.05, sleep=next_round)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        else:
            self._write_once()
        self._conn.close()


@dataclass(frozen=True)
class RequestRow:
    ts: float
    revision: str
    replica: str
    route: str
    method: str
    path: str
    status: int
    duration_ms: float
    via: str
    #: how many requests this (sampled) row stands for
    item_count: int = 1


@dataclass(frozen=True)
class RouteRow:
    """Counts of one revision on one route: rows seen, and their itemCount-weighted estimates."""

    revision: str
    route: str
    rows: int
    errors_5xx: int
    slow: int
    estimated_requests: float
    estimated_errors: float


class TelemetryReader:
    """Queries over the store by time window and revision; safe to use from any process.

    Request queries see only rows already ingested at `visible_at` (default: now), as Application Insights
    would answer at that moment.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            # an empty store: queries return nothing rather than fail; an older one gains ingested_at
            connect(self.path).close()
            self._conn = connect(self.path, readonly=True)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _rows(self, sql: str, args: Sequence[Any]) -> list[tuple]:
        return self._db().execute(sql, args).fetchall()

    @staticmethod
    def _filter(revisions: Iterable[str] | None) -> tuple[str, list[Any]]:
        if revisions is None:
            return "", []
        names = list(revisions)
        return f" AND revision IN ({','.join('?' * len(names))})", names

    @staticmethod
    def _at(visible_at: float | None) -> float:
        return time.time() if visible_at is None else visible_at

    def requests(
        self, since: float, until: float, revisions: Iterable[str] | None, visible_at: float | None = None
    ) -> list[RequestRow]:
        extra, args = self._filter(revisions)
        rows = self._rows(
            f"SELECT {_REQUEST_COLUMNS} FROM requests WHERE ts >= ? AND ts < ? AND {_VISIBLE}{extra}"
            " ORDER BY ts",
            [since, until, self._at(visible_at), *args],
        )
        return [RequestRow(*r) for r in rows]

    def stats(
        self,
        since: float,
        until: float,
        revisions: Sequence[str] | None = None,
        slow_ms: float = 2000.0,
        visible_at: float | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Per revision: requests, errors_5xx, slow (item counts), p50/p95/p99 (ms) of the rows."""
        extra, args = self._filter(revisions)
        rows = self._rows(
            "SELECT revision, status, duration_ms, item_count FROM requests"
            f" WHERE ts >= ? AND ts < ? AND {_VISIBLE}{extra}",
            [since, until, self._at(visible_at), *args],
        )
        durations: dict[str, list[float]] = collections.defaultdict(list)
        counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
        for revision, status, duration, items in rows:
            c = counts[revision]
            c[0] += items
            c[1] += items if status >= 500 else 0
            c[2] += items if duration >= slow_ms else 0
            durations[revision].append(duration)
        out: dict[str, dict[str, Any]] = {}
        for name in list(revisions or []) + [r for r in counts if r not in (revisions or [])]:
            d = sorted(durations.get(name, []))
            c = counts.get(name, [0, 0, 0])
            out[name] = {
                "requests": c[0],
                "errors_5xx": c[1],
                "slow": c[2],
                "p50_ms": percentile(d, 0.5),
                "p95_ms": percentile(d, 0.95),
                "p99_ms": percentile(d, 0.99),
            }
        return out

    def user_routes(
        self,
        since: float,
        until: float,
        revisions: Sequence[str] | None,
        slow_ms: float,
        visible_at: float | None = None,
    ) -> list[RouteRow]:
        """Per (revision, route): the users' requests only (through the app URL, never a revision URL)."""
        extra, args = self._filter(revisions)
        rows = self._rows(
            "SELECT revision, route, COUNT(*), SUM(status >= 500), SUM(duration_ms >= ?), SUM(item_count),"
            " SUM(CASE WHEN status >= 500 THEN item_count ELSE 0 END) FROM requests"
            f" WHERE ts >= ? AND ts < ? AND via = 'ingress' AND {_VISIBLE}{extra}"
            " GROUP BY revision, route ORDER BY revision, route",
            [slow_ms, since, until, self._at(visible_at), *args],
        )
        return [RouteRow(rev, route, n, e, sl, float(er), float(ee)) for rev, route, n, e, sl, er, ee in rows]

    def platform(
        self, start: float, end: float, revisions: Sequence[str] | None
    ) -> dict[str, tuple[int, int]]:
        """Per revision: (requests, 5xx) of the platform buckets starting in [start, end)."""
        extra, args = self._filter(revisions)
        rows = self._rows(
            "SELECT revision, SUM(requests), SUM(errors_5xx) FROM platform"
            f" WHERE bucket >= ? AND bucket < ?{extra} GROUP BY revision",
            [start, end, *args],
        )
        return {rev: (int(n), int(e)) for rev, n, e in rows}

    def slowest(
        self, since: float, until: float, top: int = 10, visible_at: float | None = None
    ) -> list[RequestRow]:
        rows = self._rows(
            f"SELECT {_REQUEST_COLUMNS} FROM requests WHERE ts >= ? AND ts < ? AND {_VISIBLE}"
            " ORDER BY duration_ms DESC LIMIT ?",
            (since, until, self._at(visible_at), top),
        )
        return [RequestRow(*r) for r in rows]

    def exceptions(self, since: float, until: float, limit: int = 100) -> list[tuple]:
        return self._rows(
            "SELECT ts, revision, replica, type, message, problem_id FROM exceptions"
            " WHERE ts >= ? AND ts < ? ORDER BY ts DESC LIMIT ?",
            (since, until, limit),
        )

    def console(self, revision: str | None = None, tail: int = 100, level: str | None = None) -> list[tuple]:
        """The last `tail` lines (oldest first) of a revision or the whole app, optionally one level."""
        clauses, args = [], []
        if revision is not None:
            clauses.append("revision = ?")
            args.append(revision)
        if level is not None:
            clauses.append("level = ?")
            args.append(level.upper())
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._rows(
            f"SELECT ts, revision, replica, stream, level, message FROM console{where}"
            " ORDER BY id DESC LIMIT ?",
            [*args, tail],
        )
        return rows[::-1]

    def meta(self) -> dict[str, float]:
        return {str(k): float(v) for k, v in self._db().execute("SELECT key, value FROM meta")}

    def last_flush(self) -> float | None:
        return self.meta().get("last_flush")

    def delivery(self) -> Delivery:
        """How the writer delivers (lag, jitter, sampling, platform buckets), as it recorded it."""
        return Delivery.from_meta(self.meta())

    def watermark(self) -> float | None:
        """Every request that started before this time is in the store (None: nothing written yet)."""
        meta = self.meta()
        return meta.get("watermark", meta.get("last_flush"))
