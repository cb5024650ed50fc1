"""Runs the release: each child a full audited run of its own (`apexops.runner.run_procedure`), linked to
the 90 run as its parent in the ledger, one after the other, with the decisions of `apexops.release.chain`.

    release = Release(plan, plan.approvals(gate), env=target)
    result = release.run()            # ReleaseResult: records, verdict, traffic; facts already recorded
    release.verdict(), release.facts()  # what `apexops.finish(release)` shows, records and gates on

Whatever happens, the release's facts (children run ids and outcomes, verdict, new revision, rolled back or
not, the traffic at the end) are recorded and its timeline saved as evidence, also when a child is
interrupted: `RunInterrupted` (Ctrl-C / SIGTERM reaching a child run) stops the chain, the release reads the
traffic back, records, and re-raises so the 90 run ends `interrupted` too. Children get a shorter interrupt
grace than the 90 run has, so the child's own cleanup (a canary restoring the baseline) finishes first.

Progress goes to `on_event` callbacks and, when the environment variable APEXOPS_RELEASE_EVENTS names a file,
as JSON lines to that file: that is how `apexops rehearse`, outside the 90 kernel, shows each child's steps.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apexops import kernel
from apexops.canary.traffic import effective
from apexops.errors import ApexopsError
from apexops.release.chain import (
    Blocked,
    Carried,
    parameters_for,
    release_fact,
    release_verdict,
    rollback_decision,
    stop_reason,
)
from apexops.release.plan import Approvals, ReleasePlan, Step
from apexops.release.timeline import ChildOutcome, ChildRecord, NotRun, timeline_rows
from apexops.runner import RunInterrupted, run_procedure
from apexops.scrubbed import append_scrubbed, write_scrubbed
from apexops.status import Verdict

__all__ = [
    "CHILD_INTERRUPT_GRACE_S",
    "EVENTS_ENV",
    "Release",
    "ReleaseEvent",
    "ReleaseResult",
    "read_heads",
    "read_traffic",
]

#: environment variable naming a JSON-lines file the release appends its events to
EVENTS_ENV = "APEXOPS_RELEASE_EVENTS"
#: below the runner's default grace (15 s) for the 90 run itself, so a child finishes its cleanup first
CHILD_INTERRUPT_GRACE_S = 10.0
TIMELINE_FILE = "release-timeline.json"


@dataclass(frozen=True)
class ReleaseEvent:
    """start | step | end | skip | decision | done, about one child (or the release)."""

    kind: str
    procedure: str
    text: str = ""
    run_id: str | None = None
    outcome: str | None = None  # a child's outcome, or the release's at "done"
    duration_s: float | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if v is not None}
        data["at"] = self.at.isoformat(timespec="milliseconds")
        return json.dumps(data, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class ReleaseResult:
    plan: ReleasePlan
    records: tuple[ChildRecord, ...]
    verdict: Verdict
    #: effective weights read after the last child (None when unreadable)
    traffic: Mapping[str, int] | None

    @property
    def outcome(self) -> str:
        """promoted, rolled_back, ... (`chain.ReleaseOutcome`)."""
        return str(self.verdict.facts["verdict"])

    def facts(self) -> dict[str, Any]:
        """What the 90 run records in the ledger (in this order: the index shows the first few)."""
        carried = Carried.from_records(self.records)
        return {
            "release_verdict": self.outcome,
            "new_revision": carried.new_revision,
            "rolled_back": self.verdict.facts["rolled_back"],
            "child_run_ids": [r.run_id for r in self.records if r.run_id],
            "children": [r.to_fact() for r in self.records],
            "release": {
                **release_fact(self.verdict),
                **self.plan.facts(),
                "new_revision": carried.new_revision,
                "baseline_revision": carried.baseline,
                "traffic_final": dict(self.traffic) if self.traffic is not None else None,
            },
        }


def read_traffic(app: Any) -> dict[str, int]:
    """Revision -> weight actually receiving traffic (a 'latest' entry resolved to the latest revision)."""
    weights = app.get_traffic()
    if any(w.weight and not w.revision_name for w in weights):
        latest = app.show().latest_revision_name
        weights = [replace(w, revision_name=w.revision_name or latest) for w in weights]
    return effective(weights)


def read_heads(env: Any) -> tuple[str, ...]:
    """The database's current Alembic heads (the revision the release starts from or left behind)."""
    from alembic.runtime.migration import MigrationContext  # lazy: alembic loads sqlalchemy

    with env.database.engine().connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


