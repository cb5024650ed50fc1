"""Row helpers shared by the migration results: every result renders as a table in a notebook.

Results are frozen dataclasses (verdicts as data); `rows()` gives plain dicts for `apexops.display.show_table`
and `to_frame()` a pandas DataFrame. pandas is imported only when a frame is asked for, so the library
stays importable (and testable) without paying for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Tabular", "frame"]


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows)


class Tabular:
    """Mixin: subclasses implement `rows()`; `to_frame()` comes for free."""

    def rows(self) -> list[dict[str, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        return frame(self.rows())
