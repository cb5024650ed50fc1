"""`apexops`: list procedures, run one headless and audited, find and verify runs.

    apexops procedures
    apexops run 00 --env local -p require_sandbox=true
    apexops run 90 --env staging -p ... --junit-xml outputs/junit.xml --summary-md outputs/summary.md
    apexops runs list | show <run-id> | verify | index   [--shared --env <env>]
    apexops runs publish --env <env>
    apexops lock status | break

Exit codes: 0 succeeded; 1 failed; 2 bad input (ConfigError, unknown procedure, a wrong option); 3 approval
missing; 4 timed out; 5 kernel died; 7 ran but not recorded (or its --junit-xml/--summary-md not written);
130 interrupted. Operational errors and bad options print as one red
line with a HINT, never a traceback. `apexops run` checks all its input (procedure, parameters and their
declared ranges, parameters file, cell timeout, outputs folder) before the runner starts, so bad input
writes nothing. Command groups owned by other modules (e.g. `apexops sandbox`) are registered by module
path in `EXTENSIONS` and imported only when used, so `apexops run` never pays for the sandbox's imports.

`apexops run` ends with the run's facts as `key: value` lines, the next step's inputs first, never cut at the
terminal's width, and a stop as its verdict block (reason, hint); during a long step (a canary stage) the
spinner line shows the run's latest progress note (`apexops.kernel.note_progress`). `--junit-xml` and
`--summary-md` write what a CI pipeline shows (`apexops.cireport`), whatever the outcome.

`--shared` reads the environment's shared store (`connect(env).audit_storage`: Azure Storage, Azurite on
the sandbox) instead of this machine's outputs folder, so a reviewer anywhere sees every run; `runs verify
--shared` also checks this folder against it. `runs publish` uploads what was recorded while the store was
down (idempotent).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from apexops.catalog import list_procedures, notebooks_dir, resolve
from apexops.errors import ApexopsError, ConfigError, LedgerError
from apexops.kernel import NoteWatch, outputs_root
from apexops.ledger import PUBLISHED_NAME, Ledger
from apexops.status import Outcome, style

if TYPE_CHECKING:
    from apexops.recording import RunResult
    from apexops.shared.audit import SharedLedger

__all__ = ["EXTENSIONS", "app", "main"]

#: the exit code of a run whose record (here: its CI report) could not be written
RECORD_FAILED_EXIT = 7

#: sub-command groups owned by other modules: name -> ("module:typer_app", help), imported lazily
EXTENSIONS: dict[str, tuple[str, str]] = {
    "sandbox": ("apexops.sandbox.cli:app", "The local production stand-in: up, status, down, reset."),
    "rehearse": (
        "apexops.sandbox.rehearsal_cli:app",
        "Rehearse a whole release (90) on the sandbox; --scenario picks what goes wrong.",
    ),
    "lock": (
        "apexops.shared.lock_cli:lock_app",
        "The shared deployment lock (a blob lease): who holds it; break it (gated, recorded).",
    ),
}


def _outcome_style(outcome: object) -> str:
    """The rich style of an outcome: its colour in the one map (apexops.status)."""
    return f"bold {style(outcome).fg}"


def _console(stderr: bool = False) -> Console:
    """Rich console; when output goes to a file or CI log (not a terminal), lines may be 140 wide."""
    c = Console(stderr=stderr, highlight=False)
    if not c.is_terminal and "COLUMNS" not in os.environ:
        c.width = 140
    return c


console = _console()
err_console = _console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="apexops",
    help="The APEX production runbook as executable, audited Jupyter procedures.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
runs_app = typer.Typer(help="Find, read and verify recorded runs.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")

OutputsOpt = Annotated[
    Path | None,
    typer.Option("--outputs", help="Outputs folder (default: $APEXOPS_OUTPUTS or <project>/outputs)."),
]
SharedOpt = Annotated[
    bool,
    typer.Option(
        "--shared", help="Read the environment's shared store (every machine's runs), not this folder."
    ),
]
StoreEnvOpt = Annotated[
    str, typer.Option("--env", "-e", help="Environment whose shared store to use: local, staging or prod.")
]


def _print_error(text: str) -> None:
    """One red line; the text is printed literally (hints contain brackets such as '.[mssql]')."""
    err_console.print(Text.assemble(("error: ", "bold red"), (text, "red")), soft_wrap=True)


def _fail(err: ApexopsError) -> typer.Exit:
    _print_error(str(err))
    return typer.Exit(err.exit_code)


def handles_errors(func: F) -> F:
    """ApexopsError -> one red line (message + HINT) and its exit code; no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ApexopsError as err:
            raise _fail(err) from None

    return wrapper  # type: ignore[return-value]


