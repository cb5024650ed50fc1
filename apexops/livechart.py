"""The live chart: one chart redrawn in place while a cell runs, the final figure kept in the notebook.

Split from `apexops.display` because it carries the widget machinery (anywidget's plotly view, the
ipywidgets fallback, the hook that finishes a chart when its cell ends); `display.LiveChart` still names it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from apexops import (  # its _display and _figure_bundle, looked up at call time (tests patch them)
    display,
    kernel,
)
from apexops.htmlexport import PLOTLY_MIME

if TYPE_CHECKING:
    from plotly.graph_objects import Figure

__all__ = ["LiveChart"]


class LiveChart:
    """A chart that redraws in place while a cell runs; the saved notebook keeps only the final figure.

    chart = LiveChart(fig)
    chart.update(lambda f: f.add_trace(...))   # redraws the same display
    chart.finish()                             # the final figure, as a plain plotly output

    Why two ways of drawing: JupyterLab's plotly renderer draws once and ignores display updates (its
    `renderModel` returns early once a graph exists, and the output area keeps that renderer while the
    mimetype is unchanged), so updating a plotly output leaves the operator looking at the first, empty
    chart. In a kernel someone watches (interactive, ipywidgets available) the chart is a widget instead:
    with anywidget, a small plotly view that calls `Plotly.react` on the same graph with the newest figure
    (the drawing stays on screen while the next one is made, and a page that draws slower than the polls
    come simply skips to the latest: on a busy machine a new renderer per poll never got to draw at all);
    without it, an `ipywidgets.Output` whose outputs are replaced at each redraw, so the frontend builds a
    new plotly renderer each time. Either moves in JupyterLab, Notebook 7 and VS Code. `finish()` then
    replaces the widget with the plain plotly output (a different mimetype, so JupyterLab draws it anew)
    and that is what the saved notebook and its HTML keep. Headless (the runner, papermill) nobody
    watches: the plain output is updated in place, as the record needs. Widget redraws are throttled to
    one per `min_interval_s` (`clock` is injected for tests); the final figure is always drawn. A live
    chart lives for one cell: when the cell ends, whatever happened, `finish()` runs by itself.
    """

    def __init__(
        self,
        fig: Figure,
        *,
        min_interval_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.figure = fig
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._handle: Any = None
        self._widget: Any = None  # the live view drawn into while the cell runs (interactive only)
        self._drawn_at = 0.0
        self._pending = False  # a change not yet drawn (throttled)
        self.finished = False
        #: how many times the figure was drawn (shown, redrawn or finished): what a reader of the page saw
        self.draws = 0

    @property
    def live_in_widget(self) -> bool:
        """Whether the chart is being redrawn inside a widget (an interactive kernel)."""
        return self._widget is not None

    def show(self) -> LiveChart:
        """Display the chart now (the first `update` does it otherwise)."""
        if self._handle is not None:
            return self
        bundle = display._figure_bundle(self.figure)
        self._widget = None if self.finished else _live_output(_figure_height(self.figure))
        if self._widget is None:
            self._handle = display._display(bundle, display_id=True)
        else:
            self._widget.draw(bundle)
            view = {**self._widget.mimebundle(), "text/plain": bundle["text/plain"] + " (live)"}
            self._handle = display._display(view, display_id=True)
            _finish_when_the_cell_ends(self)
        self._drawn_at, self.draws = self._clock(), self.draws + 1
        return self

    def update(self, mutate: Callable[[Any], None] | None = None) -> None:
        """Redraw after changing `self.figure` (or pass a function that changes it)."""
        if mutate is not None:
            mutate(self.figure)
        if self._handle is None:
            self.show()
            return
        if self._widget is not None and self._clock() - self._drawn_at < self.min_interval_s:
            self._pending = True  # drawn by the next update past the interval, or by finish()
            return
        self._draw()

    def finish(self) -> None:
        """The final figure as a plain plotly output in place of the live one (idempotent).

        What the saved notebook, its HTML and its static image keep; call it when the chart is complete.
        """
        if self.finished:
            return
        self.finished = True
        widget, self._widget = self._widget, None
        if self._handle is not None and (widget is not None or self._pending):
            self._draw()
        if widget is not None:
            widget.release()  # the view is gone: release the widget's model in the kernel and the page

    def _draw(self) -> None:
        bundle = display._figure_bundle(self.figure)
        if self._widget is not None:
            self._widget.draw(bundle)
        else:
            self._handle.update(bundle, raw=True)
        self._drawn_at, self._pending, self.draws = self._clock(), False, self.draws + 1


def _figure_height(fig: Any) -> int:
    height = getattr(getattr(fig, "layout", None), "height", None)
    return int(height) if isinstance(height, int | float) else 450  # plotly's default height


def _live_output(height: int) -> Any:
    """The widget to redraw a live chart in, or None where the plain output serves.

    None when nobody watches (`kernel.unattended()`: the runner, plain papermill), outside a kernel (plain
    Python, tests) and without ipywidgets. With anywidget, the plotly view (see LiveChart); else an Output
    widget. Either keeps the figure's height, so the page does not jump while it is redrawn.
    """
    if kernel.unattended():
        return None
    try:
        # lazy: IPython and ipywidgets load only when a live chart is shown in a kernel
        import ipywidgets
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    view = _plotly_view_class()
    if view is not None:
        return view(height=height)
    return _OutputView(ipywidgets.Output(layout={"min_height": f"{height + 10}px"}))


def _widget_bundle(widget: Any) -> dict[str, Any]:
    """A widget's display bundle (ipywidgets returns the data, anywidget a (data, metadata) pair)."""
    bundle = widget._repr_mimebundle_()
    return dict(bundle[0] if isinstance(bundle, tuple) else bundle)


