"""Static renderings of the charts in an executed notebook (issue 15; stub: filled in by its owner)."""

from __future__ import annotations

from typing import Any

__all__ = ["add_static_images"]


def add_static_images(nb: Any, problems: list[str]) -> None:
    """Give every plotly output of `nb` a static image; a chart that cannot be rendered is a problem noted."""
