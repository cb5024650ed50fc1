"""Emergency diagnostics: gather what the runbook's "Immediate Actions" read, then judge it as data.

`gather` reads each source on its own (app status, health probes through the app URL, revisions with their
replicas, resource provisioning states, request telemetry, exceptions, and the scenario's dependency
checks from the app side); a source that cannot be read becomes a finding, never an exception that hides
the others. `summarize` is pure: findings with severities and a suggested recovery with its reason, for
the operator to choose (it never acts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from apexops.errors import ApexopsError
from apexops.smoke.checks import check_live, check_ready, make_client
from apexops.status import Finding as StatusFinding
from apexops.status import Status, worst
from apexops.troubleshoot.execs import MANUAL

if TYPE_CHECKING:
    from apexops.environment import Environment
    from apexops.models import (
        AppState,
        BlobContainerInfo,
        ExceptionRecord,
        Replica,
        RequestStats,
        ResourceInfo,
        Revision,
    )
    from apexops.smoke.results import CheckResult
    from apexops.troubleshoot.execs import ExecOutcome

__all__ = ["SCENARIOS", "Diagnostics", "Finding", "Summary", "gather", "last_good_candidates", "summarize"]

SCENARIOS = ("outage", "database", "blob")


@dataclass(frozen=True)
class Diagnostics:
    """Everything read during the diagnostic steps, plus the sources that could not be read."""

    scenario: str
    app: AppState | None = None
    revisions: tuple[Revision, ...] = ()
    replicas: Mapping[str, tuple[Replica, ...]] = field(default_factory=dict)
    health: tuple[CheckResult, ...] = ()
    resources: tuple[ResourceInfo, ...] | None = None
    stats: Mapping[str, RequestStats] | None = None
    exceptions: tuple[ExceptionRecord, ...] = ()
    dependencies: tuple[ExecOutcome, ...] = ()
    containers: tuple[BlobContainerInfo, ...] | None = None
    unavailable: Mapping[str, str] = field(default_factory=dict)

    def traffic(self) -> dict[str, int]:
        """Revision -> weight, for the revisions that take traffic now."""
        if self.app is None:
            return {}
        return {w.revision_name: w.weight for w in self.app.traffic if w.weight > 0 and w.revision_name}

    def restarts(self, revision: str) -> int:
        return sum(r.restart_count for r in self.replicas.get(revision, ()))


@dataclass(frozen=True)
class Finding(StatusFinding):
    """One thing the diagnostics found (a status and why), where, and which recovery it points to.

    `points_to` is "revision" when a serving revision is at fault (`revision` names it: another revision
    should take the traffic), "replicas" when replicas crash or do not answer (a restart may help),
    "dependency" when a dependency fails from the app side (no recovery option fixes that); `subject`
    names the revision at fault or the failing check.
    """

    area: str = ""
    points_to: str = ""
    subject: str = ""

    def row(self) -> dict[str, Any]:
        return {"status": self.status, "area": self.area, "finding": self.reason}

    def line(self) -> str:
        return f"{self.status} {self.area}: {self.reason}"


@dataclass(frozen=True)
class Summary:
    findings: tuple[Finding, ...]
    suggestion: str  # restart | activate_last_good | manual | none
    reason: str
    candidates: tuple[str, ...] = ()

    @property
    def status(self) -> Status:
        """The worst finding; INFO findings alone leave the diagnosis at PASS."""
        return worst([Status.PASS, *(f.status for f in self.findings)])

    def rows(self) -> list[dict[str, Any]]:
        if not self.findings:
            return [{"status": Status.PASS, "area": "all", "finding": "nothing abnormal found"}]
        return [f.row() for f in sorted(self.findings, key=lambda f: -f.status.rank)]

    def suggestion_text(self) -> str:
        if self.suggestion in ("manual", "none"):
            return f"suggested: {self.reason}"
        good = self.candidates[:1] if self.suggestion == "activate_last_good" else ()
        extra = "".join(f' last_good_revision="{name}"' for name in good)
        return f'suggested: recovery="{self.suggestion}"{extra} — {self.reason}'


def last_good_candidates(revisions: Sequence[Revision], traffic: Mapping[str, int]) -> tuple[str, ...]:
    """Revisions that could take the traffic back: provisioned, not failed, not serving now; newest first.

    A Healthy active revision ranks before an inactive one (an inactive revision's health is unknown until
    it runs again).
    """
    pool = [
        r
        for r in revisions
        if r.name not in traffic
        and r.provisioning_state == "Provisioned"
        and r.running_state != "Failed"
        and r.health_state != "Unhealthy"
    ]
    pool.sort(key=lambda r: r.created_time.timestamp() if r.created_time else 0.0, reverse=True)
    pool.sort(key=lambda r: 0 if (r.active and r.healthy) else 1)
    return tuple(r.name for r in pool)


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Seen:
    """What the rules read: the diagnostics and the error-rate thresholds."""

    d: Diagnostics
    error_rate_fail: float = 0.10
    error_rate_warn: float = 0.01


Findings = Iterator[Finding]


def unreadable_sources(s: Seen) -> Findings:
    for source, why in s.d.unavailable.items():
        yield Finding(Status.WARN, f"could not read {source}: {why}", source)


def app_not_running(s: Seen) -> Findings:
    if s.d.app is not None and s.d.app.running_status not in ("Running", "Unknown", ""):
        yield Finding(Status.FAIL, f"running status is {s.d.app.running_status}", "app", "replicas")


def app_not_provisioned(s: Seen) -> Findings:
    if s.d.app is not None and s.d.app.provisioning_state not in ("Succeeded", "Provisioned", ""):
        yield Finding(Status.WARN, f"provisioning state is {s.d.app.provisioning_state}", "app")


def no_traffic(s: Seen) -> Findings:
    if s.d.app is not None and not s.d.traffic():
        yield Finding(Status.FAIL, "no revision takes traffic", "traffic")


def serving_revision_failing(s: Seen) -> Findings:
    """A revision with traffic that is inactive, unhealthy, failed or degraded."""
    for rev, weight in _serving(s.d):
        if not rev.active:
            why = "but is inactive"
        elif rev.health_state != "Healthy" or rev.running_state in ("Failed", "Degraded"):
            why = f"and is {rev.health_state} (running {rev.running_state})"
        else:
            continue
        text = f"{rev.name} has {weight}% of the traffic {why}"
        yield Finding(Status.FAIL, text, "revision", "revision", rev.name)


def serving_revision_without_replica(s: Seen) -> Findings:
    for rev, weight in _serving(s.d):
        if rev.active and rev.replicas == 0:
            text = f"{rev.name} has {weight}% of the traffic and no running replica"
            yield Finding(Status.FAIL, text, "replicas", "replicas")


def replicas_restarted(s: Seen) -> Findings:
    for rev, _ in _serving(s.d):
        if restarts := s.d.restarts(rev.name):
            text = f"{rev.name}: replicas restarted {restarts} time(s)"
            yield Finding(Status.WARN, text, "replicas", "replicas")


def health_probes_failing(s: Seen) -> Findings:
    for check in s.d.health:
        if check.status == Status.FAIL:
            text = f"{check.name} through the app URL: {check.detail}"
            yield Finding(Status.FAIL, text, "health", "replicas")


def error_rate(s: Seen) -> Findings:
    traffic = s.d.traffic()
    for name, st in (s.d.stats or {}).items():
        rate = st.error_rate
        if rate is None or name not in traffic:
            continue
        text = f"{name}: {100 * rate:.1f}% 5xx ({st.errors_5xx}/{st.requests})"
        if rate >= s.error_rate_fail:
            yield Finding(Status.FAIL, text, "telemetry", "revision", name)
        elif rate >= s.error_rate_warn:
            yield Finding(Status.WARN, text, "telemetry")


def exceptions_seen(s: Seen) -> Findings:
    if s.d.exceptions:
        kinds = sorted({e.type for e in s.d.exceptions})
        text = f"{len(s.d.exceptions)} exception(s): {', '.join(kinds[:4])}"
        yield Finding(Status.WARN, text, "exceptions")


def resources_not_succeeded(s: Seen) -> Findings:
    for r in s.d.resources or ():
        status = provisioning_status(r.provisioning_state)
        if status is not Status.PASS:
            yield Finding(status, f"{r.name} ({r.type}) is {r.provisioning_state}", "resources")


def provisioning_status(state: str | None) -> Status:
    """A resource's provisioning state judged: Succeeded (or none) passes, Failed fails, others warn."""
    state = state or "Succeeded"
    return Status.PASS if state == "Succeeded" else Status.FAIL if state == "Failed" else Status.WARN


