"""Runbook steps 8 and 10 as documents: the post-rollback communication and the root-cause-analysis
template, filled in from the run's facts (nothing is typed by hand that the run already knows).

Both are markdown: shown in the executed notebook (so the audit HTML carries them) and saved next to the
evidence. Fields only a person can fill (the re-deployment date, the later whys, owners) stay visible as
`<...>` placeholders instead of being guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

__all__ = ["CONTACT", "communication_draft", "rca_template", "timeline"]

#: the runbook's contact line
CONTACT = "ops-team@company.com"


def _traffic(rows: Sequence[Mapping[str, Any]] | None) -> str:
    live = [f"{r['revision']}={r['weight']}" for r in rows or [] if r.get("weight")]
    return ", ".join(live) or "(unknown)"


def _database(facts: Mapping[str, Any]) -> str:
    db = facts.get("db_downgraded")
    if isinstance(db, Mapping) and db.get("ok"):
        return f"Rolled back to {db.get('to')} (procedure 20, run {db.get('run_id')})"
    if isinstance(db, Mapping):
        return f"Downgrade to {db.get('to')} FAILED (procedure 20, run {db.get('run_id')}): see the run"
    return "Not rolled back"


def communication_draft(facts: Mapping[str, Any], *, env: str, at: datetime, contact: str = CONTACT) -> str:
    """The runbook's rollback notification with every field the run knows filled in."""
    title = "Production" if env == "prod" else env.capitalize()
    image = facts.get("image") or "<image tag>"
    impact = (facts.get("user_impact") or {}).get("sentence") or "<describe any user impact>"
    status = "DRY RUN (nothing was rolled back): " if facts.get("dry_run") else ""
    previous = facts.get("to") or "<previous revision>"
    lines = [
        f"**APEX {title} Rollback - {at:%Y-%m-%d %H:%M} UTC**",
        "",
        f"{status}Deployment of version `{image}` (revision `{facts.get('from')}`) has been rolled back.",
        "",
        f"**Reason:** {facts.get('reason') or '<insert reason>'}",
        "",
        "**Current Status:**",
        f"- Application: Running on previous revision (`{previous}`); traffic "
        f"{_traffic(facts.get('traffic_final'))}",
        f"- Database: {_database(facts)}",
        f"- User Impact: {impact}",
        "",
        "**Next Steps:**",
        "1. Root cause analysis to begin immediately",
        "2. Fix to be developed and tested in staging",
        "3. Re-deployment scheduled for <date/time>",
        "",
        f"Contact: {contact}",
    ]
    return "\n".join(lines)


def timeline(entries: Sequence[Mapping[str, Any]], *, env: str, revision: str) -> list[tuple[str, str]]:
    """What the ledger knows about the failed revision: who created, tested, shifted it, and when."""
    out: list[tuple[str, str]] = []
    for e in entries:
        if e.get("environment") != env:
            continue
        facts, proc, when = e.get("facts") or {}, str(e.get("procedure", "")), str(e.get("ended_at", ""))
        canary = facts.get("canary") or {}
        smoke = facts.get("smoke_verdict") or {}
        run = f"run {e.get('run_id')}"
        if proc.startswith("30-") and facts.get("new_revision") == revision:
            out.append((when, f"{proc} created {revision} ({run}, {e.get('outcome')})"))
        elif proc.startswith("40-") and smoke.get("revision") == revision:
            out.append((when, f"{proc}: smoke tests {smoke.get('verdict')} ({run})"))
        elif proc.startswith("50-") and canary.get("revision") == revision:
            out.append((when, f"{proc}: canary {canary.get('verdict')}: {canary.get('reason')} ({run})"))
    return out


def rca_template(
    facts: Mapping[str, Any], *, env: str, run_id: str, log: Sequence[str], history: Sequence[tuple[str, str]]
) -> str:
    """INCIDENT_RESPONSE's RCA skeleton: incident, timeline, symptom, 5 Whys, action items."""
    fired = [t for t in facts.get("triggers") or [] if t.get("fired")]
    symptom = (
        "; ".join(t["reason"] for t in fired) or "no rollback trigger fired (a decision: see the reason)"
    )
    impact = (facts.get("user_impact") or {}).get("sentence") or "<user impact>"
    image = facts.get("image") or "<image>"
    lines = [
        f"### Root-cause analysis: `{facts.get('from')}` in {env}",
        "",
        f"- **Incident:** rollback run `{run_id}`; image `{image}`; back on `{facts.get('to')}`",
        f"- **Reason given:** {facts.get('reason') or '<reason>'}",
        f"- **Symptom (telemetry):** {symptom}",
        f"- **User impact:** {impact}",
        "",
        "**Timeline** (ledger and rollback log, UTC)",
        "",
        *[f"- {when} — {what}" for when, what in history],
        *[f"- {line}" for line in log],
        "",
        "**5 Whys**",
        "",
        f"1. Why was `{facts.get('from')}` rolled back? {facts.get('reason') or '<reason>'}",
        "2. Why did the release behave that way? <answer, with evidence>",
        "3. Why was that not caught before production (tests, smoke tests, canary)? <answer>",
        "4. Why did the process allow it? <answer>",
        "5. Why? <root cause>",
        "",
        "**Action items**",
        "",
        "| # | action | owner | due | status |",
        "|---|---|---|---|---|",
        f"| 1 | Reproduce the failure of `{image}` in staging | <owner> | <date> | open |",
        "| 2 | Fix, test in staging, schedule the re-deployment | <owner> | <date> | open |",
        "| 3 | Add a test or alert that catches this before production | <owner> | <date> | open |",
        "| 4 | Update the deployment procedures to prevent recurrence | <owner> | <date> | open |",
    ]
    return "\n".join(lines)
