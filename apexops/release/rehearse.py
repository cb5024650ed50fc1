"""A rehearsal of procedure 90: the whole release run approved on an environment already at its baseline,
with a scenario saying what goes wrong, then the records checked against what the scenario expects.

    result = run_rehearsal(scenario("canary-errors"), env, outputs=out, on_event=show)
    result.ok          # the chain ended the way the scenario expects (a planned rollback that rolled back)
    result.run         # the 90 run (its own outcome stays honest: a rolled-back release is a failed release)

The checks read the records: the children that ran and their outcomes, the verdict, the parent/child links
in the ledger, the traffic at the end, and the ledger's hash chain and digests. Nothing here knows which
target it runs on: bringing an environment to the baseline and providing the scenarios' images is the
target's part (`apexops rehearse` does it for the sandbox, in `apexops.sandbox.rehearsal`).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from apexops.kernel import NoteWatch
from apexops.ledger import Ledger
from apexops.release.chain import ReleaseOutcome
from apexops.release.orchestrator import EVENTS_ENV, read_traffic
from apexops.release.scenarios import REHEARSAL_MIGRATIONS, Scenario, check_expectation
from apexops.runner import RunInterrupted, run_procedure
from apexops.status import Outcome

__all__ = ["Check", "EventTail", "RehearsalResult", "TrafficWatch", "run_rehearsal"]

Say = Callable[[str], None]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class RehearsalResult:
    scenario: Scenario
    run: Any  # the 90 run's RunResult
    children: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    prepared: str = ""
    outputs: Path | None = None
    #: the 90 run's wall clock as this process saw it (validation, kernel, children, recording)
    release_s: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def interrupted(self) -> bool:
        return getattr(self.run, "outcome", None) == Outcome.INTERRUPTED

    @property
    def exit_code(self) -> int:
        """0: the chain ended as the scenario expects; 1: it did not; 130: interrupted."""
        if self.interrupted:
            return 130
        return 0 if self.ok else 1


# --------------------------------------------------------------------------- progress from the 90 kernel


class EventTail:
    """Follows the release's JSON-lines event file (written inside the 90 kernel) from this process."""

    def __init__(
        self, path: Path, callback: Callable[[dict[str, Any]], None], interval_s: float = 0.2
    ) -> None:
        self.path, self.callback, self.interval_s = path, callback, interval_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._offset = 0
        self._thread = threading.Thread(target=self._loop, name="apexops-release-events", daemon=True)

    def drain(self) -> None:
        """Deliver every complete line written so far (from the tail thread or the caller's)."""
        with self._lock, contextlib.suppress(OSError), self.path.open("r", encoding="utf-8") as fh:
            fh.seek(self._offset)
            for line in iter(fh.readline, ""):
                if not line.endswith("\n"):
                    break  # a line still being written: read it whole next time
                self._offset = fh.tell()
                with contextlib.suppress(Exception):  # a bad line or a display problem never stops it
                    self.callback(json.loads(line))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.drain()

    def __enter__(self) -> EventTail:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.drain()


class TrafficWatch:
    """Reads the traffic list once a second while the release runs and reports each change: the canary's
    stages (10% → 50% → 100%) and a rollback show live, without reaching into the 50 kernel."""

    def __init__(self, app: Any, callback: Callable[[dict[str, int]], None], interval_s: float = 1.0) -> None:
        self.app, self.callback, self.interval_s = app, callback, interval_s
        self._stop = threading.Event()
        self._last: dict[str, int] | None = None
        self._thread = threading.Thread(target=self._loop, name="apexops-traffic-watch", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                now = read_traffic(self.app)
            except Exception:  # the target busy or restarting: try again next second
                continue
            if self._last is not None and now != self._last:
                with contextlib.suppress(Exception):
                    self.callback(now)
            self._last = now

    def __enter__(self) -> TrafficWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def _events_file() -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix="apexops-release-", suffix=".jsonl")
    os.close(fd)
    saved = os.environ.get(EVENTS_ENV)
    os.environ[EVENTS_ENV] = name
    try:
        yield Path(name)
    finally:
        if saved is None:
            os.environ.pop(EVENTS_ENV, None)
        else:
            os.environ[EVENTS_ENV] = saved
        Path(name).unlink(missing_ok=True)