class Release:
    """One release: the children of `plan`, run in order with the chain's decisions."""

    def __init__(
        self,
        plan: ReleasePlan,
        approvals: Approvals,
        *,
        env: Any = None,
        outputs: Path | None = None,
        parent_run_id: str | None = None,
        on_event: Callable[[ReleaseEvent], None] | None = None,
        runner: Callable[..., Any] | None = None,
        record: Callable[[str, Any], None] | None = None,
        evidence_dir: Path | None = None,
        notebooks: Path | None = None,
        child_grace_s: float = CHILD_INTERRUPT_GRACE_S,
    ) -> None:
        if approvals.approved == plan.dry_run:
            raise ValueError(
                "approvals do not match the plan (a dry run derives none; a real release needs them)"
            )
        self.plan = plan
        self.approvals = approvals
        self.env = env
        self.outputs = kernel.outputs_root(outputs)
        self.parent_run_id = parent_run_id or kernel.run_context().run_id
        self.listeners = [on_event] if on_event else []
        self._runner = runner or run_procedure
        self._record = record or kernel.record
        self._evidence_dir = evidence_dir
        self.notebooks = notebooks
        self.child_grace_s = child_grace_s
        self.records: list[ChildRecord] = []
        self.result: ReleaseResult | None = None
        self._events_file = os.environ.get(EVENTS_ENV) or None

    # ------------------------------------------------------------------ the procedure's closing lines

    def verdict(self) -> Verdict:
        """The release verdict (after `run`), for `apexops.finish(release)`."""
        if self.result is None:
            raise RuntimeError("the release has not run yet: call run() first")
        return self.result.verdict

    def facts(self) -> dict[str, Any]:
        """What the 90 run records (already recorded by `run`; recording them again changes nothing)."""
        if self.result is None:
            raise RuntimeError("the release has not run yet: call run() first")
        return self.result.facts()

    # ------------------------------------------------------------------ events

    def _emit(self, kind: str, procedure: str, text: str = "", **kw: Any) -> None:
        event = ReleaseEvent(kind, procedure, text, **kw)
        for listener in self.listeners:
            with contextlib.suppress(Exception):  # a display problem never stops a release
                listener(event)
        if self._events_file:
            with contextlib.suppress(OSError):
                append_scrubbed(Path(self._events_file), event.to_json() + "\n")

    # ------------------------------------------------------------------ children

    def _run_child(self, step: Step, params: dict[str, Any]) -> ChildRecord:
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items() if k not in ("env", "approval"))
        self._emit("start", step.procedure, shown)
        run_id: list[str | None] = [None]

        def progress(message: str) -> None:
            if run_id[0] is None and message.startswith("run ") and ":" in message:
                run_id[0] = message.split()[1].rstrip(":")
            self._emit("step", step.procedure, message, run_id=run_id[0])

        timeout = self.plan.inputs.cell_timeout_s or None
        try:
            result = self._runner(
                procedure=step.procedure,
                env=self.plan.inputs.env,
                parameters=params,
                outputs=self.outputs,
                cell_timeout_s=timeout,
                parent_run_id=self.parent_run_id,
                progress=progress,
                notebooks=self.notebooks,
                interrupt_grace_s=self.child_grace_s,
            )
        except RunInterrupted as stop:
            self._finish_child(ChildRecord.from_result(step.role, stop.result, self.outputs))
            raise
        except ApexopsError as exc:  # bad parameter, unknown procedure: it never started
            record = ChildRecord(step.role, step.procedure, NotRun.NOT_STARTED, error=str(exc))
            return self._finish_child(record)
        return self._finish_child(ChildRecord.from_result(step.role, result, self.outputs))

    def _finish_child(self, record: ChildRecord) -> ChildRecord:
        self.records.append(record)
        self._emit(
            "end",
            record.procedure,
            "; ".join(f"{k}={v}" for k, v in record.key_facts.items()) or (record.error or "")[:300],
            run_id=record.run_id,
            outcome=record.outcome,
            duration_s=record.duration_s,
        )
        return record

    def _not_running(self, step: Step, outcome: ChildOutcome, note: str) -> None:
        self.records.append(ChildRecord(step.role, step.procedure, outcome, note=note))
        self._emit("skip", step.procedure, note, outcome=outcome)

    # ------------------------------------------------------------------ the chain

    def run(self) -> ReleaseResult:
        """Run the chain; returns the result (a failed release is a result). Re-raises an interrupt."""
        plan, approvals = self.plan, self.approvals
        stop: str | None = None
        interrupted = False
        try:
            for step in plan.steps:
                if not step.runs:
                    self._not_running(step, NotRun.SKIPPED, step.why_not)
                    continue
                if stop is not None:
                    self._not_running(step, NotRun.NOT_RUN, "the chain stopped before it")
                    continue
                if step.role in ("smoke", "shift") and Carried.from_records(self.records).already_released:
                    self._not_running(step, NotRun.SKIPPED, "already released: the revision serves 100%")
                    continue
                params = parameters_for(step, plan, approvals, Carried.from_records(self.records))
                if isinstance(params, Blocked):
                    self._not_running(step, NotRun.NOT_STARTED, params.reason)
                    stop = params.reason
                    continue
                record = self._run_child(step, params)
                stop = stop_reason(record, plan, Carried.from_records(self.records))
            decision = rollback_decision(plan, self.records)
            verb = "run: " if decision.needed else "skip: "
            self._emit("decision", plan.rollback.procedure, verb + decision.reason)
            if decision.needed:
                params = parameters_for(plan.rollback, plan, approvals, Carried.from_records(self.records))
                if isinstance(params, Blocked):
                    self._not_running(plan.rollback, NotRun.NOT_STARTED, params.reason)
                else:
                    self._run_child(plan.rollback, params)
        except KeyboardInterrupt:  # RunInterrupted from a child, or Ctrl-C between children
            interrupted = True
            raise
        finally:
            self.result = self._conclude(stop, interrupted)
        return self.result

    def _conclude(self, stop: str | None, interrupted: bool) -> ReleaseResult:
        traffic = None
        if self.env is not None:
            with contextlib.suppress(Exception):
                traffic = read_traffic(self.env.app)
        verdict = release_verdict(
            self.plan, self.records, stop=stop, interrupted=interrupted, traffic=traffic
        )
        result = ReleaseResult(self.plan, tuple(self.records), verdict, traffic)
        for key, value in result.facts().items():
            with contextlib.suppress(Exception):
                self._record(key, value)
        self._save_timeline(result)
        self._emit("done", "90-release", "; ".join(verdict.reasons), outcome=result.outcome)
        return result

    def _save_timeline(self, result: ReleaseResult) -> None:
        folder = self._evidence_dir or kernel.run_context().evidence_dir
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            data = {"rows": timeline_rows(result.records), **result.facts()}
            write_scrubbed(folder / TIMELINE_FILE, json.dumps(data, indent=1, default=str))