class _OutputView:
    """The fallback live view without anywidget: an ipywidgets Output whose outputs are REPLACED at each
    redraw (not updated), which makes the frontend build a new plotly renderer that draws the figure."""

    def __init__(self, widget: Any) -> None:
        self.widget = widget

    def draw(self, bundle: Mapping[str, Any]) -> None:
        self.widget.outputs = ({"output_type": "display_data", "data": dict(bundle), "metadata": {}},)

    def mimebundle(self) -> dict[str, Any]:
        return _widget_bundle(self.widget)

    def release(self) -> None:
        self.widget.close()


#: the plotly view's frontend (anywidget ESM): one graph, redrawn with Plotly.react, never twice at once;
#: a figure that arrives while one is being drawn waits, and only the newest is drawn next. plotly.js is
#: the page's own when JupyterLab's plotly renderer has loaded it (it sets window.Plotly), else the
#: kernel's copy, evaluated once per page (no network: the sandbox and prod jump hosts have none).
_LIVE_PLOT_ESM = """
function plotlyFrom(source) {
  if (globalThis.Plotly && globalThis.Plotly.react) return globalThis.Plotly;
  if (!globalThis.__apexopsPlotly) {
    const module = { exports: {} };
    new Function("module", "exports", source)(module, module.exports);
    globalThis.__apexopsPlotly = module.exports;
  }
  return globalThis.__apexopsPlotly;
}
function render({ model, el }) {
  const graph = document.createElement("div");
  graph.className = "apexops-live-chart";
  graph.style.minHeight = `${model.get("height")}px`;
  el.appendChild(graph);
  let drawing = false, waiting = false, gone = false, Plotly = null;
  const draw = async () => {
    waiting = true;
    if (drawing) return;
    drawing = true;
    try {
      while (waiting && !gone) {
        waiting = false;
        const figure = model.get("figure") || {};
        if (!figure.data) continue;
        Plotly = Plotly || plotlyFrom(model.get("plotly_js"));
        await Plotly.react(graph, figure.data, figure.layout || {}, { displaylogo: false });
        await new Promise((done) => setTimeout(done, 0));
      }
    } catch (error) {
      graph.textContent = `live chart: ${error}`;
    } finally {
      drawing = false;
    }
  };
  model.on("change:figure", draw);
  draw();
  return () => {
    gone = true;
    model.off("change:figure", draw);
    if (Plotly) Plotly.purge(graph);
  };
}
export default { render };
"""
_plotly_view: Any = None


def _plotly_view_class() -> Any:
    """The anywidget plotly view's class (made on first use), or None without anywidget."""
    global _plotly_view
    if _plotly_view is None:
        try:
            import anywidget  # lazy: only for a live chart in an interactive kernel
            import traitlets
        except ImportError:
            return None

        class PlotlyView(anywidget.AnyWidget):
            _esm = _LIVE_PLOT_ESM
            figure = traitlets.Dict().tag(sync=True)
            plotly_js = traitlets.Unicode().tag(sync=True)
            height = traitlets.Int(450).tag(sync=True)

            def __init__(self, *, height: int) -> None:
                from plotly.offline import get_plotlyjs  # lazy: as above

                super().__init__(height=height, plotly_js=get_plotlyjs())

            def draw(self, bundle: Mapping[str, Any]) -> None:
                self.figure = bundle[PLOTLY_MIME]

            def mimebundle(self) -> dict[str, Any]:
                return _widget_bundle(self)

            def release(self) -> None:
                # emptied first: a recorder that keeps widget state (nbclient) keeps nothing large
                self.figure, self.plotly_js = {}, ""
                self.close()

        _plotly_view = PlotlyView
    return _plotly_view


def _finish_when_the_cell_ends(chart: LiveChart) -> None:
    """Call `chart.finish()` after the running cell, even when it raised: the record never keeps a widget."""
    from IPython import get_ipython  # lazy: only reached with a kernel (see _live_output)

    shell = get_ipython()
    if shell is None:
        return

    def after_cell(result: Any = None) -> None:
        shell.events.unregister("post_run_cell", after_cell)
        chart.finish()

    shell.events.register("post_run_cell", after_cell)
