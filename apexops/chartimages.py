"""Static images of the charts in an executed notebook, for the viewers that run no JavaScript.

GitHub, Azure DevOps and nbviewer cannot draw `application/vnd.plotly.v1+json`: they show the chart's
text/plain line instead. So each plotly output of a recorded notebook also gets an `image/png` in the SAME
output bundle: those viewers pick the PNG, while JupyterLab (plotly's renderer) and the audit HTML (its
text/html) still rank the interactive chart first.

The images are rendered by plotly's own renderer (kaleido, driving the machine's Chromium) when the run is
recorded, in the recording process and not in the kernel: one browser for all the charts of a run, and no
cost at all for a run without charts (kaleido is not even imported). An image is a convenience, never a
reason to fail or hang a run: no Chromium, a renderer error or a timeout leaves the chart with its plotly
JSON only and notes one problem line naming the fix; the browser never outlives the call.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import signal
import subprocess
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BROWSER_ENV",
    "IMAGES_ENV",
    "PLOTLY_MIME",
    "PNG_MIME",
    "Renderer",
    "add_static_images",
    "enabled",
    "find_browser",
    "prewarm",
]

log = logging.getLogger(__name__)

PLOTLY_MIME = "application/vnd.plotly.v1+json"
PNG_MIME = "image/png"
#: where kaleido/choreographer look first for the browser; we resolve it ourselves and pass the path
BROWSER_ENV = "BROWSER_PATH"
#: Debian's and Ubuntu's names for Chromium (never a browser downloaded by kaleido)
BROWSER_NAMES = ("chromium", "chromium-browser")
#: the width of an image when the figure sets none: readable on GitHub's notebook view, files of ~30-80 kB
WIDTH_PX = 1000
#: the height when the figure sets none (kaleido's own default)
HEIGHT_PX = 500
#: starting Chromium takes ~1.8 s here; a browser that does not answer in this time is not going to
START_TIMEOUT_S = 30.0
#: one chart takes ~0.2 s once the browser is up
RENDER_TIMEOUT_S = 15.0
#: closing the browser (and killing it if it does not close)
CLOSE_TIMEOUT_S = 15.0
#: `APEXOPS_CHART_IMAGES=0` leaves the images out: a pipeline that publishes only the HTML saves the ~2 s a
#: run with charts spends starting Chromium (the test suite does, but for the tests of the images themselves)
IMAGES_ENV = "APEXOPS_CHART_IMAGES"
_FIX = "install chromium (apt-get install chromium) or set BROWSER_PATH to a Chromium executable"


def enabled() -> bool:
    """Whether recorded runs get static images (on unless `APEXOPS_CHART_IMAGES` says 0/off/false/no)."""
    return os.environ.get(IMAGES_ENV, "1").strip().lower() not in ("0", "off", "false", "no")


def add_static_images(
    nb: Any,
    problems: list[str],
    *,
    renderer: Renderer | None = None,
    start_timeout_s: float = START_TIMEOUT_S,
    render_timeout_s: float = RENDER_TIMEOUT_S,
) -> None:
    """Give every plotly output of `nb` a PNG in the same bundle; a chart that cannot be rendered is a
    problem noted in `problems` (one line for the run), never an exception.

    Render from the notebook as it will be written (after secrets are scrubbed from it): pixels cannot be
    scrubbed afterwards. `renderer`: one `prewarm` started while the notebook ran (used or closed here).
    """
    bundles = _chart_bundles(nb)
    if not bundles or not enabled():
        if renderer is not None:
            renderer.close()
        return  # the common case: no browser, no import
    browser, why_not = find_browser()
    if browser is None:
        problems.append(f"{_charts(len(bundles))} recorded without a static image: {why_not}; {_FIX}")
        return
    figures = [_figure(b[PLOTLY_MIME]) for b in bundles]
    if renderer is None:
        renderer = Renderer(browser, start_timeout_s=start_timeout_s, render_timeout_s=render_timeout_s)
    outcome = renderer.render(figures)
    missing = 0
    for bundle, image in zip(bundles, outcome.images, strict=False):
        if image is None:
            missing += 1
        else:
            bundle[PNG_MIME] = base64.b64encode(image).decode("ascii")
    missing += len(bundles) - len(outcome.images)
    if missing:
        reason = outcome.error or "the renderer returned no image"
        which = _charts(missing) if missing == len(bundles) else f"{missing} of {len(bundles)} charts"
        problems.append(f"{which} recorded without a static image: {reason}")


def find_browser() -> tuple[str | None, str]:
    """The Chromium to render with, or None and why: `BROWSER_PATH` when set (and then only it), else
    Chromium on PATH. Never choreographer's own search, which would also take a downloaded browser."""
    chosen = os.environ.get(BROWSER_ENV)
    if chosen:
        path = Path(chosen)
        if path.is_file() and os.access(path, os.X_OK):
            return str(path), ""
        return None, f"{BROWSER_ENV}={chosen} is not an executable file"
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found, ""
    return None, "no Chromium on PATH"


