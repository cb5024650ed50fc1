"""What a recorded run pays for the static images of its charts (issue 15: GitHub shows a PNG per chart).

    python benchmarks/chart_images.py [--runs 5] [--charts 0 1 4]

Each measurement is a fresh interpreter, as `apexops run` records a run: `chartimages.add_static_images`
on an executed notebook holding N charts shaped like 50's canary chart (7 traces of 300 points, stage
annotations), timed from the call (kaleido's import, Chromium's start, every image, the browser closed).
Median of N runs: wall clock, and CPU time (the recording process and the browser processes it reaped;
a loaded machine inflates it less), with the PNG bytes added to the notebook. A run without charts must
pay nothing.

Timings on a shared 2-core machine are noisy: read the medians. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

_CHILD = r"""
import json, math, sys, time
import nbformat
import plotly.graph_objects as go

n = int(sys.argv[1])
nb = nbformat.v4.new_notebook()
for c in range(n):
    t = [i * 2.0 for i in range(300)]
    fig = go.Figure(layout={"title": {"text": f"canary {c}: requests, errors and weight"}, "height": 520})
    for k, name in enumerate(["canary req/s", "baseline req/s", "canary 5xx %", "baseline 5xx %", "e 5xx",
                              "1/alpha", "canary weight %"]):
        fig.add_scatter(x=t, y=[abs(math.sin(i / 17 + k)) * (k + 1) for i in range(300)], name=name)
    for s, x in enumerate((0, 200, 400)):
        fig.add_annotation(x=x, y=1, yref="paper", text=f"stage {s + 1}", showarrow=False)
    cell = nbformat.v4.new_code_cell("chart")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "application/vnd.plotly.v1+json": json.loads(fig.to_json()), "text/plain": "<chart>"})]
    nb.cells.append(cell)

from apexops import chartimages

import resource

def cpu():
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))

problems = []
cpu0, started = cpu(), time.perf_counter()
chartimages.add_static_images(nb, problems)
took, cpu_s = time.perf_counter() - started, cpu() - cpu0
png = sum(len(o.data.get("image/png", "")) * 3 // 4 for c in nb.cells for o in c.outputs)
print(json.dumps({"seconds": took, "cpu_s": cpu_s, "png_bytes": png, "problems": problems,
                  "kaleido_loaded": "kaleido" in sys.modules}))
"""


def _measure(charts: int) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(charts)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--charts", type=int, nargs="+", default=[0, 1, 4])
    args = parser.parse_args()
    print(f"static chart images at recording time, fresh interpreter per run, median of {args.runs}")
    print(f"  (load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs)")
    for charts in args.charts:
        results = [_measure(charts) for _ in range(args.runs)]
        seconds = [float(r["seconds"]) for r in results]  # type: ignore[arg-type]
        cpu = statistics.median(float(r["cpu_s"]) for r in results)  # type: ignore[arg-type]
        problems = {p for r in results for p in r["problems"]}  # type: ignore[attr-defined]
        med = statistics.median(seconds)
        per_chart = f"   {med / charts:5.2f} s per chart" if charts else ""
        png_kb = int(results[0]["png_bytes"]) / 1024  # type: ignore[call-overload]
        print(
            f"  {charts} chart{'s' if charts != 1 else ' '}: median {med:6.2f} s   min {min(seconds):6.2f}"
            f"   max {max(seconds):6.2f}{per_chart}   CPU {cpu:5.2f} s   PNG {png_kb:6.0f} kB"
            f"   kaleido loaded: {results[0]['kaleido_loaded']}"
        )
        for problem in sorted(problems):
            print(f"    problem: {problem}")


if __name__ == "__main__":
    main()
