"""Shared building blocks of the dashboards: request parameters, captions, messages."""

from __future__ import annotations

import ctypes
import gc
import html
import json
import os
import sys
import urllib.parse
from typing import Any

import anywidget
import ipywidgets as w
import traitlets

from workbench.dashboards import READY_MARKER
from workbench.figures import FONT_FAMILY, PALETTE, PLOTLY_CONFIG
from workbench.figures.describe import describe_figure
from workbench.htmlparts import kpi_card

# Shown above every dashboard; keeps the look consistent and readable on a projector.
CSS = f"""
<style>
.wb-dashboard {{ font-family: {FONT_FAMILY}; color: #222; }}
.wb-title {{ font-size: 26px; font-weight: bold; margin: 0 0 4px 0; }}
.wb-subtitle {{ font-size: 15px; color: #444; margin: 0 0 12px 0; }}
.wb-source {{ font-size: 12px; color: #444; margin: 2px 0 14px 0; }}
.wb-figure-label {{ font-size: 13px; color: #444; }}
.wb-kpi {{ border-left: 6px solid {PALETTE["blue"]}; padding: 6px 14px; margin: 4px 12px 4px 0;
          background: #f4f7fa; flex: 1 1 0; min-width: 200px; }}
.wb-kpi-label {{ font-size: 14px; color: #333; }}
.wb-kpi-value {{ font-size: 28px; font-weight: bold; }}
.wb-kpi-note {{ font-size: 12px; color: #555; }}
.wb-message {{ padding: 8px 12px; margin: 6px 0; border-left: 6px solid {PALETTE["orange"]};
              background: #fff7e6; font-size: 15px; }}
.wb-error {{ border-left-color: {PALETTE["vermillion"]}; background: #fdeee8; }}
.wb-ok {{ border-left-color: {PALETTE["green"]}; background: #e8f6f1; }}
.wb-example {{ padding: 6px 12px; margin: 6px 0; border: 2px dashed {PALETTE["purple"]};
              font-weight: bold; font-size: 15px; }}
.wb-dashboard .lm-TabBar-tab {{ max-width: none !important; flex: 0 1 auto !important;
  font-size: 15px; }}
.wb-table table {{ border-collapse: collapse; font-size: 14px; }}
.wb-table th, .wb-table td {{ padding: 3px 10px; border-bottom: 1px solid #ddd; }}
.wb-table td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.wb-table th {{ text-align: left; background: #f0f0f0; }}
.wb-table {{ overflow-x: auto; max-width: 100%; }}
.wb-table tbody th {{ background: none; font-weight: normal; }}
.wb-table caption {{ caption-side: bottom; text-align: left; font-size: 12px; color: #444; }}
.wb-chart-data {{ margin: 0 0 14px 0; font-size: 14px; }}
.wb-chart-data summary {{ cursor: pointer; color: #004C7A; text-decoration: underline; }}
.wb-visually-hidden {{ position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }}
/* reflow (WCAG 1.4.10): at 320 px nothing is wider than the screen */
.wb-dashboard .widget-hbox {{ flex-wrap: wrap; }}
.wb-dashboard .widget-combobox, .wb-dashboard .widget-dropdown,
.wb-dashboard .widget-text {{ max-width: 100%; }}
</style>
"""

EXAMPLE_LABEL = "Beispieldaten – keine amtlichen Werte"


def query_params() -> dict[str, str]:
    """Query-string parameters of the visitor's request (``?gemeinde=08118063``).

    With pre-heated kernels the notebook runs before anyone asks for it; this blocks until
    the kernel is handed to a request (:func:`wait_for_request`) and then returns that
    request's query string. Outside Voila (tests, JupyterLab) the result is empty.
    """
    if "VOILA_PREHEAT" not in os.environ and "QUERY_STRING" not in os.environ:
        return {}
    if os.environ.get("VOILA_PREHEAT") == "True":
        # Built; from here on the kernel waits for its visitor, maybe for hours.
        release_build_memory()
        # Written to the kernel's real stderr (the server log, not the notebook output):
        # lets ``DashboardServer.wait_for_pools`` know this pre-heated kernel is ready.
        try:
            os.write(2, f"{READY_MARKER} {os.environ.get('VOILA_KERNEL_ID', '')}\n".encode())
        except OSError:
            pass
    try:
        request = wait_for_request()
    except Exception:  # a missing server must not break the dashboard; use defaults
        request = {}
    query = request.get("QUERY_STRING") or os.environ.get("QUERY_STRING", "")
    parsed = urllib.parse.parse_qs(query, keep_blank_values=True)
    return {key: values[-1] for key, values in parsed.items() if values}