def _quiet_libraries() -> None:
    """The runner reports outcomes itself; papermill/nbclient's own error logs would repeat them."""
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    for name in ("papermill", "traitlets", "nbclient"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


# --------------------------------------------------------------------------- procedures


@app.command()
@handles_errors
def procedures(
    notebooks: Annotated[Path | None, typer.Option(help="Notebooks folder.", hidden=True)] = None,
) -> None:
    """List the procedures (notebooks) with their parameters and defaults."""
    procs = list_procedures(notebooks)
    if not procs:
        console.print(f"No procedures in {notebooks_dir(notebooks)}.")
        return
    table = Table(title="Procedures", show_lines=True)
    table.add_column("id", style="bold")
    table.add_column("name")
    table.add_column("title")
    table.add_column("parameters (name: type = default  # help)")
    for p in procs:
        try:
            params = "\n".join(
                f"{x.name}{': ' + x.type if x.type else ''} = {x.default}{'  # ' + x.help if x.help else ''}"
                for x in p.parameters()
            )
            table.add_row(p.id, p.name, p.title, params or "-")
        except ConfigError as err:  # one broken notebook does not hide the others
            table.add_row(p.id, p.name, Text("unreadable", style="bold red"), Text(err.message, style="red"))
    console.print(table)
    console.print("Run one: apexops run <id|name> --env local -p name=value")


# --------------------------------------------------------------------------- run


@app.command()
@handles_errors
def run(
    procedure: Annotated[str, typer.Argument(help="Procedure id or name, e.g. 00 or 00-preflight.")],
    env: Annotated[str, typer.Option("--env", "-e", help="Environment: local, staging or prod.")] = "local",
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="A parameter, name=value (repeatable).")
    ] = None,
    outputs: OutputsOpt = None,
    cell_timeout: Annotated[
        float | None, typer.Option("--cell-timeout", help="Per-cell timeout in seconds (default 600).")
    ] = None,
    parent: Annotated[str | None, typer.Option(help="Parent run id (for child runs).")] = None,
    junit_xml: Annotated[
        Path | None,
        typer.Option("--junit-xml", help="Also write the run as JUnit XML (one test per step), for CI."),
    ] = None,
    summary_md: Annotated[
        Path | None,
        typer.Option("--summary-md", help="Also write a Markdown summary of the run (a CI job summary)."),
    ] = None,
    notebooks: Annotated[Path | None, typer.Option(help="Notebooks folder.", hidden=True)] = None,
) -> None:
    """Run a procedure headless; the exit code reflects the outcome."""
    # pydantic: only for commands that run
    from apexops.cireport import check_report_path
    from apexops.procparams import check_cell_timeout, parse_cli_parameters, validate_parameters
    from apexops.settings import load_settings

    _quiet_libraries()
    proc = resolve(procedure, notebooks)
    params = parse_cli_parameters(proc, list(param or []))
    check_cell_timeout(cell_timeout)
    outputs = writable_outputs(outputs)
    reports = {
        "junit": check_report_path(junit_xml, "--junit-xml"),
        "summary": check_report_path(summary_md, "--summary-md"),
    }
    validate_parameters(proc, env, params)  # ranges included: a bad value is refused before a kernel starts
    load_settings(env)
    display = _RunDisplay(console, proc.slug, outputs)

    console.print(f"[bold]{proc.slug}[/] · {proc.title} · env [bold]{env}[/]")
    with console.status(f"[bold]{proc.slug}[/] · starting", spinner="dots") as status:
        display.status = status if console.is_terminal else None
        try:
            with display.notes:
                result = _run_recorded(
                    procedure=str(proc.path),
                    env=env,
                    parameters=params,
                    outputs=outputs,
                    cell_timeout_s=cell_timeout,
                    parent_run_id=parent,
                    progress=display.progress,
                    notebooks=notebooks,
                )
        except ApexopsError as err:  # the run could not start or be recorded: CI still gets its files
            if not isinstance(err, ConfigError):
                _write_reports_of_error(err, proc.slug, env, outputs, reports)
            raise
    _print_result(result, env)
    raise typer.Exit(_write_reports(result, outputs, reports))


