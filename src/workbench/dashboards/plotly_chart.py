"""A light plotly chart widget: figure JSON in, clicks out, ``Plotly.react`` in the browser.

Why not ``go.FigureWidget``: plotly 6+'s FigureWidget is an anywidget whose ``_esm`` state
carries the whole plotly.js bundle (≈ 5 MB). Voila sends every widget's state over the kernel
websocket on each page load, so one FigureWidget made every visit transfer, parse and compile
plotly.js a second time (the page already loads it for the plotly outputs). This widget's
front-end is a few lines: it uses the ``window.Plotly`` that the jupyterlab-plotly renderer
(served from the browser cache) sets up, and redraws in place with ``Plotly.react`` when the
figure changes – no new plot element, so switching a municipality only re-sends the data.

plotly.js itself is loaded by one ordinary plotly output on the page (``plotly_loader``):
the jupyterlab-plotly renderer imports its bundle (browser cache) and sets ``window.Plotly``;
the widgets wait for it.
"""

from __future__ import annotations

import os
from typing import Any

import anywidget
import ipywidgets as w
import traitlets

_ESM = r"""
function waitForPlotly(timeoutMs) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    (function poll() {
      if (window.Plotly && window.Plotly.react) return resolve(window.Plotly);
      if (Date.now() - start > timeoutMs) return reject(new Error("plotly.js nicht geladen"));
      setTimeout(poll, 15);
    })();
  });
}

function withOverlay(fig, overlay) {
  const data = (fig.data || []).slice();
  if (overlay && data.length) {
    const last = Object.assign({}, data[data.length - 1]);
    last.x = overlay.x || [];
    last.y = overlay.y || [];
    data[data.length - 1] = last;
  }
  return data;
}

async function render({ model, el }) {
  const div = document.createElement("div");
  div.style.width = "100%";
  el.appendChild(div);
  let Plotly;
  try {
    Plotly = await waitForPlotly(60000);
  } catch (err) {
    div.textContent = "Diagramm konnte nicht geladen werden.";
    return;
  }
  const draw = () => {
    const fig = model.get("figure") || {};
    return Plotly.react(div, withOverlay(fig, model.get("overlay")), fig.layout || {},
                        Object.assign({ responsive: true }, fig.config || {}));
  };
  // First draws one chart at a time in page order, letting the browser paint a frame in
  // between, so the chart at the top is on screen before the ones further down are laid out.
  const queued = (window.__wbPlotlyQueue || Promise.resolve())
    .then(draw)
    .catch(() => undefined)
    .then(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
  window.__wbPlotlyQueue = queued;
  await queued;
  model.on("change:figure", draw);
  model.on("change:overlay", () => {
    const ov = model.get("overlay") || {};
    if (!div.data || !div.data.length) return draw();
    return Plotly.restyle(div, { x: [ov.x || []], y: [ov.y || []] }, [div.data.length - 1]);
  });
  div.on("plotly_click", (event) => {
    const point = event && event.points && event.points[0];
    if (!point) return;
    const previous = model.get("clicked") || {};
    model.set("clicked", { name: point.data.name || "", count: (previous.count || 0) + 1 });
    model.save_changes();
  });
  const observer = new ResizeObserver(() => {
    if (div.data) Plotly.Plots.resize(div);
  });
  observer.observe(el);
  return () => {
    observer.disconnect();
    Plotly.purge(div);
  };
}

export default { render };
"""


class PlotlyChart(anywidget.AnyWidget):
    """Shows a plotly figure given as JSON (``{"data", "layout", "config"}``).

    ``figure``  – the whole figure; assigning a new one redraws in place (``Plotly.react``).
    ``overlay`` – optional ``{"x": [...], "y": [...]}`` replacing the coordinates of the
                  figure's last trace (e.g. the outline of the selected area on a map); sent
                  without the rest of the figure.
    ``clicked`` – set by the browser: ``{"name": <trace name>, "count": n}`` per click.
    """

    _esm = _ESM
    figure = traitlets.Dict().tag(sync=True)
    overlay = traitlets.Dict().tag(sync=True)
    clicked = traitlets.Dict().tag(sync=True)

    def __init__(self, figure: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(figure=figure or {}, **kwargs)
        self.add_class("wb-plotly-chart")


def plotly_loader() -> w.Widget:
    """An invisible plotly output whose renderer loads plotly.js for the ``PlotlyChart``s.

    jupyterlab-plotly (installed with plotly, served by every Voila) brings plotly.js; drawing
    an empty figure makes it import the bundle and set ``window.Plotly``. Under the workbench
    server (``workbench dashboards``) the page template loads plotly.js earlier by itself for
    notebooks with metadata ``{"workbench": {"preload_plotly": true}}``; then this is an empty
    box, so plotly.js is not evaluated twice.
    """
    from IPython.display import display

    from workbench.dashboards.app import PLOTLY_PRELOADED_ENV

    if os.environ.get(PLOTLY_PRELOADED_ENV) == "1":
        return w.Box(layout=w.Layout(display="none"))
    out = w.Output(layout=w.Layout(height="0px", overflow="hidden", visibility="hidden"))
    out.add_class("wb-plotly-loader")
    spec = {
        "data": [],
        "layout": {"height": 10, "width": 10, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}},
        "config": {"staticPlot": True},
    }
    with out:
        display({"application/vnd.plotly.v1+json": spec}, raw=True)
    return out
