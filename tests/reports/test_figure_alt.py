"""Generated German alternative texts for report charts (no browser)."""

from __future__ import annotations

import plotly.graph_objects as go

from workbench.reports.figure_alt import describe_figure


def test_line_chart_names_title_series_and_years() -> None:
    fig = go.Figure([go.Scatter(x=[2014, 2019, 2024], y=[1, 2, 3], name="Sachsenheim",
                                mode="lines"),
                     go.Scatter(x=[2022], y=[2], name="Zensus 2022", mode="markers")])
    fig.update_layout(title="Ausländeranteil <b>Sachsenheim</b><br>im Vergleich")
    assert describe_figure(fig) == (
        "Abbildung: Ausländeranteil Sachsenheim im Vergleich. Liniendiagramm und "
        "Punktdiagramm mit 2 Datenreihen (Sachsenheim, Zensus 2022), 3 Werte von 2014 bis "
        "2024.")


def test_outline_map_and_single_bar_chart() -> None:
    outlines = go.Figure([go.Scatter(x=[0, 1, 1], y=[0, 0, 1], fill="toself", name=n)
                          for n in ("Asperg", "Besigheim", "Freudental")])
    assert describe_figure(outlines) == "Abbildung. Karte mit 3 Gebieten."
    bars = go.Figure(go.Bar(x=[3.0, 5.0], y=["A", "B"], orientation="h"))
    bars.update_layout(title={"text": "Rang"})
    assert describe_figure(bars) == "Abbildung: Rang. Balkendiagramm mit 2 Werten."