class _RunDisplay:
    """The progress of `apexops run`: each step once as a line; in a terminal the spinner line shows the
    current step and the latest progress note of the run (or of its child run), e.g. what the canary judge
    sees during a stage. Off a terminal (a CI log) a note is printed at most every `NOTE_EVERY_S`."""

    NOTE_EVERY_S = 10.0

    def __init__(self, out: Console, slug: str, outputs: Path) -> None:
        self.console, self.slug = out, slug
        self.status: Any = None  # rich's Status while a terminal shows the spinner
        self.step = ""
        self._printed_note_at: float | None = None
        self.notes = NoteWatch(outputs, self.note)

    def progress(self, message: str) -> None:
        step = message.split("] ", 1)[1] if message.startswith("[") and "] " in message else message
        if self.notes.run_id is None and message.startswith("run ") and ":" in message:
            self.notes.run_id = message[4:].split(":", 1)[0]
        if self.status is not None:
            self.status.update(f"[bold]{self.slug}[/] · {message}")
        if step != self.step:
            self.step = step
            self.console.print(f"  · {step}", markup=False)

    def note(self, note: dict[str, Any]) -> None:
        """A new progress note (from the watch thread)."""
        who = str(note.get("procedure") or "")
        text = str(note.get("text", ""))
        shown = text if not who or who == self.slug else f"{who}: {text}"
        if self.status is not None:
            self.status.update(Text.assemble((self.slug, "bold"), f" · {self.step}\n    ", (shown, "cyan")))
            return
        now = time.monotonic()
        if self._printed_note_at is None or now - self._printed_note_at >= self.NOTE_EVERY_S:
            self._printed_note_at = now
            self.console.print(f"      {shown}", markup=False, soft_wrap=True)


def _print_result(result: RunResult, env: str) -> None:
    """The closing lines: outcome, the stop as a verdict (reason and hint, complete), where the record is,
    and the facts as `key: value` lines with the next step's inputs first; nothing is cut at the width."""
    from apexops.cireport import fact_lines
    from apexops.stops import text_block

    console.print(
        Text.assemble((result.outcome.upper(), _outcome_style(result.outcome)), f" run {result.run_id}")
    )
    stop = result.facts.get("stop")
    if isinstance(stop, dict):
        block = text_block(stop)
        head, _, rest = block.partition("\n")
        err_console.print(Text(head, style=_outcome_style(result.outcome)), soft_wrap=True)
        if rest:
            err_console.print(rest, markup=False, soft_wrap=True)
    elif result.error:
        _print_error(result.error)
    console.print(f"  notebook: {result.notebook_path}", markup=False, soft_wrap=True)
    if result.html_path:
        console.print(f"  html:     {result.html_path}", markup=False, soft_wrap=True)
    console.print(f"  evidence: {result.evidence_dir}", markup=False, soft_wrap=True)
    if result.shared is not None:
        shared = (
            f"published to {result.shared.where}"
            if result.shared.ok
            else f"PENDING, recorded locally only ({result.shared.reason.split(' HINT:')[0]}); "
            f"`apexops runs publish --env {env}` uploads it"
        )
        console.print(f"  shared:   {shared}", markup=False, soft_wrap=True)
    verdict = result.facts.get("verdict")
    if isinstance(verdict, dict) and verdict.get("status"):
        word = str(verdict["status"])
        console.print(Text.assemble("  verdict:  ", (word, f"bold {style(word).fg}")))
        for reason in verdict.get("reasons") or []:
            console.print(f"    - {reason}", markup=False, soft_wrap=True)
    children = result.facts.get("children")
    if isinstance(children, list) and children:
        console.print("  child runs:")
        for child in (c for c in children if isinstance(c, dict)):
            outcome = str(child.get("outcome"))
            took = child.get("duration_s")
            line = Text.assemble(
                f"    {child.get('procedure')} ",
                (outcome, _outcome_style(outcome)),
                f" · run {child.get('run_id') or '-'}" + ("" if took is None else f" · {float(took):.1f} s"),
            )
            console.print(line, soft_wrap=True)
    lines = fact_lines(result.procedure, result.facts, run_id=result.run_id)
    if lines:
        console.print("  facts:")
        for key, value in lines:
            console.print(Text.assemble(f"    {key}: ", (value, "bold")), soft_wrap=True)


