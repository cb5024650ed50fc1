"""`papermill -E apexops`: papermill's own CLI, an audited apexops run (issue 15; stub for its owner).

Registered through the `papermill.engine` entry point. papermill imports this module whenever it loads its
engines, so it must stay light and import nothing heavy at module level.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AuditedEngine"]


class AuditedEngine:
    """Placeholder: behaves as papermill's default engine until the audited path is built."""

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, **kwargs: Any) -> Any:
        from papermill.engines import NBClientEngine

        return NBClientEngine.execute_notebook(nb, kernel_name, **kwargs)
