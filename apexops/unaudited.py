"""Say so when a procedure runs under plain papermill, where no audit record is written (issue 15; stub)."""

from __future__ import annotations

__all__ = ["notice"]


def notice() -> dict[str, str] | None:
    """The banner bundle to show at the top of an unaudited headless run, or None."""
    return None