def _write_reports(result: RunResult, outputs: Path, reports: dict[str, Path | None]) -> int:
    """Write --junit-xml / --summary-md for a run (any outcome); the exit code to end with."""
    if not any(reports.values()):
        return result.exit_code
    from apexops.cireport import RunReport, write_reports

    try:
        written = write_reports(
            RunReport.of(result, outputs=outputs), junit=reports["junit"], summary=reports["summary"]
        )
    except OSError as exc:
        _print_error(
            f"the CI report could not be written ({exc.strerror or exc}). HINT: free disk space or pass "
            "another --junit-xml / --summary-md; the run itself is recorded."
        )
        return result.exit_code or RECORD_FAILED_EXIT
    for path in written:
        console.print(f"  report:   {path}", markup=False, soft_wrap=True)
    return result.exit_code


def _write_reports_of_error(
    err: ApexopsError, slug: str, env: str, outputs: Path, reports: dict[str, Path | None]
) -> None:
    """The run stopped before it was recorded (it could not start, the lock, a full disk): the CI reports
    say so, so a pipeline shows the error instead of a missing file."""
    if not any(reports.values()):
        return
    from apexops.cireport import RunReport, write_reports

    report = RunReport(
        procedure=slug,
        env=env,
        outcome=Outcome.FAILED,
        exit_code=err.exit_code,
        error=str(err),
        outputs=outputs,
    )
    with contextlib.suppress(OSError):
        write_reports(report, junit=reports["junit"], summary=reports["summary"])


def writable_outputs(outputs: Path | None, *, access: Callable[[Path, int], bool] = os.access) -> Path:
    """The outputs root, checked before a run writes anything: a folder (or one that can be created)
    this user may write in. `access` is a seam for tests: root ignores permission bits (a read-only
    mount it does not), so the permission case is tested with an injected check.
    """
    try:
        root = outputs_root(outputs)
        for folder in (root, root / "runs"):
            if folder.exists() and not folder.is_dir():
                raise ConfigError(
                    f"outputs folder {folder} is a file.",
                    hint="pass --outputs <folder> (created if missing), not a file.",
                )
        existing = next(p for p in (root / "runs", *(root / "runs").parents) if p.exists())
    except (OSError, ValueError) as exc:  # an unusable path: a NUL byte, too long, a loop of links
        raise ConfigError(
            f"outputs folder {outputs} is not usable ({exc}).", hint="pass another --outputs."
        ) from None
    if not existing.is_dir():
        raise ConfigError(
            f"outputs folder {root} cannot be created: {existing} is a file.", hint="pass another --outputs."
        )
    if not access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            f"outputs folder {existing} is not writable (read-only or not yours).",
            hint="pass --outputs <a folder you can write>, or fix its permissions.",
        )
    return root


def _run_recorded(**kwargs: Any) -> RunResult:
    """run_procedure; an interrupted run was recorded before RunInterrupted, so report it like any other."""
    # the runner's stack (pydantic, psutil, papermill) loads for `apexops run` only, not for `--help`
    from apexops.runner import RunInterrupted, run_procedure

    try:
        return run_procedure(**kwargs)
    except RunInterrupted as stop:
        return stop.result


# --------------------------------------------------------------------------- runs