def _progress_event(on_event: Callable[[dict[str, Any]], None], note: dict[str, Any]) -> None:
    """A child's progress note (`apexops.kernel.note_progress`: what 50's judge sees during a stage) as a
    `progress` event, for the display's spinner line."""
    on_event({"kind": "progress", "procedure": str(note.get("procedure") or ""), "text": note.get("text")})


# --------------------------------------------------------------------------- the rehearsal


def _checks(
    sc: Scenario,
    run: Any,
    facts: Mapping[str, Any],
    children: list[dict[str, Any]],
    *,
    before: Mapping[str, int],
    after: Mapping[str, int],
) -> list[Check]:
    checks = [Check(*c) for c in check_expectation(sc, facts)]
    promotes = sc.expect_verdict is ReleaseOutcome.PROMOTED
    want = Outcome.SUCCEEDED if promotes else Outcome.FAILED
    checks.append(Check("90 run outcome", run.outcome == want, f"{run.outcome} (expected {want})"))
    recorded = list(facts.get("child_run_ids") or [])
    linked = [c.get("run_id") for c in children]
    ok = bool(recorded) and linked == recorded and all(c.get("parent_run_id") == run.run_id for c in children)
    checks.append(Check("ledger links", ok, f"{len(linked)} child run(s) name {run.run_id} as parent"))
    new = (facts.get("release") or {}).get("new_revision")
    expect = {new: 100} if promotes else dict(before)
    shown = ", ".join(f"{k}={v}%" for k, v in after.items()) or "none"
    where = "the new revision at 100%" if promotes else "as before the release"
    checks.append(Check("traffic at the end", dict(after) == expect, f"{shown} (expected {where})"))
    return checks


def run_rehearsal(
    sc: Scenario,
    env: Any,
    *,
    outputs: Path,
    prepared: str = "",
    on_event: Callable[[dict[str, Any]], None] | None = None,
    on_step: Say | None = None,
    on_traffic: Callable[[dict[str, int]], None] | None = None,
) -> RehearsalResult:
    """Run 90-release approved for the scenario on `env` (at its baseline) and check how it ended.

    `on_step` gets the 90 run's steps, `on_event` each child's events (start / step / end / skip /
    decision / done, and `progress`: a child's latest progress note, e.g. what 50's judge sees),
    `on_traffic` each change of the traffic weights. An interrupt is recorded and
    returned (exit code 130), not raised.
    """
    environment = env.settings.environment
    params: dict[str, Any] = {
        "env": environment,
        "dry_run": False,
        "image_tag": sc.image_tag,
        "approval": f"RELEASE {sc.image_tag} TO {environment}",
    }
    if sc.blocking_migration:
        params["migrations_dir"] = str(REHEARSAL_MIGRATIONS)
    before = read_traffic(env.app)
    watch = TrafficWatch(env.app, on_traffic) if on_traffic else contextlib.nullcontext()
    notes = NoteWatch(outputs, partial(_progress_event, on_event or (lambda _e: None)))
    with _events_file() as events, EventTail(events, on_event or (lambda _e: None)) as tail, watch, notes:

        def step(message: str) -> None:
            if notes.run_id is None and message.startswith("run ") and ":" in message:
                notes.run_id = message[4:].split(":", 1)[0]  # the runner names the 90 run first
            tail.drain()  # the children's events first, so the lines come out in order
            if on_step is not None:
                on_step(message)

        started = time.perf_counter()
        try:
            run = run_procedure(
                "90-release", env=environment, parameters=params, outputs=outputs, progress=step
            )
        except RunInterrupted as stop:
            run = stop.result
        release_s = time.perf_counter() - started
    ledger = Ledger(outputs)
    children = [e for e in ledger.entries() if e.get("parent_run_id") == run.run_id]
    result = RehearsalResult(sc, run, children, prepared=prepared, outputs=outputs, release_s=release_s)
    if result.interrupted:
        return result
    try:
        after = read_traffic(env.app)
    except Exception as exc:  # reported as a failed check, not a crash
        after = {f"unreadable: {exc}": 0}
    result.checks = _checks(sc, run, run.facts, children, before=before, after=after)
    report = ledger.verify(artifacts=True)
    result.checks.append(Check("ledger verifies", report.ok, report.summary()))
    return result
