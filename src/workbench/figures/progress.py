"""Progress figures: status overview, indicator progress, time series, Zeitplan, evaluation.

Inputs are the frames of :mod:`workbench.progress`. Every figure names its source (the
documents of the Maßnahmen shown, „Dokument (Inhalt)“, and „Messwerte: Beispieldaten …“ when
example values are shown), every assumption behind it on its own line („Annahme, nicht aus
der Quelle: …“, from the catalogue's ``annahme`` blocks) and its reference date („Stand“).
Finished projects (``abgeschlossen``) are history: they are not part of these charts.
Status colours come with the status text (never colour alone). Person counts 1–2 are shown as
„.“ (``suppress=True``, default for published charts), and their bars are not drawn, because a
bar length would reveal the value.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable

import plotly.graph_objects as go
import polars as pl

from workbench.catalogue import Catalogue, indicators_frame
from workbench.figures import (
    GREY,
    PALETTE,
    SERIES_COLOURS,
    STATUS_COLOURS,
    STATUS_PATTERNS,
    VERMILLION_TEXT,
    finish,
    wrap_sources,
)
from workbench.figures.contrast import text_colour_on
from workbench.formatting import SUPPRESSED, fmt_date, fmt_int, fmt_number
from workbench.progress import STATUSES
from workbench.suppression import is_primary

EXAMPLE_NOTE = "Messwerte: Beispieldaten (generiert, keine amtlichen Werte)"


def wrap(text: str, width: int = 45) -> str:
    return "<br>".join(textwrap.wrap(text, width)) or text


def source_text(documents: Iterable[str], as_of: dt.date | None, *, examples: bool,
                assumptions: Iterable[str] = ()) -> str:
    """„Quelle: …“, one line per „Annahme, nicht aus der Quelle: …“, „Messwerte:
    Beispieldaten …“, „Stand: 31.12.2026“, wrapped for the figure."""
    docs = list(dict.fromkeys(documents))
    parts = [f"Quelle: {'; '.join(docs)}", *dict.fromkeys(assumptions)]
    if examples:
        parts.append(EXAMPLE_NOTE)
    if as_of is not None:
        parts.append(f"Stand: {fmt_date(as_of)}")
    return wrap_sources(parts)




def _documents(progress: pl.DataFrame, catalogues: Iterable[Catalogue] | None) -> list[str]:
    """The documents of the Maßnahmen in ``progress`` (what the chart shows)."""
    if "source_document" in progress.columns and progress.height:
        return list(dict.fromkeys(progress["source_document"].drop_nulls()))
    if catalogues:
        return [c.source_label() for c in catalogues]
    return sorted(set(progress["traeger_name"])) if "traeger_name" in progress.columns else []


def _assumptions(progress: pl.DataFrame, catalogue: Catalogue | None) -> list[str]:
    """Assumption lines behind the rows of ``progress`` (one per ``annahme``)."""
    if catalogue is not None and "massnahme_id" in progress.columns:
        return catalogue.assumptions(closed=None,
                                     massnahme_ids=set(progress["massnahme_id"]))
    if "assumption" in progress.columns:
        return list(dict.fromkeys(progress["assumption"].drop_nulls()))
    return []


def status_detail(row: dict) -> str:
    """What stands behind a status, in words: the trend of a count without target
    („↑ gestiegen: 15 am …, vorher 12 am …“), the assessment of a qualitative goal, or
    where a Zielwert came from. Person counts 1–2 are already „.“ in these texts."""
    status = row.get("status") or ""
    if status == "ohne Zielwert":
        return row.get("trend_text") or ""
    if status.startswith("bewertet: "):
        return row.get("status_reason") or ""
    return ""


def published_with_assumptions(progress: pl.DataFrame, suppress: bool = True) -> pl.DataFrame:
    """``published_indicator_table`` plus the assumptions: „(Annahme)“ after an assumed
    Zielwert, „(festgelegt am … von …)“ after a Zielwert set in the store, a column
    „Einzelheiten“ (trend of a count without target, assessment of a qualitative goal) and a
    column „Annahme“ („Annahme, nicht aus der Quelle: …“, else empty)."""
    from workbench.suppression import published_indicator_table

    table = published_indicator_table(progress, suppress=suppress)
    notes = (progress["target_note"].to_list() if "target_note" in progress.columns
             else [None] * progress.height)
    assumed = (progress["target_assumed"].fill_null(False).to_list()
               if "target_assumed" in progress.columns else [False] * progress.height)
    targets = []
    for cell, note, is_assumed in zip(table["Zielwert"], notes, assumed, strict=True):
        if note:
            cell += f" ({note.removeprefix('Zielwert ')})"
        elif is_assumed:
            cell += " (Annahme)"
        targets.append(cell)
    details = [status_detail(r) for r in progress.iter_rows(named=True)]
    table = table.with_columns(
        pl.Series("Zielwert", targets, dtype=pl.String),
        pl.Series("Einzelheiten", details, dtype=pl.String),
    )
    if "assumption" not in progress.columns:
        return table
    return table.with_columns(
        pl.Series("Annahme", progress["assumption"].fill_null("").to_list(), dtype=pl.String),
    )


def _any_example(frame: pl.DataFrame, column: str = "is_example") -> bool:
    return column in frame.columns and bool(frame[column].fill_null(False).any())


def status_overview_chart(
    progress: pl.DataFrame,
    *,
    catalogue: Catalogue | None = None,
    title: str | None = None,
) -> go.Figure:
    """Stacked horizontal bars: number of indicators per status for each Handlungsfeld."""
    order = list(dict.fromkeys(progress["handlungsfeld"]))
    fig = go.Figure()
    for status in STATUSES:
        counts = [
            progress.filter((pl.col("handlungsfeld") == hf) & (pl.col("status") == status)).height
            for hf in order
        ]
        if not any(counts):
            continue
        fig.add_trace(go.Bar(
            y=[wrap(h, 30) for h in order], x=counts, name=status, orientation="h",
            marker={"color": STATUS_COLOURS[status],
                    "pattern": {"shape": STATUS_PATTERNS[status], "fgcolor": "white",
                                "size": 8, "solidity": 0.25}},
            text=[str(c) if c else "" for c in counts], textposition="inside",
            insidetextfont={"color": text_colour_on(STATUS_COLOURS[status])},  # ≥ 4,5:1
            hovertemplate=f"%{{y}}<br>{status}: %{{x}} Indikatoren<extra></extra>",
        ))
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="Anzahl Indikatoren (alle Indikatoren, auch ohne Zielwert "
                                "oder Messwert)",
                     dtick=1 if progress.height <= 12 else None)
    as_of = progress["as_of"].max() if progress.height else None
    sources = source_text(_documents(progress, [catalogue] if catalogue else None), as_of,
                          examples=_any_example(progress),
                          assumptions=_assumptions(progress, catalogue))
    title = title or f"Status der Indikatoren je Handlungsfeld, Stand {fmt_date(as_of)}"
    return finish(fig, sources, title=title, height=140 + 70 * max(len(order), 1))


def _value_text(row: dict, suppress: bool) -> str:
    value = row["latest_value"]
    if value is None:
        return ""
    if suppress and is_primary(value, row["about_persons"]):
        return SUPPRESSED
    return fmt_int(value) if row["kind"] == "anzahl" else fmt_number(value, 1)


def indicator_progress_chart(
    progress: pl.DataFrame,
    *,
    massnahme_id: str | None = None,
    catalogue: Catalogue | None = None,
    suppress: bool = True,
    title: str | None = None,
) -> go.Figure:
    """Bars of progress toward the target (0–100 %, raw value in the text) per indicator,
    coloured and labelled by status, with the expected progress as a marker."""
    rows = progress
    if massnahme_id is not None:
        rows = rows.filter(pl.col("massnahme_id") == massnahme_id)
    records = rows.to_dicts()
    labels, widths, colours, patterns, texts, expected = [], [], [], [], [], []
    for r in records:
        labels.append(wrap(r["indicator"], 40))
        hidden = suppress and is_primary(r["latest_value"], r["about_persons"])
        widths.append(0 if hidden or r["progress_display_pct"] is None
                      else r["progress_display_pct"])
        colours.append(STATUS_COLOURS[r["status"]])
        patterns.append(STATUS_PATTERNS[r["status"]])
        parts = [r["status"]]
        if r.get("target_source") == "festgelegt":
            parts.append(f"Zielwert festgelegt am {fmt_date(r['target_set_on'])}")
        elif r.get("target_assumed"):
            parts.append("Zielwert angenommen")
        if r["status"] == "ohne Zielwert" and r.get("trend"):
            parts.append(r["trend_text"].split(":")[0])  # „↑ gestiegen“: arrow + word
        if r["progress_pct"] is not None and not hidden:
            parts.insert(0, f"{fmt_number(r['progress_pct'], 0)} %")
        value = _value_text(r, suppress)
        if value and r["kind"] != "meilenstein":
            target = (f" von {fmt_int(r['target'])}" if r["target"] is not None
                      and r["kind"] == "anzahl" else "")
            unit = f" {r['unit']}" if r["unit"] else ""
            parts.append(f"Wert {value}{target}{unit}")
        if r["kind"] == "meilenstein" and r["latest_value"] is not None:
            parts.append("erledigt" if r["latest_value"] >= 1 else "offen")
        texts.append(" · ".join(parts))
        expected.append(r["expected_pct"])
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=labels, x=widths, orientation="h", name="Fortschritt",
        marker={"color": colours, "pattern": {"shape": patterns, "fgcolor": "white",
                                              "size": 8, "solidity": 0.25}},
        text=texts, textposition="outside", cliponaxis=False, showlegend=False,
        hovertemplate="%{y}<br>%{text}<extra></extra>",
    ))
    exp_y = [lab for lab, e in zip(labels, expected, strict=True) if e is not None]
    exp_x = [e for e in expected if e is not None]
    if exp_x:
        fig.add_trace(go.Scatter(
            y=exp_y, x=exp_x, mode="markers", name="erwarteter Fortschritt (Zeitplan)",
            marker={"symbol": "line-ns-open", "size": 22, "line": {"width": 3},
                    "color": PALETTE["black"]},
            hovertemplate="erwartet: %{x:.0f} %<extra></extra>",
        ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 175], title_text="Fortschritt zum Zielwert (%)",
                     tickvals=[0, 25, 50, 75, 100])
    as_of = rows["as_of"].max() if rows.height else None
    note = ["Werte 1–2 bei Personenzahlen als „.“ unterdrückt"] if suppress else []
    sources = source_text([*_documents(rows, [catalogue] if catalogue else None), *note],
                          as_of, examples=_any_example(rows),
                          assumptions=_assumptions(rows, catalogue))
    if title is None:
        name = records[0]["massnahme"] if massnahme_id is not None and records else "Indikatoren"
        title = wrap(f"Fortschritt: {name}", 80)
    return finish(fig, sources, title=title, height=170 + 60 * max(len(records), 1))


def indicator_timeseries_chart(
    observations: pl.DataFrame,
    indicator: dict,
    *,
    as_of: dt.date | None = None,
    catalogue: Catalogue | None = None,
    suppress: bool = True,
    title: str | None = None,
) -> go.Figure:
    """Values of one indicator over time with baseline and target lines and the due date.

    ``indicator`` is a row dict of the indicator frame (or of the progress frame).
    """
    obs = observations.filter(
        (pl.col("traeger_id") == indicator["traeger_id"])
        & (pl.col("indicator_id") == indicator["indicator_id"])
        & pl.col("value").is_not_null()
    )
    if as_of is not None:
        obs = obs.filter(pl.col("period") <= as_of)
    obs = obs.sort("period")
    x = obs["period"].to_list()
    y = obs["value"].to_list()
    hidden = [suppress and is_primary(v, indicator["about_persons"]) for v in y]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=x, y=[None if h else v for v, h in zip(y, hidden, strict=True)],
        mode="lines+markers", name="Messwert", line={"color": PALETTE["blue"], "width": 3},
        connectgaps=False,
        hovertemplate="%{x|%d.%m.%Y}: %{y:,.0f}<extra></extra>",
    ))
    if any(hidden):
        fig.add_trace(go.Scatter(
            x=[d for d, h in zip(x, hidden, strict=True) if h],
            y=[0] * sum(hidden), mode="markers+text", text=[SUPPRESSED] * sum(hidden),
            textposition="top center", name="unterdrückt (1–2 Personen)",
            marker={"color": GREY, "symbol": "x"}, hoverinfo="skip",
        ))
    per_year = " je Jahr" if indicator.get("period_basis") == "jahr" else ""
    if indicator.get("baseline") is not None:
        fig.add_hline(y=indicator["baseline"], line_dash="dot", line_color=GREY,
                      annotation_text=f"Ausgangswert {fmt_number(indicator['baseline'], 0)}",
                      annotation_position="bottom left")
    if indicator.get("target") is not None:
        assumed = " (Annahme)" if indicator.get("target_assumed") else ""
        fig.add_hline(y=indicator["target"], line_dash="dash", line_color=PALETTE["green"],
                      annotation_text=f"Zielwert{per_year} {fmt_number(indicator['target'], 0)}"
                                      f"{assumed}",
                      annotation_position="top left")
    if indicator.get("due") is not None:
        fig.add_vline(x=indicator["due"].isoformat(), line_dash="dot",
                      line_color=PALETTE["vermillion"])
        fig.add_annotation(x=indicator["due"].isoformat(), y=1, yref="paper", showarrow=False,
                           text=f"fällig {fmt_date(indicator['due'])}", xanchor="right",
                           yanchor="bottom", font={"size": 12})
    unit = indicator.get("unit") or ""
    fig.update_yaxes(title_text=f"{unit}{per_year}".strip() or "Wert", rangemode="tozero")
    fig.update_xaxes(tickformat="%m/%Y")
    stand = as_of or (obs["period"].max() if obs.height else None)
    if indicator.get("source_document"):
        docs = [indicator["source_document"]]
    elif catalogue:
        docs = [catalogue.source_label()]
    else:
        docs = [f"{indicator.get('traeger_name', '')}: {indicator.get('source') or ''}"]
    notes = (catalogue.assumptions(closed=None, massnahme_ids=[indicator["massnahme_id"]])
             if catalogue is not None and indicator.get("massnahme_id")
             else [indicator["assumption"]] if indicator.get("assumption") else [])
    sources = source_text(docs, stand, examples=_any_example(obs), assumptions=notes)
    return finish(fig, sources, title=title or wrap(indicator["indicator"], 80), height=430)


def zeitplan_chart(
    catalogue: Catalogue,
    *,
    as_of: dt.date | None = None,
    title: str | None = None,
) -> go.Figure:
    """Gantt chart of the current Maßnahmen (start → due) with the evaluation dates of the
    schedule; finished projects are history and not drawn here."""
    ind = indicators_frame(catalogue, closed=False)
    massnahmen = ind.unique(subset=["massnahme_id"], keep="first", maintain_order=True)
    colours = SERIES_COLOURS
    field_colour = {hf: colours[i % len(colours)]
                    for i, hf in enumerate(dict.fromkeys(massnahmen["handlungsfeld"]))}
    fig = go.Figure()
    for hf, colour in field_colour.items():
        rows = massnahmen.filter(pl.col("handlungsfeld") == hf)
        starts = rows["start"].to_list()
        dues = rows["due"].to_list()
        # Bars on a date axis: base = start, length in milliseconds (plotly's date unit).
        lengths = [((d - s).days + 1) * 86_400_000 for s, d in zip(starts, dues, strict=True)]
        fig.add_trace(go.Bar(
            y=[wrap(t, 50) for t in rows["massnahme"]], x=lengths,
            base=[s.isoformat() for s in starts], orientation="h", name=wrap(hf, 40),
            marker_color=colour,
            customdata=[[fmt_date(s), fmt_date(d), z] for s, d, z in
                        zip(starts, dues, rows["zeitrahmen"], strict=True)],
            hovertemplate="%{y}<br>%{customdata[0]} – %{customdata[1]} (%{customdata[2]})"
                          "<extra></extra>",
        ))
    evaluations = catalogue.evaluation_dates()
    for date in evaluations:
        fig.add_vline(x=date.isoformat(), line_dash="dash", line_color=PALETTE["black"])
    if evaluations:
        # One label for all dashed lines: a label per line overlaps its neighbour when two
        # evaluations are a year apart on a narrow chart.
        dates = [fmt_date(d) for d in evaluations]
        listed = dates[0] if len(dates) == 1 else ", ".join(dates[:-1]) + " und " + dates[-1]
        fig.add_annotation(x=0, xref="paper", xanchor="left", y=1, yref="paper",
                           yanchor="bottom", showarrow=False, align="left",
                           text=f"Gestrichelte Linien: Evaluation am {listed}",
                           font={"size": 11})
    if as_of is not None:
        fig.add_vline(x=as_of.isoformat(), line_color=PALETTE["vermillion"], line_width=2)
        fig.add_annotation(x=as_of.isoformat(), y=0, yref="paper",
                           text=f"Stand {fmt_date(as_of)}", showarrow=False, yanchor="bottom",
                           xanchor="right", font={"size": 11, "color": VERMILLION_TEXT})
    plan = catalogue.traeger.zeitplan
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(type="date", range=[plan.beginn.isoformat(),
                                         (plan.ende + dt.timedelta(days=20)).isoformat()],
                     tickformat="%Y", dtick="M12")
    fig.update_yaxes(autorange="reversed")
    docs = catalogue.documents(closed=False)
    if plan.evaluation_hinweis:
        docs.append(f"„{plan.evaluation_hinweis}“")
    sources = source_text(
        [*docs, "Fälligkeit aus dem Zeitrahmen berechnet (kurz-/mittel-/langfristig = "
         "1/3/4 Jahre ab Beginn)"], as_of or plan.beginn, examples=False,
        assumptions=catalogue.assumptions(closed=False))
    assumed = " (Annahme)" if plan.annahme is not None and (
        {"beginn", "ende"} & set(plan.annahme.betrifft)) else ""
    title = title or (f"Zeitplan {plan.beginn.year}–{plan.ende.year}{assumed}: Maßnahmen und "
                      f"Evaluation alle {plan.evaluation_jahre} Jahre")
    # Title, legend (one entry per Handlungsfeld) and the evaluation label get their own rows.
    return finish(fig, sources, title=title, height=170 + 48 * massnahmen.height)


def evaluation_chart(
    snapshot: pl.DataFrame,
    *,
    catalogue: Catalogue | None = None,
    title: str | None = None,
) -> go.Figure:
    """Status counts per Handlungsfeld at the two evaluation dates (stacked bars side by side)."""
    date_a, date_b = snapshot["date_a"][0], snapshot["date_b"][0]
    fields = list(dict.fromkeys(snapshot["handlungsfeld"]))
    ys: list[str] = []
    for hf in fields:
        ys += [f"{wrap(hf, 30)}<br><i>{fmt_date(date_a)}</i>",
               f"{wrap(hf, 30)}<br><i>{fmt_date(date_b)}</i>"]
    fig = go.Figure()
    for status in STATUSES:
        counts = []
        for hf in fields:
            rows = snapshot.filter(pl.col("handlungsfeld") == hf)
            counts += [int((rows["status_a"] == status).sum()),
                       int((rows["status_b"] == status).sum())]
        if not any(counts):
            continue
        fig.add_trace(go.Bar(
            y=ys, x=counts, name=status, orientation="h",
            marker={"color": STATUS_COLOURS[status],
                    "pattern": {"shape": STATUS_PATTERNS[status], "fgcolor": "white",
                                "size": 8, "solidity": 0.25}},
            text=[str(c) if c else "" for c in counts], textposition="inside",
            insidetextfont={"color": text_colour_on(STATUS_COLOURS[status])},  # ≥ 4,5:1
            hovertemplate=f"%{{y}}<br>{status}: %{{x}}<extra></extra>",
        ))
    fig.update_layout(barmode="stack", legend_traceorder="normal", bargap=0.35)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="Anzahl Indikatoren")
    better = int((snapshot["status_change"] == "verbessert").sum())
    worse = int((snapshot["status_change"] == "verschlechtert").sum())
    docs = catalogue.documents(closed=False) if catalogue else []
    sources = source_text([*docs, f"Statuswechsel: {better} verbessert, {worse} verschlechtert"],
                          date_b, examples=_any_example(snapshot),
                          assumptions=catalogue.assumptions() if catalogue else ())
    title = title or f"Evaluation: Status am {fmt_date(date_a)} und {fmt_date(date_b)}"
    return finish(fig, sources, title=title, height=180 + 75 * len(ys))
