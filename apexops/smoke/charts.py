"""The latency baseline as a chart: the histogram, the threshold, and the P95 with its interval.

A reader of the audit notebook sees at a glance why the verdict is what it is: where the requests fell,
where the threshold is, and how wide the P95's confidence interval is relative to it. plotly is imported
here only (the notebook shows the figure through `apexops.display.show_chart`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apexops.status import style

if TYPE_CHECKING:
    from apexops.smoke.latency import LatencyBaseline

__all__ = ["latency_figure"]


def latency_figure(baseline: LatencyBaseline, *, title: str | None = None) -> Any:
    """A plotly Figure: histogram bars, a dashed threshold line, the judged quantile and its interval."""
    import plotly.graph_objects as go  # lazy: plotly only when a chart is drawn

    h = baseline.histogram
    fig = go.Figure()
    if h.counts:
        centres = [(lo + hi) / 2 for lo, hi in zip(h.edges, h.edges[1:], strict=False)]
        fig.add_trace(
            go.Bar(
                x=centres,
                y=list(h.counts),
                width=h.width * 0.95,
                name="requests",
                marker_color="#90a4ae",
                hovertemplate="%{x:.0f} ms: %{y} requests<extra></extra>",
            )
        )
    est = baseline.judged
    if est.estimate_ms is not None:
        lo = est.lower_ms if est.lower_ms is not None else (baseline.min_ms or 0.0)
        hi = est.upper_ms if est.upper_ms is not None else max(baseline.max_ms or 0.0, baseline.threshold_ms)
        colour = style(baseline.verdict.status).fg
        fig.add_vrect(
            x0=lo,
            x1=hi,
            fillcolor=colour,
            opacity=0.15,
            line_width=0,
            annotation_text=f"{est.label} {baseline.confidence:.0%} bounds",
            annotation_position="top left",
        )
        fig.add_vline(
            x=est.estimate_ms,
            line_color=colour,
            annotation_text=f"{est.label} {est.estimate_ms:.0f} ms",
            annotation_position="top right",
        )
    fig.add_vline(
        x=baseline.threshold_ms,
        line_dash="dash",
        line_color="#b71c1c",
        annotation_text=f"threshold {baseline.threshold_ms:g} ms",
        annotation_position="bottom right",
    )
    fig.update_layout(
        title=title or f"Latency baseline: {baseline.n} requests — {baseline.verdict.status}",
        xaxis_title="response time (ms)",
        yaxis_title="requests",
        height=360,
        bargap=0,
        showlegend=False,
    )
    return fig