def _ledger(outputs: Path | None) -> Ledger:
    return Ledger(outputs_root(outputs))


@runs_app.command("list")
@handles_errors
def runs_list(
    outputs: OutputsOpt = None,
    limit: Annotated[int, typer.Option(help="Show at most this many runs.")] = 20,
    procedure: Annotated[str | None, typer.Option(help="Only this procedure (substring).")] = None,
    env: Annotated[
        str | None,
        typer.Option("--env", "-e", help="Only this environment (with --shared: its store; local)."),
    ] = None,
    shared: SharedOpt = False,
) -> None:
    """Recorded runs, newest first."""
    if shared:
        store = _shared(env or "local")
        lines = store.read()
        found = [(ln.entry, ln.origin.split(":", 1)[0]) for ln in lines]
        where, title = f"the shared ledger {store.where}", f"Runs in {store.where}"
    else:
        ledger = _ledger(outputs)
        found = [(e, None) for e in ledger.entries()]
        where, title = str(ledger.path), f"Runs in {ledger.outputs}"
    entries = [
        (e, machine)
        for e, machine in reversed(found)
        if (not procedure or procedure in str(e.get("procedure")))
        and (not env or env == e.get("environment"))
    ][:limit]
    if not entries:
        console.print(f"No runs recorded in {where}.", markup=False)
        return
    console.print(_runs_table(entries, title, machines=shared))
    if not shared:
        _say_pending(_ledger(outputs).outputs, {str(e.get("environment")) for e, _ in entries})


def _runs_table(entries: list[tuple[dict[str, Any], str | None]], title: str, *, machines: bool) -> Table:
    """The runs table; ids, outcomes and durations never wrap (they are what people copy and scan)."""
    with_parent = any(e.get("parent_run_id") for e, _ in entries)
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True)
    table.add_column("run", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("procedure", overflow="fold", min_width=14)
    table.add_column("env", overflow="fold")
    table.add_column("started (UTC)")  # wraps between date and time when narrow
    table.add_column("took", no_wrap=True, justify="right")
    if with_parent:
        table.add_column("parent", no_wrap=True)  # a prefix: `runs show` takes it
    table.add_column("operator", overflow="fold")
    if machines:
        table.add_column("machine", overflow="fold")
    for e, machine in entries:
        outcome = str(e.get("outcome"))
        duration = e.get("duration_s")
        started = str(e.get("started_at", "")).replace("T", " ").removesuffix("+00:00")
        row: list[str | Text] = [
            str(e.get("run_id")),
            Text(outcome, style=_outcome_style(outcome)),
            str(e.get("procedure")),
            str(e.get("environment")),
            started[5:] if len(started) > 5 else started,  # `runs show` has the full timestamp
            "" if duration is None else f"{float(duration):.1f} s",
            *([str(e.get("parent_run_id") or "")[:6]] if with_parent else []),
            str(e.get("operator")),
            *([machine or ""] if machines else []),
        ]
        table.add_row(*row)
    return table


def _say_pending(outputs: Path, envs: set[str]) -> None:
    """A folder that publishes to a shared store: say which runs are recorded here only."""
    if not (outputs / PUBLISHED_NAME).exists():
        return
    from apexops.shared.publish import pending  # the shared store's code only when this folder uses it

    for env in sorted(envs):
        waiting = pending(outputs, env)
        if waiting:
            console.print(
                f"[yellow]{len(waiting)} run(s) of {env} recorded here only[/] (the shared store was down): "
                f"`apexops runs publish --env {env}` uploads them.",
                soft_wrap=True,
            )


def _shared(env: str) -> SharedLedger:
    """The environment's shared ledger (one line and exit 1 when the store cannot be reached)."""
    from apexops.shared.publish import shared_for  # azure-storage-blob: only for --shared and publish

    return shared_for(env)


@runs_app.command("show")
@handles_errors
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    outputs: OutputsOpt = None,
    shared: SharedOpt = False,
    env: StoreEnvOpt = "local",
) -> None:
    """One run's ledger line: outcome, parameters, facts, artifacts."""
    if shared:
        store = _shared(env)
        line = _find_shared(store, run_id)
        entry = line.entry
        where = f"{store.where}/{entry.get('run_dir', '')}/"
        extra = f" · {line.label}, published {(line.data or {}).get('published_at')} from {line.origin}"
    else:
        ledger = _ledger(outputs)
        entry = ledger.find(run_id)
        where, extra = str(ledger.outputs / str(entry.get("run_dir", ""))), ""
    outcome = str(entry.get("outcome"))
    console.print(
        Text.assemble(
            (outcome.upper(), _outcome_style(outcome)),
            f" run {entry.get('run_id')} · {entry.get('procedure')} on {entry.get('environment')}"
            f" by {entry.get('operator')}{extra}",
        )
    )
    console.print_json(json.dumps(entry, default=str))
    console.print(f"folder: {where}", markup=False, soft_wrap=True)


