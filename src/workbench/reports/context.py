"""Per-report context and the display helpers the report sections use.

``ReportContext`` is created by the first cell of a report (``sections.einrichten``) from the
notebook parameters; every section function takes it. Display helpers emit HTML that
nbconvert keeps in the exported report (headings, notes, tables, plotly figures with a
deterministic div id and without embedded plotly.js).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from workbench import htmlparts
from workbench.cache import input_keyed_cache
from workbench.figures import PLOTLY_CONFIG as FIGURE_CONFIG  # one home for the chart config
from workbench.settings import Settings

T = TypeVar("T")


@dataclass
class ReportContext:
    """Everything a section needs: resolved area, parameters, loaded data (lazily)."""

    ags: str
    name: str
    berichtsjahr: int
    kind: str = "gemeinde"  # gemeinde | kreis | bevoelkerung (population-only, any Land)
    mit_handlungsfeldern: bool = True
    datenverzeichnis: Path | None = None  # the parameter as given (None: not set)
    messwerte_db: Path | None = None
    beispieldaten: bool = True
    # Paths and switches of this report (``einrichten`` builds them from the environment and
    # the two parameters above; None: the same, built here).
    settings: Settings | None = None
    # What the report actually showed, filled by the sections through ``cite``,
    # ``cite_document`` and ``assume``; „Datenquellen und Hinweise“ lists only these.
    sources_used: dict[str, str] = field(default_factory=dict)  # source key -> Stand
    documents_used: dict[str, str] = field(default_factory=dict)  # document label -> Stand
    assumptions_shown: list[str] = field(default_factory=list)  # „Annahme, nicht aus …“
    notes: list[str] = field(default_factory=list)  # Hinweise for the last section
    _figures: int = 0
    _cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.settings is None:
            self.settings = Settings.from_env(data_dir=self.datenverzeichnis,
                                              db_path=self.messwerte_db)

    @property
    def data_dir(self) -> Path:
        """Data directory the report reads (``datenverzeichnis`` or the settings')."""
        assert self.settings is not None
        return self.settings.data_dir

    @property
    def store_path(self) -> Path:
        """Observation store the report reads (``messwerte_db``, else the settings')."""
        assert self.settings is not None
        return self.settings.db_path

    @property
    def catalogue_dir(self) -> Path:
        """Catalogue directory of the settings (an explicit ``datenverzeichnis`` brings its
        own ``catalogues/``, see ``sections.catalogue_for``)."""
        assert self.settings is not None
        return self.settings.catalogue_dir

    # -- data -------------------------------------------------------------------------
    def cached(self, key: str, load: Callable[[], T]) -> T:
        """``load()`` once per report: sections share what one of them loaded (catalogue,
        observations) under ``key``, no section reaches into the context's storage."""
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    def population(self) -> Any:
        if "population" not in self._cache:
            from workbench.population import load_population

            # The model of the area's own Kreis (every report shows Gemeinde, Kreis and Land).
            self._cache["population"] = load_population(self.data_dir, kreis=self.kreis)
        return self._cache["population"]

    @property
    def kreis(self) -> str:
        """Kreis key of the report's area ('08118' for Sachsenheim and for the Kreis report)."""
        return self.ags[:5]

    @property
    def used_sources(self) -> dict[str, str]:
        """Source keys cited so far (key -> Stand), in citation order."""
        return self.sources_used

    def cite(self, source: str, stand: str = "") -> None:
        """Register a data source whose values this section has just SHOWN.

        Call it right where the values are displayed (``ctx.cite("zensus2022", "15.05.2022")``);
        „Datenquellen und Hinweise“ (``sections.datenquellen``) lists only cited keys, so a
        source that is loaded but not shown is not listed. ``source``: a key of
        ``workbench.population.SOURCES``, ``"geo"``, or a key a section module can describe
        (``integration_section.source_row``); ``stand``: latest reference date shown. The
        first Stand given for a key is kept.
        """
        self.sources_used.setdefault(source, stand)

    def cite_document(self, label: str, stand: str = "") -> None:
        """Register a document (catalogue source such as „Mitteilungsvorlage 167/15 …“) whose
        content this section has shown; listed under „Datenquellen und Hinweise“."""
        self.documents_used.setdefault(label, stand)

    def assume(self, label: str) -> None:
        """Register an assumption printed in the report („Annahme, nicht aus der Quelle: …“);
        repeated in „Datenquellen und Hinweise“."""
        if label not in self.assumptions_shown:
            self.assumptions_shown.append(label)

    def next_figure_id(self) -> str:
        self._figures += 1
        return f"abb-{self.ags}-{self._figures}"


def _display_html(text: str) -> None:
    from IPython.display import HTML, display

    display(HTML(text))


def heading(text: str, level: int = 2, anchor: str | None = None) -> None:
    ident = f' id="{html.escape(anchor)}"' if anchor else ""
    _display_html(f'<div class="wb-report"><h{level}{ident}>{html.escape(text)}</h{level}></div>')


def paragraph(text: str) -> None:
    _display_html(f'<div class="wb-report"><p>{html.escape(text)}</p></div>')


def note(text: str, *, example: bool = False) -> None:
    cls = "wb-note wb-example" if example else "wb-note"
    _display_html(f'<div class="wb-report"><p class="{cls}">{html.escape(text)}</p></div>')


def bullet_list(items: list[str]) -> None:
    lis = "".join(f"<li>{html.escape(i)}</li>" for i in items)
    _display_html(f'<div class="wb-report"><ul>{lis}</ul></div>')


def table(
    header: list[str], rows: list[list[Any]], caption: str, numeric: set[int] | None = None
) -> None:
    """A plain HTML table with its source as caption (values already formatted)."""
    wide = " wb-wide" if len(header) >= htmlparts.WIDE_TABLE_COLUMNS else ""
    _display_html('<div class="wb-report">' + htmlparts.table(
        header, rows, numeric=numeric or set(), caption=caption,
        attrs=f' class="wb-table{wide}"') + "</div>")


def kpis(items: list[tuple[str, str]]) -> None:
    """Key figure tiles: (value, label)."""
    tiles = "".join(htmlparts.kpi_tile(v, label) for v, label in items)
    _display_html(f'<div class="wb-report wb-kpis">{tiles}</div>')


def show_figure(ctx: ReportContext, fig: Any) -> None:
    """Display a plotly figure so that it survives nbconvert's HTML export.

    The bundle carries ``text/html`` (div + ``Plotly.newPlot``, plotly.js NOT embedded; the
    report page loads the shared ``assets/plotly.min.js``) and the plotly JSON for
    JupyterLab. The div id is derived from the report and a counter, so two runs of the
    same report produce identical HTML.
    """
    import plotly.io as pio
    from IPython.display import display

    div_id = ctx.next_figure_id()
    body = pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id,
                       config=FIGURE_CONFIG, validate=False)
    # No "application/vnd.plotly.v1+json" copy: it would double the executed notebook and the
    # export time; the HTML/PDF are the report, the ipynb is the archive of the run.
    # role="img" + aria-label: screen readers (and Chromium's tagged PDF, as /Figure /Alt)
    # get one short description instead of plotly's SVG fragments.
    from workbench.reports.figure_alt import describe_figure

    label = html.escape(describe_figure(fig), quote=True)
    body = f'<div class="wb-figure" role="img" aria-label="{label}">{body}</div>'
    # and the data as a table under it ("Daten als Tabelle", workbench.figures.describe)
    from workbench.figures.describe import describe_figure as chart_text

    body += chart_text(fig).table_html()
    bundle = {"text/html": body, "text/plain": f"<Abbildung {div_id}>"}
    display(bundle, raw=True)


