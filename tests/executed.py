"""Reading an executed notebook as text, for content assertions in the papermill-in-pytest tests.

Imported by name: tests/conftest.py puts this folder on sys.path (pytest runs with --import-mode=importlib).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def notebook_text(result: Any) -> str:
    """Everything the executed notebook shows: the runner's outcome cell, text and markdown renderings,
    streams and error values (`result` is a RunResult or anything with a `notebook_path`)."""
    nb = json.loads(Path(result.notebook_path).read_text())
    parts = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and "apexops-outcome" in cell.get("metadata", {}).get("tags", []):
            parts.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            parts.append("".join(data.get("text/plain", "")) + "".join(data.get("text/markdown", "")))
            parts.append("".join(out.get("text", "")) + str(out.get("evalue", "")))
    return "\n".join(parts)
