"""What a CI pipeline shows of a run: JUnit XML (its test tab) and a Markdown job summary; and the facts as
readable `key: value` lines, the next step's inputs first (the terminal prints the same lines).

    apexops run 90 --env staging -p ... --junit-xml outputs/junit.xml --summary-md outputs/summary.md

Why JUnit: every CI (GitHub test reporters, Azure DevOps' PublishTestResults, GitLab, Jenkins) already
draws it, so a release stopped at its gate shows as a failed test named after the step, with the reason and
the hint as the failure text, without anyone opening the notebook. One `<testsuite>` per run; one
`<testcase>` per section of the executed notebook (its numbered steps, the verdict; the parameters and
context cells before the first step as "0. parameters and context"): failed where a cell failed, skipped
where the notebook said SKIPPED or the run stopped before it. The run's identity (run id, procedure,
environment, outcome, operator, ledger line digest) is in the suite's `<properties>`.

Both files are written atomically (`apexops.atomic`), also for failed, interrupted and unrecorded runs: a
pipeline step that publishes them `if: always()` finds them. Their paths are checked before a run starts
(`check_report_path`), so a typo costs one line, not a release.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from apexops import atomic
from apexops.errors import ConfigError
from apexops.ledger import canonical_line, line_digest
from apexops.status import Outcome, Status
from apexops.stops import text_block

__all__ = [
    "LEAD_FACTS",
    "RunReport",
    "StepCase",
    "check_report_path",
    "fact_lines",
    "junit_xml",
    "steps_of",
    "summary_markdown",
    "write_reports",
]

#: per procedure (by id), the facts the next step needs, shown first (the rest follow in recorded order):
#: 20's heads for 30, 30's new revision and the revisions it replaces for 40 and 50, 40's verdict for 50's
#: precondition, 50's canary for 60, 90's release verdict and the revision it released
LEAD_FACTS: dict[str, tuple[str, ...]] = {
    "00": ("preflight",),
    "10": ("deployment_name", "deployment_state", "container_image", "infra_verdict"),
    "20": ("heads_after", "heads_before", "migration_mode", "database", "backup_reference"),
    "30": ("new_revision", "old_revisions", "image_tag", "image", "digest", "deploy_verdict"),
    "40": ("smoke_verdict",),
    "50": ("canary", "traffic_moved"),
    "60": ("rollback",),
    "70": ("recovery", "traffic_after", "diagnosis", "suggestion"),
    "80": ("troubleshoot_verdict",),
    "90": ("release_verdict", "new_revision", "rolled_back", "child_run_ids"),
}
#: facts shown on their own (the verdict and the stop as such, 90's children as a list), never as a line
_SHOWN_APART = ("verdict", "stop", "children", "redactions")
_SETUP = "0. parameters and context"
#: characters XML 1.0 cannot carry (a kernel's output may hold them), and terminal colour codes
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# --------------------------------------------------------------------------- facts as lines


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(_scalar(v) for v in value) if value else "(none)"
    if isinstance(value, dict) and value and all(not isinstance(v, dict | list) for v in value.values()):
        return ", ".join(f"{k}={_scalar(v)}" for k, v in value.items())
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def _value_lines(key: str, value: Any, run_id: str, depth: int = 0) -> list[tuple[str, str]]:
    """One fact as lines: a dict one line per entry (`canary.verdict: promoted`), a table (a list of dicts)
    as its size and where to read it whole, anything else on one line, never cut."""
    if isinstance(value, dict) and value and depth == 0:
        return [
            line for sub, inner in value.items() for line in _value_lines(f"{key}.{sub}", inner, run_id, 1)
        ]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        where = f"`apexops runs show {run_id}`" if run_id else "the ledger line"
        count = "1 entry" if len(value) == 1 else f"{len(value)} entries"
        return [(key, f"{count} (all of them in {where})")]
    return [(key, _scalar(value))]


def fact_lines(procedure: str, facts: Mapping[str, Any], *, run_id: str = "") -> list[tuple[str, str]]:
    """The run's facts as (key, value) lines: the next step's inputs first (`LEAD_FACTS`), then the others
    in the order the notebook recorded them; the verdict, the stop and 90's children are shown apart."""
    lead = LEAD_FACTS.get(procedure[:2], ())
    keys = [k for k in lead if k in facts] + [k for k in facts if k not in lead and k not in _SHOWN_APART]
    lines: list[tuple[str, str]] = []
    for key in keys:
        lines.extend(_value_lines(key, facts[key], run_id))
    return lines


