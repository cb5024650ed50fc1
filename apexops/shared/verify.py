"""`apexops runs verify --shared`: the shared ledger checked on its own, and the local ledger against it.

A local folder alone cannot prove it was not rewritten (delete a run, flip another to succeeded, recompute
the digests and the head: the chain verifies). The shared ledger is the anchor outside the folder: every
run this folder published is there with the digest of its local line. So verify names

- on the shared side: a line edited (its link or its own digest no longer match), deleted (a gap in `seq`,
  or fewer lines than the head records), unreadable; an artifact missing or with other bytes;
- across the two: a run rewritten (local and shared lines differ: which fields, and which side's own chain
  broke), a run deleted locally (published from this folder, gone from its ledger), a run deleted from the
  shared ledger (this folder holds a `published` receipt for it), a run not published (recorded locally,
  not in the shared ledger: added locally, or recorded while the store was down), and a removed local
  ledger (the shared ledger holds runs published from this folder, the folder has no ledger);
- locally: everything `apexops runs verify` names.

The kinds of problems are stable words (`shared-line-edited`, `run-rewritten`, ...) for scripts and tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apexops.ledger import GENESIS, Ledger, Problem, VerifyReport, line_digest
from apexops.shared.audit import SharedLedger, SharedLine, origin_of
from apexops.shared.publish import PUBLISHED

__all__ = ["verify_chain", "verify_shared"]


def verify_shared(shared: SharedLedger, outputs: Path, env: str, *, artifacts: bool = True) -> VerifyReport:
    """Verify the shared ledger and this outputs folder's ledger against it (runs of `env`)."""
    ledger = Ledger(outputs)
    local = (
        ledger.verify(artifacts=artifacts)
        if ledger.outputs.is_dir()
        else VerifyReport(outputs=ledger.outputs)
    )
    lines = shared.read()
    report = VerifyReport(outputs=ledger.outputs, lines=len(lines), name="shared ledger")
    # the comparison below names a removed ledger and a deleted run with the shared line that proves it
    report.problems = [
        p for p in local.problems if p.kind not in ("outputs-missing", "ledger-missing", "run-missing")
    ]
    report.artifacts = local.artifacts
    broken = _verify_chain(report, lines)
    _verify_head(report, lines, shared.head())
    if artifacts:
        _verify_artifacts(report, lines, shared.artifact_digests())
    _compare(
        report, ledger, [ln for ln in lines if ln.data and ln.data.get("environment") == env], env, broken
    )
    report.head_digest = line_digest(lines[-1].text) if lines else None
    return report


def _verify_chain(report: VerifyReport, lines: list[SharedLine]) -> set[str]:
    """Links and own digests of the shared lines; returns the run ids whose shared line is suspect."""
    broken: set[str] = set()
    for i, ln in enumerate(lines):
        if ln.data is None:
            report.add(
                "shared-line-invalid", f"shared line {ln.number}", "is not a JSON object (edited by hand?)"
            )
            continue
        if not ln.consistent():
            broken.add(ln.run_id)
            report.add(
                "shared-line-edited", ln.label, "was rewritten: its run's line no longer matches its digest"
            )
        prev_ln = lines[i - 1] if i else None
        expected = line_digest(prev_ln.text) if prev_ln else GENESIS
        if ln.data.get("prev") == expected or (prev_ln is not None and prev_ln.data is None):
            continue
        seq, prev_seq = ln.data.get("seq"), (prev_ln.data or {}).get("seq", i) if prev_ln else 0
        if isinstance(seq, int) and isinstance(prev_seq, int) and seq > prev_seq + 1:
            gap = f"shared line {prev_seq + 1}" + (f"-{seq - 1}" if seq > prev_seq + 2 else "")
            report.add("shared-line-missing", gap, f"was deleted (before {ln.label})")
        elif prev_ln is not None:
            broken.add(prev_ln.run_id)
            report.add(
                "shared-line-edited",
                prev_ln.label,
                f"was rewritten: it no longer matches what line {ln.number} links to",
            )
        else:
            report.add("shared-line-edited", ln.label, "does not link to the start of the shared ledger")
    return broken


def _verify_head(report: VerifyReport, lines: list[SharedLine], head: dict[str, Any] | None) -> None:
    """The head records how far the chain got: fewer lines means lines were deleted from the end."""
    if head is None:
        if lines:
            report.add(
                "shared-head-missing", "ledger.head", "is missing, so deleting the last lines would go unseen"
            )
        return
    count, digest = head.get("count"), head.get("digest")
    if not isinstance(count, int) or count < 0:
        report.add("shared-head-invalid", "ledger.head", "is not readable (edited by hand?)")
    elif count > len(lines):
        report.add(
            "shared-line-missing",
            f"shared line {len(lines) + 1}" + (f"-{count}" if count > len(lines) + 1 else ""),
            f"was deleted from the end: the head records {count} line(s), the ledger has {len(lines)}",
        )
    elif count and line_digest(lines[count - 1].text) != digest:
        report.add(
            "shared-line-edited",
            lines[count - 1].label,
            "was rewritten: its digest no longer matches the head",
        )


