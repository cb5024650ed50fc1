"""The procedures: `notebooks/NN-name.ipynb`, found by id ("20"), full name ("20-database-migration") or
name ("database-migration"), with their titles and parameters as the parameters cell declares them.

Parameters come from `papermill.inspect_notebook`, i.e. exactly what papermill will inject; papermill is
imported only when parameters are asked for (it costs ~1.7 s).

A notebook that is not valid nbformat-4 JSON raises one ConfigError line naming the file (`apexops run` exits
2 before anything is written); `apexops procedures` lists it as unreadable and goes on with the others.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from apexops.errors import ConfigError, UnknownProcedureError

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

    def _unreadable(self, why: str) -> ConfigError:
        return ConfigError(
            f"notebook {self.path.name} is not a readable notebook ({why}).",
            hint=f"restore it (e.g. git checkout -- {self.path.name}) or fix it in JupyterLab.",
        )

    @cached_property
    def _json(self) -> dict[str, Any]:
        """The notebook's JSON, checked to be nbformat 4 with a list of cells of text sources."""
        try:
            data = json.loads(self.path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise self._unreadable(type(exc).__name__) from None
        if not isinstance(data, dict) or data.get("nbformat") != 4:
            version = data.get("nbformat") if isinstance(data, dict) else None
            raise self._unreadable(f"nbformat {version!r}, expected 4")
        cells = data.get("cells")
        if not isinstance(cells, list) or not all(
            isinstance(c, dict) and isinstance(c.get("source", ""), str | list) for c in cells
        ):
            raise self._unreadable("its cells are not a list of cells")
        return data

    def check(self) -> None:
        """Raise ConfigError (one line) unless the notebook is valid nbformat 4, as papermill will need it."""
        import nbformat  # with papermill: only for commands that read parameters

        try:
            with warnings.catch_warnings():  # e.g. MissingIDFieldWarning: not the operator's concern here
                warnings.simplefilter("ignore")
                nbformat.validate(nbformat.from_dict(self._json))
        except nbformat.ValidationError as exc:
            raise self._unreadable(f"invalid nbformat 4: {' '.join(str(exc.message).split())[:80]}") from None

    @property
    def title(self) -> str:
        """The first markdown heading, without the leading #s."""
        for cell in self._json["cells"]:
            if cell.get("cell_type") != "markdown":
                continue
            source = "".join(map(str, cell.get("source", [])))
            for line in source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
        return self.name.replace("-", " ")

    def parameters(self) -> list[Parameter]:
        """The parameters cell as papermill sees it (names, annotation types, defaults, `# help`)."""
        import papermill

        self.check()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = papermill.inspect_notebook(str(self.path))
        except Exception as exc:  # valid nbformat yet unreadable by papermill (e.g. an odd kernelspec)
            raise self._unreadable(f"papermill: {' '.join(str(exc).split())[:80]}") from None
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
