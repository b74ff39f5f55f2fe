// Chart layout that fits the width a chart is drawn at (workbench.figures.CHART_LAYOUT_JS).
//
// plotly lays out titles, legends and annotations at fixed positions and never wraps text, so
// the same figure that fits at 1400 px has its legend over the title, its title cut at the
// right and its source lines run out of the chart at 768 px. Before a chart is drawn (and
// again when its width changes) wbFitLayout computes from the width: the title wrapped into
// the chart (smaller on narrow screens), the legend as rows between title and plot, the top
// margin for both and for labels above the plot, the x-axis title wrapped to the plot width,
// the source lines under the axis from the chart's left edge, wrapped to its width, and the
// bottom margin for all of it. The plot area keeps its height: the chart grows instead.
// After drawing, wbDrawFitted measures what plotly really drew (margins grown by automargin,
// legend height, axis labels, title width) and draws once more if the estimate was short.
// Data are never changed; only layout. Used by the dashboards' PlotlyChart widget and by the
// report pages (script assets/chart_layout.js).

const WB_CHAR_EM = 0.56;  // average glyph width of DejaVu Sans / Arial in em
const WB_LINE = 1.3;      // plotly's line height of multi-line text in em
const WB_BR = /<br\s*\/?>/i;
const WB_MIN_PLOT = 120;  // px: the smallest plot area a chart is given
const WB_MIN_WIDTH = 120;  // px: narrower means not laid out yet

function wbPlain(text) {
  return String(text == null ? "" : text).replace(/<[^>]*>/g, "");
}

// Greedy word wrap at `chars` characters; a word longer than a line stays whole.
function wbWrap(text, chars, indent) {
  const lines = [];
  let line = "";
  for (const word of String(text).split(" ").filter((w) => w.length)) {
    const next = line ? line + " " + word : word;
    const room = chars - (lines.length ? indent.length : 0);
    if (line && wbPlain(next).length > room) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i ? indent + l : l));
}

// The source annotation of workbench.figures.add_source: under the plot, anchored at its top.
function wbIsSource(a) {
  return a && a.yref === "paper" && a.xref === "paper" && a.y === 0 && a.yanchor === "top"
    && a.showarrow === false && (a.yshift || 0) < 0;
}

// Labels placed just above the plot (e.g. „Bruch: Basis …“, „Evaluation …“).
// (add_vline's label: yref "y domain".)
function wbIsAbove(a) {
  return a && /^(paper|y\d* domain)$/.test(a.yref || "") && a.y >= 1
    && (a.yanchor === "bottom" || a.yanchor == null);
}

// Labels that start at the chart's left edge (x = 0 of the plot, shifted by its left margin).
function wbAtLeftEdge(a) {
  return wbIsSource(a) || (wbIsAbove(a) && a.xref === "paper" && a.x === 0
                           && a.xanchor === "left");
}

function wbCartesian(data) {
  return (data || []).some((t) => !["table", "pie"].includes(t.type || "scatter"));
}

