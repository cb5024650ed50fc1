"""The procedures: `notebooks/NN-name.ipynb`, found by id ("20"), full name ("20-database-migration") or
name ("database-migration"), with their titles and parameters as the parameters cell declares them.

Parameters come from `papermill.inspect_notebook`, i.e. exactly what papermill will inject; papermill is
imported only when parameters are asked for (it costs ~1.7 s).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from apexops.errors import UnknownProcedureError

__all__ = ["Parameter", "Procedure", "list_procedures", "notebooks_dir", "resolve"]

_NAME = re.compile(r"^(?P<id>\d{2,3})-(?P<name>[a-z0-9][a-z0-9-]*)\.ipynb$")


def notebooks_dir(path: Path | str | None = None) -> Path:
    """Where procedures live: the argument, else APEXOPS_NOTEBOOKS, else `<project>/notebooks`."""
    if path is not None:
        return Path(path)
    if env := os.environ.get("APEXOPS_NOTEBOOKS"):
        return Path(env)
    from apexops.settings import project_root  # settings loads pydantic: not for `apexops --help`

    return project_root() / "notebooks"


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str | None  # the annotation text, e.g. "bool", "str | None"; None when not annotated
    default: str  # the default as written in the cell, e.g. "'local'"
    help: str = ""


@dataclass(frozen=True)
class Procedure:
    id: str
    name: str
    path: Path

    @property
    def slug(self) -> str:
        return f"{self.id}-{self.name}"

    def __str__(self) -> str:
        return self.slug

    @cached_property
    def _json(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))

    @property
    def title(self) -> str:
        """The first markdown heading, without the leading #s."""
        for cell in self._json.get("cells", []):
            if cell.get("cell_type") != "markdown":
                continue
            source = "".join(cell.get("source", []))
            for line in source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
        return self.name.replace("-", " ")

    def parameters(self) -> list[Parameter]:
        """The parameters cell as papermill sees it (names, annotation types, defaults, `# help`)."""
        import papermill

        found = papermill.inspect_notebook(str(self.path))
        return [
            Parameter(
                name=name,
                type=None if p.get("inferred_type_name") in (None, "None") else p["inferred_type_name"],
                default=str(p.get("default", "")),
                help=str(p.get("help", "") or ""),
            )
            for name, p in found.items()
        ]


def list_procedures(directory: Path | str | None = None) -> list[Procedure]:
    """Every `NN-name.ipynb` in the notebooks folder, by id."""
    folder = notebooks_dir(directory)
    if not folder.is_dir():
        return []
    out = []
    for path in folder.iterdir():
        m = _NAME.match(path.name)
        if m and path.is_file():
            out.append(Procedure(id=m["id"], name=m["name"], path=path))
    return sorted(out, key=lambda p: (int(p.id), p.name))


def resolve(query: str, directory: Path | str | None = None) -> Procedure:
    """The procedure named by an id, a full name, a name, or a path to a notebook file."""
    text = (query or "").strip()
    path = Path(text)
    if text.endswith(".ipynb") and path.is_file():
        m = _NAME.match(path.name)
        return Procedure(id=m["id"] if m else "", name=m["name"] if m else path.stem, path=path.resolve())
    procedures = list_procedures(directory)
    q = text.lower().removesuffix(".ipynb")
    matches = [p for p in procedures if q in (p.slug, p.name) or (q.isdigit() and int(q) == int(p.id))]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(p.slug for p in procedures) or f"none (no notebooks in {notebooks_dir(directory)})"
    if matches:
        raise UnknownProcedureError(
            f"procedure {query!r} is ambiguous ({', '.join(p.slug for p in matches)}).",
            hint="use the full name, e.g. " + matches[0].slug + ".",
        )
    raise UnknownProcedureError(
        f"no procedure {query!r}.", hint=f"known procedures: {known} (see `apexops procedures`)."
    )