def _find_shared(store: SharedLedger, run_id: str) -> Any:
    """The shared line of a run id or unique prefix (like `Ledger.find`)."""
    lines = [ln for ln in store.read() if run_id and ln.run_id.startswith(run_id)]
    exact = [ln for ln in lines if ln.run_id == run_id]
    if exact or len(lines) == 1:
        return (exact or lines)[-1]
    if not lines:
        raise LedgerError(
            f"no run {run_id!r} in the shared ledger {store.where}.",
            hint="list runs with `apexops runs list --shared`; a run recorded while the store was down is "
            "published by `apexops runs publish`.",
        )
    raise LedgerError(
        f"run id prefix {run_id!r} matches {len(lines)} runs.", hint="give more characters of the id."
    )


@runs_app.command("verify")
@handles_errors
def runs_verify(
    outputs: OutputsOpt = None,
    artifacts: Annotated[bool, typer.Option(help="Also recompute every artifact digest.")] = True,
    shared: Annotated[
        bool, typer.Option("--shared", help="Also verify the shared store and this folder against it.")
    ] = False,
    env: StoreEnvOpt = "local",
) -> None:
    """Recompute line digests, the hash chain, the head and every artifact digest; name what differs.

    With --shared: also the shared ledger's chain and artifacts, and every run of ENV deleted, rewritten or
    added on either side (or a removed local ledger).
    """
    if shared:
        from apexops.shared.verify import verify_shared  # azure-storage-blob: only for --shared

        store = _shared(env)
        report = verify_shared(store, _ledger(outputs).outputs, env, artifacts=artifacts)
        label = f"shared ledger {store.where} and local {report.outputs}"
    else:
        report = _ledger(outputs).verify(artifacts=artifacts)
        label = ""
    for problem in report.problems:
        line = Text.assemble((f"✗ {problem.kind} ", "red"), f"{problem.subject}: {problem.detail}")
        err_console.print(line, soft_wrap=True)
    if report.ok:
        console.print(f"[green]✓[/] {report.summary()}" + (f" ({label})" if label else ""), soft_wrap=True)
        return
    err_console.print(f"[bold red]{report.summary()}[/]" + (f" ({label})" if label else ""), soft_wrap=True)
    raise typer.Exit(6)


@runs_app.command("index")
@handles_errors
def runs_index(outputs: OutputsOpt = None, shared: SharedOpt = False, env: StoreEnvOpt = "local") -> None:
    """Regenerate outputs/index.html (the reviewers' page); --shared: the shared store's index.html."""
    from apexops.index import render_runs, write_index  # jinja2: only for this command

    if not shared:
        console.print(f"wrote {write_index(_ledger(outputs).outputs)}", markup=False)
        return
    from apexops.shared.verify import verify_chain

    store = _shared(env)
    lines = store.read()
    report = verify_chain(lines, store.head())
    chain = {"ok": report.ok, "lines": report.lines, "problems": [str(p) for p in report.problems]}
    page = render_runs([ln.entry for ln in lines], source=store.where, chain=chain)
    url = store.upload_text("index.html", page)
    console.print(f"wrote {url} ({len(lines)} run(s); links are relative to {store.where})", markup=False)


