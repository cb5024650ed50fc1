"""Check results and the smoke report: verdicts as data, with reasons, ready for a table.

A check never raises for a failed expectation; it returns FAIL with the detail and a hint to the next
step, so a notebook keeps going to the cleanup and the verdict cell decides whether the run fails
(Argo Rollouts analysis style: measurements → verdict with reasons).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["CheckResult", "CheckStatus", "SmokeReport", "overall_status", "show_checks"]

CheckStatus = Literal["PASS", "FAIL", "SKIPPED", "INCONCLUSIVE"]
_STATUSES = ("PASS", "FAIL", "SKIPPED", "INCONCLUSIVE")


@dataclass(frozen=True)
class CheckResult:
    """One check: what was checked, how it went, how long it took, what to do next.

    `data` carries structured details (readiness checks, latency statistics, ids) for displays and
    facts; it never holds a secret.
    """

    name: str
    status: CheckStatus
    duration_ms: float
    detail: str
    hint: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(f"status must be one of {_STATUSES} (got {self.status!r})")

    def row(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status,
            "ms": round(self.duration_ms, 1),
            "detail": self.detail,
            "hint": self.hint,
        }


def overall_status(checks: Sequence[CheckResult]) -> CheckStatus:
    """Any FAIL → FAIL; else any INCONCLUSIVE → INCONCLUSIVE; else PASS (SKIPPED does not count)."""
    statuses = {c.status for c in checks}
    if "FAIL" in statuses:
        return "FAIL"
    if "INCONCLUSIVE" in statuses:
        return "INCONCLUSIVE"
    return "PASS"


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
    def verdict(self) -> CheckStatus:
        """The checks decide; a failed cleanup fails the run too (test data would be left behind)."""
        return overall_status(self.all_results)

    @property
    def reasons(self) -> list[str]:
        bad = [c for c in self.all_results if c.status in ("FAIL", "INCONCLUSIVE")]
        if not bad:
            passed = sum(1 for c in self.all_results if c.status == "PASS")
            skipped = sum(1 for c in self.all_results if c.status == "SKIPPED")
            return [f"{passed} checks passed" + (f", {skipped} skipped" if skipped else "")]
        return [f"{c.name}: {c.status} — {c.detail}" + (f" HINT: {c.hint}" if c.hint else "") for c in bad]

    def rows(self) -> list[dict[str, Any]]:
        return [c.row() for c in self.all_results]

    def raise_for_failure(self) -> None:
        """Any FAIL stops the run (and a release chain): the runbook says do not proceed."""
        if self.verdict == "FAIL":
            from apexops.errors import VerificationError

            failed = [c for c in self.all_results if c.status == "FAIL"]
            raise VerificationError(
                f"smoke tests failed on {self.revision or self.target_url}: "
                + "; ".join(f"{c.name}: {c.detail}" for c in failed),
                hint=failed[0].hint or "do not shift traffic; investigate (80-troubleshooting)",
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
    from apexops.display import show_table

    show_table([r.row() for r in results], status_column="status", title=title)
