"""What notebook cells show: context, tables with coloured statuses, code, charts, verdicts, skipped steps.

Every helper emits a rich bundle (HTML for JupyterLab and the audit HTML) *and* a text/plain rendering, so
the executed notebook reads well in a terminal diff, in CI logs and under nbval. Charts are always the
plotly mimetype (small, renders in untrusted notebooks); a chart that moves while a cell runs is
`apexops.livechart.LiveChart`, whose finished chart is one plain plotly output (notebook_mechanics.md §3.6).
Nothing here imports pandas or plotly at import time.
"""

from __future__ import annotations

import dataclasses
import html
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from apexops._version import __version__
from apexops.htmlexport import PLOTLY_MIME
from apexops.kernel import run_context, verdict_parts
from apexops.redact import redact_parameters
from apexops.status import Status, Verdict, badge_html, style

if TYPE_CHECKING:
    import pandas as pd
    from plotly.graph_objects import Figure

    from apexops.environment import Environment
    from apexops.settings import Settings

__all__ = [
    "show_chart",
    "show_code",
    "show_context",
    "show_markdown",
    "show_message",
    "show_table",
    "show_verdict",
    "step_skipped",
    "table_bundle",
    "verdict_bundle",
    "verdict_parts",
]


def _display(bundle: Mapping[str, Any], **kwargs: Any) -> Any:
    try:
        from IPython.display import display
    except ImportError:  # plain Python without IPython: print the text rendering
        print(bundle.get("text/plain", ""))
        return None
    return display(dict(bundle), raw=True, **kwargs)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def _as_dict(row: object) -> dict[str, Any]:
    """One row as {column: value}: a dataclass (public fields), a mapping, a tuple, or a single value."""
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return {f.name: getattr(row, f.name) for f in dataclasses.fields(row) if not f.name.startswith("_")}
    if isinstance(row, Mapping):
        return {str(k): v for k, v in row.items()}
    if isinstance(row, Sequence) and not isinstance(row, str):
        return {f"col{i}": v for i, v in enumerate(row)}
    return {"value": row}


