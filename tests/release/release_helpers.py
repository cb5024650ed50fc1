"""Builders for the release tests: settings-like objects, child records and fake runner results.

Imported by name (conftest.py puts this folder on sys.path; pytest runs with --import-mode=importlib).

The chain's logic is pure, so most tests build `ChildRecord`s by hand; the orchestrator tests drive the real
`Release` loop with a fake runner that returns runner-shaped results (no kernels, no sandbox).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from apexops.release.plan import ReleaseInputs, plan_release
from apexops.release.timeline import ChildRecord

T0 = datetime(2024, 3, 19, 9, 0, tzinfo=UTC)
NEW, OLD = "app--new", "app--old"


def settings_like() -> Any:
    return SimpleNamespace(app=SimpleNamespace(name="apex-app"), database=SimpleNamespace(name="apex-db"))


def make_plan(**inputs: Any) -> Any:
    values = {"env": "local", "dry_run": False, "image_tag": "v1.2.3", **inputs}
    return plan_release(
        settings_like(), ReleaseInputs(**values), resolve_migration=lambda target, folder: "0003"
    )


def rec(
    role: str, outcome: str = "succeeded", *, at: float = 0.0, took: float = 2.0, **facts: Any
) -> ChildRecord:
    procedure = {
        "migrate": "20-database-migration",
        "deploy": "30-application-deployment",
        "smoke": "40-smoke-tests",
        "shift": "50-traffic-shifting",
        "rollback": "60-rollback",
    }[role]
    return ChildRecord(
        role=role,
        procedure=procedure,
        outcome=outcome,
        run_id=f"{role[:4]}{int(at):06d}",
        started_at=T0 + timedelta(seconds=at),
        ended_at=T0 + timedelta(seconds=at + took),
        facts=facts,
        error=None if outcome == "succeeded" else f"{procedure} said no",
    )


DEPLOYED = {"new_revision": NEW, "old_revisions": [OLD], "deploy_verdict": "PASS"}
SMOKED = {"smoke_verdict": {"revision": NEW, "verdict": "PASS"}}


@dataclass
class FakeResult:
    """The parts of a runner RunResult the release reads."""

    run_id: str
    procedure: str
    outcome: str
    facts: dict[str, Any]
    error: str | None
    notebook_path: Path
    html_path: Path | None
    evidence_dir: Path
    ledger_line: dict[str, Any] = field(default_factory=dict)


class FakeRunner:
    """Stands in for run_procedure: answers per procedure id from a script, records every call.

    script: {"30": ("succeeded", {facts}), "50": ("interrupted", {...}), "60": ConfigError(...)}
    """

    def __init__(self, outputs: Path, script: dict[str, Any]) -> None:
        self.outputs = outputs
        self.script = script
        self.calls: list[dict[str, Any]] = []
        self.clock = T0

    def __call__(self, **kw: Any) -> FakeResult:
        from apexops.runner import RunInterrupted

        self.calls.append(kw)
        pid = kw["procedure"][:2]
        answer = self.script.get(pid, ("succeeded", {}))
        if isinstance(answer, BaseException):
            raise answer
        kw["progress"](f"run {pid}aaaaaaaa: {kw['procedure']} on local (cell timeout 600 s)")
        kw["progress"]("[1/3] parameters")
        outcome, facts = answer
        run_dir = self.outputs / "runs" / "2024-03-19" / f"x_{kw['procedure']}_{outcome}_{pid}"
        started = self.clock
        self.clock += timedelta(seconds=3)
        result = FakeResult(
            run_id=f"{pid}aaaaaaaa",
            procedure=kw["procedure"],
            outcome=outcome,
            facts=dict(facts),
            error=None if outcome == "succeeded" else f"{kw['procedure']} {outcome}",
            notebook_path=run_dir / "nb.ipynb",
            html_path=run_dir / "nb.html",
            evidence_dir=run_dir / "evidence",
            ledger_line={"started_at": started.isoformat(), "duration_s": 2.5},
        )
        if outcome == "interrupted":
            raise RunInterrupted(result)  # type: ignore[arg-type]
        return result