_REQUEST: dict[str, str] | None = None


def wait_for_request() -> dict[str, str]:
    """In a pre-heated kernel: wait until Voila hands the kernel to a request and return that
    request's information (``QUERY_STRING``, ``SCRIPT_NAME``, …; kept for later calls, never
    written to ``os.environ``). Empty outside a pre-heated kernel.

    What ``voila.utils.wait_for_request`` (behind ``get_query_string``) does – the same
    websocket ``voila/query/<kernel id>`` built from the same variables – without importing
    ``voila.utils``: that module imports Voila's server side (jupyter_server,
    jupyterlab_server, jinja2, jupyter_events, jsonschema, …; ≈ 700 modules, ≈ 25 MiB in
    every kernel, i.e. per visitor) for these few lines. ``tests/dashboards`` open
    dashboards with ``?gemeinde=`` through pre-heated kernels, so a change of Voila's
    protocol shows there. A kernel started for its visitor (``VOILA_PREHEAT=False``) already
    has the request's variables and does not wait.
    """
    global _REQUEST
    if _REQUEST is not None:
        return _REQUEST
    if os.environ.get("VOILA_PREHEAT", "False") == "False":
        return {}
    env = os.environ
    ws_base_url = env.get("VOILA_WS_BASE_URL", env.get("VOILA_SERVER_URL", "/"))
    url = (f"{env.get('VOILA_WS_PROTOCOL', 'ws')}://{env.get('VOILA_APP_IP', '127.0.0.1')}:"
           f"{env.get('VOILA_APP_PORT', '8866')}{ws_base_url}voila/query/"
           f"{env.get('VOILA_KERNEL_ID')}")
    # The synchronous client: the kernel's own event loop is running in this thread.
    from websockets.sync.client import connect

    try:
        with connect(url, open_timeout=5) as websocket:
            info = websocket.recv()
    except (TimeoutError, ConnectionRefusedError):
        return {}  # as Voila: no server to ask, the dashboard shows its defaults
    _REQUEST = {str(key): str(value) for key, value in json.loads(info).items()}
    return _REQUEST


def release_build_memory() -> None:
    """Give back what building a dashboard needed and showing it does not (≈ 45 MiB of the
    Ausländeranteil kernel, see docs/leistung.md): called once by a pre-heated kernel before
    it waits for its visitor, so every waiting kernel – one per visitor – is smaller.

    * the whole source tables behind the Kreis tab (``integration.release_source_tables``;
      the dashboard keeps the prepared figures, nothing is read again for the visitor);
    * garbage of the build (``gc.collect``) and the C heap's free pages (glibc
      ``malloc_trim``: CPython and the figure JSON leave many freed pages behind).

    polars' allocator (jemalloc) returns the memory it freed by itself within ≈ 10 s.
    """
    integration = sys.modules.get("workbench.integration")
    if integration is not None:  # only a dashboard with the Kreis tab loaded it
        integration.release_source_tables()
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to trim
            pass


def html_widget(content: str, css_class: str | None = None) -> w.HTML:
    widget = w.HTML(content)
    if css_class:
        widget.add_class(css_class)
    return widget


def header(title: str, subtitle: str = "") -> w.HTML:
    """The dashboard's one ``h1`` (sections below are ``h2``/``h3``) and its subtitle."""
    sub = f'<p class="wb-subtitle">{html.escape(subtitle)}</p>' if subtitle else ""
    return w.HTML(
        f'{CSS}<div class="wb-dashboard"><h1 class="wb-title">'
        f"{html.escape(title)}</h1>{sub}</div>"
    )


def source_line(text: str) -> str:
    """HTML 'Quelle: …' caption placed under a chart or table."""
    text = text if text.startswith("Quelle") else f"Quelle: {text}"
    return f'<div class="wb-source">{html.escape(text)}</div>'


