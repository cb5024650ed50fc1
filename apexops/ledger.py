"""The run ledger: `outputs/ledger.jsonl`, one JSON line per run, hash-chained, with artifact digests.

Each line records who ran which procedure where, with what (redacted) parameters, what came out (outcome,
facts) and the sha256 of every artifact the run left (executed notebook, HTML, evidence files). Each line
also carries `prev`, the sha256 of the line before it, and `ledger.head` holds the digest and count of the
last line, so deleting or editing any line, including the last one, breaks a link that `verify()` finds and
names. The chain is tamper-evident, not tamper-proof: anyone who can rewrite the whole folder can rewrite
the chain. For that, copy the head digest somewhere else (the CI log does, when `apexops runs verify` runs).

Appends take an exclusive `fcntl` lock, so parallel runs (CI matrix, child runs of 90-release) never
interleave or fork the chain.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apexops.errors import LedgerError

__all__ = [
    "GENESIS",
    "HEAD_NAME",
    "LEDGER_NAME",
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
GENESIS = "0" * 64
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def canonical_line(entry: dict[str, Any]) -> str:
    """One ledger line: compact, key-sorted JSON, so the same entry always hashes the same."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def line_digest(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return (
                f"ledger OK: {self.lines} run(s), {self.artifacts} artifact(s) verified; "
                f"head {self.head_digest or GENESIS}"
            )
        return f"ledger FAILED verification: {len(self.problems)} problem(s) in {self.lines} line(s)"


def _run_label(entry: dict[str, Any] | None) -> str:
    return f"run {entry.get('run_id', '?')}" if isinstance(entry, dict) else "unparsable line"