function wbFitLayout(base, width, data, measured) {
  const m = measured || {};
  const layout = JSON.parse(JSON.stringify(base || {}));
  const font = (layout.font && layout.font.size) || 12;
  const margin = Object.assign({ l: 80, r: 80, t: 100, b: 80 }, layout.margin || {});
  layout.margin = margin;
  const baseT = margin.t;
  const baseB = margin.b;
  const em = Math.max(WB_CHAR_EM, m.titleEm || 0);
  let top = 8;

  // Title: wrapped into the chart width, top left. (plotly moves a multi-line title up by
  // part of a line: the measured offset is added to its padding.)
  let title = layout.title;
  if (typeof title === "string") title = { text: title };
  if (title && title.text) {
    let size = (title.font && title.font.size) || Math.round(font * 1.4);
    if (width < 420) size = Math.min(size, 14);
    else if (width < 640) size = Math.min(size, 16);
    const chars = Math.max(10, Math.floor((width - 16) / (size * em)));
    const lines = wbWrap(title.text.split(WB_BR).join(" "), chars, "");
    layout.title = Object.assign(title, {
      text: lines.join("<br>"), x: 0, xref: "container", xanchor: "left",
      y: 1, yref: "container", yanchor: "top",
      pad: { t: top + Math.max(0, -(m.titleOffset || 0)), l: 4, r: 0, b: 0 },
      font: Object.assign({}, title.font, { size }),
    });
    top += Math.max(lines.length * size * WB_LINE, m.titleHeight || 0) + 10;
  }

  // Legend: beside the plot when it has room there, else in rows under the title.
  const shown = (data || []).filter((t) => t.showlegend !== false && t.visible !== false
    && t.name != null && t.name !== "");
  // plotly's rule as observed: a legend as soon as one entry shows beside another trace;
  // after drawing, what plotly decided (m.showlegend) counts.
  const legendOn = m.showlegend != null ? m.showlegend : layout.showlegend === true
    || (layout.showlegend !== false && shown.length >= 1 && (data || []).length > 1);
  const legend = Object.assign({}, layout.legend);
  let legendTop = null;
  if (legendOn) {
    const size = (legend.font && legend.font.size) || font;
    const beside = (legend.orientation || "v") === "v" && (legend.x == null || legend.x >= 1);
    if (!(beside && width >= 700)) {
      if (beside) margin.r = Math.min(margin.r, 30);  // the room kept for it is not needed
      let rows = 0;
      let rowWidth = 0;
      let rowHeight = 0;
      for (const t of shown) {
        const lines = String(t.name).split(WB_BR);
        const w = 46 + Math.max(...lines.map((s) => wbPlain(s).length)) * size * WB_CHAR_EM;
        const h = lines.length * size * WB_LINE + 6;
        if (rowWidth && rowWidth + w > width - 8) {
          rows += rowHeight;
          rowWidth = 0;
          rowHeight = 0;
        }
        rowWidth += w;
        rowHeight = Math.max(rowHeight, h);
      }
      const estimate = rows + rowHeight + 6;
      const height = Math.max(estimate, m.legendHeight || 0);
      legendTop = top;
      Object.assign(legend, { orientation: "h", x: 0, xref: "container", xanchor: "left",
                              yref: "container", yanchor: "top", traceorder: legend.traceorder });
      top += height + 6;
    }
    layout.legend = legend;
  }

  const left = Math.max(margin.l, m.l || 0);
  const right = Math.max(margin.r, m.r || 0);
  const plotWidth = Math.max(60, width - left - right);

  // Labels above the plot, wrapped when they start at the plot's left edge.
  let above = 0;
  for (const a of layout.annotations || []) {
    if (!wbIsAbove(a)) continue;
    const size = (a.font && a.font.size) || font;
    if (wbAtLeftEdge(a)) {  // from the chart's left edge over its whole width
      const chars = Math.max(10, Math.floor((width - 12) / (size * WB_CHAR_EM)));
      a.text = wbWrap(String(a.text).split(WB_BR).join(" "), chars, "").join("<br>");
      a.xshift = 4 - left;
    }
    const lines = String(a.text).split(WB_BR).length;
    above = Math.max(above, lines * size * WB_LINE + 8);
  }
  margin.t = Math.ceil(top + above + 6);

  // Under the plot: tick labels, the x-axis title (wrapped to the plot width), the sources.
  let below = 10;
  const xaxis = layout.xaxis = Object.assign({}, layout.xaxis);
  if (wbCartesian(data) && xaxis.visible !== false) {
    const tick = (xaxis.tickfont && xaxis.tickfont.size) || font;
    below = tick * WB_LINE + 14;
    const xt = xaxis.title && (typeof xaxis.title === "string" ? xaxis.title : xaxis.title.text);
    if (xt) {
      const size = (xaxis.title.font && xaxis.title.font.size) || font;
      const chars = Math.max(10, Math.floor((plotWidth - 8) / (size * WB_CHAR_EM)));
      const lines = wbWrap(String(xt).split(WB_BR).join(" "), chars, "");
      xaxis.title = Object.assign(typeof xaxis.title === "string" ? {} : xaxis.title,
                                  { text: lines.join("<br>") });
      below += lines.length * size * WB_LINE + 10;
    }
    xaxis.automargin = true;
    layout.yaxis = Object.assign({}, layout.yaxis, { automargin: true });
  }

  below = Math.max(below, m.below || 0);
  let sources = 0;
  for (const a of layout.annotations || []) {
    if (!wbIsSource(a)) continue;
    const size = (a.font && a.font.size) || font;
    // one paragraph per source line (add_source wraps continuation lines with 3 spaces)
    const paragraphs = [];
    for (const line of String(a.text).split(WB_BR)) {
      if (line.startsWith("   ") && paragraphs.length) {
        paragraphs[paragraphs.length - 1] += " " + line.trim();
      } else {
        paragraphs.push(line);
      }
    }
    const chars = Math.max(20, Math.floor((width - 12) / (size * WB_CHAR_EM)));
    const lines = paragraphs.flatMap((p) => wbWrap(p, chars, "   "));
    Object.assign(a, { text: lines.join("<br>"), yshift: -Math.ceil(below), xshift: 4 - left });
    sources = Math.max(sources, lines.length * size * WB_LINE + 6);
  }
  if (sources) margin.b = Math.ceil(below + sources + 8);
  else if (wbCartesian(data)) margin.b = Math.max(baseB, Math.ceil(below + 6));
  margin.b += Math.ceil(m.extraBottom || 0);  // text measured below the chart's edge

  // Horizontal bars with their value outside: room for the longest text right of the bar.
  const outside = (data || []).filter((t) => t.type === "bar" && t.orientation === "h"
    && t.textposition === "outside" && Array.isArray(t.x));
  if (outside.length && layout.barmode !== "stack") {
    const size = font;
    const longest = Math.max(...outside.flatMap((t) => (Array.isArray(t.text) ? t.text
      : [t.texttemplate || ""]).map((s) => wbPlain(s).length)));
    const textPx = longest * size * WB_CHAR_EM + 14;
    const maxX = Math.max(...outside.flatMap((t) => t.x.filter((v) => typeof v === "number")));
    if (maxX > 0 && plotWidth > 2 * textPx) {
      const needed = maxX * plotWidth / (plotWidth - textPx);
      const given = Array.isArray(xaxis.range) ? xaxis.range[1] : 0;
      xaxis.range = [Array.isArray(xaxis.range) ? xaxis.range[0] : 0, Math.max(given, needed)];
      xaxis.autorange = false;
    }
  }

  // Drawn at exactly the width fitted for: plotly's autosize would use 700 px when the box
  // is hidden for a moment (a tab being switched). Resizes refit (wbRefit).
  layout.width = Math.floor(width);
  // The plot area keeps its height (at least WB_MIN_PLOT): the chart grows instead.
  let plotHeight = null;
  if (layout.height) {
    plotHeight = Math.max(WB_MIN_PLOT, layout.height - baseT - baseB);
    layout.height = Math.round(margin.t + margin.b + plotHeight);
  }
  // A y-axis title longer than the plot is high would run into the title: wrapped.
  const yaxis = layout.yaxis;
  const yt = yaxis && yaxis.title && (typeof yaxis.title === "string" ? yaxis.title
                                                                      : yaxis.title.text);
  if (yt && plotHeight && wbCartesian(data)) {
    const size = (yaxis.title.font && yaxis.title.font.size) || font;
    const chars = Math.max(10, Math.floor((plotHeight - 8) / (size * WB_CHAR_EM)));
    yaxis.title = Object.assign(typeof yaxis.title === "string" ? {} : yaxis.title, {
      text: wbWrap(String(yt).split(WB_BR).join(" "), chars, "").join("<br>") });
  }
  if (legendTop !== null && layout.height) legend.y = 1 - legendTop / layout.height;
  return layout;
}

