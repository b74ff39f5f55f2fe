"""figures.describe: German description and data table from a figure's own data."""

from __future__ import annotations

import plotly.graph_objects as go

from workbench.figures import add_source
from workbench.figures.describe import describe_figure


def test_time_series_label_names_latest_value_and_source():
    fig = go.Figure(go.Scatter(x=["2022-12-31", "2023-12-31"], y=[12.5, 13.0], name="Tamm"))
    fig.update_layout(title={"text": "Ausländeranteil Tamm"})
    fig.update_yaxes(ticksuffix=" %")
    add_source(fig, "Quelle: Statistik BW, Stand 31.12.2023")
    text = describe_figure(fig)
    assert text.label.startswith("Diagramm „Ausländeranteil Tamm“")
    assert "Tamm: 13 % am 31.12.2023" in text.label and "Quelle: Statistik BW" in text.label
    assert text.rows == [["31.12.2022", "12,5 %"], ["31.12.2023", "13 %"]]
    html = text.table_html()
    assert "<details" in html and '<th scope="col">' in html and "12,5 %" in html


def test_bars_of_several_series_are_pivoted_and_map_polygons_listed():
    fig = go.Figure([go.Bar(y=["A", "B"], x=[1, 2], orientation="h", name="erreicht"),
                     go.Bar(y=["A", "B"], x=[3, 0], orientation="h", name="keine Daten")])
    text = describe_figure(fig)
    assert text.columns[1:] == ["erreicht", "keine Daten"]
    assert text.rows == [["A", "1", "3"], ["B", "2", "0"]]
    map_fig = go.Figure([go.Scatter(x=[0, 1, 0], y=[0, 1, 1], fill="toself", hoveron="fills",
                                    name=name, text=f"{name}: {v}") for name, v in
                         (("Tamm", "12,0 %"), ("Asperg", "18,7 %"))])
    text = describe_figure(map_fig)
    assert text.rows == [["Asperg", "18,7 %"], ["Tamm", "12,0 %"]]
    assert "höchster Wert Asperg (18,7 %)" in text.label
