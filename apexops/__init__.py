"""apexops: the APEX production runbook as executable, audited Jupyter procedures.

The public API a notebook uses, kept small; heavy modules (settings validation, adapters, Azure SDKs,
papermill) load on first use so `import apexops` stays fast.

    env = apexops.connect("local")          # wired adapters for an environment (sandbox by default)
    apexops.record("new_revision", name)     # a key fact of this run, for the ledger
    apexops.record_verdict(verdict)          # the run's headline in the ledger and the reviewers' index
    path = apexops.evidence() / "config.json"  # the run's evidence folder
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
    from apexops.environment import Environment, connect
    from apexops.kernel import evidence, record, record_verdict, run_context
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
    "load_settings",
    "record",
    "record_verdict",
    "run_context",
]

_LAZY = {
    "connect": "apexops.environment",
    "Environment": "apexops.environment",
    "load_settings": "apexops.settings",
    "Settings": "apexops.settings",
    "record": "apexops.kernel",
    "record_verdict": "apexops.kernel",
    "evidence": "apexops.kernel",
    "run_context": "apexops.kernel",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'apexops' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
