"""The Alembic plumbing every migration step shares: configs, the script directory, and capture hooks.

Alembic is driven programmatically (no alembic.ini): the script directory is a parameter so tests can
point at fixture histories, and everything the env runner needs travels in `Config.attributes`
(connection, dialect for offline rendering, lock timeout, per-revision callback). SQLAlchemy URLs are never
written into the config, so credentials cannot leak into Alembic's output or logs.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexops.errors import MigrationError
from apexops.schema import MIGRATIONS_DIR

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import Script, ScriptDirectory
    from sqlalchemy.engine import Connection

__all__ = [
    "RecordingBuffer",
    "RevisionInfo",
    "RunningStep",
    "capture_running",
    "fingerprint",
    "lineage",
    "make_config",
    "revision_info",
    "run_command",
    "script_directory",
]


def make_config(
    script_dir: Path | str | None = None,
    *,
    connection: Connection | None = None,
    dialect_name: str | None = None,
    output_buffer: io.StringIO | None = None,
    lock_timeout_ms: int | None = None,
    on_version_apply: Callable[..., None] | None = None,
    transaction_per_migration: bool = False,
) -> Config:
    from alembic.config import Config

    folder = Path(script_dir or MIGRATIONS_DIR)
    cfg = Config(output_buffer=output_buffer, stdout=io.StringIO())
    cfg.set_main_option("script_location", str(folder))
    cfg.attributes.update(
        connection=connection,
        dialect_name=dialect_name,
        lock_timeout_ms=lock_timeout_ms,
        on_version_apply=on_version_apply,
        transaction_per_migration=transaction_per_migration,
    )
    return cfg


_SCRIPTS: dict[tuple[Any, ...], ScriptDirectory] = {}


def fingerprint(folder: Path) -> tuple[Any, ...]:
    """Identity of a history on disk: its folder and each revision file's mtime and size."""
    files = sorted([*folder.glob("versions/*.py"), folder / "env.py"])
    stats = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())
    return (str(folder), *stats)


def script_directory(script_dir: Path | str | None = None) -> ScriptDirectory:
    """The Alembic script directory (cached while its files are unchanged), or a MigrationError."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    folder = Path(script_dir or MIGRATIONS_DIR).resolve()
    if not (folder / "env.py").is_file():
        raise MigrationError(
            f"{folder} is not an Alembic script directory (no env.py).",
            hint="pass the folder holding env.py and versions/ (default: apexops.schema.MIGRATIONS_DIR).",
        )
    key = fingerprint(folder)
    cached = _SCRIPTS.get(key)
    if cached is not None:
        return cached
    try:
        sd = ScriptDirectory.from_config(make_config(folder))
        sd.get_heads()  # load every revision now, so errors surface here
    except CommandError as exc:
        raise MigrationError(
            f"cannot read the migration history in {folder}: {exc}",
            hint="fix the revision files (alembic history shows the problem).",
        ) from exc
    _SCRIPTS[key] = sd
    return sd


def run_command(cfg: Config, direction: str, revision: str, *, sql: bool = False) -> None:
    """`alembic upgrade|downgrade` (same steps as alembic.command) on the cached script directory.

    alembic.command re-reads every revision file on each call; a plan renders, rehearses and applies,
    so reusing the parsed history keeps a procedure (and the test suite) fast.
    """
    from alembic.runtime.environment import EnvironmentContext
    from alembic.util import CommandError

    script = script_directory(cfg.get_main_option("script_location"))
    starting_rev = None
    if ":" in revision:
        if not sql:
            raise CommandError("Range revision not allowed")
        starting_rev, revision = revision.split(":", 2)
    elif sql and direction == "downgrade":
        raise CommandError("downgrade with --sql requires <fromrev>:<torev>")

    def steps(rev: Any, context: Any) -> Any:
        if direction == "upgrade":
            return script._upgrade_revs(revision, rev)
        return script._downgrade_revs(revision, rev)

    with EnvironmentContext(
        cfg, script, fn=steps, as_sql=sql, starting_rev=starting_rev, destination_rev=revision, tag=None
    ):
        script.run_env()


@dataclass(frozen=True)
class RevisionInfo:
    """One revision of the history, as a reviewer needs it."""

    revision: str
    down_revisions: tuple[str, ...]
    doc: str
    path: str
    is_head: bool

    @property
    def label(self) -> str:
        down = ", ".join(self.down_revisions) or "base"
        return f"{down} -> {self.revision}"


def revision_info(script: Script) -> RevisionInfo:
    return RevisionInfo(
        revision=script.revision,
        down_revisions=tuple(script._all_down_revisions),
        doc=(script.doc or "").strip(),
        path=str(script.path),
        is_head=bool(script.is_head),
    )


def lineage(sd: ScriptDirectory, upper: str, lower: str | tuple[str, ...] = "base") -> list[RevisionInfo]:
    """Revisions after `lower` up to and including `upper`, oldest first (the order they are applied)."""
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    try:
        scripts = list(sd.iterate_revisions(upper, lower if lower else "base"))
    except (CommandError, RevisionError) as exc:
        raise MigrationError(str(exc), hint="check the revision ids against the history.") from exc
    return [revision_info(s) for s in reversed(scripts)]


class RecordingBuffer(io.StringIO):
    """An output buffer for offline rendering that also keeps each emitted unit separately.

    Alembic writes every statement, batch separator (GO) and `-- Running upgrade` marker with one
    `write()` call, so recording the calls gives exact statement boundaries without re-parsing SQL.
    """

    def __init__(self) -> None:
        super().__init__()
        self.units: list[str] = []

    def write(self, text: str) -> int:
        self.units.append(text)
        return super().write(text)


_RUNNING = re.compile(r"Running (upgrade|downgrade|stamp_revision) (.*?) -> ([^,]*)(?:, (.*))?$", re.S)


@dataclass(frozen=True)
class RunningStep:
    """Alembic's 'Running upgrade 0002 -> 0003, doc' announcement, parsed."""

    direction: str
    from_revisions: tuple[str, ...]
    to_revisions: tuple[str, ...]
    doc: str

    @property
    def short(self) -> str:
        return f"{', '.join(self.from_revisions) or 'base'} -> {', '.join(self.to_revisions) or 'base'}"


def parse_running(message: str) -> RunningStep | None:
    match = _RUNNING.search(message.strip())
    if not match:
        return None
    direction, src, dst, doc = match.groups()
    return RunningStep(direction, _split(src), _split(dst), (doc or "").strip())


def _split(revisions: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in revisions.split(",") if p.strip())


class _Capture(logging.Handler):
    def __init__(self, callback: Callable[[RunningStep], Any]) -> None:
        super().__init__(logging.INFO)
        self.callback = callback

    def emit(self, record: logging.LogRecord) -> None:
        step = parse_running(record.getMessage())
        if step is not None:
            self.callback(step)


@contextmanager
def capture_running(callback: Callable[[RunningStep], Any]) -> Iterator[None]:
    """Call `callback` as Alembic starts each revision (its INFO log), without printing the log.

    The on_version_apply hook only fires after a revision finished; this marks the start, so progress
    can say which revision is running and a failure can name the revision it happened in.
    """
    logger = logging.getLogger("alembic.runtime.migration")
    handler = _Capture(callback)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