def message(text: str, kind: str = "info") -> str:
    """German feedback box; kind: info | error | ok."""
    extra = {"error": " wb-error", "ok": " wb-ok"}.get(kind, "")
    return f'<div class="wb-message{extra}" role="status">{html.escape(text)}</div>'


class LiveText(anywidget.AnyWidget):
    """A visually hidden ``aria-live="polite"`` region (WCAG 4.1.3): screen readers announce
    ``text`` whenever it changes, e.g. the key figures after a new selection. The region
    element stays in the page (only its text changes), which is what makes it announced."""

    _esm = """
    function render({ model, el }) {
      const region = document.createElement("div");
      region.setAttribute("aria-live", "polite");
      region.setAttribute("role", "status");
      region.className = "wb-visually-hidden wb-live";
      el.appendChild(region);
      const show = () => { region.textContent = model.get("text") || ""; };
      // first text after the region is in the page, so the first selection is announced too
      setTimeout(show, 0);
      model.on("change:text", show);
    }
    export default { render };
    """
    text = traitlets.Unicode("").tag(sync=True)



kpi = kpi_card  # the dashboards' key figure (workbench.htmlparts)


def figure_spec(fig) -> dict[str, Any]:
    """Figure as plain JSON (``data``, ``layout``, ``config``) for the browser.

    The template's per-trace-type defaults (``template.data``, ~8 KB for every trace type
    plotly knows) are dropped: our figures set their own trace styles, and it keeps each
    chart update small.
    """
    spec = json.loads(fig.to_json())
    template = spec.get("layout", {}).get("template")
    if isinstance(template, dict):
        template.pop("data", None)
    spec["config"] = dict(PLOTLY_CONFIG)
    # text alternative for the browser (role=img + aria-label, "Daten als Tabelle")
    spec["alt"] = describe_figure(spec).as_json()
    return reserve_margins(spec)


# Average glyph width of DejaVu Sans / Arial in em (measured: 44 legend characters at 12 px
# need ~275 px); used to reserve room for labels before plotly measures them.
_CHAR_EM = 0.56


def _width(label: Any) -> int:
    """Characters of a label's longest line (plotly breaks lines at ``<br>``)."""
    return max((len(line) for line in str(label or "").split("<br>")), default=0)


def reserve_margins(spec: dict[str, Any]) -> dict[str, Any]:
    """Give a chart the margins plotly's automargin would grow it to, before the first draw.

    With a legend or colour bar right of the plot, category labels (municipality names) left
    of a bar chart or a y-axis title, automargin finds the margins too small after drawing
    and draws the chart a second time (~0.1 s of a first page view). Reserving the room up
    front makes one pass enough. Estimated from the label lengths; an underestimate costs
    only that second pass again, never clipped labels (automargin stays on).
    """
    layout = spec.setdefault("layout", {})
    margin = layout.setdefault("margin", {})
    data = spec.get("data") or []
    font = (layout.get("font") or {}).get("size", 12)
    legend = layout.get("legend") or {}
    shown = [t for t in data if t.get("showlegend") is not False]
    if (
        layout.get("showlegend", len(shown) > 1)
        and legend.get("orientation", "v") == "v"
        and legend.get("x", 1.02) >= 1
        and shown
    ):
        size = (legend.get("font") or {}).get("size", font)
        longest = max(_width(t.get("name")) for t in shown)
        margin["r"] = max(margin.get("r", 80), round(60 + _CHAR_EM * size * longest))
    if any((t.get("marker") or {}).get("showscale") for t in data):
        # a colour bar right of the plot (title and ticks like „25 %“): ~140 px
        margin["r"] = max(margin.get("r", 80), 150)
    yaxis = layout.get("yaxis") or {}
    labels = [
        str(v)
        for t in data
        if t.get("orientation") == "h" and isinstance(t.get("y"), list)
        for v in t["y"]
    ]
    if labels:
        size = (yaxis.get("tickfont") or {}).get("size", font)
        longest = max(map(_width, labels))
        margin["l"] = max(margin.get("l", 80), round(20 + _CHAR_EM * size * longest))
    elif (yaxis.get("title") or {}).get("text"):
        margin["l"] = max(margin.get("l", 80), 80)
    return spec
