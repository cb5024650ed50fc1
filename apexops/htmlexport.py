"""The reviewer's copy of a run: one self-contained HTML file that renders with no network.

nbconvert's lab template cannot show plotly's mimetype output (nbconvert #2235) and pulls require.js,
MathJax and Mermaid from CDNs. This exporter renders each `application/vnd.plotly.v1+json` output to HTML
with plotly.js inlined ONCE per file (the output's static PNG, added at recording for GitHub and nbviewer,
becomes the `<noscript>` fallback, so the page keeps the interactive chart), drops the CDN scripts (nothing
here needs them), leaves out the runner's outcome cell and puts a coloured outcome banner at the top instead.
The page is titled by the run (procedure, environment, outcome, run id): a browser tab or a bookmark says
which run it is, where nbconvert says "Notebook". Tables take the width they need with long cells wrapped
(a reason stays readable, never a word per line) and a table wider than the page scrolls inside its own
output, so the page itself stays within a 1280 px window.
"""

from __future__ import annotations

import copy
import html
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from apexops.errors import split_hint
from apexops.status import style

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = ["PLOTLY_MIME", "banner_html", "render_html", "run_title"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"

#: static renderings a chart output may carry beside its plotly JSON (apexops.chartimages adds the PNG)
_STATIC_MIMES = ("image/png", "image/svg+xml")

#: the page's own rules after the lab theme: tables as wide as their content needs, each cell at most 28em
#: (wrapped inside it), the rendered output scrolling sideways when a table is wider than the page; long
#: tokens (paths, URLs) in markdown and the banner wrap instead of widening the page
_CSS = """
.jp-RenderedHTMLCommon table { table-layout: auto; width: max-content; max-width: none; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { max-width: 28em; overflow-wrap: break-word; }
.jp-RenderedHTMLCommon caption { text-align: left; font-weight: 600; padding: 2px 0; }
.jp-RenderedMarkdown, .jp-OutputArea-output { max-width: 100%; overflow-x: auto; }
.jp-RenderedMarkdown p, .jp-RenderedMarkdown li { overflow-wrap: anywhere; }
.apexops-chart { max-width: 100%; overflow-x: auto; }
.apexops-banner, .apexops-banner * { overflow-wrap: anywhere; }
"""

_TEMPLATE = r"""
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_css -%}
<style type="text/css">{{ resources.get('apexops_css', '') }}</style>
{%- endblock html_head_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.get('apexops_banner', '') }}
{%- endblock body_header -%}
"""


def _static_fallback(data: Mapping[str, Any], title: str) -> str:
    """The output's static image as a `<noscript>` block (JavaScript off: the image, not a blank box)."""
    for mime in _STATIC_MIMES:
        image = data.get(mime)
        if isinstance(image, str) and image:
            if mime == "image/svg+xml":
                return f"<noscript>{image}</noscript>"
            src = f"data:{mime};base64,{image.strip()}"
            return f'<noscript><img alt="{html.escape(title)}" src="{src}" style="max-width:100%"></noscript>'
    return ""


def _figure_title(figure: Any) -> str:
    title = (figure.get("layout") or {}).get("title") if isinstance(figure, Mapping) else None
    text = title.get("text") if isinstance(title, Mapping) else title
    return str(text or "chart")


def _plotly_preprocessor_class() -> type:
    from nbconvert.preprocessors import Preprocessor

    class PlotlyOfflinePreprocessor(Preprocessor):  # type: ignore[misc]
        """Give each plotly output a text/html rendering; plotly.js goes into the first one only.

        The plotly JSON and any static image leave the output: the exporter must pick the interactive chart,
        never the PNG, and the image stays only as the no-JavaScript fallback inside it."""

        def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
            import plotly.io as pio

            first = True
            for cell in nb.cells:
                for output in cell.get("outputs", []):
                    data = output.get("data") if isinstance(output, Mapping) else None
                    if not data or PLOTLY_MIME not in data:
                        continue
                    figure = data[PLOTLY_MIME]
                    chart = pio.to_html(
                        figure,
                        full_html=False,
                        include_plotlyjs=first,
                        include_mathjax=False,
                        validate=False,
                        div_id=f"apexops-chart-{uuid.uuid4().hex[:12]}",
                        config={"displaylogo": False, "responsive": True},
                    )
                    fallback = _static_fallback(data, _figure_title(figure))
                    data["text/html"] = f'<div class="apexops-chart">{chart}{fallback}</div>'
                    for mime in (PLOTLY_MIME, *_STATIC_MIMES):
                        data.pop(mime, None)
                    first = False
            resources["apexops_charts_inlined"] = not first
            return nb, resources

    return PlotlyOfflinePreprocessor


def run_title(info: Mapping[str, Any]) -> str:
    """The page title of a run: "50-traffic-shifting · local · succeeded · run 3f2a9c01be"."""
    parts = [str(info[k]) for k in ("procedure", "env", "outcome") if info.get(k)]
    if info.get("run_id"):
        parts.append(f"run {info['run_id']}")
    return " · ".join(parts) or "apexops run"


def _stop_line(facts: Any) -> str:
    """How an expected stop ended the run (the kernel's `stop` fact), as one line for the banner."""
    stop = facts.get("stop") if isinstance(facts, Mapping) else None
    if not isinstance(stop, Mapping) or not stop.get("kind"):
        return ""
    kind = str(stop["kind"]).replace("_", " ")
    return f'<div class="apexops-stop" style="margin-top:6px"><b>Stopped</b> {html.escape(kind)}</div>'


def _error_html(error: Any) -> str:
    if not error:
        return ""
    message, hint = split_hint(str(error))
    hint_html = (
        f'<div class="apexops-hint" style="margin-top:4px"><b>HINT:</b> {html.escape(hint)}</div>'
        if hint
        else ""
    )
    return (
        f'<div class="apexops-error" style="margin-top:6px;font-family:monospace;white-space:pre-wrap">'
        f"{html.escape(message)}</div>{hint_html}"
    )


def banner_html(info: Mapping[str, Any]) -> str:
    """The outcome banner: outcome, run, procedure, environment, operator, time, error and its hint."""
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
    return (
        f'<div class="apexops-banner" data-outcome="{html.escape(outcome)}" style="margin:12px 24px;'
        f"padding:12px 16px;border-left:8px solid {fg};background:{bg};color:#212121;"
        'font-family:system-ui,sans-serif;font-size:14px">'
        f'<div style="font-size:20px;font-weight:700;color:{fg}">{html.escape(outcome.upper())}</div>'
        f'<div style="display:flex;flex-wrap:wrap;gap:4px 18px;margin-top:6px">{"".join(rows)}</div>'
        f"{_stop_line(info.get('facts'))}{_error_html(info.get('error'))}"
        "</div>"
    )


def render_html(nb: NotebookNode, *, banner: Mapping[str, Any] | None = None) -> str:
    """The offline HTML of a notebook node (the node is not modified), titled by the run it records."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    work = copy.deepcopy(nb)
    work.cells = [c for c in work.cells if "apexops-outcome" not in c.get("metadata", {}).get("tags", [])]
    work.metadata.pop("widgets", None)  # widget state needs the unpkg loader; headless runs have none
    stamped = work.metadata.get("apexops")
    info = banner if banner is not None else stamped if isinstance(stamped, Mapping) else {}
    if info:
        work.metadata["title"] = run_title(info)  # the lab template's <title>
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"apexops_offline.html.j2": _TEMPLATE})],
        template_file="apexops_offline.html.j2",
    )
    exporter.register_preprocessor(_plotly_preprocessor_class()(), enabled=True)
    resources = {"apexops_banner": banner_html(banner) if banner else "", "apexops_css": _CSS}
    body, _ = exporter.from_notebook_node(work, resources=resources)
    return body
