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
from dataclasses import dataclass, replace
from typing import Any

from apexops.errors import ConfigError
from apexops.migrations._alembic import RevisionInfo
from apexops.migrations._opscan import RevisionScan, scan_revision
from apexops.migrations._sqlscan import parse_statement
from apexops.migrations._tabular import Tabular
from apexops.migrations.checks import CHECKS
from apexops.migrations.dialects import ident
from apexops.migrations.preview import Preview, is_transaction_control
from apexops.migrations.rules import ACK, BLOCK, INFO, RULES, Finding, RevisionContext
from apexops.migrations.schema_map import SchemaHistory

__all__ = ["LintReport", "lint", "parse_acknowledgements", "rule_table"]

_ACK = re.compile(r"^(MIG-\d{3})@([\w.\-]+)$", re.I)
_ORDER = {BLOCK: 0, ACK: 1, INFO: 2}


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
class LintReport(Tabular):
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
    def verdict(self) -> str:
        return "BLOCKED" if self.blocking else "PASS"

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
        verdicts = {
            "BLOCK": "FAIL",
            "NEEDS ACK": "WARN",
            "ACKNOWLEDGED": "PASS",
            "WAIVED": "PASS",
            "INFO": "INFO",
        }
        return [
            {
                "verdict": verdicts[f.status],
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
            "verdict": self.verdict,
            "findings": [f"{f.key}:{f.status}" for f in self.findings],
            "acknowledged": sorted({f.key for f in self.findings if f.acknowledged}),
            "waived": sorted({f.key for f in self.findings if f.waiver is not None}),
            "blocking": sorted({f.key for f in self.blocking}),
        }


def rule_table() -> list[dict[str, str]]:
    """Every rule with its severity, reason and safer alternative (for docs and the notebook)."""
    return [
        {
            "rule": r.id,
            "severity": r.severity,
            "title": r.title,
            "why": r.why,
            "safer alternative": r.alternative,
            "anchors": r.anchors,
        }
        for r in RULES.values()
    ]


def _created_by_upgrade(scan: RevisionScan, history: SchemaHistory | None) -> set[str]:
    out = {str(o) for o in (history.added(scan.revision) or ())} if history else set()
    for op in scan.upgrade.calls:
        if not op.table:
            continue
        t = ident(op.table)
        if op.name == "create_table":
            out.add(f"table {t}")
        elif op.name == "add_column" and op.column and op.column.name:
            out.add(f"column {t}.{ident(op.column.name)}")
        elif op.name == "create_index" and op.target:
            out.add(f"index {t}.{ident(op.target)}")
        elif op.name == "create_foreign_key" and op.target:
            out.add(f"foreign key {t}.{ident(op.target)}")
    return out


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per (rule, revision, object): the op and SQL views of the same thing, most severe kept."""
    merged: dict[tuple[str, str, str], Finding] = {}
    order: list[tuple[str, str, str]] = []
    for f in findings:
        key = (f.rule, f.revision, f.object or f"#{len(order)}")
        old = merged.get(key)
        if old is None:
            merged[key] = f
            order.append(key)
            continue
        best = old if _ORDER[old.severity] <= _ORDER[f.severity] else f
        sql_view = old if old.source == "sql" else f if f.source == "sql" else best
        source = old.source if old.source == f.source else "op+sql"
        merged[key] = replace(best, excerpt=sql_view.excerpt, source=source)
    return [merged[k] for k in order]


def lint(
    revisions: Sequence[RevisionInfo],
    *,
    dialect: str,
    preview: Preview | None,
    direction: str = "upgrade",
    heads: Sequence[str] = (),
    target: str = "",
    acknowledge: str | Iterable[str] | None = "",
    history: SchemaHistory | None = None,
    row_counts: Mapping[str, int] | None = None,
    require_lock_timeout: bool = True,
    start_is_empty: bool = False,
) -> LintReport:
    """Run every rule over each revision of the plan (pure: reads only the revision files)."""
    acks = parse_acknowledgements(acknowledge)
    findings: list[Finding] = []
    label = target or (revisions[-1].revision if revisions else "")

    if len(heads) > 1:
        r = RULES["MIG-024"]
        findings.append(
            Finding(
                "MIG-024",
                BLOCK,
                ",".join(heads),
                f"heads: {', '.join(heads)}",
                f"the history has {len(heads)} heads: {r.why}",
                r.alternative,
                "history",
                "heads",
            )
        )
    if preview is not None and revisions:
        if preview.error:
            r = RULES["MIG-029"]
            how = (
                "the rehearsal on a copy of the database"
                if preview.method == "rehearsal"
                else "offline rendering"
            )
            findings.append(
                Finding(
                    "MIG-029",
                    BLOCK,
                    preview.failed_revision or label,
                    preview.error,
                    f"{how} failed in {preview.failed_revision}: {preview.error}; {r.why}",
                    r.alternative,
                    "preview",
                    "preview",
                )
            )
        timeouts = [s for s in preview.session_statements if re.search(r"lock_timeout|busy_timeout", s, re.I)]
        if require_lock_timeout and not timeouts:
            r = RULES["MIG-019"]
            findings.append(
                Finding(
                    "MIG-019",
                    INFO if dialect == "sqlite" else ACK,
                    label,
                    "(no SET lock_timeout / SET LOCK_TIMEOUT before the first statement)",
                    r.why,
                    r.alternative,
                    "preview",
                    "lock timeout",
                )
            )

    statements_by_rev: dict[str, list[Any]] = {}
    if preview is not None:
        in_txn = False
        for text in preview.preamble:
            in_txn = _txn_state(text, in_txn)
        for rsql in preview.revisions:
            parsed = []
            for text in rsql.statements:
                in_txn = _txn_state(text, in_txn)
                if is_transaction_control(text) or "alembic_version" in text.lower():
                    continue
                parsed.append(parse_statement(text, in_transaction=in_txn))
            statements_by_rev[rsql.revision] = parsed

    new_tables: set[str] = set()
    if start_is_empty and history is not None:
        new_tables |= set(history.tables)
    for info in revisions:
        scan = scan_revision(info.revision, info.path)
        ctx = RevisionContext(
            info.revision,
            dialect,
            direction,
            scan,
            statements_by_rev.get(info.revision, []),
            set(new_tables) if direction == "upgrade" else set(),
            history,
            dict(row_counts or {}),
            _created_by_upgrade(scan, history),
        )
        for check in CHECKS.values():
            for finding in check(ctx):
                waiver = scan.waivers.get(finding.rule)
                if waiver:
                    finding = replace(finding, waiver=waiver)
                findings.append(finding)
        if direction == "upgrade":
            new_tables |= ctx.created_here

    findings = _merge(findings)
    keys = {f.key for f in findings}
    findings = [replace(f, acknowledged=f.severity == ACK and f.key in acks) for f in findings]
    refused = tuple(k for k in acks if any(f.key == k and f.severity == BLOCK for f in findings))
    unused = tuple(k for k in acks if k not in keys)
    rank = {r.revision: i for i, r in enumerate(revisions)}
    findings.sort(key=lambda f: (rank.get(f.revision, -1), _ORDER[f.severity], f.rule))
    return LintReport(
        direction, dialect, tuple(r.revision for r in revisions), tuple(findings), acks, unused, refused
    )


def _txn_state(statement: str, in_txn: bool) -> bool:
    head = statement.strip().upper()
    if re.match(r"(BEGIN|START TRANSACTION)\b", head):
        return True
    if re.match(r"(COMMIT|ROLLBACK)\b", head):
        return False
    return in_txn
