"""Lint a planned migration, revision by revision, over its Alembic operations AND its rendered SQL.

The runbook's review step ("look for unexpected DROPs") becomes rules with ids, severities, reasons and
safer alternatives (`rules.RULES`, one function per rule in `checks.py`). Linting happens per revision of
the *pending* range, never over the whole history from base: squawk#364 showed a whole-history lint
reporting nothing because every table was created earlier in the same output.

Acknowledgements are parameters bound to rule AND revision ("MIG-012@0002"), so acknowledging a warning
for one revision does not silence the same rule for the next one. `block` findings cannot be acknowledged
by a parameter: only a reviewed waiver in the migration source (`# apexops: allow MIG-001 <reason>`)
lifts them, like strong_migrations' safety_assured.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from apexops.errors import ConfigError
from apexops.migrations._alembic import RevisionInfo
from apexops.migrations._opscan import RevisionScan, scan_revision
from apexops.migrations._sqlscan import Stmt, parse_statement
from apexops.migrations.checks import CHECKS
from apexops.migrations.dialects import ident
from apexops.migrations.preview_model import Preview, is_transaction_control
from apexops.migrations.rules import ACK, BLOCK, INFO, RULES, Finding, RevisionContext, Severity
from apexops.migrations.schema_map import SchemaHistory
from apexops.status import Status

__all__ = ["BLOCKED", "LintOptions", "LintReport", "lint", "parse_acknowledgements"]

_ACK = re.compile(r"^(MIG-\d{3})@([\w.\-]+)$", re.I)

#: the lint's verdict when a finding blocks the plan (shown as FAIL: `LintReport.status`)
BLOCKED = "BLOCKED"


def parse_acknowledgements(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """'MIG-003@0003, MIG-012@0002' -> ('MIG-003@0003', 'MIG-012@0002'); ConfigError on a bad entry."""
    items = re.split(r"[,\s]+", value) if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for raw in (i.strip() for i in items):
        if not raw:
            continue
        m = _ACK.match(raw)
        if not m:
            raise ConfigError(
                f"acknowledge: {raw!r} is not RULE@REVISION.",
                hint="write acknowledgements like MIG-012@0002, comma separated.",
            )
        rule = m.group(1).upper()
        if rule not in RULES:
            raise ConfigError(
                f"acknowledge: {rule} is not a lint rule.", hint=f"known rules: {', '.join(RULES)}."
            )
        out.append(f"{rule}@{m.group(2)}")
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class LintOptions:
    """What the lint needs to know about the plan besides its revisions and their SQL."""

    dialect: str
    direction: str = "upgrade"
    heads: Sequence[str] = ()
    target: str = ""
    acknowledge: str | Iterable[str] | None = ""
    history: SchemaHistory | None = None
    #: rows (or non-null values, "table.column") that objects hold now, for the reasons of a downgrade
    row_counts: Mapping[str, int] = field(default_factory=dict)
    #: the plan starts from an empty database: every table of the history is new when it is altered
    start_is_empty: bool = False


@dataclass(frozen=True)
class LintReport:
    """Findings of a plan, with what blocks and what the acknowledgements covered."""

    direction: str
    dialect: str
    revisions: tuple[str, ...]
    findings: tuple[Finding, ...]
    acknowledgements: tuple[str, ...] = ()
    unused_acknowledgements: tuple[str, ...] = ()
    refused_acknowledgements: tuple[str, ...] = ()

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    @property
    def status(self) -> Status:
        return Status.FAIL if self.blocking else Status.PASS

    @property
    def verdict(self) -> str:
        """BLOCKED or PASS (the word the notebook, the ledger and the release timeline show)."""
        return BLOCKED if self.blocking else Status.PASS

    @property
    def needs_acknowledgement(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.key for f in self.findings if f.severity == ACK and f.blocking))

    def reasons(self) -> list[str]:
        out = [f"{f.key} {f.status}: {f.reason}" for f in self.blocking]
        if self.needs_acknowledgement:
            out.append(
                'to proceed after review, set acknowledge="' + ",".join(self.needs_acknowledgement) + '"'
            )
        out += [
            f"{k}: {k.split('@')[0]} blocks and cannot be acknowledged by a parameter; change the migration "
            "or waive it in its source (# apexops: allow RULE <reason>) through code review"
            for k in self.refused_acknowledgements
        ]
        out += [
            f"{k}: acknowledgement matches no finding (check the rule and revision)"
            for k in self.unused_acknowledgements
        ]
        return out

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "verdict": f.status.status,
                "status": f.status,
                "rule": f.rule,
                "revision": f.revision,
                "title": RULES[f.rule].title,
                "object": f.object,
                "statement": f.excerpt,
                "reason": f.reason,
                "safer alternative": f.alternative,
                "source": f.source,
                "acknowledge with": f.key if f.severity == ACK else "",
            }
            for f in self.findings
        ]

    def facts(self) -> dict[str, Any]:
        """What the ledger keeps: every finding key with its status, and the acknowledgements used."""
        return {
            "verdict": str(self.verdict),
            "findings": [f"{f.key}:{f.status}" for f in self.findings],
            "acknowledged": sorted({f.key for f in self.findings if f.acknowledged}),
            "waived": sorted({f.key for f in self.findings if f.waiver is not None}),
            "blocking": sorted({f.key for f in self.blocking}),
        }


def lint(revisions: Sequence[RevisionInfo], preview: Preview | None, options: LintOptions) -> LintReport:
    """Run every rule over each revision of the plan (pure: reads only the revision files)."""
    acks = parse_acknowledgements(options.acknowledge)
    found = list(_multiple_heads(options.heads))
    if preview is not None and revisions:
        label = options.target or revisions[-1].revision
        found += [
            f for rule in (_preview_failed, _no_lock_timeout) if (f := rule(preview, options.dialect, label))
        ]
    found += [_load_failed(info) for info in revisions if info.load_error]
    found += _revision_findings(revisions, preview, options)
    findings = [replace(f, acknowledged=f.severity == ACK and f.key in acks) for f in _merge(found)]
    keys = {f.key for f in findings}
    refused = tuple(k for k in acks if any(f.key == k and f.severity == BLOCK for f in findings))
    unused = tuple(k for k in acks if k not in keys)
    rank = {r.revision: i for i, r in enumerate(revisions)}
    findings.sort(key=lambda f: (rank.get(f.revision, -1), f.severity.rank, f.rule))
    revision_ids = tuple(r.revision for r in revisions)
    return LintReport(
        options.direction, options.dialect, revision_ids, tuple(findings), acks, unused, refused
    )


# --------------------------------------------------------------------------- plan-wide rules


def _plan_finding(
    rule: str,
    revision: str,
    excerpt: str,
    reason: str,
    source: str,
    obj: str,
    severity: Severity | None = None,
) -> Finding:
    r = RULES[rule]
    return Finding(rule, severity or r.severity, revision, excerpt, reason, r.alternative, source, obj)


def _multiple_heads(heads: Sequence[str]) -> list[Finding]:
    """MIG-024: `upgrade head` is ambiguous when the history has several heads."""
    if len(heads) < 2:
        return []
    why = f"the history has {len(heads)} heads: {RULES['MIG-024'].why}"
    return [_plan_finding("MIG-024", ",".join(heads), f"heads: {', '.join(heads)}", why, "history", "heads")]


def _preview_failed(preview: Preview, dialect: str, label: str) -> Finding | None:
    """MIG-029: the SQL that would run could not be rendered (or rehearsed), so it cannot be reviewed."""
    if not preview.error:
        return None
    how = "the rehearsal on a copy of the database" if preview.method == "rehearsal" else "offline rendering"
    why = f"{how} failed in {preview.failed_revision}: {preview.error}; {RULES['MIG-029'].why}"
    revision = preview.failed_revision or label
    return _plan_finding("MIG-029", revision, preview.error, why, "preview", "preview")


def _load_failed(info: RevisionInfo) -> Finding:
    """MIG-031: the revision file does not import here; the rest of the history is still linted."""
    why = f"{info.revision} {info.load_error}"
    return _plan_finding("MIG-031", info.revision, why, why, "history", "revision file")


def _no_lock_timeout(preview: Preview, dialect: str, label: str) -> Finding | None:
    """MIG-019: no session lock timeout before the first statement (information only on SQLite)."""
    if any(re.search(r"lock_timeout|busy_timeout", s, re.I) for s in preview.session_statements):
        return None
    what = "(no SET lock_timeout / SET LOCK_TIMEOUT before the first statement)"
    severity = INFO if dialect == "sqlite" else ACK
    return _plan_finding("MIG-019", label, what, RULES["MIG-019"].why, "preview", "lock timeout", severity)


# --------------------------------------------------------------------------- per-revision rules


def _revision_findings(
    revisions: Sequence[RevisionInfo], preview: Preview | None, options: LintOptions
) -> list[Finding]:
    """Every rule of `checks.CHECKS` on each revision, with what earlier revisions of the plan created."""
    statements = _statements_by_revision(preview)
    history = options.history
    new_tables = set(history.tables) if options.start_is_empty and history is not None else set()
    upgrade = options.direction == "upgrade"
    out: list[Finding] = []
    for info in revisions:
        scan = scan_revision(info.revision, info.path)
        rendered = info.revision in statements and (
            preview is None or preview.failed_revision != info.revision
        )
        ctx = RevisionContext(
            info.revision,
            options.dialect,
            options.direction,
            scan,
            statements.get(info.revision, []),
            set(new_tables) if upgrade else set(),
            history,
            dict(options.row_counts),
            _created_by_upgrade(scan, history, options.dialect),
            previewed=rendered,
        )
        out += (_waived(f, scan) for check in CHECKS.values() for f in check(ctx))
        if upgrade:
            new_tables |= ctx.created_here
    return out


def _waived(finding: Finding, scan: RevisionScan) -> Finding:
    waiver = scan.waivers.get(finding.rule)
    return replace(finding, waiver=waiver) if waiver else finding


def _statements_by_revision(preview: Preview | None) -> dict[str, list[Stmt]]:
    """Each revision's statements, parsed, knowing whether a transaction is open when each runs."""
    if preview is None:
        return {}
    in_txn = False
    for text in preview.preamble:
        in_txn = _txn_state(text, in_txn)
    out: dict[str, list[Stmt]] = {}
    for rsql in preview.revisions:
        parsed = []
        for text in rsql.statements:
            in_txn = _txn_state(text, in_txn)
            if not is_transaction_control(text) and "alembic_version" not in text.lower():
                parsed.append(parse_statement(text, in_transaction=in_txn))
        out[rsql.revision] = parsed
    return out


