"""A light plotly chart widget: figure JSON in, clicks out, ``Plotly.react`` in the browser.

Why not ``go.FigureWidget``: plotly 6+'s FigureWidget is an anywidget whose ``_esm`` state
carries the whole plotly.js bundle (≈ 5 MB). Voila sends every widget's state over the kernel
websocket on each page load, so one FigureWidget made every visit transfer, parse and compile
plotly.js a second time (the page loads it anyway). This widget's front-end is a few lines:
it uses the page's ``window.Plotly`` and redraws in place with ``Plotly.react`` when the
figure changes – no new plot element, so switching a municipality only re-sends the data.

Where plotly.js comes from: under ``workbench dashboards`` the page template loads the
basic bundle shipped with workbench (bar, pie, scatter – a quarter of the full bundle's
evaluation time); that is why a chart may only use ``DASHBOARD_TRACE_TYPES``. Elsewhere
(JupyterLab, plain Voila) one ordinary plotly output on the page (``plotly_loader``) makes the
jupyterlab-plotly renderer import its full bundle and set ``window.Plotly``; the widgets wait
for it.
"""

from __future__ import annotations

from typing import Any

import anywidget
import ipywidgets as w
import traitlets

from workbench.figures import CHART_LAYOUT_JS

_ESM = CHART_LAYOUT_JS + r"""
function waitForPlotly(timeoutMs) {
  // Under `workbench dashboards` the page template knows where plotly.js is served.
  if (!window.Plotly && window.__wbLoadPlotly) window.__wbLoadPlotly();
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
  // an unset overlay is {}: only a given one replaces the last trace
  if (overlay && (overlay.x || overlay.y) && data.length) {
    const last = Object.assign({}, data[data.length - 1]);
    last.x = overlay.x || [];
    last.y = overlay.y || [];
    data[data.length - 1] = last;
  }
  return data;
}

// Text alternative (WCAG 1.1.1): the chart is one image with a generated German description
// (workbench.figures.describe, sent as fig.alt), its data a real table under it.
function describe(div, details, alt) {
  if (!alt || !alt.label) return;
  div.setAttribute("role", "img");
  div.setAttribute("aria-label", alt.label);
  details.replaceChildren();
  if (!alt.rows || !alt.rows.length) { details.hidden = true; return; }
  details.hidden = false;
  const summary = document.createElement("summary");
  summary.textContent = "Daten als Tabelle";
  const hidden = document.createElement("span");
  hidden.className = "wb-visually-hidden";
  hidden.textContent = ": " + (alt.caption || "").split(" – ")[0];
  summary.appendChild(hidden);
  const table = document.createElement("table");
  const caption = table.createCaption();
  caption.textContent = alt.caption || "";
  const headRow = table.createTHead().insertRow();
  for (const column of alt.columns || []) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = column;
    headRow.appendChild(th);
  }
  const body = table.createTBody();
  for (const row of alt.rows) {
    const tr = body.insertRow();
    row.forEach((cell, i) => {
      const c = document.createElement(i ? "td" : "th");
      if (!i) c.scope = "row";
      c.textContent = cell;
      tr.appendChild(c);
    });
  }
  const wrap = document.createElement("div");
  wrap.className = "wb-table";
  wrap.appendChild(table);
  details.append(summary, wrap);
}

async function render({ model, el }) {
  const div = document.createElement("div");
  div.style.width = "100%";
  el.appendChild(div);
  const details = document.createElement("details");
  details.className = "wb-chart-data";
  details.hidden = true;
  el.appendChild(details);
  describe(div, details, (model.get("figure") || {}).alt);
  let Plotly;
  try {
    Plotly = await waitForPlotly(60000);
  } catch (err) {
    div.textContent = "Diagramm konnte nicht geladen werden.";
    return;
  }
  // Title, legend, axis title and sources fitted to the chart's width (chart_layout.js).
  const draw = (fig, overlay) => {
    const data = withOverlay(fig, overlay);
    const config = Object.assign({ responsive: true }, fig.config || {});
    return wbDrawFitted(Plotly, div, data, fig.layout || {}, config,
                        (layout, d) => Plotly.react(div, d, layout, config));
  };
  // All charts of the page share one queue: draws run one at a time in the order asked for,
  // each followed by a painted frame. On first view the selector and key figures are on
  // screen before the top chart is drawn, and that one before the ones further down; on a
  // switch the chart that changed first (the trend) is on screen before the others redraw.
  // (A tab in the background gets no animation frames: there a timer stands in.)
  const nextFrame = () => new Promise((resolve) => {
    let done = false;
    const go = () => { if (!done) { done = true; setTimeout(resolve, 0); } };
    requestAnimationFrame(go);
    setTimeout(go, 100);
  });
  const enqueue = (job) => {
    const queued = (window.__wbPlotlyQueue || nextFrame())
      .then(job)
      .catch(() => undefined)
      .then(nextFrame);
    window.__wbPlotlyQueue = queued;
    return queued;
  };
  // One queued update per chart at a time; it draws the model's state when it runs.
  let drawnFigure = null;
  let drawnOverlay = null;
  let pending = null;
  const update = () => {
    pending = null;
    const fig = model.get("figure") || {};
    const overlay = model.get("overlay") || {};
    if (fig !== drawnFigure || !div.data || !div.data.length) {
      if (fig !== drawnFigure) describe(div, details, fig.alt);
      drawnFigure = fig;
      drawnOverlay = overlay;
      return draw(fig, overlay);
    }
    if (overlay !== drawnOverlay) {
      // only the outline moved: restyle its trace instead of redrawing the figure
      drawnOverlay = overlay;
      return Plotly.restyle(div, { x: [overlay.x || []], y: [overlay.y || []] },
                            [div.data.length - 1]);
    }
  };
  const schedule = () => pending || (pending = enqueue(update));
  await schedule();
  model.on("change:figure", schedule);
  model.on("change:overlay", schedule);
  div.on("plotly_click", (event) => {
    const point = event && event.points && event.points[0];
    if (!point) return;
    const previous = model.get("clicked") || {};
    model.set("clicked", { name: point.data.name || "", count: (previous.count || 0) + 1 });
    model.save_changes();
  });
  // A new width (window, tab shown) fits the layout again; queued like every draw.
  const observer = new ResizeObserver(() => {
    if (div.data && Math.abs(div.getBoundingClientRect().width - (div.__wbWidth || 0)) >= 1) {
      enqueue(() => wbRefit(Plotly, div));
    }
  });
  observer.observe(el);
  return () => {
    observer.disconnect();
    Plotly.purge(div);
  };
}

export default { render };
"""


