"""No chart anywhere offers plotly's cloud upload ("Share chart…") or its English toolbar."""

from __future__ import annotations

import json
import re

import plotly.graph_objects as go
import plotly.io as pio

from workbench.dashboards.base import figure_spec
from workbench.figures import CLOUD_BUTTONS, PLOTLY_CONFIG
from workbench.reports.context import ReportContext, show_figure


def _figure() -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))


def test_dashboard_charts_have_no_toolbar() -> None:
    config = figure_spec(_figure())["config"]
    assert config["displayModeBar"] is False
    assert config["showSendToCloud"] is False and config["displaylogo"] is False


def test_report_charts_have_no_toolbar(monkeypatch) -> None:
    shown: list[dict] = []
    monkeypatch.setattr("IPython.display.display",
                        lambda bundle, raw=False: shown.append(bundle))
    ctx = ReportContext(ags="08118076", name="Sachsenheim", berichtsjahr=2025)
    show_figure(ctx, _figure())
    html = shown[0]["text/html"]
    config = json.loads(re.search(r"\{[^{}]*\"displayModeBar\"[^{}]*\}", html).group(0))
    assert config == PLOTLY_CONFIG and config["displayModeBar"] is False


def test_notebook_renderers_drop_the_cloud_buttons() -> None:
    for name in ("plotly_mimetype", "notebook", "jupyterlab"):
        config = pio.renderers[name].config
        assert set(CLOUD_BUTTONS) <= set(config["modeBarButtonsToRemove"]), name
        assert config["showSendToCloud"] is False


def test_apply_style_sets_the_same_template_as_a_validated_assignment() -> None:
    """figures._set_template skips plotly's re-validation: same template in the JSON, and the
    figure gets its own copy (changing it leaves plotly's registered template alone)."""
    from workbench.figures import TEMPLATE, apply_style

    styled = apply_style(_figure(), title="Probe")
    validated = _figure().update_layout(template=TEMPLATE)
    assert (json.loads(styled.to_json())["layout"]["template"]
            == json.loads(validated.to_json())["layout"]["template"])
    assert styled.layout.template.layout.paper_bgcolor == "white"
    styled.layout.template.layout.font.size = 3
    assert pio.templates[TEMPLATE].layout.font.size is None
    assert apply_style(_figure()).layout.template.layout.font.size is None
