"""`outputs/index.html`: the reviewers' front page, one row per run, newest first.

Built from the ledger alone (the record of truth), self-contained (inline CSS, no script, no network), with
relative links so the whole outputs folder can be zipped, uploaded as a CI artifact and opened anywhere.
The page is the jinja2 template `apexops/templates/index.html`; this module only reads the ledger into
rows. Statuses and outcomes are coloured by the one map (`apexops.status.badge_html`).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from apexops import atomic
from apexops.ledger import Ledger
from apexops.status import badge_html

__all__ = ["render_index", "render_runs", "write_index"]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _verdict(facts: Mapping[str, Any]) -> dict[str, Any] | None:
    """The run's headline: the recorded verdict's status, its first reason and how many more there are."""
    verdict = facts.get("verdict")
    if not isinstance(verdict, Mapping) or not verdict.get("status"):
        return None
    reasons = verdict.get("reasons") or []
    first = _shorten(str(reasons[0]), 160) if reasons else ""
    return {"status": str(verdict["status"]), "first": first, "more": max(0, len(reasons) - 1)}


def _links(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The executed notebook, its HTML and the evidence folder, relative to the outputs folder."""
    artifacts = entry.get("artifacts") or {}
    links = []
    for rel in sorted(artifacts):
        if "/evidence/" not in rel and rel.endswith((".ipynb", ".html")):
            links.append(("notebook" if rel.endswith(".ipynb") else "html", rel))
    evidence = [r for r in artifacts if "/evidence/" in r]
    if evidence and entry.get("run_dir"):
        links.append((f"evidence ({len(evidence)})", f"{entry['run_dir']}/evidence/"))
    return links


def _row(entry: Mapping[str, Any], children: list[str]) -> dict[str, Any]:
    facts = entry.get("facts") or {}
    duration = entry.get("duration_s")
    family = [("parent", str(entry["parent_run_id"]))] if entry.get("parent_run_id") else []
    return {
        "id": str(entry.get("run_id", "")),
        "outcome": str(entry.get("outcome", "?")),
        "procedure": str(entry.get("procedure", "")),
        "environment": str(entry.get("environment", "")),
        "operator": str(entry.get("operator", "")),
        "started": str(entry.get("started_at", "")).replace("T", " ").removesuffix("+00:00"),
        "duration": "" if duration is None else f"{float(duration):.1f} s",
        "verdict": _verdict(facts),
        "error": str(entry.get("error") or "")[:300],
        # every recorded fact, folded away under the headline (a reviewer opens it when needed)
        "facts": [
            (k, _shorten(v if isinstance(v, str) else json.dumps(v, default=str), 200))
            for k, v in facts.items()
            if k not in ("redactions", "verdict")
        ],
        "family": family + [("child", c) for c in children],
        "links": _links(entry),
    }


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("apexops", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["badge"] = lambda word: Markup(badge_html(word))
    return env.get_template("index.html")


def render_index(outputs: Path) -> str:
    """The index page of an outputs folder."""
    ledger = Ledger(outputs)
    report = ledger.verify(artifacts=False)
    chain = {"ok": report.ok, "lines": report.lines, "problems": [str(p) for p in report.problems]}
    return render_runs(ledger.entries(), source=str(outputs), chain=chain)


def render_runs(entries: list[dict[str, Any]], *, source: str, chain: Mapping[str, Any]) -> str:
    """The index page of ledger entries (oldest first) from `source` (an outputs folder, or the shared
    store: `apexops runs index --shared`), with the verdict of their chain."""
    children: dict[str, list[str]] = defaultdict(list)
    for e in entries:
        if e.get("parent_run_id"):
            children[e["parent_run_id"]].append(str(e.get("run_id", "")))
    return _template().render(
        runs=[_row(e, children.get(e.get("run_id", ""), [])) for e in reversed(entries)],
        outputs=source,
        chain=dict(chain),
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def write_index(outputs: Path) -> Path:
    """Regenerate `<outputs>/index.html` (atomically)."""
    path = Path(outputs) / "index.html"
    atomic.write_text(path, render_index(Path(outputs)))
    return path
