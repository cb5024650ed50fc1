"""`apexops sandbox up | status | down | reset`: the sandbox's lifecycle from a terminal.

Registered by `apexops/cli.py` as the `sandbox` sub-command (`app` below). Every failure is one line on
stderr with the hint, and the exit code of the `apexops.errors` class.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import typer

from apexops.errors import ApexopsError
from apexops.sandbox import lifecycle
from apexops.settings import load_settings

__all__ = ["app", "render_status"]

app = typer.Typer(
    help="The local sandbox: a stand-in of production made of real processes.",
    no_args_is_help=True,
    add_completion=False,
)

#: the revision fields `status --json` shows (besides its traffic weight)
_JSON_FIELDS = ("name", "active", "replicas", "provisioning_state", "health_state", "running_state",
                "image", "url")  # fmt: skip
_COLUMNS = ("active", "weight", "replicas", "provisioning", "health", "running", "restarts", "image", "url")
EnvOption = typer.Option("local", "--env", "-e", help="parameters file to use (parameters/<env>.yaml)")


def _run(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except ApexopsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None


def _settings(env: str) -> Any:
    settings = _run(lambda: load_settings(env))
    if settings.target != "sandbox":
        typer.echo(
            f"error: environment {env!r} targets {settings.target}, not the sandbox. HINT: use --env local.",
            err=True,
        )
        raise typer.Exit(2)
    return settings


def render_status(st: Any) -> None:
    """The status as a rich table: revisions, weights, replicas, health."""
    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=160)
    state = "[green]running[/]" if st.running else "[yellow]stopped[/]"
    console.print(f"sandbox {state}  app [bold]{st.app_name}[/]  url {st.url or '-'}  home {st.home}")
    if st.running:
        console.print(
            f"daemon pid {st.pid}, {len(st.replica_pids)} replica process(es), database {st.database}"
        )
        console.print(f"blob storage {st.blob_endpoint or '-'} (Azurite)")
    table = Table(title="revisions")
    table.add_column("revision", no_wrap=True)
    for col in _COLUMNS:
        table.add_column(col, justify="right" if col in ("weight", "replicas", "restarts") else "left")
    colour = {"Healthy": "green", "Unhealthy": "red", "Failed": "red", "Provisioned": "green"}
    for r in st.revisions:
        ready = st.replicas_ready.get(r.name, 0)
        table.add_row(
            r.name,
            "yes" if r.active else "no",
            f"{r.traffic_weight}%",
            f"{ready}/{r.replicas}",
            f"[{colour.get(r.provisioning_state, 'yellow')}]{r.provisioning_state}[/]",
            f"[{colour.get(r.health_state, 'yellow')}]{r.health_state}[/]",
            r.running_state,
            str(st.restarts.get(r.name, 0)),
            r.image.rpartition(":")[2],
            r.url or "-",
        )
    console.print(table)
    failed = [r for r in st.revisions if r.provisioning_error]
    for r in failed:
        console.print(f"[red]{r.name}[/]: {r.provisioning_error}")
    if not st.running:
        console.print(f"{st.detail}. Start it with `apexops sandbox up`.")
    if st.warning:  # plain, so that it stays one line (rich would wrap it and read its brackets)
        typer.echo(f"warning: {st.warning}")


@app.command()
def up(env: str = EnvOption) -> None:
    """Start the sandbox (idempotent); seeds the baseline release on first use."""
    settings = _settings(env)
    t = time.perf_counter()
    st = _run(lambda: lifecycle.up(settings))
    render_status(st)
    typer.echo(f"ready in {time.perf_counter() - t:.1f} s: {st.url}")


@app.command()
def status(env: str = EnvOption, as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Show revisions, traffic weights, replicas and health."""
    st = _run(lambda: lifecycle.status(_settings(env)))
    if as_json:
        json.dump(
            {
                "running": st.running,
                "url": st.url,
                "home": str(st.home),
                "pid": st.pid,
                "blob_endpoint": st.blob_endpoint,
                "warning": st.warning,
                "revisions": [
                    {"weight": r.traffic_weight, **{k: getattr(r, k) for k in _JSON_FIELDS}}
                    for r in st.revisions
                ],
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return
    render_status(st)


@app.command()
def down(env: str = EnvOption) -> None:
    """Stop the daemon and every replica (state is kept)."""
    stopped = _run(lambda: lifecycle.down(_settings(env)))
    typer.echo(f"stopped {len(stopped)} process(es)" if stopped else "the sandbox was not running")


@app.command()
def reset(env: str = EnvOption, yes: bool = typer.Option(False, "--yes", "-y", help="do not ask")) -> None:
    """Wipe the sandbox (revisions, database, blobs, telemetry) and start it fresh at the baseline."""
    settings = _settings(env)
    if not yes and not typer.confirm(f"Wipe the sandbox in {settings.sandbox_home()} and start fresh?"):
        raise typer.Exit(1)
    render_status(_run(lambda: lifecycle.reset(settings)))


if __name__ == "__main__":  # pragma: no cover
    app()
