"""Helpers for the shared audit tests: recorded runs in an outputs folder, writers in other processes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from apexops.ledger import Ledger, file_digest
from apexops.shared.audit import SharedLedger
from apexops.shared.publish import publish_runs
from apexops.shared.verify import verify_shared


def record(outputs: Path, n: int, *, env: str = "local", html_bytes: int = 0, tag: str = "") -> dict:
    """Record one run the way the runner does: its folder, artifacts with digests, its ledger line."""
    run_id = f"{tag}{n:03d}{uuid.uuid4().hex[:6]}"
    run_dir = f"runs/2026-12-05/20261205T000000Z_00-preflight_{env}_succeeded_{run_id}"
    folder = outputs / run_dir
    (folder / "evidence").mkdir(parents=True)
    name = folder.name
    (folder / f"{name}.ipynb").write_text(json.dumps({"cells": [], "n": n}))
    (folder / f"{name}.html").write_bytes(b"<html>" + b"x" * html_bytes + b"</html>")
    (folder / "evidence" / "checks.json").write_text(json.dumps({"n": n, "ok": True}))
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    entry = {
        "v": 1,
        "run_id": run_id,
        "procedure": "00-preflight",
        "environment": env,
        "operator": "test-operator",
        "outcome": "succeeded",
        "started_at": "2026-12-05T00:00:00+00:00",
        "duration_s": 1.5,
        "facts": {"n": n},
        "parent_run_id": None,
        "run_dir": run_dir,
        "artifacts": {p.relative_to(outputs).as_posix(): file_digest(p) for p in files},
    }
    return Ledger(outputs).append(entry)


def writer(account_url: str, container: str, outputs: str, count: int, tag: str) -> None:
    """One operator's machine (a process of its own): record and publish `count` runs, one at a time."""
    from apexops.sandbox.azurite import service_client

    shared = SharedLedger(service_client(account_url).get_container_client(container))
    for n in range(count):
        entry = record(Path(outputs), n, tag=tag)
        report = publish_runs(shared, Path(outputs), "local", run_ids=[entry["run_id"]])
        assert report.appended == [entry["run_id"]], report


def kinds(shared: SharedLedger, outputs: Path, env: str = "local") -> list[tuple[str, str]]:
    return [(p.kind, p.subject) for p in verify_shared(shared, outputs, env).problems]