def dependency_checks(s: Seen) -> Findings:
    for dep in s.d.dependencies:
        if dep.status == Status.FAIL:
            text = f"{dep.check}: {dep.output.strip()[-200:]}"
            yield Finding(Status.FAIL, text, "dependency", "dependency", dep.check)
        elif dep.status == MANUAL:
            yield Finding(Status.INFO, f"{dep.check}: run by hand (MANUAL)", "dependency")


#: the diagnosis, one rule per symptom the runbook's Immediate Actions look for (all of them apply)
RULES: tuple[Callable[[Seen], Findings], ...] = (
    unreadable_sources,
    app_not_running,
    app_not_provisioned,
    no_traffic,
    serving_revision_failing,
    serving_revision_without_replica,
    replicas_restarted,
    health_probes_failing,
    error_rate,
    exceptions_seen,
    resources_not_succeeded,
    dependency_checks,
)


def _serving(d: Diagnostics) -> Iterator[tuple[Revision, int]]:
    by_name = {r.name: r for r in d.revisions}
    return ((by_name[n], w) for n, w in d.traffic().items() if n in by_name)


def suggest(findings: Sequence[Finding], candidates: Sequence[str]) -> tuple[str, str]:
    """(recovery, why): the decision table over what the findings point to; first row that applies."""
    at = {p: list(dict.fromkeys(f.subject for f in findings if f.points_to == p)) for p in _POINTS}
    if at["dependency"]:
        return "manual", (
            f"a dependency fails from the app side ({', '.join(at['dependency'])}): a restart will not fix "
            "it; work through the manual checks and the runbook's recovery actions below"
        )
    if at["revision"] and candidates:
        return "activate_last_good", (
            f"{', '.join(at['revision'])} serves traffic and fails; "
            f"{candidates[0]} is the newest revision that was provisioned"
        )
    if at["revision"] or any(f.points_to == "replicas" for f in findings):
        return (
            "restart",
            "replicas of the serving revision(s) are failing and no other revision is known good",
        )
    if any(f.status.failed for f in findings):
        return "none", "failures found that no recovery option addresses: see the findings"
    return "none", "no recovery needed: the app serves and its revisions are healthy"