class Ledger:
    """The ledger of one outputs folder."""

    def __init__(self, outputs: Path) -> None:
        self.outputs = Path(outputs)
        self.path = self.outputs / LEDGER_NAME
        self.head_path = self.outputs / HEAD_NAME
        self.lock_path = self.outputs / LOCK_NAME

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.outputs.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

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
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line for line in text.split("\n") if line.strip()]

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append one run; returns the entry as written (with `seq` and `prev`).

        The link comes from the head file when there is one, not from the current last line: if someone
        deleted the last line, the new line still points at it and the gap stays visible.
        """
        with self._locked():
            head = self.read_head()
            lines = self._raw_lines()
            if (
                head
                and isinstance(head.get("count"), int)
                and head["count"] >= 0
                and _SHA256.match(str(head.get("digest", "")))
            ):
                prev, seq = head["digest"], head["count"] + 1
            else:
                prev = line_digest(lines[-1]) if lines else GENESIS
                seq = len(lines) + 1
            written = {**entry, "seq": seq, "prev": prev}
            line = canonical_line(written)
            if "\n" in line:
                raise LedgerError("a ledger entry serialised to more than one line.", hint="report a bug.")
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            self._write_head({"count": seq, "digest": line_digest(line)})
            return written

    def _write_head(self, head: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.outputs, prefix=".head-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(head, fh)
            fh.write("\n")
        Path(tmp).replace(self.head_path)

    # ------------------------------------------------------------------ reading

    def entries(self) -> list[dict[str, Any]]:
        """Every parsable line, oldest first (verify() reports the unparsable ones)."""
        out = []
        for line in self._raw_lines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                out.append(entry)
        return out

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
        """Recompute every line digest, the chain, the head and (optionally) every artifact digest."""
        report = VerifyReport(outputs=self.outputs)
        lines = self._raw_lines()
        report.lines = len(lines)
        head = self.read_head()
        digests = [line_digest(line) for line in lines]
        position = {d: i for i, d in enumerate(digests)}
        parsed: list[dict[str, Any] | None] = []
        for i, line in enumerate(lines):
            try:
                entry = json.loads(line)
                parsed.append(entry if isinstance(entry, dict) else None)
            except ValueError:
                parsed.append(None)
            if parsed[-1] is None:
                report.problems.append(
                    Problem("line-invalid", f"line {i + 1}", "is not a JSON object (edited by hand?)")
                )
        self._verify_chain(report, lines, digests, position, parsed)
        self._verify_head(report, lines, digests, parsed, head)
        if artifacts:
            self._verify_artifacts(report, parsed)
        report.head_digest = digests[-1] if digests else None
        return report

    def _verify_chain(
        self,
        report: VerifyReport,
        lines: list[str],
        digests: list[str],
        position: dict[str, int],
        parsed: list[dict[str, Any] | None],
    ) -> None:
        for i, entry in enumerate(parsed):
            if entry is None or (i > 0 and parsed[i - 1] is None):
                continue  # already reported as invalid; its neighbour's link cannot be judged
            subject = f"line {i + 1} ({_run_label(entry)})"
            seq, prev = entry.get("seq"), entry.get("prev")
            prev_entry = parsed[i - 1] if i > 0 else None
            prev_seq = prev_entry.get("seq", i) if prev_entry else 0
            expected = digests[i - 1] if i > 0 else GENESIS
            if prev == expected:
                continue
            if prev in position and position[prev] != i - 1:
                report.problems.append(
                    Problem(
                        "line-reordered",
                        subject,
                        f"was moved: it follows line {position[prev] + 1} in the chain "
                        f"but sits at position {i + 1}",
                    )
                )
            elif prev == GENESIS and i > 0:
                report.problems.append(
                    Problem("line-reordered", subject, f"was moved: it starts the chain but sits at {i + 1}")
                )
            elif isinstance(seq, int) and isinstance(prev_seq, int) and seq > prev_seq + 1:
                gap = f"line {prev_seq + 1}" if seq == prev_seq + 2 else f"lines {prev_seq + 1}-{seq - 1}"
                after = f"after {_run_label(prev_entry)}" if prev_entry else "at the start"
                report.problems.append(
                    Problem("line-missing", gap, f"was deleted ({after}, before {subject})")
                )
            elif i > 0:
                report.problems.append(
                    Problem(
                        "line-edited",
                        f"line {i} ({_run_label(prev_entry)})",
                        f"was edited: its digest no longer matches what line {i + 1} recorded",
                    )
                )
            else:
                report.problems.append(
                    Problem("line-edited", subject, "was edited: it does not link to the start of the ledger")
                )

    def _verify_head(
        self,
        report: VerifyReport,
        lines: list[str],
        digests: list[str],
        parsed: list[dict[str, Any] | None],
        head: dict[str, Any] | None,
    ) -> None:
        n = len(lines)
        if head is None:
            if n:
                report.problems.append(
                    Problem(
                        "head-missing", HEAD_NAME, "is missing, so deleting the last line would go unseen"
                    )
                )
            return
        count, digest = head.get("count"), head.get("digest")
        if not isinstance(count, int) or count < 0:
            report.problems.append(Problem("head-invalid", HEAD_NAME, "is not readable (edited by hand?)"))
            return
        last = parsed[-1] if parsed else None
        last_seq = last.get("seq") if last else 0
        if count > n and (not lines or digest not in digests):
            first = (last_seq if isinstance(last_seq, int) else n) + 1
            which = f"line {count}" if first == count else f"lines {first}-{count}"
            report.problems.append(
                Problem("line-missing", which, f"was deleted from the end: the head records {count} line(s)")
            )
        elif count == n and n and digest != digests[-1]:
            report.problems.append(
                Problem(
                    "line-edited",
                    f"line {n} ({_run_label(last)})",
                    "was edited: its digest no longer matches the head",
                )
            )
        elif count < n:
            report.problems.append(
                Problem(
                    "head-mismatch",
                    HEAD_NAME,
                    f"records {count} line(s) but the ledger has {n}: lines were added outside apexops",
                )
            )

    def _verify_artifacts(self, report: VerifyReport, parsed: list[dict[str, Any] | None]) -> None:
        for entry in parsed:
            if not entry:
                continue
            recorded = entry.get("artifacts") or {}
            for rel, digest in sorted(recorded.items()):
                report.artifacts += 1
                path = self.outputs / rel
                if not path.is_file():
                    report.problems.append(
                        Problem("artifact-missing", rel, f"of {_run_label(entry)} is missing")
                    )
                elif file_digest(path) != digest:
                    report.problems.append(
                        Problem(
                            "artifact-edited",
                            rel,
                            f"of {_run_label(entry)} was changed after the run (sha256 differs)",
                        )
                    )
            run_dir = entry.get("run_dir")
            if run_dir and (self.outputs / run_dir).is_dir():
                for path in sorted((self.outputs / run_dir).rglob("*")):
                    rel = path.relative_to(self.outputs).as_posix()
                    if path.is_file() and rel not in recorded:
                        report.problems.append(
                            Problem(
                                "artifact-unrecorded",
                                rel,
                                f"was added to {_run_label(entry)} after the run (not in the ledger)",
                            )
                        )