// Values written beside horizontal bars that do not fit right of their bar are wrapped into
// lines (only the text's line breaks change; a copy of the traces is drawn, never the input).
function wbFitData(data, layout, width) {
  const font = (layout.font && layout.font.size) || 12;
  const margin = layout.margin || {};
  const plotWidth = Math.max(60, width - (margin.l || 80) - (margin.r || 80));
  const range = layout.xaxis && Array.isArray(layout.xaxis.range) ? layout.xaxis.range : null;
  if (!range || !(range[1] > range[0])) return data;
  let changed = false;
  const out = (data || []).map((t) => {
    if (!(t.type === "bar" && t.orientation === "h" && t.textposition === "outside"
          && Array.isArray(t.text) && Array.isArray(t.x))) return t;
    const size = (t.textfont && t.textfont.size) || font;
    const text = t.text.map((s, i) => {
      const x = typeof t.x[i] === "number" ? t.x[i] : 0;
      const room = plotWidth * (1 - (x - range[0]) / (range[1] - range[0])) - 12;
      const plain = String(s == null ? "" : s);
      if (plain.length * size * WB_CHAR_EM <= room) return s;
      changed = true;
      const chars = Math.max(12, Math.floor(room / (size * WB_CHAR_EM)));
      return wbWrap(plain.split(WB_BR).join(" "), chars, "").join("<br>");
    });
    return Object.assign({}, t, { text });
  });
  return changed ? out : data;
}

