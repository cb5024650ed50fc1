"""What a notebook knows about the run it is part of: `record()`, `evidence()`, `run_context()`.

Under the runner the kernel inherits APEXOPS_RUN_ID, APEXOPS_RUN_DIR, ... (see INTERFACES.md) and these
functions write into that run's folder, where the runner collects them for the ledger. In JupyterLab there is
no runner, and the same calls still work: they write under `outputs/interactive/<run-id>/`, so a cell never
has to ask "am I headless?" just to save a file.

Facts are kept in a small JSON file next to the run (rewritten atomically on each `record`), not in kernel
memory, so they survive a kernel death and the runner can still put them in the ledger.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import enum
import getpass
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexops import atomic
from apexops.redact import Redactor
from apexops.scrubbed import write_scrubbed
from apexops.status import Verdict
from apexops.tokens import AccessToken

__all__ = [
    "FACTS_FILE",
    "PROGRESS_FILE",
    "NoteWatch",
    "RunContext",
    "evidence",
    "facts",
    "latest_progress_note",
    "new_run_id",
    "note_progress",
    "operator_identity",
    "outputs_root",
    "read_facts",
    "record",
    "run_context",
    "save_evidence",
    "to_jsonable",
    "verdict_parts",
]

#: name of the facts file inside a run folder (the runner reads it, puts the facts in the ledger, removes it)
FACTS_FILE = ".apexops-facts.json"
#: the latest progress note of a headless run, in its folder while it runs; a working file, never an artifact:
#: the recorder removes `.*.tmp` files from a run folder before it records the run
PROGRESS_FILE = ".apexops-progress.tmp"

_interactive_id: str | None = None
_interactive_env: str | None = None


def new_run_id() -> str:
    """A short unique run id: 10 lowercase hex characters (not a secret, not a timestamp)."""
    return secrets.token_hex(5)


#: where the operator's name comes from, in order: explicit, CI systems, then the OS user
OPERATOR_VARS = (
    "APEXOPS_OPERATOR",
    "GITHUB_ACTOR",
    "GITLAB_USER_LOGIN",
    "BUILD_REQUESTEDFOREMAIL",
    "BUILD_REQUESTEDFOR",
    "BUILDKITE_BUILD_CREATOR_EMAIL",
    "CIRCLE_USERNAME",
    "BUILD_USER_ID",
)


def operator_identity() -> tuple[str, str]:
    """(operator, where it came from): APEXOPS_OPERATOR, a CI identity variable, else the OS user."""
    for var in OPERATOR_VARS:
        if value := os.environ.get(var):
            return value, var
    try:
        return getpass.getuser(), "os-user"
    except (KeyError, OSError):
        return "unknown", "none"


def outputs_root(outputs: Path | str | None = None) -> Path:
    """The outputs root: the argument, else APEXOPS_OUTPUTS, else `<project>/outputs`."""
    if outputs is not None:
        return Path(outputs).resolve()
    if env := os.environ.get("APEXOPS_OUTPUTS"):
        return Path(env).resolve()
    # settings.project_root(), without importing settings (and pydantic) into every kernel
    home = os.environ.get("APEXOPS_HOME")
    root = Path(home).resolve() if home else Path(__file__).resolve().parent.parent
    return root / "outputs"


@dataclass(frozen=True)
class RunContext:
    """Where this run writes and what it is: the same shape headless and interactive."""

    run_id: str
    procedure: str
    env: str
    run_dir: Path
    evidence_dir: Path
    headless: bool
    parent_run_id: str | None = None
    outputs: Path | None = None


def _interactive_context() -> RunContext:
    global _interactive_id
    if _interactive_id is None:
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
        _interactive_id = f"{stamp}-{new_run_id()[:6]}"
    outputs = outputs_root()
    run_dir = outputs / "interactive" / _interactive_id
    # JupyterLab tells the kernel which notebook it serves; use it to name the procedure
    session = os.environ.get("JPY_SESSION_NAME", "")
    procedure = Path(session).stem if session.endswith(".ipynb") else "interactive"
    return RunContext(
        run_id=_interactive_id,
        procedure=procedure,
        env=os.environ.get("APEXOPS_ENV") or _interactive_env or "",
        run_dir=run_dir,
        evidence_dir=run_dir / "evidence",
        headless=False,
        parent_run_id=os.environ.get("APEXOPS_PARENT_RUN") or None,
        outputs=outputs,
    )


def run_context() -> RunContext:
    """The current run: from the runner's environment variables, else an interactive session run."""
    run_id = os.environ.get("APEXOPS_RUN_ID")
    run_dir = os.environ.get("APEXOPS_RUN_DIR")
    if not run_id or not run_dir:
        return _interactive_context()
    path = Path(run_dir)
    return RunContext(
        run_id=run_id,
        procedure=os.environ.get("APEXOPS_PROCEDURE", ""),
        env=os.environ.get("APEXOPS_ENV", ""),
        run_dir=path,
        evidence_dir=path / "evidence",
        headless=os.environ.get("APEXOPS_HEADLESS") == "1",
        parent_run_id=os.environ.get("APEXOPS_PARENT_RUN") or None,
        outputs=outputs_root(),
    )