@runs_app.command("publish")
@handles_errors
def runs_publish(outputs: OutputsOpt = None, env: StoreEnvOpt = "local") -> None:
    """Upload to ENV's shared store the runs recorded here but not published (the store was down).

    Idempotent: a run already in the shared ledger is not appended again; artifacts are uploaded only when
    missing or different there.
    """
    from apexops.shared.publish import publish_runs  # azure-storage-blob: only for this command

    store = _shared(env)
    report = publish_runs(store, _ledger(outputs).outputs, env, thorough=True)
    for skipped in report.skipped:
        err_console.print(f"[yellow]not uploaded:[/] {skipped}", soft_wrap=True)
    for run_id in report.appended:
        console.print(f"published {run_id}", markup=False)
    console.print(f"{report.summary()} ({store.where})", markup=False, soft_wrap=True)


@runs_app.command("recover")
@handles_errors
def runs_recover(outputs: OutputsOpt = None) -> None:
    """Record runs whose process vanished (kernel or runner killed) as kernel_died; live runs are left alone.

    Every run does this for its outputs folder before it starts; this is for when no run comes next.
    """
    from apexops.recovery import recover_abandoned  # psutil, pydantic: only for this command

    recovered = recover_abandoned(_ledger(outputs).outputs)
    for r in recovered:
        console.print(f"recorded {r.run_id} ({r.procedure}, {r.env}): {r.outcome}", markup=False)
    if not recovered:
        console.print("nothing to recover: no unfinished run whose process is gone.", markup=False)


# --------------------------------------------------------------------------- extensions


def _register_extension(name: str, spec: str, summary: str) -> None:
    """A placeholder command that imports the real group when invoked and hands it the arguments."""

    @app.command(
        name,
        help=summary,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
        add_help_option=False,
    )
    def _extension(ctx: typer.Context) -> None:
        module, _, attr = spec.partition(":")
        try:
            sub = getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as exc:
            if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
                err_console.print(
                    f"[yellow]notice:[/] `apexops {name}` is not available in this installation "
                    f"({module} is missing)."
                )
                raise typer.Exit(2) from None
            raise
        command = typer.main.get_command(sub)
        try:
            rc = command.main(args=list(ctx.args), prog_name=f"apexops {name}", standalone_mode=False)
        except ApexopsError as err:
            raise _fail(err) from None
        except typer.Exit:
            raise
        except SystemExit as exc:
            raise typer.Exit(exc.code if isinstance(exc.code, int) else 1) from None
        except Exception as exc:  # the group's usage errors: one line; anything else is re-raised
            raise typer.Exit(_click_error(exc)) from None
        if isinstance(rc, int) and rc:  # standalone_mode=False returns the group's exit code
            raise typer.Exit(rc)


for _name, (_spec, _summary) in EXTENSIONS.items():
    _register_extension(_name, _spec, _summary)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: a wrong option or argument is one line and exit 2, like any other bad input."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        rc = app(args=args, prog_name="apexops", standalone_mode=False)
    except ApexopsError as err:  # raised outside a command body
        _print_error(str(err))
        sys.exit(err.exit_code)
    except Exception as err:
        sys.exit(_click_error(err))
    sys.exit(rc if isinstance(rc, int) else 0)


def _click_error(err: Exception) -> int:
    """Print a click error (usage, bad value, abort) as one line; its exit code. Anything else re-raised.

    Matched by class name: typer vendors click (`typer._click`), whose exception classes it does not export.
    """
    kinds = {k.__name__ for k in type(err).__mro__}
    ctx = getattr(err, "ctx", None)
    if "NoArgsIsHelpError" in kinds and ctx is not None:  # `apexops` or `apexops runs` alone: the help
        err_console.print(ctx.get_help(), markup=False)
        return 2
    if "UsageError" in kinds:
        command = ctx.command_path if ctx is not None else "apexops"
        _print_error(f"{err.format_message()} HINT: see `{command} --help`.")  # type: ignore[attr-defined]
        return 2
    if "ClickException" in kinds:
        _print_error(err.format_message())  # type: ignore[attr-defined]
        return int(getattr(err, "exit_code", 1))
    if "Abort" in kinds:  # Ctrl-C while parsing or prompting
        return 130
    raise err