// What plotly drew: margins after automargin, legend height, space under the plot, the
// title's real position, height and glyph width (em per character), and how far text runs
// below the chart's lower edge.
function wbMeasure(gd, layout) {
  const full = gd._fullLayout;
  if (!full || !full._size) return null;
  const size = full._size;
  const out = { l: size.l, r: size.r, showlegend: !!full.showlegend };
  if (full.legend && full.legend._height) out.legendHeight = full.legend._height;
  const svg = gd.querySelector(".main-svg");
  if (!svg) return out;
  const box = svg.getBoundingClientRect();
  const plotBottom = box.top + size.t + size.h;
  let low = plotBottom;
  gd.querySelectorAll(".xtick text, .g-xtitle").forEach((e) => {
    const r = e.getBoundingClientRect();
    if (r.height) low = Math.max(low, r.bottom);
  });
  out.below = low - plotBottom + 8;
  let lowest = box.top;
  gd.querySelectorAll(".main-svg text, .annotation-text-g").forEach((e) => {
    const r = e.getBoundingClientRect();
    if (r.height) lowest = Math.max(lowest, r.bottom);
  });
  out.overflow = lowest - box.bottom;
  const title = gd.querySelector(".gtitle");
  const text = layout.title && layout.title.text;
  if (title && text) {
    const r = title.getBoundingClientRect();
    out.titleOffset = r.top - box.top - ((layout.title.pad && layout.title.pad.t) || 0);
    out.titleHeight = r.height;
    const longest = Math.max(...String(text).split(WB_BR).map((s) => wbPlain(s).length));
    const fontSize = (layout.title.font && layout.title.font.size) || 16;
    if (longest && r.right > box.right - 4) out.titleEm = r.width / longest / fontSize * 1.03;
  }
  return out;
}

// Measurements of several passes: the largest need of each.
function wbMerge(measured, now) {
  const max = (key) => Math.max(measured[key] || 0, now[key] || 0);
  return {
    showlegend: now.showlegend, l: max("l"), r: max("r"), legendHeight: max("legendHeight"), below: max("below"),
    titleEm: max("titleEm"), titleHeight: max("titleHeight"),
    titleOffset: Math.min(measured.titleOffset || 0, now.titleOffset || 0),
    extraBottom: (measured.extraBottom || 0) + Math.max(0, (now.overflow ?? -99) + 4),
  };
}

function wbWidth(gd) {
  return gd.getBoundingClientRect().width;
}

// plotly's HTML export wraps the chart in a box of the figure's fixed height: it grows with it.
function wbDraw(gd, draw, layout, data) {
  const box = gd.parentElement;
  if (layout.height && box && /px$/.test(box.style.height || "")) {
    box.style.height = layout.height + "px";
  }
  return draw(layout, data);
}

