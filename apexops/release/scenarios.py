"""What can go wrong in a rehearsal: one scenario per failure path of a release, and how each should end.

    none            the new release v1.2.3: migrated, deployed, smoke-tested, promoted to 100%
    migration-lint  the release's migration adds a NOT NULL column without a default: 20 blocks at lint
    crash           v1.2.4-crash exits at start: 30 stops, no traffic moved
    smoke           document uploads answer 500: deploys healthy, 40 fails, no traffic moved
    canary-errors   passes smoke, then answers 30% 500s under load: 50 rolls back, 60 runs
    canary-latency  passes smoke, then answers half its requests 2.5 s late: 50 rolls back, 60 runs

The scenarios' images are the target's to provide (the sandbox registers them with fault profiles:
`apexops.sandbox.rehearsal.rehearsal_images`).

A scenario's expectation is data: the children that must run with their outcomes, and the release verdict.
A scenario that is supposed to roll back is a successful *rehearsal* when it rolls back; the 90 run itself
is still a failed release.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexops.errors import ConfigError
from apexops.release.chain import ReleaseOutcome
from apexops.release.timeline import NotRun
from apexops.schema import MIGRATIONS_DIR
from apexops.status import Outcome

__all__ = ["REHEARSAL_MIGRATIONS", "SCENARIOS", "Scenario", "apex_revision", "check_expectation", "scenario"]

#: the Alembic history with the blocking revision (APEX 0001-0002 + r003)
REHEARSAL_MIGRATIONS = Path(__file__).resolve().parent / "rehearsal_migrations"

MIGRATE, DEPLOY, SMOKE, SHIFT, ROLLBACK = (
    "20-database-migration",
    "30-application-deployment",
    "40-smoke-tests",
    "50-traffic-shifting",
    "60-rollback",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    #: what goes wrong, for the engineer
    title: str
    image_tag: str
    #: children that must run, in order, with their outcome
    expect_children: tuple[tuple[str, Outcome], ...]
    #: the release verdict the chain must end in (promoted | failed | rolled_back)
    expect_verdict: ReleaseOutcome
    #: rehearse with the blocking migration history
    blocking_migration: bool = False
    #: what to look at in the records afterwards
    lesson: str = ""

    @property
    def rolls_back(self) -> bool:
        return self.expect_verdict is ReleaseOutcome.ROLLED_BACK


_OK, _FAIL = Outcome.SUCCEEDED, Outcome.FAILED

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "none",
            "nothing goes wrong: the new release is promoted to 100%",
            "v1.2.3",
            ((MIGRATE, _OK), (DEPLOY, _OK), (SMOKE, _OK), (SHIFT, _OK)),
            ReleaseOutcome.PROMOTED,
            lesson="the canary's stages and the judge's decisions in 50; the old revision stays active at 0%",
        ),
        Scenario(
            "migration-lint",
            "the release's migration adds a NOT NULL column without a default (MIG-007)",
            "v1.2.3",
            ((MIGRATE, _FAIL),),
            ReleaseOutcome.FAILED,
            blocking_migration=True,
            lesson="20's lint table: the BLOCK finding, why, and the safe alternative; nothing was changed",
        ),
        Scenario(
            "crash",
            "the new image exits at start (a missing environment variable)",
            "v1.2.4-crash",
            ((MIGRATE, _OK), (DEPLOY, _FAIL)),
            ReleaseOutcome.FAILED,
            lesson="30's troubleshooting step: the startup error from the console logs; no traffic moved",
        ),
        Scenario(
            "smoke",
            "the new image deploys healthy but its document uploads answer 500",
            "v1.2.5-uploads-broken",
            ((MIGRATE, _OK), (DEPLOY, _OK), (SMOKE, _FAIL)),
            ReleaseOutcome.FAILED,
            lesson="40's document upload check and the server's answer; the revision never got traffic",
        ),
        Scenario(
            "canary-errors",
            "the new image passes the smoke tests, then answers 30% 500s under load",
            "v1.2.5-errors-under-load",
            ((MIGRATE, _OK), (DEPLOY, _OK), (SMOKE, _OK), (SHIFT, _FAIL), (ROLLBACK, _OK)),
            ReleaseOutcome.ROLLED_BACK,
            lesson="50's decision table: how many canary requests failed before the rollback; 60's record",
        ),
        Scenario(
            "canary-latency",
            "the new image passes the smoke tests, then answers half its requests 2.5 s late under load",
            "v1.2.5-slow-under-load",
            ((MIGRATE, _OK), (DEPLOY, _OK), (SMOKE, _OK), (SHIFT, _FAIL), (ROLLBACK, _OK)),
            ReleaseOutcome.ROLLED_BACK,
            lesson="50's slow-request counts against the baseline's, and 60's record",
        ),
    )
}


def scenario(name: str) -> Scenario:
    """The scenario called `name`; ConfigError naming --scenario and the known names otherwise."""
    found = SCENARIOS.get((name or "none").strip().lower())
    if found is None:
        raise ConfigError(
            f"--scenario {name!r} is not a rehearsal scenario.", hint=f"use one of: {', '.join(SCENARIOS)}."
        )
    return found


def check_expectation(expected: Scenario, release: Mapping[str, Any]) -> list[tuple[str, bool, str]]:
    """Compare a finished 90 run's facts with the scenario: (check, ok, detail) rows."""
    children = [
        (str(c.get("procedure")), str(c.get("outcome")))
        for c in release.get("children") or []
        if c.get("outcome") not in (NotRun.SKIPPED, NotRun.NOT_RUN)
    ]
    want = list(expected.expect_children)
    fact = release.get("release") or {}
    verdict, want_verdict = (
        str(fact.get("verdict") or release.get("release_verdict")),
        expected.expect_verdict,
    )
    rolled_back, yes_no = bool(fact.get("rolled_back")), {True: "yes", False: "no"}
    return [
        ("children", children == want, " → ".join(f"{p[:2]} {o}" for p, o in children) or "none ran"),
        ("release verdict", verdict == want_verdict, f"{verdict} (expected {want_verdict})"),
        (
            "rolled back",
            rolled_back == expected.rolls_back,
            f"{yes_no[rolled_back]} (expected {yes_no[expected.rolls_back]})",
        ),
    ]


def apex_revision(prefix: str) -> tuple[Any, ...]:
    """(revision, down_revision, branch_labels, depends_on, upgrade, downgrade) of an APEX revision file.

    The rehearsal history's files for the applied revisions load the real ones, so the rehearsal can never
    drift from the schema the sandbox was seeded with.
    """
    matches = sorted((MIGRATIONS_DIR / "versions").glob(f"{prefix}_*.py"))
    if len(matches) != 1:
        raise ConfigError(
            f"APEX revision {prefix} not found in {MIGRATIONS_DIR / 'versions'}.",
            hint="the rehearsal history loads 0001 and 0002 from the shipped history.",
        )
    spec = importlib.util.spec_from_file_location(f"_apexops_apex_revision_{prefix}", matches[0])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = ("revision", "down_revision", "branch_labels", "depends_on", "upgrade", "downgrade")
    return tuple(getattr(module, name) for name in names)
