"""Procedure 80 as one object a notebook steps through: the runbook's Common Troubleshooting.

Logs (tail, level), the log analyzer (known failure text -> next procedure), a one-off command in a replica
(gated: the approval phrase names the command and the revision), the three Application Insights queries,
network connectivity from the app side, and database performance. Every step reads; only the exec step can
change something, so it is the only one behind a gate. A step whose source fails is a FAIL row with the
error's hint, never an exception that hides the steps after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from apexops import azcli
from apexops.errors import ApexopsError, ConfigError, NotFoundError
from apexops.status import Finding, Rule, Status, Verdict, judge
from apexops.troubleshoot import insights, manual
from apexops.troubleshoot.execs import ExecOutcome, pick_revision, run_in_app, split_command
from apexops.troubleshoot.logs import Analysis, analyze, evidence_from, log_rows, normalise_level
from apexops.troubleshoot.probes import nc_commands, network_from_app, network_rows

if TYPE_CHECKING:
    from apexops.environment import Environment
    from apexops.migrations.diagnostics import Diagnostic
    from apexops.models import ExceptionRecord

__all__ = ["VERDICT_RULES", "Troubleshooter"]

MAX_TAIL = 5000
T = TypeVar("T")


def _error_row(check: str, error: ApexopsError | str, hint: str = "") -> dict[str, Any]:
    detail = error if isinstance(error, str) else error.message
    hint = hint if isinstance(error, str) else error.hint or ""
    return {"status": Status.FAIL, "check": check, "detail": detail, "hint": hint}


class Troubleshooter:
    def __init__(
        self,
        env: Environment,
        *,
        revision: str = "",
        tail: int = 100,
        level: str = "",
        window_minutes: float = 60,
        command: str = "",
        dry_run: bool = True,
        analyze_tail: int = 1000,
        exec_timeout_s: float = 30.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.env, self.settings = env, env.settings
        if not isinstance(tail, int) or not 1 <= tail <= MAX_TAIL:
            raise ConfigError(f"tail {tail!r} is out of range.", hint=f"use 1..{MAX_TAIL} lines.")
        if not 0 < float(window_minutes) <= 7 * 24 * 60:
            raise ConfigError(
                f"window_minutes {window_minutes!r} is out of range.",
                hint="use more than 0 and at most 10080 (7 days); the runbook uses 60.",
            )
        self.level = normalise_level(level)
        self.tail, self.window_minutes = tail, float(window_minutes)
        self.command = command.strip()
        self.argv = split_command(self.command) if self.command else []
        self.dry_run = bool(dry_run)
        self.analyze_tail = max(analyze_tail, tail)
        self.exec_timeout_s = exec_timeout_s
        self._now = now
        self.revision = revision.strip()
        if self.revision:
            try:
                self.env.app.get_revision(self.revision)
            except NotFoundError as exc:
                names = ", ".join(r.name for r in self.env.app.list_revisions()[-8:])
                raise ConfigError(
                    f"revision {self.revision!r} does not exist.",
                    hint=f"use one of: {names} (or '' for the whole app).",
                ) from exc
        self.until = now()
        self.since = self.until - timedelta(minutes=self.window_minutes)
        self.analysis: Analysis | None = None
        self.exec_outcome: ExecOutcome | None = None
        self.network: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.error_rates: list[dict[str, Any]] = []
        self.db: list[Diagnostic] = []

    @property
    def scope(self) -> str:
        return self.revision or f"{self.settings.app.name} (all revisions)"

    def _read(self, source: str, fetch: Callable[[], T]) -> T | ApexopsError:
        """One source read; its failure is noted for the verdict and returned, never raised."""
        try:
            return fetch()
        except ApexopsError as exc:
            self.problems.append(f"{source}: {exc.message}")
            return exc

    def _mine(self, items: list[T] | ApexopsError, attr: str) -> list[T]:
        """The items of the chosen revision (all when none is), none from a failed read."""
        if isinstance(items, ApexopsError):
            return []
        return [x for x in items if not self.revision or getattr(x, attr) == self.revision]

    def _exceptions(self) -> list[ExceptionRecord]:
        return self.env.telemetry.exceptions(self.since, self.until, limit=500)

    # ------------------------------------------------------------------ 1. logs

    def logs(self) -> list[dict[str, Any]]:
        logs = partial(
            self.env.telemetry.console_logs, self.revision or None, tail=self.tail, level=self.level
        )
        lines = self._read("console logs", logs)
        return [_error_row("console logs", lines)] if isinstance(lines, ApexopsError) else log_rows(lines)

    def logs_command(self) -> str:
        return azcli.containerapp_logs_show(self.settings, revision=self.revision or None, tail=self.tail)

    # ------------------------------------------------------------------ 2. analyzer

    def analyze(self) -> Analysis:
        """Rules over the last `analyze_tail` lines (all levels), the window's exceptions and the
        revisions' provisioning errors."""
        logs = partial(self.env.telemetry.console_logs, self.revision or None, tail=self.analyze_tail)
        lines = self._read("console logs", logs)
        exceptions = self._mine(self._read("exceptions", self._exceptions), "revision")
        revisions = self._mine(self._read("revisions", self.env.app.list_revisions), "name")
        lines = [] if isinstance(lines, ApexopsError) else lines
        self.analysis = analyze(evidence_from(lines, exceptions, revisions))
        return self.analysis

    # ------------------------------------------------------------------ 3. exec

    @property
    def exec_revision(self) -> str:
        if self.revision:
            return self.revision
        try:
            return pick_revision(self.env.app) or ""
        except ApexopsError:
            return ""

    @property
    def exec_phrase(self) -> str:
        return f"EXEC {self.command or '<command>'} IN {self.exec_revision or self.settings.app.name}"

    def exec_plan(self) -> list[dict[str, Any]]:
        if not self.command:
            return []
        return [{"command": self.command, "argv": " | ".join(self.argv), "revision": self.exec_revision,
                 "approval phrase": self.exec_phrase}]  # fmt: skip

    def exec_command_text(self) -> str:
        return azcli.containerapp_exec(
            self.settings, self.command or "python3 --version", revision=self.exec_revision or None
        )

    def run_command(self) -> ExecOutcome | None:
        """Run the command in one replica (after the gate); None when no command was given."""
        if not self.argv:
            return None
        self.exec_outcome = run_in_app(self.env.app, self.settings, self.argv, check=self.command,
                                       revision=self.exec_revision or None, timeout_s=self.exec_timeout_s)
        return self.exec_outcome

    # ------------------------------------------------------------------ 4. App Insights queries

    def error_rate(self) -> list[dict[str, Any]]:
        names = [self.revision] if self.revision else None
        query = partial(self.env.telemetry.request_stats, self.since, self.until, revisions=names)
        stats = self._read("request telemetry", query)
        if isinstance(stats, ApexopsError):
            return [_error_row("error rate", stats)]
        t = self.settings.rollback_triggers
        self.error_rates = insights.error_rate_rows(stats, fail_pct=100 * t.error_rate)
        return self.error_rates

    def slowest(self, top: int = 10) -> list[dict[str, Any]]:
        query = partial(self.env.telemetry.slowest_requests, self.since, self.until, top=top * 5)
        records = self._read("request telemetry", query)
        if isinstance(records, ApexopsError):
            return [_error_row("slowest requests", records)]
        return insights.slowest_rows(self._mine(records, "revision")[:top])

    def exceptions(self, limit: int = 20) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        records = self._read("exceptions", self._exceptions)
        if isinstance(records, ApexopsError):
            return [_error_row("exceptions", records)], []
        records = self._mine(records, "revision")
        return insights.exception_rows(records, limit=limit), insights.exception_groups(records)

    def kql(self, name: str) -> str:
        window = insights.window_text(self.window_minutes)
        return manual.app_insights_query(self.settings, name, window=window)

    # ------------------------------------------------------------------ 5. network

    def network_check(self) -> list[dict[str, Any]]:
        outcome = network_from_app(self.env.app, self.settings, revision=self.exec_revision or None)
        self.network = network_rows(outcome, self.settings)
        return self.network

    def network_commands(self) -> str:
        head = "# the runbook's checks" + (
            " on Azure (the rows above ran in the replica)" if self.env.traits.exec_is_local else ""
        )
        return "\n".join([head, *(cmd for _, cmd in nc_commands(self.settings))])

    # ------------------------------------------------------------------ 6. database performance

    def database(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Long-running queries, blocking sessions and size (SQL Server DMVs / pg_stat_activity)."""
        from apexops.migrations import diagnostics as d  # loads sqlalchemy: only for this step

        try:
            engine = self.env.database.engine()
        except ApexopsError as exc:
            self.problems.append(f"database: {exc.message}")
            return [("Database", [_error_row("connect", exc)])]
        out = []
        steps = (("Long-running queries", d.long_running_queries), ("Blocking sessions", d.blocking_sessions),
                 ("Database size", d.database_size))  # fmt: skip
        for name, fn in steps:
            try:
                diag = fn(engine)
                self.db.append(diag)
                out.append((name, diag.rows()))
            except Exception as exc:  # a driver error is a finding of this step, not the end of the run
                message = str(getattr(exc, "message", exc)).splitlines()[0][:300]
                self.problems.append(f"{name.lower()}: {message}")
                hint = "check the database from 20-database-migration"
                out.append((name, [_error_row(name, message, hint)]))
        return out

    # ------------------------------------------------------------------ outcome

    def verdict(self) -> Verdict:
        """PASS (nothing found) or WARN (findings, each with its next step); troubleshooting does not fail."""
        window = f"in the last {self.window_minutes:g} min"
        return judge(
            VERDICT_RULES, self, default=Finding(Status.PASS, f"nothing found for {self.scope} {window}")
        )

    def facts(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scope": self.scope, "window_minutes": self.window_minutes}
        if self.analysis is not None:
            out.update(self.analysis.facts())
        if self.exec_outcome is not None:
            out["exec"] = {
                "command": self.command,
                "revision": self.exec_outcome.revision,
                "status": str(self.exec_outcome.status),
                "exit_code": self.exec_outcome.exit_code,
            }
        if self.network:
            out["network"] = {r["endpoint"]: str(r["status"]) for r in self.network}
        out["troubleshoot_verdict"] = str(self.verdict().status)
        return out


# --------------------------------------------------------------------------- verdict rules: one per source


def _warn(reason: str) -> Finding:
    return Finding(Status.WARN, reason)


def known_failures(t: Troubleshooter) -> Iterator[Finding]:
    """Each known failure text the analyzer matched, with the procedure to run next."""
    for f in t.analysis.findings if t.analysis is not None else ():
        yield _warn(f"{f.rule.id} {f.rule.title} ({f.count}×) → {f.rule.next_procedure}: {f.rule.hint}")


def high_error_rates(t: Troubleshooter) -> Iterator[Finding]:
    """A revision whose error rate is at WARN or FAIL level (the whole-app row repeats them)."""
    for row in t.error_rates:
        if Status.parse(row["status"]).rank >= Status.WARN.rank and row["revision"] != "(all)":
            counts = f"{row['ErrorCount (5xx)']}/{row['TotalCount']} in {t.window_minutes:g} min"
            yield _warn(f"error rate {row['ErrorRate %']}% on {row['revision']} ({counts})")


def unreachable_endpoints(t: Troubleshooter) -> Iterator[Finding]:
    """An endpoint the replica could not reach, or a probe that did not run at all."""
    for row in (r for r in t.network if r["status"] == Status.FAIL):
        if row["endpoint"] == "(probe)":
            yield _warn(f"network: the probe did not run in {row['target'] or 'the app'} ({row['detail']})")
        else:
            yield _warn(f"network: {row['endpoint']} unreachable from the app ({row['detail']})")


def blocking_sessions(t: Troubleshooter) -> Iterator[Finding]:
    for diag in (d for d in t.db if d.applicable and d.blockers):
        sessions = ", ".join(map(str, diag.blockers))
        yield _warn(f"database: blocking session(s) {sessions} → 20-database-migration (kill_session)")


def failed_exec(t: Troubleshooter) -> Iterator[Finding]:
    o = t.exec_outcome
    if o is not None and o.status == Status.FAIL:
        yield _warn(f"exec '{t.command}' failed in {o.revision or 'the app'}: {o.output.strip()[-160:]}")


def unread_sources(t: Troubleshooter) -> Iterator[Finding]:
    """A source that could not be read is a finding too: nothing found there proves nothing."""
    yield from (_warn(f"could not read {p}") for p in t.problems)


#: the decision table of procedure 80: every finding is a WARN with its next step; nothing fails the run
VERDICT_RULES: tuple[Rule[Troubleshooter], ...] = (
    known_failures,
    high_error_rates,
    unreachable_endpoints,
    blocking_sessions,
    failed_exec,
    unread_sources,
)
