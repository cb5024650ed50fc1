"""`outputs/index.html`: the reviewers' front page, one row per run, newest first.

Built from the ledger alone (the record of truth), self-contained (inline CSS, no script, no network), with
relative links so the whole outputs folder can be zipped, uploaded as a CI artifact and opened anywhere.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apexops.display import STATUS_COLOURS as _STATUS
from apexops.ledger import Ledger

__all__ = ["render_index", "write_index"]

_COLOURS = {
    "succeeded": ("#1b5e20", "#c8e6c9"),
    "failed": ("#b71c1c", "#ffcdd2"),
    "timed_out": ("#8d5b00", "#ffe0b2"),
    "kernel_died": ("#4a148c", "#e1bee7"),
    "interrupted": ("#37474f", "#cfd8dc"),
}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#212121}
h1{font-size:22px;margin:0 0 4px} .sub{color:#616161;margin-bottom:16px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e0e0e0;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#fafafa;position:sticky;top:0}
.badge{padding:1px 8px;border-radius:3px;font-weight:600;white-space:nowrap}
.facts{font-family:ui-monospace,monospace;font-size:12px;color:#37474f;max-width:560px;margin-top:4px}
.facts summary{cursor:pointer;color:#616161} .more{color:#757575}
.err{color:#b71c1c;font-family:ui-monospace,monospace;font-size:12px}
code{font-size:12px} tr:target{background:#fffde7} .chain-ok{color:#1b5e20} .chain-bad{color:#b71c1c}
"""


def _headline(entry: dict[str, Any]) -> str:
    """What happened, in one line: the recorded verdict (status and first reason), then any error."""
    verdict = (entry.get("facts") or {}).get("verdict")
    if isinstance(verdict, dict) and verdict.get("status"):
        status = str(verdict["status"])
        fg, bg = _STATUS.get(status.upper(), ("#212121", "#eeeeee"))
        reasons = verdict.get("reasons") or []
        first = str(reasons[0]) if reasons else ""
        if len(first) > 160:
            first = first[:159] + "…"
        more = f' <span class="more">(+{len(reasons) - 1} more)</span>' if len(reasons) > 1 else ""
        return (
            f'<span class="badge" style="color:{fg};background:{bg}">{html.escape(status)}</span> '
            f"{html.escape(first)}{more}"
        )
    return ""


def _error(entry: dict[str, Any], *, folded: bool) -> str:
    """The run's error; folded when a verdict already says why (it would repeat it), shown when not."""
    if not entry.get("error"):
        return ""
    text = f'<div class="err">{html.escape(str(entry["error"])[:300])}</div>'
    return f'<details class="facts"><summary>error</summary>{text}</details>' if folded else text


def _fmt_facts(facts: dict[str, Any]) -> str:
    """Every recorded fact, folded away under the headline (a reviewer opens it when needed)."""
    items = [(k, v) for k, v in facts.items() if k not in ("redactions", "verdict")]
    if not items:
        return ""
    out = []
    for k, v in items:
        text = v if isinstance(v, str) else json.dumps(v, default=str)
        if len(text) > 200:
            text = text[:199] + "…"
        out.append(f"<div><b>{html.escape(k)}</b> {html.escape(text)}</div>")
    return f'<details class="facts"><summary>{len(items)} fact(s)</summary>{"".join(out)}</details>'


def render_index(outputs: Path) -> str:
    """The index page of an outputs folder."""
    ledger = Ledger(outputs)
    entries = ledger.entries()
    report = ledger.verify(artifacts=False)
    children: dict[str, list[str]] = defaultdict(list)
    for e in entries:
        if e.get("parent_run_id"):
            children[e["parent_run_id"]].append(e.get("run_id", ""))
    rows = []
    for e in reversed(entries):
        run_id = html.escape(str(e.get("run_id", "")))
        outcome = str(e.get("outcome", "?"))
        fg, bg = _COLOURS.get(outcome, ("#212121", "#eeeeee"))
        links = []
        for rel in sorted(e.get("artifacts") or {}):
            label = (
                "notebook"
                if rel.endswith(".ipynb") and "/evidence/" not in rel
                else ("html" if rel.endswith(".html") and "/evidence/" not in rel else None)
            )
            if label:
                links.append(f'<a href="{html.escape(rel)}">{label}</a>')
        evidence = [r for r in (e.get("artifacts") or {}) if "/evidence/" in r]
        if evidence and e.get("run_dir"):
            links.append(f'<a href="{html.escape(e["run_dir"])}/evidence/">evidence ({len(evidence)})</a>')
        family = []
        if e.get("parent_run_id"):
            p = html.escape(str(e["parent_run_id"]))
            family.append(f'parent <a href="#run-{p}">{p}</a>')
        for c in children.get(e.get("run_id", ""), []):
            family.append(f'child <a href="#run-{html.escape(c)}">{html.escape(c)}</a>')
        duration = e.get("duration_s")
        headline = _headline(e)
        error = _error(e, folded=bool(headline))
        started = str(e.get("started_at", "")).replace("T", " ").removesuffix("+00:00")
        rows.append(
            f'<tr id="run-{run_id}">'
            f'<td><span class="badge" style="color:{fg};background:{bg}">{html.escape(outcome)}</span></td>'
            f"<td>{html.escape(str(e.get('procedure', '')))}</td>"
            f"<td>{html.escape(str(e.get('environment', '')))}</td>"
            f"<td>{html.escape(str(e.get('operator', '')))}</td>"
            f"<td>{html.escape(started)}</td>"
            f"<td>{'' if duration is None else f'{float(duration):.1f} s'}</td>"
            f"<td>{headline}{error}{_fmt_facts(e.get('facts') or {})}</td>"
            f"<td><code>{run_id}</code><br>{'<br>'.join(family)}</td>"
            f"<td>{' · '.join(links)}</td></tr>"
        )
    chain = (
        f'<span class="chain-ok">hash chain intact ({report.lines} lines)</span>'
        if report.ok
        else f'<span class="chain-bad">hash chain BROKEN: {html.escape("; ".join(map(str, report.problems)))}'
        "</span>"
    )
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    empty = '<tr><td colspan="9">No runs yet: <code>apexops run 00 --env local</code></td></tr>'
    body = "".join(rows) or empty
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>apexops runs</title><style>{_CSS}</style></head><body>"
        "<h1>apexops runs</h1>"
        f"<div class='sub'>{len(entries)} run(s) in <code>{html.escape(str(outputs))}</code> · {chain} · "
        f"generated {generated} · artifact digests: <code>apexops runs verify</code></div>"
        "<table><thead><tr><th>outcome</th><th>procedure</th><th>env</th><th>operator</th>"
        "<th>started (UTC)</th><th>duration</th><th>what happened</th><th>run</th><th>artifacts</th>"
        "</tr></thead>"
        f"<tbody>{body}</tbody></table></body></html>"
    )


def write_index(outputs: Path) -> Path:
    """Regenerate `<outputs>/index.html` (atomically)."""
    path = Path(outputs) / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_index(Path(outputs)), encoding="utf-8")
    tmp.replace(path)
    return path