def prewarm(nb: Any) -> Renderer | None:
    """Start the browser while the notebook runs, when the notebook says it draws charts
    (`metadata.apexops.charts`): Chromium's start (~2 s) then overlaps the run instead of adding to its
    recording. None when it would not be used (no charts declared, images off, no Chromium)."""
    declared = bool((nb.metadata.get("apexops") or {}).get("charts")) if hasattr(nb, "metadata") else False
    browser = find_browser()[0] if declared and enabled() else None
    return Renderer(browser) if browser else None


# --------------------------------------------------------------------------- helpers


def _chart_bundles(nb: Any) -> list[dict[str, Any]]:
    """The output bundles holding a plotly figure and no image yet (a second recording adds none)."""
    found = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = output.get("data") if isinstance(output, Mapping) else None
            if isinstance(data, dict) and isinstance(data.get(PLOTLY_MIME), Mapping) and PNG_MIME not in data:
                found.append(data)
    return found


@dataclass(frozen=True)
class _Figure:
    spec: dict[str, Any]  # plain JSON (a NotebookNode is a dict, but the browser gets a copy)
    opts: dict[str, Any]


def _figure(plotly_json: Mapping[str, Any]) -> _Figure:
    """The figure and its image size: the figure's own width and height when set, else 1000 x 500."""
    spec = json.loads(json.dumps(plotly_json, default=str))
    spec.setdefault("data", [])
    layout = spec.get("layout") or {}
    width = _size(layout.get("width")) or WIDTH_PX
    height = _size(layout.get("height")) or HEIGHT_PX
    return _Figure(spec, {"format": "png", "width": width, "height": height, "scale": 1})


