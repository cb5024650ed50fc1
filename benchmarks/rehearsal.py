"""The happy-path rehearsal's wall clock, and what papermill costs per child beyond the child's own work.

    . .venv/bin/activate && python benchmarks/rehearsal.py [--repeat 3]

Each repeat runs `apexops.sandbox.rehearsal.rehearse("none")` in-process against a fresh sandbox home on a
free port (so the sandbox's cold start is included, as on a fresh machine) with a fresh outputs folder:
  rehearsal           from the call to the verdict: sandbox up, images, the 90 run with its four children,
                      the rehearsal's checks (ledger verification included)
  + CLI start         `apexops rehearse --list` as a subprocess: interpreter, typer, rich, apexops imports;
                      added to the rehearsal for the figure a user sees from the shell
Per child (and for the 90 run itself):
  wall                the parent's view: from just before `run_procedure` to just after it returned
                      (from the release's start/end events; for 90, `RehearsalResult.release_s`)
  cells               the sum of the executed notebook's cell durations (papermill metadata)
  overhead            wall - cells: parameter validation, kernel start, per-cell saves, secret scrubbing,
                      HTML export, ledger append and index regeneration (for 90 also the one-time import
                      of papermill/nbformat/nbconvert in the calling process, printed separately)
Budgets (DESIGN §8): the whole rehearsal <= 90 s; each child's overhead <= 3 s. Measured, not asserted: the
machine is shared (the load average is printed). Medians over --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REHEARSAL_BUDGET_S = 90.0
OVERHEAD_BUDGET_S = 3.0


def cell_seconds(notebook: Path) -> float:
    """Sum of papermill's per-cell durations in an executed notebook."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return sum(
        float((c.get("metadata", {}).get("papermill") or {}).get("duration") or 0.0) for c in nb["cells"]
    )


def one_run() -> dict[str, float]:
    from apexops.ledger import Ledger
    from apexops.sandbox import lifecycle
    from apexops.sandbox.daemon import DaemonOptions
    from apexops.sandbox.rehearsal import rehearse
    from apexops.sandbox.supervisor import free_port
    from apexops.settings import load_settings

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="apexops-bench-rehearsal-") as tmp:
        os.environ["APEXOPS_SANDBOX_HOME"] = str(Path(tmp) / "sandbox")
        os.environ["APEXOPS_SANDBOX_PORT"] = str(free_port())
        outputs = Path(tmp) / "outputs"
        events: list[dict] = []
        try:
            t = time.perf_counter()
            result = rehearse(
                "none", outputs=outputs, on_event=events.append, options=DaemonOptions(owner_pid=os.getpid())
            )
            out["rehearsal"] = time.perf_counter() - t
        finally:
            lifecycle.down(load_settings("local"))
        if not result.ok:
            raise SystemExit(f"the rehearsal did not end as expected: {result.checks}")
        entries = {e["run_id"]: e for e in Ledger(outputs).entries()}
        starts = {e["procedure"]: e for e in events if e["kind"] == "start"}
        for end in (e for e in events if e["kind"] == "end"):
            proc = end["procedure"]
            wall = (
                datetime.fromisoformat(end["at"]) - datetime.fromisoformat(starts[proc]["at"])
            ).total_seconds()
            entry = entries[end["run_id"]]
            notebook = next(p for p in entry["artifacts"] if p.endswith(".ipynb") and "/evidence/" not in p)
            cells = cell_seconds(outputs / notebook)
            out[f"{proc} wall"], out[f"{proc} cells"], out[f"{proc} overhead"] = wall, cells, wall - cells
        run = result.run
        notebook = next(
            p for p in run.ledger_line["artifacts"] if p.endswith(".ipynb") and "/evidence/" not in p
        )
        cells = cell_seconds(outputs / notebook)
        out["90-release wall"], out["90-release cells"] = result.release_s, cells
        out["90-release overhead"] = result.release_s - cells  # its cells include the children's walls
    return out


def runner_imports() -> float:
    """What the first `run_procedure` of a process pays once: papermill, nbformat, nbconvert imports."""
    code = (
        "import time; t = time.perf_counter(); import papermill, nbformat, nbconvert; "
        "print(time.perf_counter() - t)"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(done.stdout.strip())


def cli_start() -> float:
    t = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).with_name("apexops")), "rehearse", "--list"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.repeat)]
    cli = statistics.median(cli_start() for _ in range(3))
    imports = statistics.median(runner_imports() for _ in range(3))
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    load = os.getloadavg()
    print(
        f"happy-path rehearsal, median of {args.repeat} run(s); "
        f"load average {load[0]:.2f} {load[1]:.2f} (2 cores)"
    )
    print()
    total = med["rehearsal"] + cli
    print(f"{'':34}{'measured':>10}{'budget':>10}  ok")
    print(f"{'rehearsal (in-process, cold up)':34}{med['rehearsal']:>9.1f}s")
    print(f"{'+ CLI start (apexops rehearse)':34}{cli:>9.1f}s")
    ok = "yes" if total <= REHEARSAL_BUDGET_S else "NO"
    print(f"{'= rehearsal as run from the shell':34}{total:>9.1f}s{REHEARSAL_BUDGET_S:>9.0f}s  {ok}")
    print()
    print(f"{'child':30}{'wall':>8}{'cells':>8}{'overhead':>10}{'budget':>8}  ok   overhead per run")
    for proc in sorted({k.rsplit(" ", 1)[0] for k in med if k.endswith(" overhead")}):
        overhead = med[f"{proc} overhead"]
        ok = "yes" if overhead <= OVERHEAD_BUDGET_S else "NO "
        each = " ".join(f"{r[f'{proc} overhead']:.1f}" for r in runs)
        print(
            f"{proc:30}{med[f'{proc} wall']:>7.1f}s{med[f'{proc} cells']:>7.1f}s{overhead:>9.1f}s"
            f"{OVERHEAD_BUDGET_S:>7.0f}s  {ok}  {each}"
        )
    print("(medians per column; the overhead's median is over the per-run differences)")
    print(
        "(90-release's cells include its children's wall clocks; its overhead is its own kernel and records,"
    )
    print(f" plus the one-time papermill/nbformat/nbconvert import of the calling process: {imports:.1f} s)")


if __name__ == "__main__":
    main()