def unattended() -> bool:
    """Nobody watches this kernel: the runner started it (APEXOPS_HEADLESS=1) or plain papermill did.

    Then an approval can only come from the parameters, an escalation is decided by the policy, and a
    chart needs no widget: nobody could click or see one.
    """
    if os.environ.get("APEXOPS_HEADLESS") == "1":
        return True
    from apexops import unaudited  # psutil on the parent process, only when asked

    return unaudited.plain_papermill()


def note_environment(env: str) -> None:
    """Remember the environment a notebook connected to, for interactive runs (the runner sets APEXOPS_ENV).

    `apexops.connect` calls it: the procedure's start, not a display, says where the run goes."""
    global _interactive_env
    _interactive_env = env


def evidence() -> Path:
    """The run's evidence folder (created on demand): save config snapshots, logs, SQL previews here."""
    path = run_context().evidence_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def to_jsonable(value: object) -> Any:
    """Turn a fact into plain JSON data; raise TypeError naming the type when that is not possible.

    Dataclasses become dicts without their private fields, and an `AccessToken` becomes its safe repr: a
    fact must never carry a secret into the ledger.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, AccessToken):
        return repr(value)
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    raise TypeError(
        f"apexops.record: a {type(value).__name__} is not JSON data; record str/int/float/bool/None, "
        "lists, dicts, dataclasses or datetimes"
    )


def read_facts(run_dir: Path) -> dict[str, Any]:
    """The facts recorded so far in a run folder ({} when none or unreadable)."""
    try:
        data = json.loads((run_dir / FACTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_facts(run_dir: Path, data: dict[str, Any]) -> None:
    """Scrubbed before it reaches the disk (the kernel knows the run's secrets; a recovering shell may
    not), and atomic: a kernel killed mid-write leaves the previous facts."""
    run_dir.mkdir(parents=True, exist_ok=True)
    clean = Redactor.for_kernel().scrub(data)
    atomic.write_text(run_dir / FACTS_FILE, json.dumps(clean, ensure_ascii=False, indent=1))


def save_evidence(name: str, content: str | bytes) -> Path:
    """Write one evidence file, scrubbed of the run's secrets before it reaches the disk, atomically.

    `name` is a file name inside the evidence folder (no folders, no `..`); an existing symlink there is
    replaced, never written through."""
    if not name or Path(name).name != name or name in (".", ".."):
        raise ValueError(f"apexops.save_evidence: {name!r} must be a plain file name")
    return write_scrubbed(evidence() / name, content)


def record(key: str, value: object, *, append: bool = False) -> None:
    """Record a key fact of this run (lands in the ledger line and the run's metadata).

    `append=True` keeps a list under `key` and adds `value` to it (e.g. one entry per approval).
    """
    if not isinstance(key, str) or not key.strip():
        raise ValueError("apexops.record: the key must be a non-empty string")
    data = to_jsonable(value)
    ctx = run_context()
    current = read_facts(ctx.run_dir)
    if append:
        existing = current.get(key)
        current[key] = [*(existing if isinstance(existing, list) else []), data]
    else:
        current[key] = data
    _write_facts(ctx.run_dir, current)


def verdict_parts(verdict: Verdict | str, reasons: Iterable[object] | None = None) -> tuple[str, list[str]]:
    """(status word, reasons) of a verdict: the one reading the banner and the ledger share.

    `verdict` is a `status.Verdict` or a status word; `reasons`, when given, replace the verdict's own.
    """
    word, given = (str(verdict.status), verdict.reasons) if isinstance(verdict, Verdict) else (verdict, ())
    return word, [str(r) for r in (given if reasons is None else reasons)]


def record_verdict(verdict: Verdict | str, reasons: Iterable[object] | None = None) -> None:
    """Record the procedure's verdict as the `verdict` fact: its status and reasons, which the reviewers'
    index shows as the run's headline (status plus the first reason) instead of raw facts."""
    status, reason_list = verdict_parts(verdict, reasons)
    record("verdict", {"status": status, "reasons": reason_list})


def facts() -> dict[str, Any]:
    """The facts recorded so far in this run."""
    return read_facts(run_context().run_dir)


def note_progress(text: str) -> None:
    """Publish what a long step sees right now (a canary stage: requests per revision, the evidence, time
    left) for the runner's progress display, which otherwise shows only the step's heading for its whole
    duration. One small file in the run folder, replaced atomically at each note; interactive sessions
    show their own output, so there it does nothing. A note that cannot be written never stops the run."""
    ctx = run_context()
    if not ctx.headless:
        return
    note = {
        "text": str(text),
        "at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "run_id": ctx.run_id,
        "procedure": ctx.procedure,
        "parent_run_id": ctx.parent_run_id,
    }
    try:
        clean = Redactor.for_kernel().scrub(note)
        atomic.write_text(ctx.run_dir / PROGRESS_FILE, json.dumps(clean, ensure_ascii=False))
    except (OSError, ValueError):
        pass


def _read_note(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("text"), str) else None


def latest_progress_note(
    outputs: Path, run_id: str, *, since: _dt.date | None = None
) -> dict[str, Any] | None:
    """The newest progress note of run `run_id` or of one of its child runs (a release's 50) among the
    unfinished runs in `outputs`, or None. `since`: the day the run started (run folders are filed by day);
    only that day's folders and later ones are looked at."""
    runs = Path(outputs) / "runs"
    try:
        days = sorted(
            d for d in runs.iterdir() if d.is_dir() and (since is None or d.name >= since.isoformat())
        )
    except OSError:
        return None
    best: dict[str, Any] | None = None
    for day in days:
        for path in day.glob(f"*_running_*/{PROGRESS_FILE}"):
            note = _read_note(path)
            if note is None or run_id not in (note.get("run_id"), note.get("parent_run_id")):
                continue
            if best is None or str(note.get("at", "")) >= str(best.get("at", "")):
                best = note
    return best


class NoteWatch:
    """Follows the progress notes (`note_progress`) of one run and of its child runs from the process that
    started it, in a thread, and hands each new note to `on_note` (the runner's progress display). The run
    id is set once the runner names it (`run_id`); until then there is nothing to follow. Tests call
    `poll()` directly instead of starting the thread."""

    def __init__(
        self,
        outputs: Path,
        on_note: Callable[[dict[str, Any]], None],
        *,
        run_id: str | None = None,
        interval_s: float = 0.5,
    ) -> None:
        self.outputs, self.on_note, self.run_id, self.interval_s = outputs, on_note, run_id, interval_s
        self.since = _dt.datetime.now(_dt.UTC).date()
        self._stop = threading.Event()
        self._last: tuple[str, str] | None = None
        self._thread = threading.Thread(target=self._loop, name="apexops-progress-notes", daemon=True)

    def poll(self) -> None:
        """Read the latest note once; hand it on when it is new."""
        if not self.run_id:
            return
        note = latest_progress_note(self.outputs, self.run_id, since=self.since)
        if note is None:
            return
        key = (str(note.get("run_id")), str(note.get("text")))
        if key != self._last:
            self._last = key
            with contextlib.suppress(Exception):  # a display problem never stops a run
                self.on_note(note)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.poll()

    def __enter__(self) -> NoteWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