# Trace types of the plotly.js basic bundle the dashboard server loads (see module docstring).
DASHBOARD_TRACE_TYPES = frozenset({"bar", "pie", "scatter"})


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

    @traitlets.validate("figure")
    def _check_trace_types(self, proposal: dict) -> dict[str, Any]:
        figure = proposal["value"]
        for trace in figure.get("data") or []:
            kind = trace.get("type", "scatter")
            if kind not in DASHBOARD_TRACE_TYPES:
                raise traitlets.TraitError(
                    f"trace type {kind!r} is not in the dashboards' plotly.js bundle "
                    f"(allowed: {', '.join(sorted(DASHBOARD_TRACE_TYPES))})"
                )
        return figure


def plotly_loader() -> w.Widget:
    """An invisible plotly output whose renderer loads plotly.js for the ``PlotlyChart``s.

    jupyterlab-plotly (installed with plotly, served by JupyterLab and plain Voila) brings
    plotly.js; drawing an empty figure makes it import the bundle and set ``window.Plotly``.
    Under the workbench server (``workbench dashboards``) the page template provides plotly.js
    (the basic bundle: right after the page's load event for notebooks with metadata
    ``{"workbench": {"preload_plotly": true}}``, else when the first chart is drawn) and the
    renderer extension is switched off; there this is an empty box.
    """
    from workbench.settings import Settings

    if Settings.from_env().plotly_preloaded:
        return w.Box(layout=w.Layout(display="none"))
    out = w.Output(layout=w.Layout(height="0px", overflow="hidden", visibility="hidden"))
    out.add_class("wb-plotly-loader")
    spec = {
        "data": [],
        "layout": {"height": 10, "width": 10, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}},
        "config": {"staticPlot": True},
    }
    # The output is set as widget state, not display()ed: outside a kernel display() would
    # print the mimebundle.
    out.outputs = (
        {"output_type": "display_data",
         "data": {"application/vnd.plotly.v1+json": spec}, "metadata": {}},
    )
    return out
