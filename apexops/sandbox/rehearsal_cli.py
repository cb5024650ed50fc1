"""`apexops rehearse [--scenario NAME]`: the whole release on the sandbox, child by child, then the verdict.

Registered in `apexops/cli.py` (EXTENSIONS), imported only when used. It lives with the sandbox because a
rehearsal brings the sandbox up and resets it; the release it runs is `apexops.release.rehearse`'s.

Exit code: 0 when the chain ended the way the scenario expects (a scenario that is supposed to roll back is
a successful rehearsal when it rolls back; the 90 run itself is still recorded as a failed release), 1 when
it did not, 2 for bad input, 130 when interrupted (the interrupt is recorded in the ledger like any run).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from apexops.cli import _print_error, _quiet_libraries
from apexops.errors import ApexopsError
from apexops.release.chain import ReleaseOutcome
from apexops.release.rehearse import RehearsalResult
from apexops.release.scenarios import SCENARIOS
from apexops.release.timeline import NotRun, child_status
from apexops.sandbox import lifecycle
from apexops.sandbox.rehearsal import rehearse as run_rehearsal
from apexops.settings import load_settings
from apexops.status import Outcome, style

__all__ = ["app"]

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

_MARK: dict[str, str] = {
    Outcome.SUCCEEDED: "✓",
    Outcome.FAILED: "✗",
    Outcome.INTERRUPTED: "■",
    NotRun.NOT_STARTED: "✗",
}


def _outcome_style(outcome: str) -> str:
    """The rich style of a child's outcome: its status colour in the one map (apexops.status)."""
    return f"bold {style(child_status(outcome)).fg}"


def _console() -> Console:
    c = Console(highlight=False)
    if not c.is_terminal and "COLUMNS" not in os.environ:
        c.width = 140
    return c


class _Progress:
    """Child-by-child lines; in a terminal the current step of the running child shows on a spinner line."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.status: Any = None
        self.started = time.monotonic()
        self._last_step: dict[str, str] = {}
        self._noted = 0.0

    def line(self, *parts: Any) -> None:
        """One line: the time since the start, then the parts (str, or (str, style))."""
        stamp = (f"{time.monotonic() - self.started:6.1f}s ", "dim")
        self.console.print(Text.assemble(stamp, *parts), soft_wrap=True)

    def _new_step(self, who: str, message: str) -> str | None:
        """The heading of a `[n/m] heading` progress message, when it is new and not the runner's own."""
        step = message.split("] ", 1)[1] if message.startswith("[") and "] " in message else message
        if step.startswith(("run ", "recording")) or self._last_step.get(who) == step:
            return None
        self._last_step[who] = step
        if self.status is not None:
            self.status.update(f"{who} · {step}")
        return step

    def step(self, message: str) -> None:
        """The 90 run's own steps."""
        if step := self._new_step("90-release", message):
            self.line(("90-release", "bold"), f" · {step}")

    def event(self, e: dict[str, Any]) -> None:
        kind, proc, text = e.get("kind"), str(e.get("procedure", "")), str(e.get("text", ""))
        if kind == "start":
            self.line("  ▶ ", (proc, "bold"), f" {text}")
        elif kind == "step":
            if (step := self._new_step(proc, text)) and not self.console.is_terminal:
                self.line(f"      {proc[:2]} · {step}")
        elif kind == "end":
            outcome = str(e.get("outcome"))
            self.line(
                "  ",
                (f"{_MARK.get(outcome, '·')} {proc} {outcome}", _outcome_style(outcome)),
                f" in {float(e.get('duration_s') or 0):.1f} s · run {e.get('run_id') or '-'} · {text[:200]}",
            )
        elif kind == "skip":
            self.line(f"  - {proc} {e.get('outcome')}: {text}")
        elif kind == "decision":
            self.line(f"  · {proc}: {text}")
        elif kind == "progress":
            self._note(proc, text)

    def _note(self, proc: str, text: str) -> None:
        """What the judge sees during a long stage: on the spinner line, or in a log every 15 s at most."""
        if self.status is not None:
            step = self._last_step.get(proc, "")
            self.status.update(Text.assemble((proc, "bold"), f" · {step}\n    ", (text, "cyan")))
        elif time.monotonic() - self._noted >= 15:
            self._noted = time.monotonic()
            self.line(f"      {proc[:2]} · {text}")

    def traffic(self, weights: dict[str, int]) -> None:
        """A change of the traffic weights (the canary's stages, a rollback), read from the sandbox."""
        shown = ", ".join(f"{name.rpartition('--')[2] or name}={w}%" for name, w in weights.items()) or "none"
        self.line("      traffic now ", (shown, "bold cyan"))