_POINTS = ("dependency", "revision")


def summarize(d: Diagnostics, *, error_rate_fail: float = 0.10, error_rate_warn: float = 0.01) -> Summary:
    """Findings (FAIL/WARN/INFO) from the diagnostics and the recovery they point to; pure."""
    seen = Seen(d, error_rate_fail, error_rate_warn)
    findings = tuple(f for rule in RULES for f in rule(seen))
    candidates = last_good_candidates(d.revisions, d.traffic())
    suggestion, reason = suggest(findings, candidates)
    return Summary(findings, suggestion, reason, candidates)


def gather(
    env: Environment,
    scenario: str,
    *,
    now: datetime,
    window_minutes: float = 15,
    health_timeout_s: float = 10.0,
) -> Diagnostics:
    """Read every diagnostic source once; unreadable sources are recorded in `unavailable`."""
    unavailable: dict[str, str] = {}

    def read(source: str, fn: Callable[[], Any], default: Any = None) -> Any:
        try:
            return fn()
        except ApexopsError as exc:
            unavailable[source] = exc.message + (f" HINT: {exc.hint}" if exc.hint else "")
            return default

    app = read("container app", env.app.show)
    revisions = tuple(read("revisions", env.app.list_revisions, []))
    replicas = {
        r.name: tuple(read(f"replicas of {r.name}", partial(env.app.list_replicas, r.name), []))
        for r in revisions
        if r.active
    }
    health: tuple[CheckResult, ...] = ()
    if app is not None and app.url:
        with make_client(app.url, timeout_s=health_timeout_s) as client:
            health = (check_live(client), check_ready(client))
    since = now - timedelta(minutes=window_minutes)
    blob = scenario == "blob"
    return Diagnostics(
        scenario,
        app,
        revisions,
        replicas,
        health,
        resources=read("resources", lambda: tuple(env.deployments.list_resources())),
        stats=read("request telemetry", lambda: env.telemetry.request_stats(since, now)),
        exceptions=tuple(read("exceptions", lambda: env.telemetry.exceptions(since, now, limit=200), [])),
        containers=read("blob containers", lambda: tuple(env.blobs.list_containers())) if blob else None,
        unavailable=unavailable,
    )
