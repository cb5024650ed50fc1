"""The lint rule registry: rule id -> the one function that checks it (see `rules.RULES`).

The functions live in `checks_data.py` (what a migration destroys) and `checks_locking.py` (what blocks or
fails mid-flight), each named after its rule (`mig001_drop_table` checks MIG-001); each yields findings from
the Alembic operations (source "op") and/or the rendered statements (source "sql"), and the engine in
`lint.py` merges the two views of the same object. Plan-wide rules (multiple heads, missing lock timeout,
preview failure) live in `lint.py`.
"""

from __future__ import annotations

import re
from types import ModuleType

from apexops.migrations import checks_data, checks_locking
from apexops.migrations.rules import Check

__all__ = ["CHECKS"]


def _registry(*modules: ModuleType) -> dict[str, Check]:
    found = {
        f"MIG-{m.group(1)}": fn
        for module in modules
        for name, fn in vars(module).items()
        if (m := re.fullmatch(r"mig(\d{3})_\w+", name))
    }
    return dict(sorted(found.items()))


CHECKS: dict[str, Check] = _registry(checks_data, checks_locking)
