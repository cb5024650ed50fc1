"""`apexops rehearse`: the whole release (procedure 90) on the sandbox, with a chosen thing going wrong.

    result = rehearse("canary-errors", say=print, on_event=show)
    result.ok          # the chain ended the way the scenario expects (a planned rollback that rolled back)
    result.run         # the 90 run (its own outcome stays honest: a rolled-back release is a failed release)

Steps: bring the sandbox up if it is not running; make sure it is at the baseline release (the database
at `sandbox.baseline_migration`, one revision of `sandbox.baseline_image_tag` serving 100%, nothing else
active) and reset it when it is not (a previous rehearsal leaves the new release, or a failed revision,
behind; a reset keeps the identity key and takes about two seconds); register the scenarios' custom images;
run 90-release approved (it is the sandbox) with the environment's compressed canary stages; then check the
records: the children that ran and their outcomes, the verdict, the parent/child links in the ledger, the
traffic at the end, and the ledger's hash chain and digests.
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
from pathlib import Path
from typing import Any

from apexops.errors import ConfigError
from apexops.release.scenarios import (
    REHEARSAL_MIGRATIONS,
    Scenario,
    check_expectation,
    rehearsal_images,
    scenario,
)

__all__ = [
    "Check",
    "EventTail",
    "RehearsalResult",
    "TrafficWatch",
    "baseline_problems",
    "prepare_sandbox",
    "rehearse",
]

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
        return getattr(self.run, "outcome", None) == "interrupted"

    @property
    def exit_code(self) -> int:
        """0: the chain ended as the scenario expects; 1: it did not; 130: interrupted."""
        if self.interrupted:
            return 130
        return 0 if self.ok else 1


# --------------------------------------------------------------------------- the sandbox at the baseline


def _current_heads(env: Any) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    engine = env.database.engine()
    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def baseline_problems(settings: Any, env: Any) -> list[str]:
    """Why the sandbox is not at the baseline release ([] when it is)."""
    from apexops.release.orchestrator import _effective

    tag, migration = settings.sandbox.baseline_image_tag, settings.sandbox.baseline_migration
    problems = []
    revisions = env.app.list_revisions()
    traffic = _effective(env.app)
    serving = [r for r in revisions if traffic.get(r.name) == 100]
    if not serving or serving[0].image.rpartition(":")[2] != tag:
        shown = ", ".join(f"{k}={v}%" for k, v in traffic.items()) or "none"
        problems.append(f"traffic is {shown}, not the baseline {tag} at 100%")
    others = [r.name for r in revisions if r.active and r.name not in traffic]
    if others:
        problems.append(f"other active revisions: {', '.join(others)}")
    heads = _current_heads(env)
    if heads != (migration,):
        problems.append(f"database at {','.join(heads) or 'no version'}, not the baseline {migration}")
    return problems


def prepare_sandbox(settings: Any, *, say: Say, options: Any = None) -> tuple[Any, str]:
    """Up if needed, at the baseline (reset if not), with the rehearsal images: (Environment, what's done)."""
    import yaml

    from apexops.environment import connect
    from apexops.sandbox import lifecycle
    from apexops.sandbox.images import ImageCatalogue

    done = []
    if not lifecycle.probe(settings).running:
        say(f"starting the sandbox in {settings.sandbox_home()}")
        lifecycle.up(settings, options=options)
        done.append("started")
    env = connect(settings.environment)
    problems = baseline_problems(settings, env)
    if problems:
        say("the sandbox is not at the baseline release (" + "; ".join(problems) + "): resetting it")
        lifecycle.reset(settings, options=options)
        env = connect(settings.environment)
        still = baseline_problems(settings, env)
        if still:
            raise ConfigError(
                "the sandbox is not at the baseline after a reset: " + "; ".join(still) + ".",
                hint="check sandbox.baseline_image_tag / baseline_migration in parameters/local.yaml.",
            )
        done.append("reset to the baseline")
    else:
        done.append("at the baseline")
    folder = settings.sandbox_home() / "rehearsal"
    folder.mkdir(parents=True, exist_ok=True)
    images = folder / "images.yaml"
    images.write_text(
        "# written by `apexops rehearse`: the custom images its scenarios deploy\n"
        + yaml.safe_dump(rehearsal_images(settings.smoke.latency_requests), sort_keys=False),
        encoding="utf-8",
    )
    ImageCatalogue(
        settings.sandbox_home(), settings.registry.server, settings.app.image_repository
    ).add_from_file(images)
    return env, ", ".join(done)


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
        with self._lock:
            self._drain()

    def _drain(self) -> None:
        try:
            with self.path.open("r", encoding="utf-8") as fh:
                fh.seek(self._offset)
                while True:
                    line = fh.readline()
                    if not line.endswith("\n"):
                        break
                    self._offset = fh.tell()
                    with contextlib.suppress(ValueError):
                        event = json.loads(line)
                        with contextlib.suppress(Exception):
                            self.callback(event)
        except OSError:
            return

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
    """Reads the sandbox's traffic list once a second while the release runs and reports each change: the
    canary's stages (10% → 50% → 100%) and a rollback show live, without reaching into the 50 kernel."""

    def __init__(self, app: Any, callback: Callable[[dict[str, int]], None], interval_s: float = 1.0) -> None:
        self.app, self.callback, self.interval_s = app, callback, interval_s
        self._stop = threading.Event()
        self._last: dict[str, int] | None = None
        self._thread = threading.Thread(target=self._loop, name="apexops-traffic-watch", daemon=True)

    def _loop(self) -> None:
        from apexops.release.orchestrator import _effective

        while not self._stop.wait(self.interval_s):
            try:
                now = _effective(self.app)
            except Exception:  # the sandbox busy or restarting: try again next second
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
    from apexops.release.orchestrator import EVENTS_ENV

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
    want = "succeeded" if sc.expect_verdict == "promoted" else "failed"
    checks.append(Check("90 run outcome", run.outcome == want, f"{run.outcome} (expected {want})"))
    recorded = list(facts.get("child_run_ids") or [])
    linked = [c.get("run_id") for c in children]
    ok = bool(recorded) and linked == recorded and all(c.get("parent_run_id") == run.run_id for c in children)
    checks.append(Check("ledger links", ok, f"{len(linked)} child run(s) name {run.run_id} as parent"))
    new = (facts.get("release") or {}).get("new_revision")
    expect = {new: 100} if sc.expect_verdict == "promoted" else dict(before)
    shown = ", ".join(f"{k}={v}%" for k, v in after.items()) or "none"
    where = "the new revision at 100%" if sc.expect_verdict == "promoted" else "as before the release"
    checks.append(Check("traffic at the end", dict(after) == expect, f"{shown} (expected {where})"))
    return checks


def rehearse(
    name: str = "none",
    *,
    outputs: Path | None = None,
    say: Say | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    on_step: Say | None = None,
    on_traffic: Callable[[dict[str, int]], None] | None = None,
    options: Any = None,
) -> RehearsalResult:
    """Run the scenario's release on the sandbox and check how it ended (see the module docstring).

    `say` gets the rehearsal's own lines, `on_step` the 90 run's steps, `on_event` each child's events
    (start / step / end / skip / decision / done), `on_traffic` each change of the traffic weights. Raises
    ConfigError before anything changes when the scenario is unknown or the local environment is not the
    sandbox; an interrupt is recorded and returned
    (exit code 130), not raised.
    """
    from apexops import kernel
    from apexops.ledger import Ledger
    from apexops.release.orchestrator import _effective
    from apexops.runner import RunInterrupted, run_procedure
    from apexops.settings import load_settings

    sc = scenario(name)
    tell: Say = say or (lambda _m: None)
    settings = load_settings("local")
    if settings.target != "sandbox":
        raise ConfigError(
            f"rehearsals run on the sandbox; parameters/local.yaml targets {settings.target}.",
            hint="set target: sandbox in parameters/local.yaml.",
        )
    out = kernel.outputs_root(outputs)
    env, prepared = prepare_sandbox(settings, say=tell, options=options)
    tell(f"sandbox: {prepared}")
    params: dict[str, Any] = {
        "env": "local",
        "dry_run": False,
        "image_tag": sc.image_tag,
        "approval": f"RELEASE {sc.image_tag} TO local",
    }
    if sc.blocking_migration:
        params["migrations_dir"] = str(REHEARSAL_MIGRATIONS)
    tell(f"scenario {sc.name}: {sc.title}")
    before = _effective(env.app)
    watch = TrafficWatch(env.app, on_traffic) if on_traffic else contextlib.nullcontext()
    with _events_file() as events, EventTail(events, on_event or (lambda _e: None)) as tail, watch:

        def step(message: str) -> None:
            tail.drain()  # the children's events first, so the lines come out in order
            if on_step is not None:
                on_step(message)

        started = time.perf_counter()
        try:
            run = run_procedure("90-release", env="local", parameters=params, outputs=out, progress=step)
        except RunInterrupted as stop:
            run = stop.result
        release_s = time.perf_counter() - started
    ledger = Ledger(out)
    children = [e for e in ledger.entries() if e.get("parent_run_id") == run.run_id]
    result = RehearsalResult(sc, run, children, prepared=prepared, outputs=out, release_s=release_s)
    if run.outcome == "interrupted":
        return result
    try:
        after = _effective(env.app)
    except Exception as exc:  # reported as a failed check, not a crash
        after = {f"unreadable: {exc}": 0}
    result.checks = _checks(sc, run, run.facts, children, before=before, after=after)
    report = ledger.verify(artifacts=True)
    result.checks.append(Check("ledger verifies", report.ok, report.summary()))
    return result
