"""Procedure 90 and `apexops rehearse`: the whole release as one audited run of child runs.

    plan = plan_release(settings, ReleaseInputs(env="local", dry_run=False, image_tag="v1.2.3"))
    release = Release(plan, plan.approvals("RELEASE v1.2.3 TO local"), env=target)
    result = release.run()        # 20 → 30 → 40 → 50 (→ 60), each a run of its own linked to this one
    apexops.finish(release)       # release.verdict() (an apexops.status.Verdict) and release.facts()

`apexops.release.chain` holds the decisions as pure functions (what each child gets, when the chain stops,
when 60 runs, the verdict's decision table); `orchestrator` runs them; `timeline` and `view` show them;
`scenarios` and `rehearse` drive rehearsals (the sandbox's part is `apexops.sandbox.rehearsal`). Nothing
heavy is imported until used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apexops.release.orchestrator import Release
    from apexops.release.plan import ReleaseInputs, plan_release

__all__ = ["Release", "ReleaseInputs", "plan_release"]

_LAZY = {
    "ReleaseInputs": "apexops.release.plan",
    "plan_release": "apexops.release.plan",
    "Release": "apexops.release.orchestrator",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'apexops.release' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
