"""The runbook's rollback triggers over time: error rate and P95 per bucket against their thresholds,
with the sustained window that fired (if any) shaded. plotly is imported here only."""

from __future__ import annotations

from typing import Any

from apexops.canary.triggers import TriggerReport

__all__ = ["trigger_figure"]


def trigger_figure(report: TriggerReport, *, title: str) -> Any:
    from plotly.subplots import make_subplots  # lazy: plotly is heavy

    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.12,
        subplot_titles=("error rate % (5xx)", "P95 ms"),
    )
    fig.update_layout(title=title, height=520, legend={"orientation": "h"})
    for row, result in enumerate(report.results, start=1):
        scale = 100.0 if result.name == "error_rate" else 1.0
        xs = [t for t, _ in result.series]
        ys = [v * scale if v is not None else None for _, v in result.series]
        fig.add_scatter(
            x=xs, y=ys, name=f"{report.scope} {result.name}", mode="lines+markers", row=row, col=1
        )
        if xs:
            fig.add_scatter(
                x=[xs[0], xs[-1]],
                y=[result.threshold * scale] * 2,
                name=f"threshold {result.name}",
                mode="lines",
                line={"dash": "dash", "color": "red"},
                row=row,
                col=1,
            )
        if result.fired and result.since and result.fired_at:
            fig.add_vrect(
                x0=result.since,
                x1=result.fired_at,
                fillcolor="red",
                opacity=0.12,
                line_width=0,
                annotation_text=f"{result.name} > threshold for {result.window_s:g} s",
                row=row,
                col=1,
            )
    return fig
