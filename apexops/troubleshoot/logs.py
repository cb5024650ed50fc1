"""Console logs and the log analyzer: known failure text -> what it means and which procedure is next.

The BDC troubleshooting guides' `log_analyzer_rules`, for APEX: a small table of patterns, each with a
hint and the next procedure. Every log line (and every exception and provisioning error) is matched
against every rule; rules are ordered root cause first (a startup configuration error before the crash
it causes), so the first rule that matched anything is the primary finding. Pure logic over LogLine,
ExceptionRecord and Revision values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from apexops.errors import ConfigError
from apexops.status import Status
from apexops.troubleshoot.execs import scrub as scrub_text

if TYPE_CHECKING:
    from apexops.models import ExceptionRecord, LogLine, Revision

__all__ = [
    "LEVELS",
    "LOG_RULES",
    "Analysis",
    "Evidence",
    "Finding",
    "LogRule",
    "analyze",
    "evidence_from",
    "log_rows",
    "normalise_level",
]

#: Python's level names, as the app logs them (logging's own names, so WARN and FATAL read as aliases)
LEVELS = tuple(logging.getLevelName(n) for n in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR,
                                                 logging.CRITICAL))  # fmt: skip
_LEVEL_NUMBERS = {**logging.getLevelNamesMapping(), "ERR": logging.ERROR}


def normalise_level(level: str) -> str | None:
    """'' -> None (all levels); 'error'/'warn' -> ERROR/WARNING; ConfigError naming `level` otherwise."""
    text = (level or "").strip().upper()
    if not text:
        return None
    text = logging.getLevelName(_LEVEL_NUMBERS.get(text, 0))
    if text not in LEVELS:
        raise ConfigError(
            f"level {level!r} is not a log level.", hint=f"use one of {', '.join(LEVELS)} or '' (all levels)."
        )
    return text


@dataclass(frozen=True)
class LogRule:
    id: str
    title: str
    pattern: re.Pattern[str]
    hint: str
    next_procedure: str


def _r(text: str) -> re.Pattern[str]:
    return re.compile(text, re.I)


#: ordered root cause first; the first rule with a match is the primary finding
LOG_RULES: tuple[LogRule, ...] = (
    LogRule(
        "LOG-001",
        "application startup failed (configuration)",
        _r(r"Application startup failed|required environment variable|environment variable \S+ is not set"),
        "the revision exits at start because of its configuration: fix app.env in parameters/<env>.yaml (or "
        "the image) and deploy again with 30-application-deployment; if it has traffic, 60-rollback first",
        "30-application-deployment",
    ),
    LogRule(
        "LOG-002",
        "image pull / registry credentials",
        _r(r"ImagePullBackOff|ErrImagePull|\bunauthori[sz]ed\b|manifest unknown|pull access denied"),
        "the image cannot be pulled: check the registry credentials in 30-application-deployment step 7 "
        "(`az containerapp registry set --identity system`) and that the tag exists",
        "30-application-deployment",
    ),
    LogRule(
        "LOG-003",
        "lock timeout in the database",
        _r(r"Lock timeout|lock request time out|LockNotAvailable|due to lock timeout|database is locked"),
        "a session holds locks on the tables: run 20-database-migration, step 9 diagnostics (blocking "
        "sessions; end one with kill_session)",
        "20-database-migration",
    ),
    LogRule(
        "LOG-004",
        "cannot connect to the database",
        _r(
            r"Cannot connect to database|Database connection failed|could not connect to server|"
            r"Login timeout expired|DatabaseTimeoutError|connection to the database timed out|"
            r"OperationalError"
        ),
        'run 70-emergency with scenario="database" (SQL server state, private endpoint, DNS, the '
        "identity's role)",
        "70-emergency",
    ),
    LogRule(
        "LOG-005",
        "blob storage access denied or unavailable",
        _r(
            r"blob storage unavailable|AuthorizationPermissionMismatch|This request is not authorized|"
            r"403 Forbidden"
        ),
        'run 70-emergency with scenario="blob" (Storage Blob Data Contributor, private endpoint)',
        "70-emergency",
    ),
    LogRule(
        "LOG-006",
        "out of memory",
        _r(r"OOMKilled|MemoryError|out of memory"),
        "replicas run out of memory: raise app.memory in parameters/<env>.yaml and deploy with "
        "30-application-deployment",
        "30-application-deployment",
    ),
    LogRule(
        "LOG-007",
        "readiness probe failing",
        _r(r"Readiness probe failed|GET /health/ready 5\d\d"),
        "the process runs but a dependency check fails: 30-application-deployment troubleshooting (step 7), "
        "then /health/ready's database and blob checks",
        "30-application-deployment",
    ),
    LogRule(
        "LOG-008",
        "replicas crash and restart",
        _r(
            r"exited with code -?[1-9]|worker process terminated|fatal error|CrashLoopBackOff|"
            r"Traceback \(most recent call last\)"
        ),
        "replicas crash: 70-emergency (restart, or activate the last good revision); 60-rollback when a new "
        "revision has traffic",
        "70-emergency",
    ),
)


@dataclass(frozen=True)
class Evidence:
    """One piece of text to analyze: a console line, an exception, a provisioning error."""

    source: str  # console | exception | provisioning
    revision: str
    timestamp: datetime | None
    text: str
    level: str = ""


def evidence_from(
    lines: Iterable[LogLine] = (),
    exceptions: Iterable[ExceptionRecord] = (),
    revisions: Iterable[Revision] = (),
) -> list[Evidence]:
    out = [Evidence("console", ln.revision, ln.timestamp, ln.message, ln.level) for ln in lines]
    out += [
        Evidence("exception", e.revision, e.timestamp, f"{e.type}: {e.message}", "ERROR") for e in exceptions
    ]
    out += [
        Evidence("provisioning", r.name, r.created_time, r.provisioning_error, "ERROR")
        for r in revisions
        if r.provisioning_error
    ]
    return out


@dataclass
class Finding:
    rule: LogRule
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    revisions: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    example: str = ""

    def add(self, ev: Evidence) -> None:
        self.count += 1
        self.revisions.add(ev.revision)
        self.sources.add(ev.source)
        if ev.timestamp is not None:
            self.first_seen = min(self.first_seen or ev.timestamp, ev.timestamp)
            self.last_seen = max(self.last_seen or ev.timestamp, ev.timestamp)
        if not self.example:
            self.example = scrub_text(ev.text.strip())[:300]

    def row(self) -> dict[str, Any]:
        return {
            "status": Status.FAIL,
            "rule": self.rule.id,
            "finding": self.rule.title,
            "matches": self.count,
            "revisions": ", ".join(sorted(self.revisions)),
            "last seen": self.last_seen.isoformat(timespec="seconds") if self.last_seen else "",
            "example": self.example,
            "next": self.rule.next_procedure,
            "hint": self.rule.hint,
        }


@dataclass(frozen=True)
class Analysis:
    findings: tuple[Finding, ...]  # in rule order (root cause first)
    analyzed: int

    @property
    def primary(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def rows(self) -> list[dict[str, Any]]:
        if not self.findings:
            found = f"no known failure text in {self.analyzed} lines, exceptions and provisioning errors"
            return [{"status": Status.PASS, "rule": "", "finding": found, "matches": 0}]
        return [f.row() for f in self.findings]

    def summary(self) -> str:
        p = self.primary
        if p is None:
            return f"no known failure text in {self.analyzed} entries"
        return f"{p.rule.title} ({p.count} match(es), {p.rule.id}) — HINT: {p.rule.hint}"

    def facts(self) -> dict[str, Any]:
        p = self.primary
        return {
            "log_findings": [{"rule": f.rule.id, "finding": f.rule.title, "matches": f.count,
                              "next": f.rule.next_procedure} for f in self.findings],
            "primary_finding": p.rule.id if p else None,
            "next_procedure": p.rule.next_procedure if p else None,
            "hint": p.rule.hint if p else None,
        }


def analyze(entries: Sequence[Evidence], rules: Sequence[LogRule] = LOG_RULES) -> Analysis:
    """Match every entry against every rule; findings come back in rule order."""
    found: dict[str, Finding] = {}
    for ev in entries:
        for rule in rules:
            if ev.text and rule.pattern.search(ev.text):
                found.setdefault(rule.id, Finding(rule)).add(ev)
    ordered = tuple(found[r.id] for r in rules if r.id in found)
    return Analysis(ordered, len(entries))


_NUMBERS = re.compile(r"\d+(\.\d+)?(ms|s)?\b")


def log_rows(lines: Sequence[LogLine]) -> list[dict[str, Any]]:
    """Console lines as rows (secrets scrubbed); consecutive repeats folded into one row with a count."""
    rows: list[dict[str, Any]] = []
    last: tuple[str, str, str] | None = None
    for line in lines:
        message = scrub_text(line.message)
        key = (line.replica, line.level, _NUMBERS.sub("…", message))
        if rows and key == last:
            rows[-1]["repeated"] += 1
            continue
        rows.append({"time": line.timestamp.isoformat(timespec="seconds"), "revision": line.revision,
                     "replica": line.replica[-16:], "level": line.level, "message": message,
                     "repeated": 1})  # fmt: skip
        last = key
    return rows
