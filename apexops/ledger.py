"""The run ledger: `outputs/ledger.jsonl`, one JSON line per run, hash-chained, with artifact digests.

Each line records who ran which procedure where, with what (redacted) parameters, what came out (outcome,
facts) and the sha256 of every artifact the run left (executed notebook, HTML, evidence files). Each line
also carries `prev`, the sha256 of the line before it, and `ledger.head` holds the digest and count of the
last line, so deleting or editing any line, including the last one, breaks a link that `verify()` finds and
names. The chain is tamper-evident, not tamper-proof: anyone who can rewrite the whole folder can rewrite
the chain. For that, copy the head digest somewhere else (the CI log does, when `apexops runs verify` runs).

Appends take an exclusive `fcntl` lock, so parallel runs (CI matrix, child runs of 90-release) never
interleave or fork the chain. An append is one `os.write` of a whole line (O_APPEND), fsynced; if it or the
head update fails (a full disk, an I/O error) the ledger is cut back to where it was, so a line is either
whole and in the head or absent. A line torn by a crash mid-write is closed with a newline by the next
append (never glued to the new line), and the head remembers its number so `verify()` names it as torn.

Publishing to the shared store (`apexops.shared`) leaves receipts next to the ledger, in `ledger.published`
(one JSON line per step: `publishing` before a line is appended to the shared ledger, `published` after), so
a run that was published and later vanished from the shared ledger is told apart from one never published,
and a publish cut short between the shared append and its receipt is finished without a second line.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apexops import atomic, processes
from apexops.errors import LedgerError

__all__ = [
    "GENESIS",
    "HEAD_NAME",
    "LEDGER_NAME",
    "OWNER_FILE",
    "PUBLISHED_NAME",
    "Ledger",
    "Problem",
    "VerifyReport",
    "canonical_line",
    "file_digest",
    "line_digest",
]

LEDGER_NAME = "ledger.jsonl"
HEAD_NAME = "ledger.head"
LOCK_NAME = ".ledger.lock"
#: receipts of publishing runs to the shared store, and the lock that serialises publishers of this folder
PUBLISHED_NAME = "ledger.published"
PUBLISH_LOCK_NAME = ".publish.lock"
#: in a run folder until its ledger line is written: who runs it, and what is needed to record it
OWNER_FILE = ".owner.json"
GENESIS = "0" * 64
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def canonical_line(entry: dict[str, Any]) -> str:
    """One ledger line: compact, key-sorted JSON, so the same entry always hashes the same."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def line_digest(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


@dataclass(frozen=True)
class Problem:
    """One thing that does not verify: `kind` is stable (for tests and scripts), `detail` is for people."""

    kind: str  # line-edited | line-missing | line-reordered | line-invalid | head-* | artifact-*
    subject: str  # "line 3 (run 1a2b3c4d5e)" or an artifact path relative to the outputs folder
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


@dataclass
class VerifyReport:
    outputs: Path
    lines: int = 0
    artifacts: int = 0
    head_digest: str | None = None
    problems: list[Problem] = field(default_factory=list)
    #: what was verified, for the summary ("ledger"; "shared ledger" for `runs verify --shared`)
    name: str = "ledger"

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, subject: str, detail: str) -> None:
        self.problems.append(Problem(kind, subject, detail))

    def summary(self) -> str:
        if self.ok:
            return (
                f"{self.name} OK: {self.lines} run(s), {self.artifacts} artifact(s) verified; "
                f"head {self.head_digest or GENESIS}"
            )
        return f"{self.name} FAILED verification: {len(self.problems)} problem(s) in {self.lines} line(s)"


