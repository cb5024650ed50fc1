"""The migration linter on real Alembic histories, scored against hand-written expectations.

    .venv/bin/python benchmarks/migration_corpus.py [corpus ...] [--modes op,postgresql,mssql]

Each corpus under tests/migrations/corpora/<name>/ is a public Alembic history (vendored with its licence)
and an `expectations.yaml` written by reading its revisions: per revision and phase (upgrade, downgrade)
the findings a careful reviewer must get (`must`, with the minimum severity) and the ones that must not
fire (`must_not`, optionally with the highest severity allowed, `max`).

Every revision is linted on its own (as a plan lints its pending revisions), in both phases, in three
modes: the operation level (no preview), and rendered SQL for PostgreSQL and for SQL Server (offline
rendering of just that revision). Printed per corpus and mode: recall of `must` entries, over-severity and
unexpected-finding shares of the `must_not` set, load failures (revisions that do not import: each is one
MIG-031 finding; a failure that stops the whole history is counted separately and must be 0), and the lint
time per history (rendering is timed separately: it is Alembic's work, not the linter's). PASS/FAIL lines
compare against issue 16's targets.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apexops.migrations import LintOptions, lint, render  # noqa: E402
from apexops.migrations._alembic import RevisionInfo, revision_info, script_directory  # noqa: E402
from apexops.migrations._opscan import _SCANS  # noqa: E402
from apexops.migrations.rules import Finding  # noqa: E402

CORPORA = ROOT / "tests" / "migrations" / "corpora"
MODES = ("op", "postgresql", "mssql")
RANK = {"block": 3, "acknowledge": 2, "warn": 1, "info": 0}
TARGETS = {"recall": 0.97, "over_severity": 0.01, "unexpected": 0.02, "lint_seconds_300": 5.0}


@dataclass
class Score:
    must: int = 0
    met: int = 0
    must_not: int = 0
    over: int = 0
    unexpected: int = 0
    missed: list[str] = field(default_factory=list)
    noisy: list[str] = field(default_factory=list)


def _dialect(mode: str) -> str:
    return "postgresql" if mode == "op" else mode


def parse_entry(raw: str | dict[str, Any], default_level: str) -> dict[str, Any]:
    """'MIG-002 runs.lifecycle_stage block @postgresql+mssql' -> rule, object, level, modes.

    The level is the minimum severity of a `must` entry, the highest allowed of a `must_not` entry (a
    `must_not` entry without one must not fire at all)."""
    if isinstance(raw, dict):
        return raw
    entry: dict[str, Any] = {}
    words = raw.split()
    entry["rule"] = words.pop(0)
    for word in words:
        if word.startswith("@"):
            entry["modes"] = word[1:].replace(",", "+").split("+")
        elif word in RANK:
            entry[default_level] = word
        else:
            entry["object"] = word
    return entry


def _matches(f: Finding, entry: dict[str, Any]) -> bool:
    if f.rule != entry["rule"]:
        return False
    wanted = str(entry.get("object", "")).lower()
    return not wanted or wanted in f.object.lower() or wanted in f.excerpt.lower()


def _applies(entry: dict[str, Any], mode: str) -> bool:
    modes = entry.get("modes")
    return not modes or mode in modes


def score(findings: Iterable[Finding], entries: dict[str, Any], mode: str, where: str, out: Score) -> None:
    found = list(findings)
    for raw in entries.get("must", []) or []:
        entry = parse_entry(raw, "min")
        if not _applies(entry, mode):
            continue
        out.must += 1
        need = RANK[entry.get("min", "info")]
        if any(_matches(f, entry) and RANK[str(f.severity)] >= need for f in found):
            out.met += 1
        else:
            got = [f"{f.rule}:{f.severity}:{f.object}" for f in found if f.rule == entry["rule"]]
            out.missed.append(f"{where} {entry} got {got}")
    for raw in entries.get("must_not", []) or []:
        entry = parse_entry(raw, "max")
        if not _applies(entry, mode):
            continue
        out.must_not += 1
        hits = [f for f in found if _matches(f, entry)]
        if not hits:
            continue
        if "max" in entry:
            if any(RANK[str(f.severity)] > RANK[entry["max"]] for f in hits):
                out.over += 1
                out.noisy.append(f"{where} over {entry}: {[f'{f.severity}:{f.object}' for f in hits]}")
        else:
            out.unexpected += 1
            out.noisy.append(f"{where} unexpected {entry}: {[f'{f.severity}:{f.object}' for f in hits]}")


def _revisions(folder: Path) -> list[RevisionInfo]:
    sd = script_directory(folder)
    return [revision_info(s) for s in reversed(list(sd.walk_revisions()))]


def _render(folder: Path, info: RevisionInfo, dialect: str, direction: str) -> Any:
    if direction == "upgrade":
        return render(dialect, start=info.down_revisions, target=info.revision, script_dir=folder,
                      lock_timeout_ms=5000)  # fmt: skip
    target = info.down_revisions[0] if info.down_revisions else "base"
    return render(dialect, "downgrade", start=(info.revision,), target=target, script_dir=folder,
                  lock_timeout_ms=5000)  # fmt: skip


def run_corpus(name: str, modes: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    folder = CORPORA / name
    # BaseLoader: every scalar stays a string (revision ids like 686269002441 or 0123abc are not numbers)
    expectations = yaml.load((folder / "expectations.yaml").read_text(), Loader=yaml.BaseLoader)
    per_rev = expectations.get("revisions", {}) or {}
    try:
        revisions = _revisions(folder)
        stopped = 0
    except Exception as exc:  # the whole history failed to load
        print(f"{name}: history failed to load: {exc}")
        revisions, stopped = [], 1
    known = {r.revision for r in revisions}
    unknown = sorted(set(per_rev) - known)
    if unknown:
        print(f"{name}: expectations name unknown revisions {unknown[:5]}")
    load_failures = sum(1 for r in revisions if r.load_error)
    for mode in modes:
        _SCANS.clear()  # each mode pays for reading every revision file once
        dialect = _dialect(mode)
        result = Score()
        lint_s = lint_cpu = render_s = 0.0
        render_errors = 0
        for direction in ("upgrade", "downgrade"):
            for info in revisions:
                preview = None
                if mode != "op":
                    t0 = time.perf_counter()
                    try:
                        preview = _render(folder, info, dialect, direction)
                    except Exception:  # e.g. a downgrade past a branch point: lint without the SQL
                        preview = None
                    render_s += time.perf_counter() - t0
                    render_errors += bool(preview is None or preview.error)
                options = LintOptions(dialect, direction=direction, target=info.revision)
                t0, c0 = time.perf_counter(), time.process_time()
                report = lint([info], preview, options)
                lint_s += time.perf_counter() - t0
                lint_cpu += time.process_time() - c0
                entries = (per_rev.get(info.revision) or {}).get(direction) or {}
                score(report.findings, entries, mode, f"{info.revision}/{direction}", result)
        yield (
            mode,
            {
                "revisions": len(revisions),
                "score": result,
                "lint_s": lint_s,
                "lint_cpu": lint_cpu,
                "render_s": render_s,
                "render_errors": render_errors,
                "load_failures": load_failures,
                "stopped": stopped,
            },
        )


def _pf(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="*", help="corpus names (default: all with expectations.yaml)")
    parser.add_argument("--modes", default=",".join(MODES), help="op,postgresql,mssql")
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses and noise")
    args = parser.parse_args(argv)
    names = args.corpora or sorted(p.parent.name for p in CORPORA.glob("*/expectations.yaml"))
    modes = [m for m in args.modes.split(",") if m]
    failed = False
    for name in names:
        for mode, r in run_corpus(name, modes):
            s: Score = r["score"]
            recall = s.met / s.must if s.must else 1.0
            over = s.over / s.must_not if s.must_not else 0.0
            unexpected = s.unexpected / s.must_not if s.must_not else 0.0
            # the speed target: <= 5 s for a ~300-revision history (a larger one gets a proportional budget)
            budget = TARGETS["lint_seconds_300"] * max(1.0, r["revisions"] / 300)
            checks = [
                (
                    f"recall {recall:.3f} ({s.met}/{s.must}) >= {TARGETS['recall']}",
                    recall >= TARGETS["recall"],
                ),
                (f"over-severity {over:.3%} ({s.over}/{s.must_not}) <= 1%", over <= TARGETS["over_severity"]),
                (
                    f"unexpected {unexpected:.3%} ({s.unexpected}/{s.must_not}) <= 2%",
                    unexpected <= TARGETS["unexpected"],
                ),
                (
                    f"load failures stopping the history: {r['stopped']} (revisions not importable: "
                    f"{r['load_failures']}, each one MIG-031 finding)",
                    r["stopped"] == 0,
                ),
                (
                    f"lint time {r['lint_s']:.2f} s wall, {r['lint_cpu']:.2f} s CPU for "
                    f"{r['revisions']} revisions x 2 phases <= {budget:.0f} s "
                    f"(rendering, Alembic's part: {r['render_s']:.1f} s, "
                    f"{r['render_errors']} renders incomplete)",
                    r["lint_s"] <= budget,
                ),
            ]
            print(f"== {name} [{mode}]")
            for text, ok in checks:
                failed |= not ok
                print(f"  {_pf(ok)}  {text}")
            if args.verbose:
                for line in s.missed + s.noisy:
                    print(f"     - {line}")
    print("OVERALL", _pf(not failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
