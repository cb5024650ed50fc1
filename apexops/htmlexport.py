"""The reviewer's copy of a run: one self-contained HTML file that renders with no network.

nbconvert's lab template cannot show plotly's mimetype output (nbconvert #2235) and pulls require.js,
MathJax and Mermaid from CDNs. This exporter renders each `application/vnd.plotly.v1+json` output to HTML
with plotly.js inlined ONCE per file, drops the CDN scripts (nothing here needs them), leaves out the
runner's outcome cell and puts a coloured outcome banner at the top instead.
"""

from __future__ import annotations

import copy
import html
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from apexops.status import style

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = ["PLOTLY_MIME", "banner_html", "render_html"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"

_TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block body_header -%}
{{ super() }}
{{ resources.get('apexops_banner', '') }}
{%- endblock body_header -%}
"""


def _plotly_preprocessor_class() -> type:
    from nbconvert.preprocessors import Preprocessor

    class PlotlyOfflinePreprocessor(Preprocessor):  # type: ignore[misc]
        """Give each plotly output a text/html rendering; plotly.js goes into the first one only."""

        def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
            import plotly.io as pio

            first = True
            for cell in nb.cells:
                for output in cell.get("outputs", []):
                    data = output.get("data") if isinstance(output, Mapping) else None
                    if not data or PLOTLY_MIME not in data:
                        continue
                    figure = data[PLOTLY_MIME]
                    data["text/html"] = pio.to_html(
                        figure,
                        full_html=False,
                        include_plotlyjs=first,
                        include_mathjax=False,
                        validate=False,
                        div_id=f"apexops-chart-{uuid.uuid4().hex[:12]}",
                        config={"displaylogo": False},
                    )
                    del data[PLOTLY_MIME]
                    first = False
            resources["apexops_charts_inlined"] = not first
            return nb, resources

    return PlotlyOfflinePreprocessor


def banner_html(info: Mapping[str, Any]) -> str:
    """The outcome banner: outcome, run, procedure, environment, operator, time, error."""
    outcome = str(info.get("outcome", "unknown"))
    fg, bg = style(outcome).fg, style(outcome).bg  # the one colour map (apexops.status)
    rows = []
    for label, key in (
        ("Run", "run_id"),
        ("Procedure", "procedure"),
        ("Environment", "env"),
        ("Operator", "operator"),
        ("Started", "started_at"),
        ("Duration", "duration_s"),
        ("Playbooks", "git"),
        ("Parent run", "parent_run_id"),
    ):
        value = info.get(key)
        if value in (None, ""):
            continue
        if key == "duration_s":
            value = f"{float(value):.1f} s"
        if key == "git" and isinstance(value, Mapping):
            value = f"{value.get('commit') or 'unknown'}{' (dirty)' if value.get('dirty') else ''}"
        rows.append(f"<span><b>{label}</b> {html.escape(str(value))}</span>")
    error = info.get("error")
    err = (
        f'<div class="apexops-error" style="margin-top:6px;font-family:monospace">'
        f"{html.escape(str(error))}</div>"
        if error
        else ""
    )
    return (
        f'<div class="apexops-banner" data-outcome="{html.escape(outcome)}" style="margin:12px 24px;'
        f"padding:12px 16px;border-left:8px solid {fg};background:{bg};color:#212121;"
        'font-family:system-ui,sans-serif;font-size:14px">'
        f'<div style="font-size:20px;font-weight:700;color:{fg}">{html.escape(outcome.upper())}</div>'
        f'<div style="display:flex;flex-wrap:wrap;gap:4px 18px;margin-top:6px">{"".join(rows)}</div>'
        f"{err}"
        "</div>"
    )


def render_html(nb: NotebookNode, *, banner: Mapping[str, Any] | None = None) -> str:
    """The offline HTML of a notebook node (the node is not modified)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    work = copy.deepcopy(nb)
    work.cells = [c for c in work.cells if "apexops-outcome" not in c.get("metadata", {}).get("tags", [])]
    work.metadata.pop("widgets", None)  # widget state needs the unpkg loader; headless runs have none
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"apexops_offline.html.j2": _TEMPLATE})],
        template_file="apexops_offline.html.j2",
    )
    exporter.register_preprocessor(_plotly_preprocessor_class()(), enabled=True)
    resources = {"apexops_banner": banner_html(banner) if banner else ""}
    body, _ = exporter.from_notebook_node(work, resources=resources)
    return body
