"""The fuzz suite's harness: `apexops run` in-process, one temporary folder per case, no kernel ever.

`apexops.cli._run_recorded` (the hand-over to the runner) is replaced by a stub that records the call and
exits 0: everything `apexops run` checks before a run happens for real (procedure, `-p` values, declared
ranges, parameters file, cell timeout, outputs folder), and an accepted input costs no kernel. The contract
each case is held to (`Case.check`): exit 2 with exactly one `error:` line and no traceback, or exit 0 for
valid input; and in both cases nothing written anywhere in the case's folder.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import typer
from hypothesis import event

from apexops.cli import main

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PARAMETERS = Path(__file__).resolve().parents[2] / "parameters"


@dataclass
class Case:
    """One CLI invocation in its own folder, and what it printed, returned and wrote."""

    root: Path
    code: int | None = None
    out: str = ""
    err: str = ""
    accepted: list[dict] = field(default_factory=list)

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    def run(self, args: list[str], env: dict[str, str] | None = None) -> Case:
        before = sorted(self.root.rglob("*"))
        stdout, stderr = io.StringIO(), io.StringIO()

        def accept(**kwargs: object) -> None:
            self.accepted.append(kwargs)
            raise typer.Exit(0)

        variables = {"APEXOPS_OUTPUTS": str(self.outputs), "COLUMNS": "200", **(env or {})}
        with (
            mock.patch.dict(os.environ, variables),
            mock.patch("apexops.cli._run_recorded", accept),
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
        ):
            try:
                main(args)
            except SystemExit as stop:
                self.code = stop.code if isinstance(stop.code, int) else 1
        self.out, self.err = stdout.getvalue(), stderr.getvalue()
        self.written = sorted(set(self.root.rglob("*")) - set(before))
        return self

    def check(self) -> None:
        text = self.out + self.err
        event(f"exit {self.code}")  # --hypothesis-show-statistics: how many cases were accepted
        assert "Traceback" not in text, text
        assert self.written == [], f"wrote {self.written}\n{text}"
        if self.code == 0:
            assert len(self.accepted) == 1, text  # valid input: handed to the runner, once
            return
        assert self.code == 2, f"exit {self.code}\n{text}"
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), text
        assert self.accepted == []


@contextlib.contextmanager
def case() -> Iterator[Case]:
    with tempfile.TemporaryDirectory(prefix="apexops-fuzz-") as tmp:
        yield Case(Path(tmp))