def _parse(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def _torn_of(head: dict[str, Any] | None) -> list[int]:
    """The line numbers the head records as torn (closed by a later append)."""
    torn = (head or {}).get("torn") or []
    return [n for n in torn if isinstance(n, int)] if isinstance(torn, list) else []


def _in_progress(folder: Path) -> bool:
    """A run folder whose owner process is alive: a run in progress, not yet in the ledger."""
    try:
        owner = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
        pid, started = int(owner["pid"]), owner.get("pid_start")
    except (OSError, ValueError, KeyError, TypeError):
        return False
    # the same liveness test recovery uses: a zombie or a reused pid is not the run's owner
    alive = processes.alive(pid, started=started if isinstance(started, float) else None)
    return alive and "_record_failed_" not in folder.name  # its runner gave up on it: recover records it


def _run_label(entry: dict[str, Any] | None) -> str:
    return f"run {entry.get('run_id', '?')}" if isinstance(entry, dict) else "unparsable line"


class Ledger:
    """The ledger of one outputs folder."""

    def __init__(self, outputs: Path) -> None:
        self.outputs = Path(outputs)
        self.path = self.outputs / LEDGER_NAME
        self.head_path = self.outputs / HEAD_NAME
        self.lock_path = self.outputs / LOCK_NAME
        self.published_path = self.outputs / PUBLISHED_NAME

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _locked(self, name: str = LOCK_NAME) -> Iterator[None]:
        self.outputs.mkdir(parents=True, exist_ok=True)
        with (self.outputs / name).open("a") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def publishing(self) -> contextlib.AbstractContextManager[None]:
        """Held while this folder's runs are published: the run that just ended and `apexops runs publish`
        never publish the same run twice (a separate lock, so a slow upload never holds up an append)."""
        return self._locked(PUBLISH_LOCK_NAME)

    def add_receipt(self, receipt: dict[str, Any]) -> None:
        """Append one publishing receipt (call inside `publishing()`): one whole line, fsynced."""
        data = (canonical_line(receipt) + "\n").encode("utf-8")
        atomic.fault_point(self.published_path)
        fd = os.open(self.published_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":  # a torn receipt stays on its own line
                data = b"\n" + data
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def receipts(self) -> list[dict[str, Any]]:
        """Every readable publishing receipt, oldest first."""
        try:
            text = self.published_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        return [r for line in text.split("\n") if line.strip() and (r := _parse(line)) is not None]

    def read_head(self) -> dict[str, Any] | None:
        try:
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {"count": -1, "digest": "invalid"}
        return head if isinstance(head, dict) else {"count": -1, "digest": "invalid"}

    def _raw_lines(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        return [line for line in text.split("\n") if line.strip()]

    def _unterminated(self) -> bool:
        """The file ends inside a line (torn by a crash; the next append closes it)."""
        try:
            with self.path.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                if fh.tell() == 0:
                    return False
                fh.seek(-1, os.SEEK_END)
                return fh.read(1) != b"\n"
        except FileNotFoundError:
            return False

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append one run; returns the entry as written (with `seq` and `prev`).

        The link comes from the head file when there is one, not from the current last line: if someone
        deleted the last line, the new line still points at it and the gap stays visible.
        """
        with self._locked():
            torn = self._close_torn_tail()
            head = self.read_head()
            lines = self._raw_lines()
            torn_lines = sorted({*_torn_of(head), *([len(lines)] if torn else [])})
            if (
                head
                and isinstance(head.get("count"), int)
                and head["count"] >= 0
                and _SHA256.match(str(head.get("digest", "")))
            ):
                prev, seq = head["digest"], head["count"] + 1
            else:
                good = [line for i, line in enumerate(lines, 1) if i not in torn_lines]
                prev = line_digest(good[-1]) if good else GENESIS
                seq = len(good) + 1
            written = {**entry, "seq": seq, "prev": prev}
            line = canonical_line(written)
            if "\n" in line:
                raise LedgerError("a ledger entry serialised to more than one line.", hint="report a bug.")
            new_head: dict[str, Any] = {"count": seq, "digest": line_digest(line)}
            if torn_lines:
                new_head["torn"] = torn_lines
            self._append_line(line, new_head)
            return written

    def _append_line(self, line: str, head: dict[str, Any]) -> None:
        """One write of the whole line, fsync, then the head; on any error the ledger is cut back."""
        data = (line + "\n").encode("utf-8")
        atomic.fault_point(self.path)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            try:
                if os.write(fd, data) != len(data):  # a full disk can take part of it
                    raise OSError(28, os.strerror(28), str(self.path))
                os.fsync(fd)
                atomic.write_text(self.head_path, json.dumps(head) + "\n")
            except BaseException:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
                    os.fsync(fd)
                raise
        finally:
            os.close(fd)

    def _close_torn_tail(self) -> bool:
        """A last line without its newline (a crash mid-write) is closed, so the next line stands alone."""
        if not self._unterminated():
            return False
        atomic.fault_point(self.path)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        return True

    # ------------------------------------------------------------------ reading

    def lines(self) -> list[tuple[str, dict[str, Any]]]:
        """Every parsable line with its exact text (its digest is what the shared ledger records)."""
        return [(line, entry) for line in self._raw_lines() if (entry := _parse(line)) is not None]

    def entries(self) -> list[dict[str, Any]]:
        """Every parsable line, oldest first (verify() reports the unparsable ones)."""
        return [entry for line in self._raw_lines() if (entry := _parse(line)) is not None]

    def find(self, run_id: str) -> dict[str, Any]:
        """The entry whose run id is `run_id` or starts with it (unique prefix)."""
        matches = [e for e in self.entries() if str(e.get("run_id", "")).startswith(run_id)] if run_id else []
        exact = [e for e in matches if e.get("run_id") == run_id]
        if exact:
            return exact[-1]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise LedgerError(
                f"no run {run_id!r} in {self.path}.", hint="list runs with `apexops runs list`."
            )
        raise LedgerError(
            f"run id prefix {run_id!r} matches {len(matches)} runs.", hint="give more characters of the id."
        )

    # ------------------------------------------------------------------ verifying

    def verify(self, *, artifacts: bool = True) -> VerifyReport:
        """Recompute every line digest, the chain, the head and (optionally) every artifact digest.

        Also not OK: an outputs folder that does not exist (a wrong --outputs must not read as "0 runs, OK"),
        a line torn by a crash (named by its line number), and a run folder no ledger line knows.
        """
        report = VerifyReport(outputs=self.outputs)
        if not self.outputs.is_dir():
            report.add("outputs-missing", str(self.outputs), "does not exist (a wrong --outputs?)")
            return report
        all_lines = self._raw_lines()
        report.lines = len(all_lines)
        head = self.read_head()
        torn = set(_torn_of(head)) | ({len(all_lines)} if self._unterminated() else set())
        numbers: list[int] = []  # the physical line number of each line that is not torn
        lines: list[str] = []
        for number, line in enumerate(all_lines, 1):
            if number in torn and _parse(line) is None:
                report.add(
                    "line-torn",
                    f"line {number}",
                    "was cut off mid-write (a crash or a full disk); its run was not recorded by it "
                    "(`apexops runs recover` records an unfinished run)",
                )
            else:
                numbers.append(number)
                lines.append(line)
        digests = [line_digest(line) for line in lines]
        position = {d: i for i, d in enumerate(digests)}
        parsed: list[dict[str, Any] | None] = []
        for i, line in enumerate(lines):
            parsed.append(_parse(line))
            if parsed[-1] is None:
                report.add("line-invalid", f"line {numbers[i]}", "is not a JSON object (edited by hand?)")
        self._verify_chain(report, digests, position, parsed, numbers)
        self._verify_head(report, numbers, digests, parsed, head)
        if artifacts:
            self._verify_artifacts(report, parsed)
        self._verify_run_folders(report, parsed)
        self._verify_receipts(report, parsed)
        report.head_digest = digests[-1] if digests else None
        return report

    def _verify_chain(
        self,
        report: VerifyReport,
        digests: list[str],
        position: dict[str, int],
        parsed: list[dict[str, Any] | None],
        numbers: list[int],
    ) -> None:
        for i, entry in enumerate(parsed):
            if entry is None or (i > 0 and parsed[i - 1] is None):
                continue  # already reported as invalid; its neighbour's link cannot be judged
            subject = f"line {numbers[i]} ({_run_label(entry)})"
            seq, prev = entry.get("seq"), entry.get("prev")
            prev_entry = parsed[i - 1] if i > 0 else None
            prev_seq = prev_entry.get("seq", i) if prev_entry else 0
            expected = digests[i - 1] if i > 0 else GENESIS
            if prev == expected:
                continue
            if prev in position and position[prev] != i - 1:
                report.add(
                    "line-reordered",
                    subject,
                    f"was moved: it follows line {numbers[position[prev]]} in the chain "
                    f"but sits at position {numbers[i]}",
                )
            elif prev == GENESIS and i > 0:
                report.add(
                    "line-reordered", subject, f"was moved: it starts the chain but sits at {numbers[i]}"
                )
            elif isinstance(seq, int) and isinstance(prev_seq, int) and seq > prev_seq + 1:
                gap = f"line {prev_seq + 1}" if seq == prev_seq + 2 else f"lines {prev_seq + 1}-{seq - 1}"
                after = f"after {_run_label(prev_entry)}" if prev_entry else "at the start"
                report.add("line-missing", gap, f"was deleted ({after}, before {subject})")
            elif i > 0:
                report.add(
                    "line-edited",
                    f"line {numbers[i - 1]} ({_run_label(prev_entry)})",
                    f"was edited: its digest no longer matches what line {numbers[i]} recorded",
                )
            else:
                report.add("line-edited", subject, "was edited: it does not link to the start of the ledger")

    def _verify_head(
        self,
        report: VerifyReport,
        numbers: list[int],
        digests: list[str],
        parsed: list[dict[str, Any] | None],
        head: dict[str, Any] | None,
    ) -> None:
        n = len(numbers)
        if head is None:
            if n:
                report.add("head-missing", HEAD_NAME, "is missing, so deleting the last line would go unseen")
            return
        count, digest = head.get("count"), head.get("digest")
        if not isinstance(count, int) or count < 0:
            report.add("head-invalid", HEAD_NAME, "is not readable (edited by hand?)")
            return
        last = parsed[-1] if parsed else None
        last_seq = last.get("seq") if last else 0
        if count > n and (not n or digest not in digests):
            first = (last_seq if isinstance(last_seq, int) else n) + 1
            which = f"line {count}" if first == count else f"lines {first}-{count}"
            report.add("line-missing", which, f"was deleted from the end: the head records {count} line(s)")
        elif count == n and n and digest != digests[-1]:
            report.add(
                "line-edited",
                f"line {numbers[-1]} ({_run_label(last)})",
                "was edited: its digest no longer matches the head",
            )
        elif count < n:
            report.add(
                "head-mismatch",
                HEAD_NAME,
                f"records {count} line(s) but the ledger has {n}: lines were added outside apexops",
            )

    def _verify_run_folders(self, report: VerifyReport, parsed: list[dict[str, Any] | None]) -> None:
        """Every run folder on disk is some line's; an unknown one was added by hand or is unfinished."""
        known = {str(e.get("run_dir")) for e in parsed if e}
        for folder in sorted(self.outputs.glob("runs/*/*")):
            rel = folder.relative_to(self.outputs).as_posix()
            if not folder.is_dir() or rel in known or _in_progress(folder):
                continue
            report.add(
                "run-unrecorded",
                rel,
                "is in no ledger line: added by hand, or a run not recorded yet "
                "(`apexops runs recover` records an unfinished run)",
            )

    def _verify_receipts(self, report: VerifyReport, parsed: list[dict[str, Any] | None]) -> None:
        """A run this folder published is still in its ledger (the receipt outlives a deleted ledger)."""
        published = [r for r in self.receipts() if r.get("state") == "published" and r.get("run_id")]
        if not published:
            return
        if not self.path.exists():
            report.add(
                "ledger-missing",
                LEDGER_NAME,
                f"was removed: {len(published)} run(s) were published from this folder "
                "(`apexops runs verify --shared` names them)",
            )
            return
        known = {str(e.get("run_id")) for e in parsed if e}
        for receipt in published:
            if str(receipt["run_id"]) not in known:
                report.add(
                    "run-missing",
                    f"run {receipt['run_id']}",
                    f"was published from this folder (to {receipt.get('env')}'s shared ledger, line "
                    f"{receipt.get('seq')}) but is not in the ledger",
                )

    def _verify_artifacts(self, report: VerifyReport, parsed: list[dict[str, Any] | None]) -> None:
        for entry in parsed:
            if not entry:
                continue
            label = _run_label(entry)
            recorded = entry.get("artifacts") or {}
            for rel, digest in sorted(recorded.items()):
                report.artifacts += 1
                path = self.outputs / rel
                if not path.is_file():
                    report.add("artifact-missing", rel, f"of {label} is missing")
                elif file_digest(path) != digest:
                    report.add(
                        "artifact-edited", rel, f"of {label} was changed after the run (sha256 differs)"
                    )
            run_dir = entry.get("run_dir")
            if run_dir and (self.outputs / run_dir).is_dir():
                for path in sorted((self.outputs / run_dir).rglob("*")):
                    rel = path.relative_to(self.outputs).as_posix()
                    if path.is_file() and rel not in recorded:
                        report.add(
                            "artifact-unrecorded",
                            rel,
                            f"was added to {label} after the run (not in the ledger)",
                        )