// Labels at the chart's left edge follow the left margin plotly drew with (automargin and
// plotly's own resize may change it after our passes): moved after every draw.
async function wbAlignLeftLabels(Plotly, gd) {
  const size = gd._fullLayout && gd._fullLayout._size;
  if (!size || !gd.layout) return;
  const shifts = {};
  (gd.layout.annotations || []).forEach((a, i) => {
    if (wbAtLeftEdge(a) && Math.abs((a.xshift || 0) - (4 - size.l)) > 0.5) {
      shifts[`annotations[${i}].xshift`] = 4 - size.l;
    }
  });
  if (Object.keys(shifts).length) await Plotly.relayout(gd, shifts);
}

// Draw `data` with `base` fitted to the chart's width; `draw(layout)` is Plotly.newPlot or
// Plotly.react bound to the chart. Marks the chart data-wb-layout="fitting" until done.
async function wbDrawFitted(Plotly, gd, data, base, config, draw) {
  const width = wbWidth(gd);
  gd.__wbBase = base;
  gd.__wbConfig = config;
  gd.__wbData = data;
  if (width < WB_MIN_WIDTH) {
    // hidden (a closed tab) or not laid out yet (a widget box before its panel is sized):
    // plotly's own layout now, fitted when the chart gets its width (wbRefit)
    gd.__wbWidth = width;
    gd.setAttribute("data-wb-layout", "waiting");
    return draw(base, data);
  }
  gd.setAttribute("data-wb-layout", "fitting");
  try {
    let layout = wbFitLayout(base, width, data, null);
    let drawn = JSON.stringify(layout);
    await wbDraw(gd, draw, layout, wbFitData(data, layout, width));
    let measured = {};
    for (let pass = 0; pass < 3; pass += 1) {
      const now = wbMeasure(gd, layout);
      if (!now) break;
      measured = wbMerge(measured, now);
      const next = wbFitLayout(base, width, data, measured);
      const text = JSON.stringify(next);
      if (text === drawn) break;
      layout = next;
      drawn = text;
      await wbDraw(gd, (l, d) => Plotly.react(gd, d, l, config), layout,
                   wbFitData(data, layout, width));
    }
    await wbAlignLeftLabels(Plotly, gd);
    if (!gd.__wbAligning) {
      gd.__wbAligning = true;
      gd.on("plotly_afterplot", () => {
        if (gd.getAttribute("data-wb-layout") === "done") wbAlignLeftLabels(Plotly, gd);
      });
    }
    gd.__wbWidth = width;
  } finally {
    gd.setAttribute("data-wb-layout", "done");
  }
  return gd;
}

// Draw again when the chart's width changed (window resize, a tab shown).
function wbRefit(Plotly, gd) {
  if (!gd.__wbBase || !gd.data) return Promise.resolve(gd);
  const width = wbWidth(gd);
  if (Math.abs(width - (gd.__wbWidth || 0)) < 1) return Promise.resolve(gd);
  if (width < WB_MIN_WIDTH) {  // hidden again: plotly follows its box as before
    gd.__wbWidth = width;
    return Promise.resolve(Plotly.Plots.resize(gd));
  }
  // the traces as given, not the copy with wrapped bar texts (a dashboard's map outline is
  // restyled in place: its traces are never copied, so both hold the outline)
  const data = gd.__wbData || gd.data;
  return wbDrawFitted(Plotly, gd, data, gd.__wbBase, gd.__wbConfig,
                      (layout, d) => Plotly.react(gd, d, layout, gd.__wbConfig));
}

// Report pages: every Plotly.newPlot is fitted, and fitted again after a resize.
function wbInstallReportFit(Plotly) {
  if (!Plotly || Plotly.__wbFit) return;
  Plotly.__wbFit = true;
  const newPlot = Plotly.newPlot.bind(Plotly);
  Plotly.newPlot = (gd, data, layout, config) => {
    const div = typeof gd === "string" ? document.getElementById(gd) : gd;
    return wbDrawFitted(Plotly, div, data, layout || {}, config,
                        (fitted, d) => newPlot(div, d, fitted, config));
  };
  let timer = null;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      document.querySelectorAll(".js-plotly-plot").forEach((gd) => wbRefit(Plotly, gd));
    }, 120);
  });
}
