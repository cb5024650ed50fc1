"""`apexops lock status|break`: who holds the shared deployment lock, and ending a lease by hand (gated).

    apexops lock status --env prod                     # every lock of prod: lease state and holder
    apexops lock break --env prod --app apex-backend-prod --confirm "BREAK LOCK prod--apex-backend-prod"

Breaking is for a holder that is gone while its lease is still renewed by something (a hung process on a
machine nobody can reach); a holder that died loses the lock by itself within the lease duration. So
breaking is a separate command, gated by a typed phrase bound to the lock (asked for at a terminal, or
`--confirm`), and recorded: one ledger line in the local outputs folder names who broke which lock from
whom and why. Without the phrase nothing changes and the command exits 3 (approval missing).
"""

from __future__ import annotations

import functools
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from apexops.errors import ApexopsError, ApprovalRequired
from apexops.kernel import operator_identity, outputs_root
from apexops.ledger import Ledger
from apexops.shared.lock import LockState, break_lock, list_locks, lock_blob_name, read_lock
from apexops.shared.store import open_container
from apexops.status import Outcome

__all__ = ["break_phrase", "lock_app", "record_break"]

F = TypeVar("F", bound=Callable[..., Any])

lock_app = typer.Typer(
    help="The shared deployment lock (a blob lease per environment and app): status, break (gated).",
    no_args_is_help=True,
)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

EnvOpt = Annotated[str, typer.Option("--env", help="Environment (parameters/<env>.yaml).")]
AppOpt = Annotated[str, typer.Option("--app", help="App name (default: the environment's app).")]


def _handles_errors(func: F) -> F:
    """ApexopsError -> one red line with its hint and exit code (as the rest of the CLI)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ApexopsError as err:
            err_console.print(Text.assemble(("error: ", "bold red"), (str(err), "red")))
            raise typer.Exit(err.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _connect(env: str) -> Any:
    """The environment (its settings and audit storage); a seam for tests."""
    from apexops.environment import connect

    return connect(env)


def break_phrase(env: str, app: str) -> str:
    """The phrase bound to one lock: typing it says which lock, on purpose."""
    return f"BREAK LOCK {env}--{app}"


def _table(states: list[LockState], where: str) -> Table:
    table = Table(title=f"Deployment locks in {where}")
    for column in ("lock", "lease", "holder", "note"):
        table.add_column(column)
    for state in states:
        row = state.row()
        table.add_row(row["lock"], row["lease"], row["holder"], row["note"])
    return table


@lock_app.command("status")
@_handles_errors
def status(env: EnvOpt = "local", app: AppOpt = "") -> None:
    """Every lock of the environment (or one app's): lease state and who holds or last held it."""
    environment = _connect(env)
    audit = environment.settings.audit
    storage = environment.audit_storage
    where = storage.describe()
    container = open_container(storage, create=False)
    if app:
        states = [read_lock(container, lock_blob_name(audit.prefix, env, app), where=where)]
    else:
        states = [s for s in list_locks(container, audit.prefix, where=where) if f"/{env}--" in f"/{s.name}"]
    if not states:
        console.print(f"no deployment lock was ever taken for {env} in {where}.")
        return
    console.print(_table(states, where))


def record_break(outputs: Path, *, env: str, app: str, before: LockState, reason: str) -> dict[str, Any]:
    """One ledger line for a broken lock (no lease id, no secret: who, which lock, whose, why)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    operator, source = operator_identity()
    holder = before.holder
    entry: dict[str, Any] = {
        "v": 1,
        "run_id": uuid.uuid4().hex,
        "procedure": "lock-break",
        "environment": env,
        "operator": operator,
        "operator_source": source,
        "parameters": {"app": app, "reason": reason},
        "started_at": now,
        "ended_at": now,
        "duration_s": 0,
        "outcome": str(Outcome.SUCCEEDED),
        "error": None,
        "facts": {
            "lock": before.name,
            "lease_before": before.lease_state,
            "holder": {
                "operator": holder.operator,
                "machine": holder.machine,
                "run_id": holder.run_id,
                "procedure": holder.procedure,
                "start": holder.start,
            },
        },
        "parent_run_id": None,
        "run_dir": None,
        "artifacts": {},
        "problems": [],
    }
    return Ledger(outputs).append(entry)


def _confirmed(phrase: str, confirm: str) -> bool:
    if confirm:
        return confirm.strip() == phrase
    if sys.stdin.isatty():
        typed: str = typer.prompt(f"Type {phrase!r} to break it", default="", show_default=False)
        return typed.strip() == phrase
    return False


@lock_app.command("break")
@_handles_errors
def break_(
    env: EnvOpt = "local",
    app: AppOpt = "",
    confirm: Annotated[str, typer.Option("--confirm", help="The phrase BREAK LOCK <env>--<app>.")] = "",
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the ledger).")] = "",
    outputs: Annotated[Path | None, typer.Option("--outputs", help="Outputs folder (ledger).")] = None,
) -> None:
    """End the lease at once, whoever holds it (gated by a typed phrase; recorded in the ledger)."""
    environment = _connect(env)
    audit = environment.settings.audit
    app = app or environment.settings.app.name
    storage = environment.audit_storage
    where = storage.describe()
    container = open_container(storage, create=False)
    name = lock_blob_name(audit.prefix, env, app)
    state = read_lock(container, name, where=where)
    if not state.held:
        console.print(f"{name}: not held (lease {state.lease_state}); nothing to break.")
        return
    phrase = break_phrase(env, app)
    console.print(f"{name} is held by {state.holder.describe()} (lease {state.lease_state}).")
    if not _confirmed(phrase, confirm):
        raise ApprovalRequired(
            f"the lock {name} is held by a live lease ({state.holder.describe()}); nothing was broken.",
            hint=f"if that run is really gone, run again with --confirm {phrase!r} "
            f"(a dead holder's lease also ends by itself within {audit.lease_duration_s} s).",
        )
    before = break_lock(container, name, where=where)
    written = record_break(outputs_root(outputs), env=env, app=app, before=before, reason=reason)
    console.print(
        f"broken: {name} (was {before.holder.describe()}); recorded as ledger line {written['seq']}."
    )