_AGS_LINE = re.compile(r"""^\s*ags\s*:\s*["']?(\d{5}|\d{8})["']?\s*(?:#.*)?$""", re.M)


def declared_ags(text: str) -> str | None:
    """The ``traeger.ags`` a catalogue file declares, also when the file does not validate
    (a YAML syntax error elsewhere): used to tell which report a broken catalogue belongs to."""
    import yaml

    try:
        data = yaml.safe_load(text)
        ags = data["traeger"]["ags"]
        if isinstance(ags, str) and re.fullmatch(r"\d{5}|\d{8}", ags):
            return ags
    except Exception:  # noqa: BLE001 - broken file: fall back to the plain line
        pass
    match = _AGS_LINE.search(text)
    return match.group(1) if match else None


@dataclass(frozen=True)
class CatalogueFiles:
    """Every catalogue of a directory: the valid ones and, per broken file, its error and the
    AGS it declares (``None`` if not even that can be read)."""

    valid: dict[str, Any]  # traeger id -> Catalogue
    broken: dict[str, tuple[Exception, str | None]]  # file name -> (error, declared AGS)


def _yaml_files(directory: str) -> list[Path]:
    root = Path(directory)
    return sorted(root.glob("*.yaml")) if root.exists() else []


@input_keyed_cache(_yaml_files, maxsize=8)
def _catalogues(directory: str) -> CatalogueFiles:
    """All catalogues of a directory, each loaded on its own: one broken file does not hide
    the others. The key includes every YAML file's mtime and size (kept across reports on a
    warm kernel, see ``workbench.cache``)."""
    from workbench.catalogue import CatalogueError, list_traeger, load_catalogue

    root = Path(directory)
    valid: dict[str, Any] = {}
    broken: dict[str, tuple[Exception, str | None]] = {}
    for tid in list_traeger(root):
        try:
            valid[tid] = load_catalogue(tid, root)
        except (CatalogueError, OSError, UnicodeDecodeError, ValueError) as exc:
            path = root / f"{tid}.yaml"
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            broken[path.name] = (exc, declared_ags(text))
    return CatalogueFiles(valid, broken)


def _catalogue_files(directory: Path | None) -> CatalogueFiles:
    from workbench import paths

    root = directory or paths.catalogue_dir()
    return _catalogues(str(root))


def load_catalogues(directory: Path | None) -> dict:
    """The valid catalogues of ``directory`` (default ``paths.catalogue_dir()``), cached on
    the files; broken files are left out here (see :func:`catalogue_for_area`)."""
    return dict(_catalogue_files(directory).valid)


def catalogue_for_area(directory: Path | None, ags: str, name: str = "") -> Any | None:
    """The catalogue whose ``traeger.ags`` is ``ags`` (``None``: the area has none).

    A broken catalogue file fails only the report of ITS area: it raises its
    ``CatalogueError`` (file name, line, expectation) when it declares this AGS, or — when
    not even the AGS can be read — when its file name is the area's slug
    (``sachsenheim.yaml`` for Sachsenheim, ``landkreis.yaml`` for the Kreis). Reports of
    other areas do not read it and render normally.
    """
    from workbench.catalogue import slugify

    files = _catalogue_files(directory)
    stems = {slugify(name)} | ({"landkreis"} if len(ags) == 5 else set())
    for file_name, (error, declared) in sorted(files.broken.items()):
        if declared == ags or (declared is None and Path(file_name).stem in stems):
            problems = getattr(error, "problems", None)
            raise type(error)(problems) if problems is not None else error
    for cat in files.valid.values():
        if cat.traeger.ags == ags:
            return cat
    return None


def env_path(value: str) -> Path | None:
    return Path(value).expanduser().resolve() if value else None
