"""The shared audit trail on Azurite: publishing one run, and reading 1,000 runs back.

    . .venv/bin/activate && python benchmarks/shared_audit.py [--repeat 10] [--runs 1000]

In a temporary sandbox home with only Azurite running (the sandbox's Blob Storage), as a run and a reviewer
use it:
  publish one run     `publish_recorded` as `apexops.recording` calls it right after the local ledger line:
                      the environment's store found, the run's folder listed, its artifacts uploaded (the
                      executed notebook, a 5 MB HTML, three evidence files), its line appended with the
                      conditional append, the head moved, the receipts written. Measured on an empty shared
                      ledger and again once it holds --runs lines (the tail read keeps it flat).
  runs list --shared  `python -m apexops runs list --shared` in a new process over --runs published lines
                      (~2 KB each, ten artifacts apiece): interpreter, imports, download, parse, table.
  verify --shared     `python -m apexops runs verify --shared --no-artifacts` over the same ledger.
Targets (issue 13): publish <= 1 s median; runs list --shared over 1,000 runs <= 2 s. Medians, measured,
not asserted (the machine is shared; see the load average printed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HTML_BYTES = 5 * 1024 * 1024


def _record(outputs: Path, n: int) -> str:
    """A run as the runner leaves it: notebook, 5 MB HTML, evidence; its ledger line appended."""
    from apexops.ledger import Ledger, file_digest

    run_id = uuid.uuid4().hex[:10]
    folder = outputs / "runs" / "2026-12-05" / f"20261205T000000Z_40-smoke-tests_local_succeeded_{run_id}"
    (folder / "evidence").mkdir(parents=True)
    (folder / f"{folder.name}.ipynb").write_text(json.dumps({"cells": [{"source": "x" * 200}] * 200}))
    (folder / f"{folder.name}.html").write_bytes(os.urandom(HTML_BYTES // 2).hex().encode()[:HTML_BYTES])
    for name, size in (("requests.csv", 60_000), ("checks.json", 4_000), ("summary.txt", 800)):
        (folder / "evidence" / name).write_bytes(b"e" * size)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    Ledger(outputs).append(
        {
            "run_id": run_id,
            "procedure": "40-smoke-tests",
            "environment": "local",
            "operator": "bench",
            "outcome": "succeeded",
            "started_at": "2026-12-05T00:00:00+00:00",
            "duration_s": 12.5,
            "facts": {"n": n},
            "run_dir": folder.relative_to(outputs).as_posix(),
            "artifacts": {p.relative_to(outputs).as_posix(): file_digest(p) for p in files},
        }
    )
    return run_id


def _fill(count: int) -> None:
    """`count` published lines of realistic size (appended directly: their artifacts are not the point)."""
    from apexops.ledger import canonical_line
    from apexops.shared.publish import shared_for

    shared = shared_for("local")
    for n in range(count):
        run_id = uuid.uuid4().hex[:10]
        run_dir = f"runs/2026-12-05/20261205T{n:06d}Z_50-traffic-shifting_local_succeeded_{run_id}"
        entry = {
            "run_id": run_id,
            "procedure": "50-traffic-shifting",
            "environment": "local",
            "operator": f"oncall-{n % 3}",
            "outcome": "succeeded" if n % 7 else "failed",
            "started_at": "2026-12-05T00:00:00+00:00",
            "duration_s": 300.0 + n,
            "parameters": {"env": "local", "dry_run": False, "target_revision": f"apex--v1-2-{n % 9}"},
            "facts": {"verdict": {"status": "PASS", "reasons": ["every stage within the SLO"]}, "n": n},
            "run_dir": run_dir,
            "artifacts": {f"{run_dir}/evidence/stage{i}.json": hashlib.sha256(f"{n}{i}".encode()).hexdigest()
                          for i in range(10)},
        }  # fmt: skip
        shared.append(canonical_line(entry), origin=f"bench-{n % 3}:/outputs")


def _publish_times(outputs: Path, repeat: int) -> list[float]:
    from apexops.shared.publish import publish_recorded

    times = []
    for n in range(repeat):
        run_id = _record(outputs, n)
        t0 = time.perf_counter()
        done = publish_recorded(outputs, "local", run_id)
        times.append(time.perf_counter() - t0)
        assert done is not None and done.ok, done
    return times


def _cli_times(args: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "apexops", *args], capture_output=True, text=True, check=False
        )
        times.append(time.perf_counter() - t0)
        assert done.returncode == 0, done.stderr
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    from apexops.sandbox import azurite

    with tempfile.TemporaryDirectory(prefix="apexops-bench-audit-") as tmp:
        home, outputs = Path(tmp) / "home", Path(tmp) / "outputs"
        os.environ["APEXOPS_SANDBOX_HOME"] = str(home)
        os.environ["APEXOPS_OUTPUTS"] = str(outputs)
        azurite.start(home)
        try:
            empty = _publish_times(outputs, args.repeat)
            t0 = time.perf_counter()
            _fill(args.runs)
            fill_s = time.perf_counter() - t0
            full = _publish_times(outputs, args.repeat)
            listing = _cli_times(["runs", "list", "--shared"], max(3, args.repeat // 2))
            verify = _cli_times(["runs", "verify", "--shared", "--no-artifacts"], 3)
            import_only = _cli_times(["runs", "list", "--help"], 3)
        finally:
            azurite.stop(home)
    total = args.runs + 2 * args.repeat
    print(f"\npublish one run (notebook + 5 MB HTML + 3 evidence files), median of {args.repeat}:")
    print(f"  empty shared ledger      {statistics.median(empty):.3f} s   (max {max(empty):.3f} s)")
    lines = args.runs + args.repeat
    print(f"  {lines:>5} lines already      {statistics.median(full):.3f} s   (max {max(full):.3f} s)")
    print(f"appending {args.runs} lines one by one: {fill_s:.2f} s ({1000 * fill_s / args.runs:.1f} ms each)")
    print(f"\nover {total} published runs, each a new process:")
    print(f"  runs list --shared       {statistics.median(listing):.3f} s")
    print(f"  runs verify --shared     {statistics.median(verify):.3f} s   (no artifacts)")
    print(
        f"  (runs list --help        {statistics.median(import_only):.3f} s: interpreter and imports alone)"
    )
    print("targets: publish <= 1 s; runs list --shared over 1,000 runs <= 2 s")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
