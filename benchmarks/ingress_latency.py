"""Sandbox ingress: added latency against calling a replica directly, and throughput, side by side in one run.

    . .venv/bin/activate && python benchmarks/ingress_latency.py [--requests 3000] [--seconds 3]

Starts an isolated sandbox (temporary home, free port), then:
1. latency: sequential keep-alive requests, interleaved in random order per round across three paths —
   the replica's own port (direct), the app URL (weighted ingress) and the revision URL — so noisy
   neighbours hit all three alike; prints median / p95 / p99 of each and the added latency (path minus
   direct, overall and as the median of per-round differences). Budget: <= 2 ms added at the median.
2. throughput: requests/s at a few concurrency levels, direct vs ingress, alternating three short runs each.
The client is a minimal raw-socket HTTP/1.1 client (equal cost on every path). Measured, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import tempfile
import time
from pathlib import Path

ROUTE = "/health/live"
BUDGET_MS = 2.0


def _request(path: str, host: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench\r\n\r\n".encode()


class Conn:
    """One keep-alive connection; `get()` returns the status code."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.req = _request(ROUTE, f"127.0.0.1:{port}")
        self.buf = b""

    def get(self) -> int:
        self.sock.sendall(self.req)
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.buf = rest[length:]
        return int(head.split(b" ", 2)[1])


def pct(values: list[float], q: float) -> float:
    from apexops.sandbox.telemetry import percentile

    return percentile(sorted(values), q) or 0.0


def latency(ports: dict[str, int], rounds: int) -> dict[str, list[float]]:
    conns = {name: Conn(port) for name, port in ports.items()}
    for c in conns.values():  # warm up each path (pools, caches)
        for _ in range(50):
            c.get()
    samples: dict[str, list[float]] = {name: [] for name in ports}
    order = list(ports)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            t = time.perf_counter()
            status = conns[name].get()
            samples[name].append((time.perf_counter() - t) * 1000)
            assert status == 200, (name, status)
    return samples


async def _throughput(port: int, concurrency: int, seconds: float) -> float:
    done = 0
    stop = time.monotonic() + seconds
    req = _request(ROUTE, f"127.0.0.1:{port}")

    async def worker() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.monotonic() < stop:
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            done += 1
        writer.close()

    t = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.monotonic() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=3000, help="latency rounds (one request per path each)"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each throughput run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()

    from apexops.sandbox.client import ControlClient
    from apexops.sandbox.testing import running_sandbox

    with (
        tempfile.TemporaryDirectory(prefix="apexops-bench-") as tmp,
        running_sandbox(Path(tmp), options={"flush_interval_s": 0.2}) as (settings, env),
    ):
        app = env.app.show()
        rev = env.app.get_revision(app.latest_revision_name)
        client = ControlClient(settings.sandbox_home())
        replica_port = client.call("list_replicas", revision=rev.name)[0]["port"]
        client.close()
        ports = {
            "direct (replica)": replica_port,
            "ingress (app URL)": int(app.url.rpartition(":")[2]),
            "revision URL": int(rev.url.rpartition(":")[2]),
        }
        print(f"sandbox {app.url}, revision {rev.name}, route {ROUTE}, {args.requests} rounds\n")
        samples = latency(ports, args.requests)
        direct = samples["direct (replica)"]
        print(
            f"{'path':<20} {'median ms':>10} {'p95 ms':>10} {'p99 ms':>10} {'added@median':>13} "
            f"{'paired median diff':>19}"
        )
        for name, values in samples.items():
            added = statistics.median(values) - statistics.median(direct)
            paired = statistics.median(v - d for v, d in zip(values, direct, strict=True))
            print(
                f"{name:<20} {pct(values, 0.5):>10.3f} {pct(values, 0.95):>10.3f} {pct(values, 0.99):>10.3f} "
                f"{added:>13.3f} {paired:>19.3f}"
            )
        added = statistics.median(samples["ingress (app URL)"]) - statistics.median(direct)
        verdict = "within" if added <= BUDGET_MS else "OVER"
        print(f"\ningress added {added:.3f} ms at the median: {verdict} the {BUDGET_MS:g} ms budget\n")

        try:
            import uvloop

            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        print(f"{'concurrency':>11} {'direct req/s':>13} {'ingress req/s':>14} {'ratio':>6}")
        for c in args.concurrency:
            # alternate short runs so a noisy neighbour slows both paths alike; report the mean rate
            runs: dict[str, list[float]] = {"d": [], "i": []}
            for _ in range(3):
                runs["d"].append(runner(_throughput(ports["direct (replica)"], c, args.seconds / 3)))
                runs["i"].append(runner(_throughput(ports["ingress (app URL)"], c, args.seconds / 3)))
            d, i = statistics.mean(runs["d"]), statistics.mean(runs["i"])
            print(f"{c:>11} {d:>13.0f} {i:>14.0f} {i / d:>6.2f}")
        print("\n(one replica; client, ingress and replica share this machine's cores)")


if __name__ == "__main__":
    main()