def _children_table(result: RehearsalResult) -> Table:
    table = Table(title=f"Rehearsal '{result.scenario.name}': {result.scenario.title}", show_lines=False)
    for col in ("procedure", "outcome", "duration", "run", "key facts"):
        table.add_column(col, overflow="fold")
    for child in (result.run.facts or {}).get("children") or []:
        outcome = str(child.get("outcome"))
        duration = child.get("duration_s")
        key = "; ".join(f"{k}={v}" for k, v in (child.get("facts") or {}).items())
        key = key or child.get("note") or child.get("error") or ""
        table.add_row(
            str(child.get("procedure")),
            Text(outcome, _outcome_style(outcome)),
            "" if duration is None else f"{float(duration):.1f} s",
            str(child.get("run_id") or ""),
            str(key)[:300],
        )
    return table


def _summary(console: Console, result: RehearsalResult) -> None:
    run = result.run
    release = (run.facts or {}).get("release") or {}
    console.print(_children_table(result))
    verdict = str(release.get("verdict") or run.outcome)
    colour: dict[str, str] = {
        ReleaseOutcome.PROMOTED: "bold green",
        ReleaseOutcome.ROLLED_BACK: "bold yellow",
    }
    console.print(
        Text.assemble(
            "release verdict: ",
            (verdict.upper(), colour.get(verdict, "bold red")),
            f" (90 run {run.run_id}: {run.outcome})",
        )
    )
    for reason in release.get("reasons") or []:
        console.print(f"  - {reason}", markup=False, soft_wrap=True)
    if result.checks:
        console.print("rehearsal checks:")
        for check in result.checks:
            mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
            console.print(f"  {mark} {check.name}: ", end="")
            console.print(check.detail, markup=False, soft_wrap=True)
    if result.scenario.lesson:
        console.print(f"to read: {result.scenario.lesson}", markup=False, soft_wrap=True)
    outputs = result.outputs or Path("outputs")
    console.print(f"reviewer's index: {outputs / 'index.html'}", markup=False, soft_wrap=True)
    if run.html_path:
        console.print(f"this release:     {run.html_path}", markup=False, soft_wrap=True)
    console.print(f"verify the ledger: apexops runs verify --outputs {outputs}", markup=False, soft_wrap=True)


@app.command()
def rehearse(
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario",
            "-s",
            help="What goes wrong: none, migration-lint, crash, smoke, canary-errors, canary-latency.",
        ),
    ] = "none",
    outputs: Annotated[
        Path | None,
        typer.Option("--outputs", help="Outputs folder (default: $APEXOPS_OUTPUTS or <project>/outputs)."),
    ] = None,
    list_scenarios: Annotated[bool, typer.Option("--list", help="List the scenarios and exit.")] = False,
    down: Annotated[bool, typer.Option("--down", help="Stop the sandbox afterwards.")] = False,
) -> None:
    """Rehearse a whole release (90: migrate, deploy, smoke-test, canary) on the sandbox."""
    console = _console()
    if list_scenarios:
        table = Table(title="Rehearsal scenarios")
        for col in ("scenario", "what goes wrong", "image", "ends"):
            table.add_column(col)
        for s in SCENARIOS.values():
            table.add_row(s.name, s.title, s.image_tag, s.expect_verdict)
        console.print(table)
        return
    _quiet_libraries()
    progress = _Progress(console)
    try:
        with console.status("preparing the sandbox", spinner="dots") as status:
            progress.status = status if console.is_terminal else None
            result = run_rehearsal(
                scenario,
                outputs=outputs,
                say=progress.line,
                on_event=progress.event,
                on_step=progress.step,
                on_traffic=progress.traffic,
            )
    except ApexopsError as err:
        _print_error(str(err))
        raise typer.Exit(err.exit_code) from None
    except KeyboardInterrupt:  # before the 90 run started (an interrupted run is recorded and returned)
        _print_error("interrupted before the release started; nothing was recorded.")
        raise typer.Exit(130) from None
    finally:
        if down:
            lifecycle.down(load_settings("local"))
            console.print("sandbox stopped")
    _summary(console, result)
    if result.interrupted:
        console.print("[bold]interrupted[/]: recorded in the ledger; the chain stopped.")
    elif result.ok:
        console.print(f"[bold green]rehearsal OK[/]: the release ended as '{result.scenario.name}' expects.")
    else:
        console.print(
            f"[bold red]rehearsal NOT as expected[/] for '{result.scenario.name}' (see the checks)."
        )
    raise typer.Exit(result.exit_code)
