"""What the runbook's troubleshooting section makes you type after a failed deployment, done inline.

When the new revision does not become healthy, the procedure gathers at once: the revision's recent
console logs, its startup errors (ERROR lines and exceptions), the replicas and their restarts, and the
registry credentials the app is configured with (image pull failures). Each source is read on its own; a
source that cannot be read is reported as a finding, never as a second failure hiding the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from apexops.redact import HIDDEN, looks_secret, scrub_text
from apexops.troubleshoot.logs import log_rows

if TYPE_CHECKING:
    from apexops.models import AppState, LogLine, Replica, Revision
    from apexops.ports import ContainerApp, Telemetry

__all__ = ["Troubleshooting", "gather_troubleshooting", "registry_rows", "startup_errors"]

_ERROR_TEXT = re.compile(r"(traceback|exception|error[:\s]|failed|fatal|cannot|refused)", re.I)
_PULL = re.compile(r"(pull|manifest|unauthori[sz]ed|registry|image .* not found|denied)", re.I)

T = TypeVar("T")

NEXT_STEP = "run 80-troubleshooting, or 30 again with a fixed tag; no traffic was moved"


def startup_errors(lines: Sequence[LogLine]) -> list[LogLine]:
    """ERROR/CRITICAL lines, and lines that read like an exception or a startup failure."""
    return [
        line
        for line in lines
        if line.level.upper() in ("ERROR", "CRITICAL", "FATAL") or _ERROR_TEXT.search(line.message)
    ]


def registry_rows(registries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The runbook's `--query properties.configuration.registries -o table`, secrets hidden."""
    return [
        {str(k): (HIDDEN if looks_secret(str(k)) and v not in (None, "") else v) for k, v in reg.items()}
        for reg in registries
    ]


_READINESS = re.compile(r"GET /health/ready (5\d\d)")


@dataclass(frozen=True)
class Troubleshooting:
    """Everything gathered about a failed revision, ready for tables, plus findings and the next step."""

    revision: str
    logs: tuple[LogLine, ...]
    errors: tuple[LogLine, ...]
    replicas: tuple[Replica, ...]
    registries: tuple[dict[str, Any], ...]
    findings: tuple[str, ...]
    hint: str = NEXT_STEP
    unavailable: tuple[str, ...] = field(default_factory=tuple)

    def log_rows(self) -> list[dict[str, Any]]:
        return log_rows(self.logs)

    def error_rows(self) -> list[dict[str, Any]]:
        return log_rows(self.errors)

    def tables(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """(title, rows) for every table the notebook shows, in reading order."""
        out = [("Findings", [{"finding": f} for f in self.findings])]
        if self.unavailable:
            out.append(("Not available", [{"source": u} for u in self.unavailable]))
        out += [
            ("Startup errors (ERROR lines and exceptions)", self.error_rows()),
            (f"Recent console logs of {self.revision} (repeats folded)", self.log_rows()),
            ("Replicas", self.replica_rows()),
            ("Registry credentials (properties.configuration.registries)", list(self.registries)),
        ]
        return out

    def replica_rows(self) -> list[dict[str, Any]]:
        return [
            {"replica": r.name, "running": r.running_state, "ready": r.ready, "restarts": r.restart_count}
            for r in self.replicas
        ]


def gather_troubleshooting(
    app: ContainerApp,
    telemetry: Telemetry,
    revision: str,
    *,
    state: AppState | None = None,
    tail: int = 100,
) -> Troubleshooting:
    """Logs, startup errors, replicas and registry configuration of `revision`, with findings."""
    findings: list[str] = []
    unavailable: list[str] = []

    def read(what: str, source: Callable[[], T], default: T) -> T:
        try:
            return source()
        except Exception as exc:  # a source that cannot be read is a finding, not a second failure
            unavailable.append(f"{what}: {type(exc).__name__}: {getattr(exc, 'message', exc)}")
            return default

    logs: list[LogLine] = read("console logs", lambda: list(telemetry.console_logs(revision, tail=tail)), [])
    rev: Revision | None = read("revision state", lambda: app.get_revision(revision), None)
    replicas: list[Replica] = read("replicas", lambda: list(app.list_replicas(revision)), [])
    registries: list[dict[str, Any]] = read(
        "registries", lambda: registry_rows((state or app.show()).registries), []
    )
    errors = startup_errors(logs)

    if rev is not None:
        findings.append(
            f"{rev.name}: provisioning {rev.provisioning_state}, health {rev.health_state}, "
            f"running {rev.running_state}, {rev.replicas} replica(s)"
        )
        if rev.provisioning_error:
            findings.append(f"provisioning error: {scrub_text(rev.provisioning_error)}")
    restarts = sum(r.restart_count for r in replicas)
    if restarts:
        findings.append(f"replicas restarted {restarts} time(s): the process exits after starting")
    probes = [m.group(1) for line in logs if (m := _READINESS.search(line.message))]
    if probes:
        findings.append(
            f"readiness probe failing: /health/ready answered {probes[-1]} {len(probes)} time(s) in the last "
            f"{len(logs)} log lines (the process runs but a dependency check fails: database or blob storage)"
        )
    if errors:
        findings.append(f"startup error: {scrub_text(errors[0].message)}")
    elif logs and not probes:
        findings.append(f"no ERROR lines in the last {len(logs)} log lines")
    else:
        findings.append("no console output from the revision (it may never have started)")
    pull_text = " ".join([(rev.provisioning_error or "") if rev else "", *(e.message for e in errors)])
    if _PULL.search(pull_text):
        if registries:
            findings.append("the failure mentions the image pull: check the registry credentials below")
        else:
            findings.append(
                "image pull failure and no registry credentials configured: "
                "az containerapp registry set --identity system"
            )
    elif not registries:
        findings.append("no registry credentials configured on the app (fine for a public or local registry)")
    return Troubleshooting(
        revision=revision,
        logs=tuple(logs),
        errors=tuple(errors),
        replicas=tuple(replicas),
        registries=tuple(registries),
        findings=tuple(findings),
        unavailable=tuple(unavailable),
    )
