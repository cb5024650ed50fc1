"""Check results and the smoke report: verdicts as data, with reasons, ready for a table.

A check never raises for a failed expectation; it returns FAIL with the detail and a hint to the next
step, so a notebook keeps going to the cleanup and the verdict cell decides whether the run fails
(Argo Rollouts analysis style: measurements → verdict with reasons).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apexops.display import show_table
from apexops.errors import VerificationError
from apexops.status import Status, Verdict, worst

__all__ = ["CheckResult", "SmokeReport", "show_checks"]

#: the statuses a smoke check can end with
_CHECK_STATUSES = (Status.PASS, Status.FAIL, Status.SKIPPED, Status.INCONCLUSIVE)


@dataclass(frozen=True)
class CheckResult:
    """One check: what was checked, how it went, how long it took, what to do next.

    `data` carries structured details (readiness checks, latency statistics, ids) for displays and
    facts; it never holds a secret.
    """

    name: str
    status: Status
    duration_ms: float
    detail: str
    hint: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in _CHECK_STATUSES:
            raise ValueError(f"status must be one of {', '.join(_CHECK_STATUSES)} (got {self.status!r})")
        object.__setattr__(self, "status", Status(self.status))

    def row(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status,
            "ms": round(self.duration_ms, 1),
            "detail": self.detail,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class SmokeReport:
    """The smoke suite's outcome for one target: the checks, the cleanup, and the verdict."""

    target_url: str
    revision: str | None
    checks: tuple[CheckResult, ...]
    cleanup: tuple[CheckResult, ...] = ()

    @property
    def all_results(self) -> tuple[CheckResult, ...]:
        return self.checks + self.cleanup

    @property
    def verdict(self) -> Status:
        """Worst wins; SKIPPED does not count; a failed cleanup fails the run too (test data left behind)."""
        return worst([Status.PASS, *(c.status for c in self.all_results)])

    @property
    def reasons(self) -> list[str]:
        bad = [c for c in self.all_results if c.status in (Status.FAIL, Status.INCONCLUSIVE)]
        if not bad:
            passed = sum(1 for c in self.all_results if c.status is Status.PASS)
            skipped = sum(1 for c in self.all_results if c.status is Status.SKIPPED)
            return [f"{passed} checks passed" + (f", {skipped} skipped" if skipped else "")]
        return [f"{c.name}: {c.status} — {c.detail}" + (f" HINT: {c.hint}" if c.hint else "") for c in bad]

    def rows(self) -> list[dict[str, Any]]:
        return [c.row() for c in self.all_results]

    def to_verdict(self) -> Verdict:
        """The run's verdict: the failed checks first, then the inconclusive ones, each with its detail.

        A FAIL stops the run (and a release chain) with VerificationError: the runbook says do not proceed.
        """
        bad = sorted(
            (c for c in self.all_results if c.status in (Status.FAIL, Status.INCONCLUSIVE)),
            key=lambda c: -c.status.rank,
        )
        default = "do not shift traffic; investigate (80-troubleshooting)" if self.verdict.failed else ""
        return Verdict(
            self.verdict,
            tuple(f"{c.name}: {c.detail}" for c in bad) or tuple(self.reasons),
            self.facts(),
            hint=(bad[0].hint if bad else "") or default,
            title=f"smoke tests failed on {self.revision or self.target_url}",
            error=VerificationError,
        )

    def facts(self) -> dict[str, Any]:
        """What the ledger keeps for this smoke run (no ids of deleted test data, no secrets)."""
        return {
            "revision": self.revision,
            "target_url": self.target_url,
            "verdict": self.verdict,
            "checks": {c.name: c.status for c in self.all_results},
        }


def show_checks(results: Sequence[CheckResult], title: str) -> None:
    """A notebook table of check results, statuses coloured (apexops.display)."""
    show_table([r.row() for r in results], status_column="status", title=title)
