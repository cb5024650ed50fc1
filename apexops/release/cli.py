"""Moved to `apexops.sandbox.rehearsal_cli` (`apexops rehearse` brings the sandbox up and resets it).

A transitional alias, kept only until `apexops/cli.py` registers "apexops.sandbox.rehearsal_cli:app";
then delete this file. Resolved on use, so `apexops.release` itself depends on no adapter.
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    return getattr(importlib.import_module("apexops.sandbox.rehearsal_cli"), name)
