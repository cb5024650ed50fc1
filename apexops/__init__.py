"""apexops: the APEX production runbook as executable, audited Jupyter procedures.

The public API a notebook uses, kept small; heavy modules (settings validation, adapters, Azure SDKs,
papermill) load on first use so `import apexops` stays fast.

    target = apexops.connect("local")        # wired adapters for an environment (sandbox by default)
    display.show_context(target, apexops.parameters())  # the parameters cell as it ran
    apexops.record("new_revision", name)     # a key fact of this run, for the ledger
    path = apexops.evidence() / "config.json"  # the run's evidence folder
    apexops.finish(proc)                     # facts and verdict to the ledger, the banner, stop on FAIL
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from apexops._version import __version__
from apexops.errors import (
    ApexopsError,
    ApprovalRequired,
    ConfigError,
    NotFoundError,
    TargetError,
    TrafficError,
)

if TYPE_CHECKING:
    from apexops.environment import Environment
    from apexops.kernel import evidence, record, record_verdict, run_context
    from apexops.procedure import connect, finish, parameters
    from apexops.settings import Settings, load_settings

__all__ = [
    "ApexopsError",
    "ApprovalRequired",
    "ConfigError",
    "Environment",
    "NotFoundError",
    "Settings",
    "TargetError",
    "TrafficError",
    "__version__",
    "connect",
    "evidence",
    "finish",
    "load_settings",
    "parameters",
    "record",
    "record_verdict",
    "run_context",
]

#: name -> the module it loads from on first use
_LAZY = {
    name: module
    for module, names in {
        "apexops.procedure": ("connect", "finish", "parameters"),
        "apexops.environment": ("Environment",),
        "apexops.settings": ("load_settings", "Settings"),
        "apexops.kernel": ("record", "record_verdict", "evidence", "run_context"),
    }.items()
    for name in names
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'apexops' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
