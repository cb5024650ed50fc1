"""The Alembic plumbing every migration step shares: configs, the script directory, and capture hooks.

Alembic is driven programmatically (no alembic.ini): the script directory is a parameter so tests can
point at fixture histories, and everything the env runner needs travels in `Config.attributes`
(connection, dialect for offline rendering, lock timeout, per-revision callback). SQLAlchemy URLs are never
written into the config, so credentials cannot leak into Alembic's output or logs.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
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
    "MIGRATIONS_PATH_ENV",
    "RecordingBuffer",
    "RevisionInfo",
    "RunningStep",
    "capture_running",
    "fingerprint",
    "lineage",
    "load_error_text",
    "make_config",
    "migrations_path",
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

#: extra import folders for revision files (see `migrations_path`)
MIGRATIONS_PATH_ENV = "APEXOPS_MIGRATIONS_PATH"


def fingerprint(folder: Path) -> tuple[Any, ...]:
    """Identity of a history on disk: its folder and each revision file's mtime and size."""
    files = sorted([*folder.glob("versions/*.py"), folder / "env.py"])
    stats = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())
    return (str(folder), *stats)


def migrations_path(folder: Path) -> tuple[str, ...]:
    """Folders a history's revisions may import from: `<history>/stubs` when present, then
    APEXOPS_MIGRATIONS_PATH (os.pathsep separated), e.g. the application's source checkout."""
    extra = [str(folder / "stubs")] if (folder / "stubs").is_dir() else []
    extra += [p for p in os.environ.get(MIGRATIONS_PATH_ENV, "").split(os.pathsep) if p]
    return tuple(extra)


@contextmanager
def _on_path(paths: Sequence[str]) -> Iterator[None]:
    added = [p for p in paths if p not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for p in added:
            if p in sys.path:
                sys.path.remove(p)


def script_directory(script_dir: Path | str | None = None) -> ScriptDirectory:
    """The Alembic script directory (cached while its files are unchanged), or a MigrationError.

    Each revision file is loaded on its own: one that cannot be imported (it imports its application, or
    an Alembic extension that is not installed) becomes a placeholder carrying its ids, read from its
    source, and the import error (`load_error`), so the rest of the history still loads, previews and lints.
    """
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionMap
    from alembic.util import CommandError

    folder = Path(script_dir or MIGRATIONS_DIR).resolve()
    if not (folder / "env.py").is_file():
        raise MigrationError(
            f"{folder} is not an Alembic script directory (no env.py).",
            hint="pass the folder holding env.py and versions/ (default: apexops.schema.MIGRATIONS_DIR).",
        )
    key = (*fingerprint(folder), migrations_path(folder))
    cached = _SCRIPTS.get(key)
    if cached is not None:
        return cached
    try:
        sd = ScriptDirectory.from_config(make_config(folder))
        sd.revision_map = RevisionMap(lambda: _load_each(sd, folder))
        sd.get_heads()  # load every revision now, so errors surface here
    except CommandError as exc:
        raise MigrationError(
            f"cannot read the migration history in {folder}: {exc}",
            hint="fix the revision files (alembic history shows the problem).",
        ) from exc
    _SCRIPTS[key] = sd
    return sd


def _load_each(sd: ScriptDirectory, folder: Path) -> Iterator[Script]:
    """Alembic's own revision loading, one file at a time, with a placeholder for a file that fails."""
    import warnings

    from alembic.script import Script

    seen: set[Path] = set()
    # another project's revision files: their deprecation warnings are theirs, not the reviewer's
    with _on_path(migrations_path(folder)), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for vers in (v for v in sd._version_locations if Path(v).exists()):
            for file_path in Script._list_py_dir(sd, vers):
                real = Path(file_path).resolve()
                if real in seen:
                    continue
                seen.add(real)
                try:
                    script = Script._from_path(sd, real)
                except Exception as exc:  # any import-time failure: the placeholder reports it
                    script = _placeholder(real, exc, folder)
                if script is not None:
                    yield script


def _missing_module(exc: BaseException) -> str:
    name = getattr(exc, "name", None)
    return str(name) if isinstance(exc, ImportError) and name else ""


def load_error_text(exc: BaseException, folder: Path) -> str:
    """One line: what failed, and how to make the revision load."""
    module = _missing_module(exc)
    if module:
        top = module.split(".")[0]
        return (
            f"imports {module}, which is not installed here ({type(exc).__name__}: {exc}); add the folder "
            f"holding {top!r} to {MIGRATIONS_PATH_ENV}, or put a stub module at "
            f"{folder / 'stubs' / module.replace('.', '/')}.py"
        )
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"cannot be imported ({type(exc).__name__}: {first})"


def _placeholder(path: Path, exc: BaseException, folder: Path) -> Script | None:
    """A Script for a revision file that failed to import: ids from its source, migrations that raise."""
    import ast
    import types

    from alembic.script import Script

    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        raise MigrationError(
            f"{path.name} is not valid Python: {exc}", hint="fix the file (python -m py_compile shows where)."
        ) from exc
    values: dict[str, Any] = {}
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            if isinstance(target, ast.Name) and target.id in _IDS and node.value is not None:
                try:
                    values[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    values[target.id] = None
    if not isinstance(values.get("revision"), str):
        return None  # not a revision file Alembic could have used either
    why = load_error_text(exc, folder)
    module = types.ModuleType(re.sub(r"\W", "_", path.name))
    module.__doc__ = ast.get_docstring(tree)
    module.__file__ = str(path)
    for name in _IDS:
        setattr(module, name, values.get(name))
    module.__apexops_load_error__ = why  # type: ignore[attr-defined]

    def cannot_run() -> None:
        raise MigrationError(
            f"revision {values['revision']} {why}", hint="make the revision importable, then preview again."
        )

    module.upgrade = cannot_run  # type: ignore[attr-defined]
    module.downgrade = cannot_run  # type: ignore[attr-defined]
    return Script(module, values["revision"], str(path))


_IDS = ("revision", "down_revision", "branch_labels", "depends_on")


def run_command(cfg: Config, direction: str, revision: str, *, sql: bool = False) -> None:
    """`alembic upgrade|downgrade` (same steps as alembic.command) on the cached script directory.

    alembic.command re-reads every revision file on each call; a plan renders, rehearses and applies,
    so reusing the parsed history keeps a procedure (and the test suite) fast.
    """
    from alembic.runtime.environment import EnvironmentContext
    from alembic.util import CommandError

    script = script_directory(cfg.get_main_option("script_location"))
    starting_rev: str | tuple[str, ...] | None = None
    if ":" in revision:
        if not sql:
            raise CommandError("Range revision not allowed")
        start, revision = revision.split(":", 2)
        starting_rev = tuple(start.split(",")) if "," in start else start
    elif sql and direction == "downgrade":
        raise CommandError("downgrade with --sql requires <fromrev>:<torev>")

    def steps(rev: Any, context: Any) -> Any:
        if direction == "upgrade":
            return script._upgrade_revs(revision, rev)
        return script._downgrade_revs(revision, rev)

    folder = Path(script.dir)
    with (
        _on_path(migrations_path(folder)),
        EnvironmentContext(
            cfg,
            script,
            fn=steps,
            as_sql=sql,
            starting_rev=starting_rev,
            destination_rev=revision,
            tag=None,  # type: ignore[arg-type]
        ),
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
    #: why the revision file could not be imported ("" when it loaded)
    load_error: str = ""

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
        load_error=str(getattr(script.module, "__apexops_load_error__", "")),
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
