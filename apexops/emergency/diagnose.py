"""Emergency diagnostics: gather what the runbook's "Immediate Actions" read, then judge it as data.

`gather` reads each source on its own (app status, health probes through the app URL, revisions with their
replicas, resource provisioning states, request telemetry, exceptions, and the scenario's dependency
checks from the app side); a source that cannot be read becomes a finding, never an exception that hides
the others. `summarize` is pure: findings with severities and a suggested recovery with its reason, for
the operator to choose (it never acts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from apexops.errors import ApexopsError

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
Severity = Literal["FAIL", "WARN", "INFO"]


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
class Finding:
    severity: Severity
    area: str
    text: str

    def row(self) -> dict[str, Any]:
        return {"status": self.severity, "area": self.area, "finding": self.text}


@dataclass(frozen=True)
class Summary:
    findings: tuple[Finding, ...]
    suggestion: str  # "" | restart | activate_last_good | manual | none
    reason: str
    candidates: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        sev = {f.severity for f in self.findings}
        return "FAIL" if "FAIL" in sev else "WARN" if "WARN" in sev else "PASS"

    def rows(self) -> list[dict[str, Any]]:
        if not self.findings:
            return [{"status": "PASS", "area": "all", "finding": "nothing abnormal found"}]
        order = {"FAIL": 0, "WARN": 1, "INFO": 2}
        return [f.row() for f in sorted(self.findings, key=lambda f: order[f.severity])]

    def suggestion_text(self) -> str:
        if self.suggestion in ("restart", "activate_last_good", "scale_to_zero_and_back"):
            extra = (
                f' last_good_revision="{self.candidates[0]}"'
                if (self.suggestion == "activate_last_good" and self.candidates)
                else ""
            )
            return f'suggested: recovery="{self.suggestion}"{extra} — {self.reason}'
        return f"suggested: {self.reason}"


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


def summarize(d: Diagnostics, *, error_rate_fail: float = 0.10, error_rate_warn: float = 0.01) -> Summary:
    """Findings (FAIL/WARN/INFO) from the diagnostics and the recovery they point to; pure."""
    f: list[Finding] = []
    for source, why in d.unavailable.items():
        f.append(Finding("WARN", source, f"could not read {source}: {why}"))
    traffic = d.traffic()
    bad_traffic: list[str] = []
    crashed = False
    if d.app is not None:
        if d.app.running_status not in ("Running", "Unknown", ""):
            f.append(Finding("FAIL", "app", f"running status is {d.app.running_status}"))
            crashed = True
        if d.app.provisioning_state not in ("Succeeded", "Provisioned", ""):
            f.append(Finding("WARN", "app", f"provisioning state is {d.app.provisioning_state}"))
        if not traffic:
            f.append(Finding("FAIL", "traffic", "no revision takes traffic"))
    by_name = {r.name: r for r in d.revisions}
    for name, weight in traffic.items():
        rev = by_name.get(name)
        if rev is None:
            continue
        if not rev.active:
            f.append(Finding("FAIL", "revision", f"{name} has {weight}% of the traffic but is inactive"))
            bad_traffic.append(name)
        elif rev.health_state != "Healthy" or rev.running_state in ("Failed", "Degraded"):
            f.append(
                Finding(
                    "FAIL",
                    "revision",
                    f"{name} has {weight}% of the traffic and is "
                    f"{rev.health_state} (running {rev.running_state})",
                )
            )
            bad_traffic.append(name)
        if rev.active and rev.replicas == 0:
            f.append(
                Finding("FAIL", "replicas", f"{name} has {weight}% of the traffic and no running replica")
            )
            crashed = True
        restarts = d.restarts(name)
        if restarts:
            f.append(Finding("WARN", "replicas", f"{name}: replicas restarted {restarts} time(s)"))
            crashed = True
    for check in d.health:
        if check.status == "FAIL":
            f.append(Finding("FAIL", "health", f"{check.name} through the app URL: {check.detail}"))
    if d.stats is not None:
        for name, s in d.stats.items():
            rate = s.error_rate
            if rate is None or name not in traffic:
                continue
            if rate >= error_rate_fail:
                f.append(
                    Finding(
                        "FAIL", "telemetry", f"{name}: {100 * rate:.1f}% 5xx ({s.errors_5xx}/{s.requests})"
                    )
                )
                if name not in bad_traffic:
                    bad_traffic.append(name)
            elif rate >= error_rate_warn:
                f.append(
                    Finding(
                        "WARN", "telemetry", f"{name}: {100 * rate:.1f}% 5xx ({s.errors_5xx}/{s.requests})"
                    )
                )
    if d.exceptions:
        kinds = sorted({e.type for e in d.exceptions})
        f.append(Finding("WARN", "exceptions", f"{len(d.exceptions)} exception(s): {', '.join(kinds[:4])}"))
    if d.resources is not None:
        bad = [r for r in d.resources if (r.provisioning_state or "Succeeded") != "Succeeded"]
        for r in bad:
            f.append(
                Finding(
                    "FAIL" if r.provisioning_state == "Failed" else "WARN",
                    "resources",
                    f"{r.name} ({r.type}) is {r.provisioning_state}",
                )
            )
    dependency_failed = []
    for dep in d.dependencies:
        if dep.status == "FAIL":
            f.append(Finding("FAIL", "dependency", f"{dep.check}: {dep.output.strip()[-200:]}"))
            dependency_failed.append(dep.check)
        elif dep.status == "MANUAL":
            f.append(Finding("INFO", "dependency", f"{dep.check}: run by hand (MANUAL)"))
    candidates = last_good_candidates(d.revisions, traffic)

    if dependency_failed:
        return Summary(
            tuple(f),
            "manual",
            "a dependency fails from the app side "
            f"({', '.join(dependency_failed)}): a restart will not fix it; work through the "
            "manual checks and the runbook's recovery actions below",
            candidates,
        )
    if bad_traffic and candidates:
        return Summary(
            tuple(f),
            "activate_last_good",
            f"{', '.join(bad_traffic)} serves traffic and fails; "
            f"{candidates[0]} is the newest revision that was provisioned",
            candidates,
        )
    if bad_traffic or crashed or any(x.area == "health" for x in f):
        return Summary(
            tuple(f),
            "restart",
            "replicas of the serving revision(s) are failing and no other revision is known good",
            candidates,
        )
    if any(x.severity == "FAIL" for x in f):
        return Summary(
            tuple(f), "none", "failures found that no recovery option addresses: see the findings", candidates
        )
    return Summary(
        tuple(f), "none", "no recovery needed: the app serves and its revisions are healthy", candidates
    )


def _try(unavailable: dict[str, str], source: str, fn: Any, default: Any = None) -> Any:
    try:
        return fn()
    except ApexopsError as exc:
        unavailable[source] = exc.message + (f" HINT: {exc.hint}" if exc.hint else "")
        return default


def gather(
    env: Environment,
    scenario: str,
    *,
    now: datetime,
    window_minutes: float = 15,
    dependencies: Sequence[ExecOutcome] = (),
    health_timeout_s: float = 10.0,
) -> Diagnostics:
    """Read every diagnostic source once; unreadable sources are recorded in `unavailable`."""
    unavailable: dict[str, str] = {}
    app = _try(unavailable, "container app", env.app.show)
    revisions = tuple(_try(unavailable, "revisions", env.app.list_revisions, []))
    replicas: dict[str, tuple[Replica, ...]] = {}
    for rev in revisions:
        if rev.active:
            replicas[rev.name] = tuple(
                _try(unavailable, f"replicas of {rev.name}", lambda r=rev: env.app.list_replicas(r.name), [])
            )
    health: tuple[CheckResult, ...] = ()
    if app is not None and app.url:
        from apexops.smoke.checks import check_live, check_ready, make_client

        with make_client(app.url, timeout_s=health_timeout_s) as client:
            health = (check_live(client), check_ready(client))
    resources = _try(unavailable, "resources", env.deployments.list_resources)
    since = now - timedelta(minutes=window_minutes)
    stats = _try(unavailable, "request telemetry", lambda: env.telemetry.request_stats(since, now))
    exceptions = tuple(
        _try(unavailable, "exceptions", lambda: env.telemetry.exceptions(since, now, limit=200), [])
    )
    containers = None
    if scenario == "blob":
        containers = _try(unavailable, "blob containers", env.blobs.list_containers)
        containers = tuple(containers) if containers is not None else None
    return Diagnostics(
        scenario=scenario,
        app=app,
        revisions=revisions,
        replicas=replicas,
        health=health,
        resources=tuple(resources) if resources is not None else None,
        stats=stats,
        exceptions=exceptions,
        dependencies=tuple(dependencies),
        containers=containers,
        unavailable=unavailable,
    )
