"""Shared building blocks of the dashboards: request parameters, captions, messages."""

from __future__ import annotations

import html
import json
import os
import urllib.parse
from typing import Any

import ipywidgets as w

from workbench.dashboards import READY_MARKER
from workbench.figures import FONT_FAMILY, PALETTE

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
</style>
"""

EXAMPLE_LABEL = "Beispieldaten – keine amtlichen Werte"


def query_params() -> dict[str, str]:
    """Query-string parameters of the visitor's request (``?gemeinde=08118063``).

    With pre-heated kernels the notebook runs before anyone asks for it; Voila's
    ``get_query_string`` blocks until the kernel is handed to a request and then returns
    that request's query string. Outside Voila (tests, JupyterLab) the result is empty.
    """
    if "VOILA_PREHEAT" not in os.environ and "QUERY_STRING" not in os.environ:
        return {}
    if os.environ.get("VOILA_PREHEAT") == "True":
        # Written to the kernel's real stderr (the server log, not the notebook output):
        # lets ``DashboardServer.wait_for_pools`` know this pre-heated kernel is ready.
        try:
            os.write(2, f"{READY_MARKER} {os.environ.get('VOILA_KERNEL_ID', '')}\n".encode())
        except OSError:
            pass
    try:
        from voila.utils import get_query_string

        query = get_query_string() or ""
    except Exception:  # a missing server must not break the dashboard; use defaults
        query = os.environ.get("QUERY_STRING", "")
    parsed = urllib.parse.parse_qs(query, keep_blank_values=True)
    return {key: values[-1] for key, values in parsed.items() if values}


def html_widget(content: str, css_class: str | None = None) -> w.HTML:
    widget = w.HTML(content)
    if css_class:
        widget.add_class(css_class)
    return widget


def header(title: str, subtitle: str = "") -> w.HTML:
    sub = f'<div class="wb-subtitle">{html.escape(subtitle)}</div>' if subtitle else ""
    return w.HTML(
        f'{CSS}<div class="wb-dashboard"><div class="wb-title">'
        f"{html.escape(title)}</div>{sub}</div>"
    )


def source_line(text: str) -> str:
    """HTML 'Quelle: …' caption placed under a chart or table."""
    text = text if text.startswith("Quelle") else f"Quelle: {text}"
    return f'<div class="wb-source">{html.escape(text)}</div>'


def message(text: str, kind: str = "info") -> str:
    """German feedback box; kind: info | error | ok."""
    extra = {"error": " wb-error", "ok": " wb-ok"}.get(kind, "")
    return f'<div class="wb-message{extra}" role="status">{html.escape(text)}</div>'


def kpi(label: str, value: str, note: str = "", test_id: str = "") -> str:
    attr = f' data-testid="{html.escape(test_id)}"' if test_id else ""
    note_html = f'<div class="wb-kpi-note">{html.escape(note)}</div>' if note else ""
    return (
        f'<div class="wb-kpi"><div class="wb-kpi-label">{html.escape(label)}</div>'
        f'<div class="wb-kpi-value"{attr}>{html.escape(value)}</div>{note_html}</div>'
    )


def sync_figure(fig) -> None:
    """Push a FigureWidget's complete current state to its synced traits.

    plotly's FigureWidget sends later edits as one-off relayout/restyle *messages*; a browser
    view that connects after those edits (always the case with pre-heated kernels, and for any
    figure displayed inside a container) only receives the state captured at construction.
    Call this before displaying and the view starts from the figure as it is now.
    """
    from copy import deepcopy

    fig._widget_layout = deepcopy(fig._layout_obj._props)
    fig._widget_data = deepcopy(fig._data)


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
    spec["config"] = {"displaylogo": False, "locale": "de"}
    return spec


def _plotly_bundle(fig) -> dict[str, Any]:
    """The mimebundle the jupyterlab-plotly renderer draws (no inline plotly.js)."""
    return {"application/vnd.plotly.v1+json": figure_spec(fig)}


def show_figure(out: w.Output, fig) -> None:
    """Replace what ``out`` shows by ``fig``; the Output's state carries the figure, so a
    browser that connects later (pre-heated kernels) still gets it."""
    from IPython.display import display

    with out:
        out.clear_output(wait=True)
        display(_plotly_bundle(fig), raw=True)