def _verify_artifacts(report: VerifyReport, lines: list[SharedLine], remote: dict[str, str]) -> None:
    """Every artifact a shared line records is in the store with the same sha256."""
    for ln in lines:
        for rel, digest in sorted((ln.entry.get("artifacts") or {}).items()):
            report.artifacts += 1
            if rel not in remote:
                report.add("shared-artifact-missing", rel, f"of {ln.label} is not in the shared store")
            elif remote[rel] != digest:
                report.add(
                    "shared-artifact-edited",
                    rel,
                    f"of {ln.label} has other bytes than its ledger line records",
                )


def _changed_fields(local: dict[str, Any], shared: dict[str, Any]) -> str:
    keys = sorted(k for k in {*local, *shared} if local.get(k) != shared.get(k))

    def show(value: Any) -> str:
        return json.dumps(value, default=str)[:60]

    shown = [f"{k}: local {show(local.get(k))}, shared {show(shared.get(k))}" for k in keys[:3]]
    return "; ".join(shown) + (f" (+{len(keys) - 3} more)" if len(keys) > 3 else "")


def _compare(
    report: VerifyReport, ledger: Ledger, lines: list[SharedLine], env: str, broken: set[str]
) -> None:
    """The local ledger against the shared lines of `env`."""
    origin = origin_of(ledger.outputs)
    local = {str(e.get("run_id")): (text, e) for text, e in ledger.lines() if e.get("environment") == env}
    shared = {ln.run_id: ln for ln in lines}
    local_suspect = {p.subject for p in report.problems if p.kind.startswith("line-")}
    _compare_ours(report, ledger, [ln for ln in lines if ln.origin == origin], local)
    published = {
        str(r["run_id"]): str(r.get("digest"))
        for r in ledger.receipts()
        if r.get("env") == env and r.get("state") == PUBLISHED and "run_id" in r
    }
    for run_id, (text, entry) in local.items():
        found = shared.get(run_id)
        if found is None:
            if run_id in published:
                report.add(
                    "run-deleted-shared",
                    f"run {run_id}",
                    "was published from this folder but is not in the shared ledger: deleted there",
                )
            else:
                report.add(
                    "run-unpublished",
                    f"run {run_id}",
                    "is in the local ledger but not in the shared one: added locally, or recorded while the "
                    "store was down (`apexops runs publish` uploads it)",
                )
        elif (found.data or {}).get("digest") != line_digest(text) or found.entry != entry:
            side = _side(run_id, line_digest(text), found, published.get(run_id), broken | local_suspect)
            changed = _changed_fields(entry, found.entry)
            detail = f"differs between local and shared ({side}): {changed}"
            report.add("run-rewritten", f"run {run_id}", detail)


def _compare_ours(
    report: VerifyReport, ledger: Ledger, ours: list[SharedLine], local: dict[str, Any]
) -> None:
    """The shared lines published from this folder: each still in its ledger, and the ledger still there."""
    if ours and not ledger.path.exists():
        ids = ", ".join(ln.run_id for ln in ours[:5]) + (" ..." if len(ours) > 5 else "")
        report.problems.append(
            Problem(
                "local-ledger-missing",
                str(ledger.path),
                f"was removed: the shared ledger holds {len(ours)} run(s) published from this folder ({ids})",
            )
        )
        return
    for ln in ours:
        if ln.run_id not in local:
            report.add(
                "run-deleted-locally",
                f"run {ln.run_id}",
                f"was published from this folder ({ln.label}) but is not in its ledger: deleted locally, "
                "or added to the shared ledger by hand",
            )


def _side(run_id: str, local_digest: str, ln: SharedLine, receipt: str | None, suspects: set[str]) -> str:
    """Which copy was rewritten: the digest this folder noted when it published decides; else each side's
    own chain (`suspects`: run ids whose shared line broke, subjects of local chain problems)."""
    shared_digest = str((ln.data or {}).get("digest"))
    if receipt and receipt == shared_digest and ln.consistent():
        return "rewritten locally after it was published"
    if receipt and receipt == local_digest:
        return "rewritten in the shared ledger"
    local_broken = any(f"(run {run_id})" in s for s in suspects)
    shared_broken = run_id in suspects or not ln.consistent()
    if local_broken != shared_broken:
        return "rewritten locally" if local_broken else "rewritten in the shared ledger"
    return "rewritten on one side"


def verify_chain(lines: list[SharedLine], head: dict[str, Any] | None) -> VerifyReport:
    """The shared chain and head alone (no artifacts, no local folder): for the shared index page."""
    report = VerifyReport(outputs=Path(), lines=len(lines))
    _verify_chain(report, lines)
    _verify_head(report, lines, head)
    report.head_digest = line_digest(lines[-1].text) if lines else None
    return report