def _rows(rows_or_df: Any) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows from a DataFrame, a list of dicts/dataclasses/tuples, or a mapping."""
    if hasattr(rows_or_df, "to_dict") and hasattr(rows_or_df, "columns"):  # a pandas DataFrame
        columns = [str(c) for c in rows_or_df.columns]
        return columns, [list(r) for r in rows_or_df.itertuples(index=False, name=None)]
    if isinstance(rows_or_df, Mapping):
        return ["name", "value"], [[k, v] for k, v in rows_or_df.items()]
    dict_rows = [_as_dict(r) for r in rows_or_df or []]
    columns = list(dict.fromkeys(k for d in dict_rows for k in d))
    return columns, [[d.get(c) for c in columns] for d in dict_rows]


def _text_table(columns: list[str], rows: list[list[Any]], title: str | None) -> str:
    cells = [[_cell_text(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    widths = [min(w, 60) for w in widths]

    def fmt(values: list[str]) -> str:
        return "  ".join(v[:60].ljust(w) for v, w in zip(values, widths, strict=False)).rstrip()

    lines = [title] if title else []
    lines += [fmt(columns), fmt(["-" * w for w in widths])]
    lines += [fmt(r) for r in cells]
    if not rows:
        lines.append("(no rows)")
    return "\n".join(lines)


def table_bundle(
    rows_or_df: pd.DataFrame | Mapping[str, Any] | Iterable[object],
    *,
    status_column: str | None = None,
    title: str | None = None,
    caption: str = "",
    badge: Callable[[Any], str] = badge_html,
) -> dict[str, str]:
    """The HTML and text renderings of a table (`show_table` displays it; `LiveTable` redraws it).

    Values in `status_column` are drawn by `badge`; `caption` is a line under the table.
    """
    columns, rows = _rows(rows_or_df)
    head = "".join(f'<th style="text-align:left">{html.escape(c)}</th>' for c in columns)
    body = []
    for row in rows:
        tds = []
        for c, v in zip(columns, row, strict=False):
            content = badge(v) if c == status_column and v is not None else html.escape(_cell_text(v))
            tds.append(f'<td style="text-align:left;vertical-align:top">{content}</td>')
        body.append(f"<tr>{''.join(tds)}</tr>")
    cap = f"<caption style='text-align:left;font-weight:600'>{html.escape(title)}</caption>" if title else ""
    foot = f"<div style='color:#555'>{html.escape(caption)}</div>" if caption else ""
    table = f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return {
        "text/html": table + foot,
        "text/plain": _text_table(columns, rows, title) + (f"\n{caption}" if caption else ""),
    }


def show_table(
    rows_or_df: pd.DataFrame | Mapping[str, Any] | Iterable[object],
    *,
    status_column: str | None = None,
    title: str | None = None,
) -> None:
    """A table; values in `status_column` (PASS/FAIL/SKIPPED/INCONCLUSIVE/WARN ...) are coloured."""
    _display(table_bundle(rows_or_df, status_column=status_column, title=title))


def show_markdown(text: str) -> None:
    """A block of Markdown (a report), shown as itself in text form."""
    _display({"text/markdown": text, "text/plain": text})


def show_text_table(
    columns: list[str], rows: list[list[Any]], *, html_table: str, title: str | None = None
) -> None:
    """A table drawn by the caller in HTML (e.g. with links), with the standard text rendering."""
    _display({"text/html": html_table, "text/plain": _text_table(columns, rows, title)})


def show_context(env: str | Settings | Environment, parameters: Mapping[str, Any] | None = None) -> None:
    """The context cell: where this runs (environment, target, app), as whom, and with which parameters.

    `env` is an environment name, a Settings or an Environment; `parameters` usually
    `apexops.parameters()` (the parameters cell as it ran). Parameters are shown redacted. Showing writes
    nothing: `apexops.connect` is what tells the run its environment.
    """
    settings: Any = getattr(env, "settings", None) or (env if hasattr(env, "environment") else None)
    env_name = settings.environment if settings is not None else str(env)
    from apexops import unaudited  # the banner of a run nobody records (plain papermill)

    if banner := unaudited.notice():
        _display(banner)
    ctx = run_context()
    rows: list[tuple[str, Any]] = [
        ("environment", env_name),
        ("mode", "headless (runner)" if ctx.headless else _unrunner_mode(unaudited.plain_papermill())),
        ("run id", ctx.run_id),
        ("procedure", ctx.procedure),
    ]
    if ctx.parent_run_id:
        rows.append(("parent run", ctx.parent_run_id))
    if settings is not None:
        rows += [
            ("target", settings.target),
            ("resource group", settings.azure.resource_group),
            ("container app", settings.app.name),
            ("parameters file", settings.source),
        ]
    rows += [
        ("apexops", __version__),
        ("python", sys.version.split()[0]),
        ("evidence", str(ctx.evidence_dir)),
    ]
    show_table([{"context": k, "value": v} for k, v in rows], title="Context")
    if parameters:
        shown = redact_parameters(dict(parameters))
        show_table([{"parameter": k, "value": v} for k, v in shown.items()], title="Parameters")


def _unrunner_mode(plain_papermill: bool) -> str:
    """The mode row of a run no runner started: plain papermill records nothing, and says so."""
    return "headless, NOT AUDITED (plain papermill)" if plain_papermill else "interactive"


def show_code(text: str, language: str = "sql") -> None:
    """Code to read (a SQL preview, the equivalent `az` command): highlighted, copyable, never executed."""
    fence = "````" if "```" in text else "```"
    _display({"text/markdown": f"{fence}{language}\n{text}\n{fence}", "text/plain": text})


def show_message(text: str, status: Status | str = Status.INFO) -> None:
    """One status line (e.g. WARN: the sandbox is not running)."""
    data_status = html.escape(str(style(status).status))
    _display(
        {
            "text/html": f'<div class="apexops-message" data-status="{data_status}">'
            f"{badge_html(status)} {html.escape(text)}</div>",
            "text/plain": f"{status}: {text}",
        }
    )


def step_skipped(reason: str) -> None:
    """Say a step did nothing and why: prints `SKIPPED (<reason>)`, e.g. SKIPPED (dry run)."""
    html_line = f"<div>{badge_html(Status.SKIPPED)} ({html.escape(reason)})</div>"
    _display({"text/html": html_line, "text/plain": f"{Status.SKIPPED} ({reason})"})


def verdict_bundle(
    status: Status | str,
    reasons: Iterable[object] = (),
    *,
    label: str = "",
    title: str = "",
    hint: str = "",
    details: str = "",
    details_summary: str = "traceback",
    stop: str = "",
) -> dict[str, str]:
    """The one verdict box (HTML and text): a procedure's verdict and a stop that ends a cell look alike.

    `label` is the word after VERDICT: (the status word by default; a stop says BLOCKED, ROLLED BACK, ...),
    so the operator reads what happened, while `data-status` keeps the status a page or a test can rely on.
    `details` (a traceback) is folded under the reasons in HTML, so the message and the hint are what the
    eye meets first, and printed in full in the text form, which terminals and CI logs read.
    """
    s = style(status)
    word = label or s.label
    reason_list = [str(r) for r in reasons]
    attrs = f'class="apexops-verdict" data-status="{html.escape(str(s.status))}"'
    if stop:
        attrs += f' data-stop="{html.escape(stop)}"'
    wrap = "white-space:pre-wrap;overflow-wrap:anywhere"
    parts = [
        f'<div {attrs} style="border-left:6px solid {s.fg};background:{s.bg};color:#212121;'
        'padding:8px 12px;margin:4px 0">',
        f'<div style="font-size:1.3em;font-weight:700;color:{s.fg}">VERDICT: {html.escape(word)}</div>',
    ]
    if title:
        parts.append(f'<div style="font-weight:600">{html.escape(title)}</div>')
    if reason_list:
        items = "".join(f'<li style="{wrap}">{html.escape(r)}</li>' for r in reason_list)
        parts.append(f'<ul style="margin:4px 0">{items}</ul>')
    if hint:
        parts.append(f'<div class="apexops-hint" style="{wrap}"><b>HINT:</b> {html.escape(hint)}</div>')
    if details:
        parts.append(
            f'<details style="margin-top:6px"><summary>{html.escape(details_summary)}</summary>'
            f'<pre style="{wrap};font-size:0.9em">{html.escape(details)}</pre></details>'
        )
    parts.append("</div>")
    lines = [f"VERDICT: {word}", *([title] if title else []), *(f"  - {r}" for r in reason_list)]
    lines += [f"HINT: {hint}"] if hint else []
    lines += ["", details.rstrip("\n")] if details else []
    return {"text/html": "".join(parts), "text/plain": "\n".join(lines)}


def show_verdict(
    verdict: Verdict | str, reasons: Iterable[object] | None = None, *, label: str = "", stop: str = ""
) -> None:
    """A verdict banner with its reasons and hint (verdicts are data: a status plus why); see `verdict_parts`.

    `label` replaces the status word in the banner when a failed verdict stops the run as a named stop
    (`apexops.finish`: BLOCKED, ROLLED BACK, ...) and `stop` names that kind (`data-stop`); the status
    itself is kept in `data-status`.
    """
    word, reason_list = verdict_parts(verdict, reasons)
    hint = verdict.hint if isinstance(verdict, Verdict) else ""
    # a verdict's title names the failure ("database migration failed"); a passing one has nothing to name
    title = verdict.title if isinstance(verdict, Verdict) and verdict.status.failed else ""
    _display(verdict_bundle(word, reason_list, label=label, title=title, hint=hint, stop=stop))


def _figure_bundle(fig: Figure | Mapping[str, Any]) -> dict[str, Any]:
    data = fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else dict(fig)
    layout = data.get("layout") or {}
    title = layout.get("title")
    title_text = title.get("text", "") if isinstance(title, Mapping) else (title or "")
    title_text = str(title_text).split("<br>")[0]  # the headline, without a subtitle's markup
    # plotly's JSON may hold numpy arrays; the mimetype bundle must be plain JSON
    plain = json.loads(json.dumps(data, default=_json_default))
    return {PLOTLY_MIME: plain, "text/plain": f"<chart: {title_text or 'untitled'}>"}


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def show_chart(fig: Figure | Mapping[str, Any]) -> None:
    """A plotly figure as the plotly mimetype (renders untrusted; the audit HTML renders it offline)."""
    _display(_figure_bundle(fig))