def _txn_state(statement: str, in_txn: bool) -> bool:
    head = statement.strip().upper()
    if re.match(r"(BEGIN|START TRANSACTION)\b", head):
        return True
    if re.match(r"(COMMIT|ROLLBACK)\b", head):
        return False
    return in_txn


#: what each creating operation makes, as the objects the undo exemptions compare
_CREATES = {
    "create_index": "index",
    "create_foreign_key": "foreign key",
    "create_unique_constraint": "unique",
    "create_primary_key": "primary key",
    "create_check_constraint": "check",
}


def _created_by_upgrade(scan: RevisionScan, history: SchemaHistory | None, dialect: str) -> set[str]:
    out = {str(o) for o in (history.added(scan.revision) or ())} if history else set()
    dropped: set[str] = set()
    rebuilt: set[str] = set()
    for op in scan.upgrade.calls:
        if op.name == "drop_table" and op.table and op.runs_on(dialect):
            dropped.add(ident(op.table))
        elif op.name == "create_table" and op.table and ident(op.table) in dropped:
            rebuilt.add(ident(op.table))
    for op in scan.upgrade.calls:
        if not op.table or not op.runs_on(dialect):
            continue
        t = ident(op.table)
        if op.name == "create_table":
            if t not in rebuilt:  # dropped first and created again: the old rows are gone, not new ones
                out.add(f"table {t}")
            out.update(op.declares)
        elif op.name == "add_column" and op.column and op.column.name:
            out.add(f"column {t}.{ident(op.column.name)}")
            out.update(op.declares)
        elif op.name in _CREATES and op.target:
            out.add(f"{_CREATES[op.name]} {t}.{ident(op.target)}")
    return out


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per (rule, revision, object): the op and SQL views of the same thing, most severe kept."""
    merged: dict[tuple[str, str, str], Finding] = {}
    for f in findings:
        key = (f.rule, f.revision, f.object or f"#{len(merged)}")
        old = merged.get(key)
        if old is None:
            merged[key] = f
            continue
        best = old if old.severity.rank <= f.severity.rank else f
        sql_view = old if old.source == "sql" else f if f.source == "sql" else best
        source = old.source if old.source == f.source else "op+sql"
        merged[key] = replace(best, excerpt=sql_view.excerpt, source=source)
    return list(merged.values())