# --------------------------------------------------------------------------- steps of the executed notebook


@dataclass(frozen=True)
class StepCase:
    """One section of the executed notebook as a test case: passed, failed, skipped (or an error)."""

    name: str
    state: str  # passed | failed | skipped | error
    duration_s: float = 0.0
    message: str = ""
    detail: str = ""


def _heading(cell: Mapping[str, Any]) -> str | None:
    for line in _source(cell).splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return None


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _text_outputs(cell: Mapping[str, Any]) -> Iterable[str]:
    for out in cell.get("outputs") or ():
        data = out.get("data") or {}
        text = data.get("text/plain") if data else out.get("text")
        if text:
            yield "".join(text) if isinstance(text, list) else str(text)


def _error_of(cell: Mapping[str, Any]) -> str:
    for out in cell.get("outputs") or ():
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}"
    return next((t for t in _text_outputs(cell) if t.startswith("VERDICT: ")), "")


def _sections(nb: Mapping[str, Any]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """(heading, cells) in order, for the sections with code: the cells before the first step are the
    setup section. A heading cell belongs to its section (the runner may mark it where a run stopped)."""
    sections: list[tuple[str, list[Mapping[str, Any]]]] = [(_SETUP, [])]
    first_title = True
    for cell in nb.get("cells") or ():
        tags = (cell.get("metadata") or {}).get("tags") or []
        if "apexops-outcome" in tags or "papermill-error-cell-tag" in tags:
            continue
        heading = _heading(cell) if cell.get("cell_type") == "markdown" else None
        if heading is not None and not (first_title and not re.match(r"\d+\.\s", heading)):
            sections.append((heading, []))
        first_title = first_title and heading is None  # the notebook's title stays in the setup section
        sections[-1][1].append(cell)
    return [(name, cells) for name, cells in sections if any(c.get("cell_type") == "code" for c in cells)]


def _failed(cell: Mapping[str, Any]) -> bool:
    meta = cell.get("metadata") or {}
    state = meta.get("papermill") or {}
    return (
        state.get("status") == "failed"
        or bool(state.get("exception"))
        or "stopped" in (meta.get("apexops") or {})
    )


def _case(name: str, cells: Sequence[Mapping[str, Any]], stopped_at: str | None) -> StepCase:
    states = [((c.get("metadata") or {}).get("papermill") or {}) for c in cells]
    duration = sum(float(s.get("duration") or 0.0) for s in states)
    failed = [c for c in cells if _failed(c)]
    if failed:
        message = next((m for m in map(_error_of, failed) if m), "the step's cell failed")
        return StepCase(name, "failed", duration, message)
    if all(
        s.get("status") in (None, "pending") and not c.get("outputs")
        for c, s in zip(cells, states, strict=True)
    ):
        why = f"not run: the run stopped at {stopped_at}" if stopped_at else "not run"
        return StepCase(name, "skipped", duration, why)
    skipped = [t for c in cells for t in _text_outputs(c) if t.startswith(str(Status.SKIPPED))]
    if skipped:
        return StepCase(name, "skipped", duration, skipped[0].splitlines()[0])
    return StepCase(name, "passed", duration)


def steps_of(nb: Mapping[str, Any]) -> list[StepCase]:
    """The executed notebook's sections as test cases (see the module docstring)."""
    sections = _sections(nb)
    cases: list[StepCase] = []
    stopped_at: str | None = None
    for name, cells in sections:
        case = _case(name, cells, stopped_at)
        if case.state == "failed" and stopped_at is None:
            stopped_at = name
        cases.append(case)
    return cases


# --------------------------------------------------------------------------- the run, as CI shows it


@dataclass(frozen=True)
class RunReport:
    """What both files say of one run (from a `RunResult`, or from an error before the run recorded)."""

    procedure: str
    env: str
    outcome: str
    exit_code: int
    run_id: str = ""
    operator: str = ""
    error: str | None = None
    facts: Mapping[str, Any] | None = None
    ledger_line: Mapping[str, Any] | None = None
    outputs: Path | None = None
    notebook: Path | None = None
    html: Path | None = None
    evidence: Path | None = None
    shared: str = ""
    steps: tuple[StepCase, ...] = ()

    @classmethod
    def of(cls, result: Any, *, outputs: Path | None = None) -> RunReport:
        """From a runner `RunResult` (duck-typed: the CLI, the papermill engine and tests all have one)."""
        nb = _read_notebook(result.notebook_path)
        line = dict(result.ledger_line or {})
        meta = ((nb or {}).get("metadata") or {}).get("apexops") or {}
        shared = getattr(result, "shared", None)
        return cls(
            procedure=str(result.procedure),
            env=str(result.env),
            outcome=str(result.outcome),
            exit_code=int(result.exit_code),
            run_id=str(result.run_id),
            operator=str(line.get("operator") or meta.get("operator") or ""),
            error=result.error,
            facts=dict(result.facts or {}),
            ledger_line=line,
            outputs=outputs,
            notebook=result.notebook_path if nb is not None else None,
            html=result.html_path,
            evidence=result.evidence_dir,
            shared=(
                ""
                if shared is None
                else f"published to {shared.where}"
                if shared.ok
                else "pending: recorded locally only; `apexops runs publish` uploads it"
            ),
            steps=tuple(steps_of(nb)) if nb is not None else (),
        )

    @property
    def ledger_digest(self) -> str:
        """The sha256 of the run's ledger line (the next line's `prev`), or '' when it was not recorded."""
        return line_digest(canonical_line(dict(self.ledger_line))) if self.ledger_line else ""

    @property
    def stop(self) -> Mapping[str, Any] | None:
        stop = (self.facts or {}).get("stop")
        return stop if isinstance(stop, Mapping) else None

    @property
    def verdict(self) -> tuple[str, list[str]]:
        v = (self.facts or {}).get("verdict")
        if isinstance(v, Mapping):
            return str(v.get("status") or ""), [str(r) for r in v.get("reasons") or ()]
        return "", []

    def where(self, path: Path | None) -> str:
        """A path as the pipeline's artifact shows it: relative to the outputs folder when inside it."""
        if path is None:
            return ""
        if self.outputs is not None:
            try:
                return f"{self.outputs.name}/{Path(path).resolve().relative_to(self.outputs.resolve())}"
            except ValueError:
                pass
        return str(path)


def _read_notebook(path: Path | None) -> dict[str, Any] | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8")) if path else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _clean(text: object) -> str:
    return _NOT_XML.sub("", _ANSI.sub("", str(text)))


def _failure_text(report: RunReport, case: StepCase) -> tuple[str, str, str]:
    """(message, type, body) of a failed step: the stop's reason and hint when the kernel recorded one."""
    stop = report.stop
    if stop is not None:
        body = text_block(stop)
        return str(stop.get("reason") or case.message), str(stop.get("error") or stop.get("kind")), body
    error = report.error or case.message
    head = error.split(":", 1)[0]
    kind = head if ":" in error and re.fullmatch(r"[A-Za-z_][\w.]*", head) else report.outcome
    return error.split(" HINT: ")[0], kind, error.replace(" HINT: ", "\nHINT: ")


def _cases(report: RunReport) -> list[StepCase]:
    """The steps; a run that ended badly with no failed step (timeout, dead kernel, not recorded, an error
    before the notebook ran) gets one more failed case naming how it ended, so CI never shows it green."""
    cases = list(report.steps)
    if report.outcome != Outcome.SUCCEEDED and not any(c.state == "failed" for c in cases):
        message = report.error or f"the run ended {report.outcome}"
        cases.append(StepCase(f"run {report.outcome}", "error", 0.0, message))
    return cases


def _testcase(suite: ET.Element, report: RunReport, case: StepCase, classname: str) -> None:
    """One `<testcase>`: a failure carries the stop's reason (message) and its whole text with the hint."""
    attrs = {"classname": classname, "name": _clean(case.name), "time": f"{case.duration_s:.3f}"}
    el = ET.SubElement(suite, "testcase", attrs)
    if case.state == "failed":
        message, kind, body = _failure_text(report, case)
        failure = ET.SubElement(el, "failure", {"message": _clean(message), "type": _clean(kind)})
        failure.text = _clean(body)
    elif case.state == "error":
        error = ET.SubElement(el, "error", {"message": _clean(case.message), "type": report.outcome})
        error.text = _clean(case.message.replace(" HINT: ", "\nHINT: "))
    elif case.state == "skipped":
        ET.SubElement(el, "skipped", {"message": _clean(case.message)})


def junit_xml(report: RunReport, *, now: _dt.datetime | None = None) -> str:
    """The JUnit XML document (`<testsuites>` with one `<testsuite>`) for one run."""
    cases = _cases(report)
    duration = float((report.ledger_line or {}).get("duration_s") or sum(c.duration_s for c in cases))
    counts = {s: sum(1 for c in cases if c.state == s) for s in ("failed", "error", "skipped")}
    totals = {
        "tests": str(len(cases)),
        "failures": str(counts["failed"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"]),
        "time": f"{duration:.3f}",
    }
    # `skipped` only on the suite: the common JUnit XSD (Jenkins' junit-10.xsd) has none on <testsuites>
    root = ET.Element("testsuites", {"name": "apexops", **{k: totals[k] for k in totals if k != "skipped"}})
    started = (report.ledger_line or {}).get("started_at") or (now or _dt.datetime.now(_dt.UTC)).isoformat()
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": f"{report.procedure} on {report.env}",
            **totals,
            "timestamp": str(started)[:19],
            "hostname": socket.gethostname(),
            "id": "0",
            "package": "apexops",
        },
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", report.run_id),
        ("procedure", report.procedure),
        ("env", report.env),
        ("outcome", report.outcome),
        ("exit_code", str(report.exit_code)),
        ("operator", report.operator),
        ("ledger_line_sha256", report.ledger_digest),
        ("ledger_seq", str((report.ledger_line or {}).get("seq") or "")),
    ):
        ET.SubElement(props, "property", {"name": name, "value": _clean(value)})
    classname = f"apexops.{report.procedure}"
    for case in cases:
        _testcase(suite, report, case, classname)
    where = [
        f"{k}: {report.where(p)}" for k, p in (("notebook", report.notebook), ("html", report.html)) if p
    ]
    ET.SubElement(suite, "system-out").text = _clean("\n".join([f"run {report.run_id}", *where]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --------------------------------------------------------------------------- the job summary


def _md(text: object) -> str:
    """Text safe in a Markdown table cell or list item (no HTML, no table breaks)."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", " ")
    )


def _code(text: object) -> str:
    t = str(text).replace("`", "'").replace("\n", " ")
    return f"`{t}`" if t else ""


_ICON: dict[str, str] = {Outcome.SUCCEEDED: "✅", Outcome.INTERRUPTED: "⏹️"}


def _children_md(children: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = [
        "",
        "### Child runs",
        "",
        "| procedure | outcome | run | took | key facts / note |",
        "|---|---|---|---|---|",
    ]
    for c in children:
        took = c.get("duration_s")
        facts = c.get("facts") or {}
        key = "; ".join(f"{k}={_scalar(v)}" for k, v in facts.items()) if isinstance(facts, Mapping) else ""
        rows.append(
            f"| {_md(c.get('procedure'))} | {_md(c.get('outcome'))} | {_code(c.get('run_id') or '')} | "
            f"{'' if took is None else f'{float(took):.1f} s'} | "
            f"{_md(key or c.get('note') or c.get('error') or '')} |"
        )
    return rows


def _what_happened(report: RunReport) -> list[str]:
    """The verdict with its reasons, then the stop (or the error) as a block, complete."""
    lines: list[str] = []
    status, reasons = report.verdict
    if status:
        lines += ["", f"### Verdict: {_md(status)}", "", *(f"- {_md(r)}" for r in reasons)]
    if report.stop is not None:
        block = text_block(report.stop)
    elif report.error:
        block = report.error.replace(" HINT: ", "\nHINT: ")
    else:
        return lines
    title = "Stopped" if report.stop is not None else "Error"
    return [*lines, "", f"### {title}", "", "```text", block.replace("```", "'''"), "```"]


def _record_md(report: RunReport) -> list[str]:
    """Where the record is (paths as in the outputs artifact) and how to verify it."""
    lines = ["", "### The record", ""]
    for label, path in (("notebook", report.notebook), ("html", report.html), ("evidence", report.evidence)):
        if path:
            lines.append(f"- {label}: {_code(report.where(path))}")
    outputs = report.outputs.name if report.outputs else "outputs"
    if report.ledger_line:
        lines.append(f"- ledger: {_code(outputs + '/ledger.jsonl')} line {report.ledger_line.get('seq')}")
    if report.shared:
        lines.append(f"- shared store: {_md(report.shared)}")
    lines += [
        "",
        "### Verify it",
        "",
        f"Download the `{outputs}` artifact, then:",
        "",
        "```bash",
        f"apexops runs verify --outputs {outputs}",
        f"apexops runs show {report.run_id or '<run-id>'} --outputs {outputs}",
        "```",
    ]
    if report.ledger_digest:
        lines += [
            "",
            f"The run's ledger line hashes to the sha256 above: the next line's `prev`, or the digest in "
            f"`{outputs}/ledger.head` while it is the last line.",
        ]
    return lines


def summary_markdown(report: RunReport) -> str:
    """The job summary: outcome, verdict and its reasons (or the stop), facts, child runs, the steps that
    did not pass, where the record is and how to verify it."""
    icon = _ICON.get(report.outcome, "❌")
    lines = [f"## {icon} {report.procedure} on {report.env}: {report.outcome} (exit {report.exit_code})", ""]
    lines += ["| run | operator | ledger line (sha256) |", "|---|---|---|"]
    lines.append(
        f"| {_code(report.run_id)} | {_md(report.operator)} | "
        f"{_code(report.ledger_digest) or 'not recorded'} |"
    )
    lines += _what_happened(report)
    facts = report.facts or {}
    shown = fact_lines(report.procedure, facts, run_id=report.run_id)
    if shown:
        lines += ["", "### Facts", "", *(f"- **{_md(k)}**: {_md(v)}" for k, v in shown)]
    children = facts.get("children")
    if isinstance(children, list) and children:
        lines += _children_md([c for c in children if isinstance(c, Mapping)])
    steps = [c for c in _cases(report) if c.state != "passed"]
    if steps:
        lines += ["", "### Steps not passed", ""]
        lines += [f"- {c.state}: {_md(c.name)} ({_md(c.message.split(' HINT: ')[0])})" for c in steps]
    return "\n".join([*lines, *_record_md(report)]) + "\n"


# --------------------------------------------------------------------------- files


def check_report_path(path: Path | None, option: str) -> Path | None:
    """A report file the run can write at its end, checked before it starts (ConfigError: exit 2)."""
    if path is None:
        return None
    target = Path(path).expanduser()
    if not target.name or target.is_dir() or str(path).endswith(("/", "\\")):
        raise ConfigError(f"{option} {path} is a folder.", hint=f"pass {option} <folder>/<file name>.")
    folder = target.parent
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        raise ConfigError(
            f"{option} {path} cannot be written: {existing} is not a folder.", hint=f"pass another {option}."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{option} {path} cannot be written: {existing} is not writable.", hint=f"pass another {option}."
        )
    return target.resolve()


def write_reports(report: RunReport, *, junit: Path | None = None, summary: Path | None = None) -> list[Path]:
    """Write the JUnit XML and/or the Markdown summary atomically (folders created); the paths written."""
    written: list[Path] = []
    for path, text in ((junit, junit_xml), (summary, summary_markdown)):
        if path is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(path, text(report))
        written.append(path)
    return written
