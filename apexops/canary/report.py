"""What procedure 50 shows and records about a rollout: per-stage decisions, the per-interval table, the
facts for the ledger and the verdict. Pure functions of the rollout's records.

Facts (the contract the release procedure builds on):

    canary         {revision, baseline, verdict, reason, stages: [...], strata: [...], traffic_final: [...],
                    rolled_back, promoted_at?, load?}
                   strata: per stage and stratum (probes, platform, users) the counts the judge last saw,
                   how far they were complete ("data up to 14:02:10, lag 3 min") and its e-values
                   verdict: promoted | unchanged | rolled_back | escalated | dry_run | interrupted | error
                   (unchanged: the canary already served 100% and no run of 50 promoted it: SKIPPED)
    traffic_moved  True once any weight went to the canary (recorded before the first write)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from apexops.canary.rollout import NOT_IN_YET, PollRecord
from apexops.canary.strata import completeness, counts_text
from apexops.errors import CanaryRolledBack, RolloutError
from apexops.models import TrafficWeight
from apexops.status import Status, Verdict

__all__ = ["shift_verdict", "stage_rows", "stage_table", "strata_rows", "traffic_rows", "verdict_for"]

#: the contract's verdict word -> the run's status: anything but a promotion or a dry run fails the run
#: (an escalation too: traffic is back at the baseline and a person must pick it up)
_STATUS = {"promoted": Status.PASS, "dry_run": Status.SKIPPED, "unchanged": Status.SKIPPED}

_HINTS = {
    "rolled_back": "traffic is back at the baseline (read back); the evidence folder holds the decision, the "
    "polls and the canary's logs. Run 60-rollback for the database, the failed revision and the "
    "communication.",
    "escalated": "traffic is at the baseline; decide: re-run with on_inconclusive='extend' or more load, "
    "or roll back with 60-rollback.",
}

_STAGE_NUMBERS = (
    "canary_requests",
    "canary_5xx",
    "canary_slow",
    "baseline_requests",
    "baseline_5xx",
    "baseline_slow",
    "harm_errors_e_value",
    "harm_latency_e_value",
    "slo_errors_upper",
    "slo_latency_upper",
)


def traffic_rows(weights: Iterable[TrafficWeight]) -> list[dict[str, Any]]:
    """The traffic list as written/read back: every entry, zero weights included (the full list)."""
    return [{"revision": w.revision_name, "weight": w.weight} for w in weights]


def stage_rows(polls: Sequence[PollRecord]) -> list[dict[str, Any]]:
    """One row per stage: its last poll's decision, reason and the numbers behind it."""
    last = {p.stage_index: p for p in polls}
    count = Counter(p.stage_index for p in polls)
    return [
        {
            "stage": index + 1,
            "weight": p.weight,
            "polls": count[index],
            "elapsed_s": round(p.elapsed_s, 1),
            "verdict": p.verdict,
            "reason": p.reason,
            **{k: p.numbers.get(k) for k in _STAGE_NUMBERS},
        }
        for index, p in sorted(last.items())
    ]


def _counts(row: Mapping[str, Any], side: str) -> str:
    """'1107 · 0 5xx · 31 slow' from a stage row's numbers (slow left out where nothing measured it)."""
    requests, errors, slow = (row.get(f"{side}_{k}") for k in ("requests", "5xx", "slow"))
    if requests is None:
        return "-"
    text = f"{requests} · {'?' if errors is None else errors} 5xx"
    return text if slow is None else f"{text} · {slow} slow"


def _e(value: Any) -> str:
    return "-" if value is None else f"{float(value):.3g}"


def stage_table(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The "Decision per stage" table a person reads: stage rows (`stage_rows`, the facts' shape) in seven
    short columns, so the reason keeps room to be read on a 1280 px page (sixteen raw columns squeezed it to a
    word per line). Counts as "requests · 5xx · slow" like the strata table; the SLO bounds are in the reason
    already; the reason loses its "stage 1 (10%): " prefix, which the first column says."""
    out = []
    for r in rows:
        reason = str(r.get("reason") or "")
        prefix = f"stage {r.get('stage')} ({r.get('weight')}%): "
        out.append(
            {
                "stage": f"{r.get('stage')} · {r.get('weight')}%",
                "verdict": r.get("verdict"),
                "time": f"{float(r.get('elapsed_s') or 0):.0f} s · {r.get('polls')} polls",
                "canary": _counts(r, "canary"),
                "baseline": _counts(r, "baseline"),
                "e 5xx · slow": f"{_e(r.get('harm_errors_e_value'))} · {_e(r.get('harm_latency_e_value'))}",
                "reason": reason.removeprefix(prefix),
            }
        )
    return out


def strata_rows(polls: Sequence[PollRecord]) -> list[dict[str, Any]]:
    """Per stage and stratum, at the stage's last poll: canary and baseline ("requests · 5xx · slow"),
    how far the data was complete, and the stratum's e-values where the judge reports them (None: not
    reported). Probes and users side by side: what apexops measured itself next to what users saw."""
    last = {p.stage_index: p for p in polls}
    rows = []
    for index, p in sorted(last.items()):
        for snap in p.strata:
            name, (canary, baseline) = str(snap.stratum), snap.totals()
            rows.append(
                {
                    "stage": index + 1,
                    "weight": p.weight,
                    "stratum": name,
                    "canary": counts_text(canary) if snap.complete_until else NOT_IN_YET,
                    "baseline": counts_text(baseline) if snap.complete_until else NOT_IN_YET,
                    "routes": ", ".join(snap.routes) or "-",
                    "data": completeness(snap),
                    "e 5xx": p.numbers.get(f"harm_errors_{name}_e_value"),
                    "e slow": p.numbers.get(f"harm_latency_{name}_e_value"),
                    "verdict": p.verdict,
                }
            )
    return rows


def shift_verdict(word: str, reasons: Sequence[str]) -> Verdict:
    """The run's verdict from the contract's word (promoted, rolled_back, ...); RolloutError when it fails.

    The first reason names the word ("canary rolled back: <why>"): the banner says what happened, and the
    error a failed run stops with starts the same way.
    """
    status = _STATUS.get(word, Status.FAIL)
    hint = _HINTS.get(word, "traffic was restored to the baseline (read back); see the evidence folder.")
    first = f"canary {word.replace('_', ' ')}" + (f": {reasons[0]}" if reasons else "")
    error = CanaryRolledBack if word == "rolled_back" else RolloutError
    hint = hint if status.failed else ""
    return Verdict(status, (first, *reasons[1:]), {"verdict": word}, hint, error=error)


def verdict_for(facts: Mapping[str, Any], extra: Sequence[str] = ()) -> Verdict:
    canary = facts.get("canary") or {}
    verdict, reason = str(canary.get("verdict", "error")), str(canary.get("reason", ""))
    reasons = [reason] if reason else []
    final = canary.get("traffic_final")
    if final:
        reasons.append("traffic now: " + ", ".join(f"{t['revision']}={t['weight']}" for t in final))
    return shift_verdict(verdict, [*reasons, *extra])
