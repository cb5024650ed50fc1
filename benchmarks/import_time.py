"""How fast apexops starts, and what the runner adds to a procedure, measured side by side.

    python benchmarks/import_time.py [--runs 15] [--notebook-runs 5]

1. `import apexops` in fresh interpreters (warm .pyc): median and spread of N, against the 150 ms budget,
   next to the bare interpreter start and to the heavy imports apexops keeps out of it.
2. The runner's per-run overhead on a trivial notebook (one `pass` cell), in a warm process: a bare
   `papermill.execute_notebook` vs `apexops.runner.run_procedure` (which adds validation, metadata, secret
   scrubbing, the offline HTML, the ledger line and the index), against the 3 s budget.

Timings on a shared 2-core machine are noisy: read the medians, not single runs. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMPORT_BUDGET_MS = 150.0
OVERHEAD_BUDGET_S = 3.0


def _timed_import(statement: str, runs: int) -> list[float]:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        out.append(float(done.stdout.strip()) * 1000)
    return out


def _interpreter_start(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        out.append((time.perf_counter() - t) * 1000)
    return out


def _row(label: str, values: list[float], unit: str, budget: float | None = None) -> str:
    med = statistics.median(values)
    verdict = "" if budget is None else ("  within budget" if med <= budget else "  OVER BUDGET")
    return (
        f"  {label:<52} median {med:8.1f} {unit}   min {min(values):8.1f}   max {max(values):8.1f}"
        f"{'' if budget is None else f'   budget {budget:g} {unit}'}{verdict}"
    )


def _trivial_notebook(folder: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = new_code_cell('env = "local"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# 01 Trivial"), params, new_code_cell("pass")]
    path = folder / "01-trivial.ipynb"
    nbformat.write(nb, str(path))
    return path


def bench_imports(runs: int) -> None:
    print(f"1. import time, fresh interpreters ({sys.executable}), {runs} runs each")
    _timed_import("import apexops", 2)  # warm the .pyc files
    print(_row("import apexops", _timed_import("import apexops", runs), "ms", IMPORT_BUDGET_MS))
    print(_row("python -c pass (interpreter start, for scale)", _interpreter_start(runs), "ms"))
    for heavy in ("import papermill", "import pandas", "import apexops.runner"):
        print(_row(f"{heavy} (kept out of `import apexops`)", _timed_import(heavy, max(3, runs // 3)), "ms"))


def bench_runner(runs: int) -> None:
    import papermill as pm

    from apexops.runner import run_procedure

    print(f"\n2. per-run overhead on a trivial notebook, warm process, {runs} runs each")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        nb = _trivial_notebook(folder)
        os.environ["APEXOPS_OUTPUTS"] = str(folder / "outputs")
        bare, runner, recording = [], [], []
        for i in range(runs):
            t = time.perf_counter()
            pm.execute_notebook(
                str(nb), str(folder / f"bare{i}.ipynb"), kernel_name="python3", progress_bar=False
            )
            bare.append(time.perf_counter() - t)
            marks: dict[str, float] = {}

            def progress(message: str, marks: dict[str, float] = marks) -> None:
                if message.startswith("recording"):
                    marks["recording"] = time.perf_counter()

            t = time.perf_counter()
            result = run_procedure(str(nb), outputs=folder / "outputs", progress=progress)
            end = time.perf_counter()
            runner.append(end - t)
            recording.append(end - marks["recording"])
            assert result.outcome == "succeeded", result.error
        print(_row("papermill.execute_notebook (kernel start + run)", bare, "s"))
        print(_row("apexops run_procedure (the same, audited)", runner, "s", OVERHEAD_BUDGET_S))
        print(_row("  of which recording (scrub, HTML, ledger, index)", recording, "s"))
        print(
            _row(
                "  difference of the medians above",
                [statistics.median(runner) - statistics.median(bare)],
                "s",
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per import measurement")
    parser.add_argument("--notebook-runs", type=int, default=5, help="notebook runs per runner measurement")
    args = parser.parse_args()
    bench_imports(args.runs)
    bench_runner(args.notebook_runs)


if __name__ == "__main__":
    main()