def _size(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and 10 <= value <= 4000 else None


def _charts(n: int) -> str:
    return f"{n} chart" if n == 1 else f"{n} charts"


@dataclass
class _Outcome:
    """What one rendering pass produced: an image (or None) per figure in order, and the first error."""

    images: list[bytes | None] = field(default_factory=list)
    error: str | None = None
    browser: Any = None  # the kaleido browser, so a hung pass can still be killed from outside


class Renderer:
    """One browser for the charts of a run, opened at once in a thread of its own (the caller may be inside
    a running event loop: a kernel running 90's children records them), given the figures later.

    `render(figures)` hands them over and waits, bounded in time; `close()` hands over none (the browser
    closes). Either way the browser never outlives the call: a hung renderer is killed.
    """

    def __init__(
        self,
        browser: str,
        *,
        start_timeout_s: float = START_TIMEOUT_S,
        render_timeout_s: float = RENDER_TIMEOUT_S,
    ) -> None:
        import threading  # with asyncio, loaded only when there is something to draw

        self._figures: list[_Figure] = []
        self._handed_over = threading.Event()
        self._outcome = _Outcome()
        self._start_timeout_s, self._render_timeout_s = start_timeout_s, render_timeout_s
        self._worker = threading.Thread(
            target=self._work, args=(browser,), name="apexops-chart-images", daemon=True
        )
        self._worker.start()

    def _work(self, browser: str) -> None:
        import asyncio

        async def figures() -> list[_Figure]:
            await asyncio.to_thread(self._handed_over.wait)
            return self._figures

        try:
            asyncio.run(
                _render_async(figures, browser, self._outcome, self._start_timeout_s, self._render_timeout_s)
            )
        except BaseException as exc:  # everything becomes the problem line, never a crash
            self._outcome.error = self._outcome.error or _describe(exc)

    def render(self, figures: list[_Figure]) -> _Outcome:
        """Draw `figures` (bounded as a whole: the browser's start, each chart, closing)."""
        budget = self._start_timeout_s + self._render_timeout_s * len(figures) + 2 * CLOSE_TIMEOUT_S
        self._figures = figures
        self._handed_over.set()
        try:
            self._worker.join(budget)
            if self._worker.is_alive():
                late = f"the renderer did not finish within {budget:.0f} s"
                self._outcome.error = self._outcome.error or late
        finally:  # a hung renderer or Ctrl-C while waiting: the browser must not outlive the run
            _kill(self._outcome.browser)
        if self._worker.is_alive():
            self._worker.join(CLOSE_TIMEOUT_S)
        return self._outcome

    def close(self) -> None:
        """Nothing to draw after all: close the browser (idempotent; also after `render`)."""
        if not self._handed_over.is_set():
            self.render([])


async def _render_async(
    figures_later: Callable[[], Awaitable[list[_Figure]]],
    browser: str,
    outcome: _Outcome,
    start_timeout_s: float,
    render_timeout_s: float,
) -> None:
    import asyncio

    import kaleido  # plotly's renderer; heavy (choreographer, logistro): only when a run has charts

    _quiet_renderer_logs()
    # MathJax off: kaleido would fetch it from a CDN (runs happen offline); plotly.js is plotly.py's own
    k = kaleido.Kaleido(n=1, timeout=render_timeout_s, mathjax=False, path=browser)
    outcome.browser = k
    opened = False
    try:
        started = asyncio.get_running_loop().time()
        try:
            await asyncio.wait_for(k.open(), start_timeout_s)
        except Exception as exc:  # choreographer turns the timeout's cancellation into BrowserFailedError
            if asyncio.get_running_loop().time() - started >= start_timeout_s:
                raise TimeoutError from exc
            raise
        opened = True
        for figure in await figures_later():
            try:
                outcome.images.append(await k.calc_fig(figure.spec, opts=figure.opts))
            except Exception as exc:  # one chart's failure is not the others'
                log.debug("chart image failed", exc_info=True)
                outcome.images.append(None)
                outcome.error = outcome.error or _describe(exc)
    except Exception as exc:
        log.debug("chart renderer failed", exc_info=True)
        outcome.error = outcome.error or _describe(exc, start_timeout_s)
    finally:
        if not opened:  # a browser that never answered will not close politely either
            _kill(k)
        try:  # closes the browser and removes its temporary profile
            await asyncio.wait_for(k.close(), CLOSE_TIMEOUT_S)
        except BaseException:  # killed below, whatever happened
            log.debug("closing the chart renderer failed", exc_info=True)
        _kill(k)


def _quiet_renderer_logs() -> None:
    """The renderer's own warnings (a browser killed, a watchdog) would land on the operator's terminal
    through logging's last resort; our one problem line says it all. Levels someone set are kept."""
    for name in ("choreographer", "kaleido", "browser_proc", "chrome_wrapper"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.CRITICAL)


def _describe(exc: BaseException, start_timeout_s: float | None = None) -> str:
    """One line for the problem list: what went wrong, with the fix when it is the browser."""
    if isinstance(exc, TimeoutError):
        where = f"Chromium did not start within {start_timeout_s:.0f} s" if start_timeout_s else "timed out"
        return f"{where}; {_FIX}"
    if type(exc).__name__ in ("BrowserFailedError", "ChromeNotFoundError"):  # its text offers a download
        return f"Chromium failed to start; {_FIX}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    if len(text) > 200:
        text = text[:199] + "…"
    return f"{type(exc).__name__}: {text}"


def _kill(browser: Any) -> None:
    """Kill what is left of the browser's process group (it runs in a session of its own)."""
    process = getattr(browser, "subprocess", None)
    if not isinstance(process, subprocess.Popen):
        return
    try:  # the whole group, even when its leader (choreographer's wrapper) is gone: Chromium's children
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if process.poll() is None:
            process.kill()
    try:
        process.wait(CLOSE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        log.warning("the chart renderer's browser (pid %s) did not exit after SIGKILL", process.pid)
