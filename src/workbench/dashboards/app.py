"""The Voila application that serves the workbench dashboards.

A thin subclass of :class:`voila.app.Voila` (run in its own process by
``workbench.dashboards.server``) that adds what plain Voila lacks for managers:

* Font Awesome served from the installed ``fontawesomefree`` package instead of a CDN
  (template ``workbench`` replaces the CDN links), so pages work without internet;
* ``Cache-Control`` on static assets (Voila sends only ETags, so a returning browser
  re-validates ~100 files on every visit);
* a German start page listing the dashboards instead of Voila's file tree, and a 404 for
  the entry form when it is switched off (``--WorkbenchVoila.erfassung=False``);
* a kernel manager that never culls a pre-heated kernel between hand-out and the browser
  connecting (see :class:`WorkbenchKernelManager`).
"""

from __future__ import annotations

import html
import os
import re
import sys
import time
import urllib.parse
from pathlib import Path

import tornado.web
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from tornado.web import OutputTransform
from traitlets import Bool, Integer, List, Unicode, default
from voila.app import Voila
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler

SHARE_DIR = Path(__file__).resolve().parent / "share"
TEMPLATE = "workbench"

# notebook file -> German title on the start page (order = display order)
DASHBOARDS: dict[str, str] = {
    "auslaenderanteil.ipynb": "Ausländeranteil in den Städten und Gemeinden",
    "handlungsfelder.ipynb": "Handlungsfelder: Maßnahmen, Indikatoren, Zeitplan",
    "messwerte_erfassen.ipynb": "Messwerte erfassen",
}
ERFASSUNG_NOTEBOOK = "messwerte_erfassen.ipynb"


def list_notebooks(root: Path) -> list[str]:
    """Notebooks in ``root``: the known dashboards in their order, then any others."""
    present = sorted(p.name for p in root.glob("*.ipynb"))
    return [nb for nb in DASHBOARDS if nb in present] + [
        nb for nb in present if nb not in DASHBOARDS
    ]


def fontawesome_dir() -> Path | None:
    """Directory holding Font Awesome's ``css/`` and ``webfonts/`` (package ``fontawesomefree``)."""
    try:
        import fontawesomefree
    except ImportError:
        return None
    return Path(fontawesomefree.__file__).resolve().parent / "static" / "fontawesomefree"


def plotly_js_dir() -> Path:
    """Directory of ``plotly.min.js`` shipped with the plotly Python package."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


# plotly.js "basic" bundle (bar, pie, scatter; 1.2 MB) shipped with workbench, see the
# provenance file beside it. The dashboards draw only those trace types
# (``plotly_chart.DASHBOARD_TRACE_TYPES``); evaluating the full 4.8 MB bundle took ~1 s of
# every page load even from the browser cache, the basic one ~0.2 s.
PLOTLY_BASIC = SHARE_DIR / "plotly" / "plotly-basic.min.js"
_PLOTLY_VERSION = re.compile(rb"plotly\.js[^\n]*?v(\d+\.\d+\.\d+)")


def plotly_bundle_version(path: Path) -> str | None:
    """The version in a plotly.js bundle's header comment (``plotly.js ... v4.1.1``)."""
    try:
        with open(path, "rb") as fh:
            match = _PLOTLY_VERSION.search(fh.read(400))
    except OSError:
        return None
    return match.group(1).decode() if match else None


def dashboard_plotly_bundle(basic: Path = PLOTLY_BASIC) -> tuple[Path, str, bool]:
    """``(file, version, is_basic)`` of the plotly.js the dashboards load.

    The basic bundle only if it is the same plotly.js version as the one the installed
    plotly Python package was built for (figures are serialised for that version); otherwise
    the package's full bundle (slower page loads, same charts).
    """
    from plotly.offline import get_plotlyjs_version

    wanted = get_plotlyjs_version()
    if plotly_bundle_version(basic) == wanted:
        return basic, wanted, True
    full = plotly_js_dir() / "plotly.min.js"
    return full, plotly_bundle_version(full) or wanted, False


# Set in the server process, inherited by its kernels: the page template loads plotly.js
# itself (see ``plotly_chart.plotly_loader``).
PLOTLY_PRELOADED_ENV = "WORKBENCH_PLOTLY_PRELOADED"


class WorkbenchKernelManager(AsyncMappingKernelManager):
    """Kernel manager whose culler cannot kill a kernel that was just handed to a visitor.

    Voila's pool already exempts kernels *waiting in the pool*. The gap: a pooled kernel that
    idled longer than ``cull_idle_timeout`` is popped for a visitor, is no longer in the pool,
    has no websocket yet (the browser is still loading the page's JavaScript) and an old
    ``last_activity`` – the next culler tick kills it and the page hangs on
    ``404 Kernel does not exist``. Here a kernel that has never had a client connection is
    left alone for ``connect_grace`` seconds (at least ``cull_idle_timeout``) from the first
    time the culler sees it outside the pool; only then is it treated as abandoned. Kernels
    that were connected and have no connection left (tab closed) are culled as usual.
    """

    connect_grace = Integer(
        120,
        config=True,
        help="Seconds a handed-out kernel may wait for its browser before it can be culled.",
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ever_connected: set[str] = set()
        self._released_at: dict[str, float] = {}

    def notify_connect(self, kernel_id: str) -> None:
        self._ever_connected.add(kernel_id)
        super().notify_connect(kernel_id)

    async def cull_kernel_if_idle(self, kernel_id: str):
        kernel = self._kernels.get(kernel_id)
        if kernel is None:
            return None
        if (
            kernel_id not in self._ever_connected
            and getattr(kernel, "execution_state", None) != "dead"
        ):
            now = time.monotonic()
            first_seen = self._released_at.setdefault(kernel_id, now)
            if first_seen == now:
                self.log.info("Kernel %s not yet connected: culling deferred", kernel_id)
            if now - first_seen < max(self.connect_grace, self.cull_idle_timeout):
                return None
        return await super().cull_kernel_if_idle(kernel_id)

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        self._ever_connected.discard(kernel_id)
        self._released_at.pop(kernel_id, None)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)


# Hashed file names (webpack chunks of lab extensions: remoteEntry.<hash>.js, 123.<hash>.js)
# never change content: cache them for a year. Everything else static: for `max_age`.
_HASHED = re.compile(r"/voila/labextensions/.+/static/.*[.\-][0-9a-f]{16,}\.")
_STATIC_PREFIXES = (
    "/voila/static/",
    "/voila/templates/",
    "/voila/labextensions/",
    "/voila/api/themes/",
    "/workbench/assets/",
)


def make_cache_transform(base_url: str, max_age: int) -> type[OutputTransform]:
    prefixes = tuple(url_path_join(base_url, p) for p in _STATIC_PREFIXES)

    class CacheHeaders(OutputTransform):
        """Let browsers keep static assets instead of re-validating each one per visit."""

        def __init__(self, request):
            super().__init__(request)
            self._path = request.path

        def transform_first_chunk(self, status_code, headers, chunk, finishing):
            if status_code in (200, 304) and self._path.startswith(prefixes) and max_age > 0:
                if _HASHED.search(self._path):
                    headers["Cache-Control"] = "public, max-age=31536000, immutable"
                else:
                    headers["Cache-Control"] = f"public, max-age={max_age}"
            return status_code, headers, chunk

    return CacheHeaders


class StartPageHandler(tornado.web.RequestHandler):
    """German start page with one link per enabled dashboard (replaces Voila's file tree)."""

    def initialize(self, base_url: str, dashboards: dict[str, str]) -> None:
        self.base_url = base_url
        self.dashboards = dashboards

    def get(self, *args) -> None:
        items = "\n".join(
            f'<li><a href="{html.escape(url_path_join(self.base_url, "voila/render", nb))}">'
            f"{html.escape(title)}</a></li>"
            for nb, title in self.dashboards.items()
        )
        self.set_header("Cache-Control", "no-cache")
        self.write(
            "<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'>"
            "<title>Integrationsmonitoring – Dashboards</title>"
            "<style>body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:18px;"
            "margin:3em auto;max-width:50em;line-height:1.6}a{color:#0072B2}</style></head>"
            "<body><h1>Integrationsmonitoring Landkreis Ludwigsburg</h1>"
            f"<p>Dashboards:</p><ul>{items}</ul></body></html>"
        )


class DisabledHandler(tornado.web.RequestHandler):
    def get(self, *args) -> None:
        self.set_status(404)
        self.write(
            "<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'></head><body>"
            "<h1>Nicht verfügbar</h1><p>Die Messwerterfassung ist auf diesem Server "
            "ausgeschaltet.</p></body></html>"
        )


class ShutdownOnUnloadHandler(VoilaShutdownKernelHandler):
    """Voila's page sends ``navigator.sendBeacon(.../voila/api/shutdown/<kernel>)`` when the tab
    closes, but a beacon cannot carry the XSRF header, so plain Voila answers 403 and the
    kernel lives on until culled. Accept it when it comes from our own origin instead; the
    kernel id (a random UUID) is only known to the page that owns the kernel.
    """

    def check_xsrf_cookie(self) -> None:
        origin = self.request.headers.get("Origin") or self.request.headers.get("Referer") or ""
        host = urllib.parse.urlsplit(origin).netloc
        if host != self.request.host:
            raise tornado.web.HTTPError(403, "Fremder Ursprung")


class WorkbenchVoila(Voila):
    """Voila with local assets, caching, German start page and safe culling."""

    name = "workbench-dashboards"

    erfassung = Bool(True, config=True, help="Serve the entry form (Messwerte erfassen).")
    cache_max_age = Integer(
        86400, config=True, help="max-age (s) for static assets that are not content-hashed."
    )
    compress = Bool(True, config=True, help="gzip responses (JS bundles shrink ~4x).")
    dashboards = List(
        Unicode(), config=True, help="Notebooks to list (default: known ones, then the rest)."
    )

    @default("dashboards")
    def _default_dashboards(self):
        return list_notebooks(Path(self.root_dir))

    def initialize(self, argv=None):
        # Make the `workbench` template findable for Voila and nbconvert.
        paths = [
            str(SHARE_DIR),
            *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep)),
        ]
        os.environ["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
        os.environ[PLOTLY_PRELOADED_ENV] = "1"
        super().initialize(argv)
        self.plotly_file, version, basic = dashboard_plotly_bundle()
        if not basic:
            self.log.warning(
                "plotly.js-Basisbündel passt nicht zur plotly-Version %s: die Dashboards laden "
                "das volle plotly.js (langsamer). Siehe README, Abschnitt Dashboards.", version
            )
        # Versioned URL: a browser never keeps an old bundle after an upgrade.
        self.plotly_url = f"workbench/assets/plotly/{version}/{self.plotly_file.name}"
        # Read by the page template (resources.workbench.plotly_js); Voila's renderer takes
        # extra resources from the config, so the configured ones (already parsed into the
        # trait) go back there with ours added.
        resources = {**self.voila_configuration.resources,
                     "workbench": {"plotly_js": self.plotly_url}}
        self.voila_configuration.config.VoilaConfiguration.resources = resources

    def enabled_dashboards(self) -> dict[str, str]:
        root = Path(self.root_dir)
        enabled = {}
        for nb in self.dashboards:
            if nb == ERFASSUNG_NOTEBOOK and not self.erfassung:
                continue
            if (root / nb).exists():
                enabled[nb] = DASHBOARDS.get(nb, Path(nb).stem)
        return enabled

    def init_settings(self):
        settings = super().init_settings()
        # Cache headers are set first so gzip (applied after) sees the final headers.
        transforms: list = [make_cache_transform(self.base_url, self.cache_max_age)]
        if self.compress:
            transforms.append(tornado.web.GZipContentEncoding)
        settings["transforms"] = transforms
        return settings

    def init_handlers(self):
        handlers = super().init_handlers()
        own: list[tuple] = []
        fa_dir = fontawesome_dir()
        if fa_dir is not None:
            own.append(
                (
                    url_path_join(
                        self.server_url, r"/workbench/assets/fontawesome/((?:css|webfonts)/.*)"
                    ),
                    tornado.web.StaticFileHandler,
                    {"path": str(fa_dir)},
                )
            )
        # exactly the one bundle file, nothing else from its directory
        plotly_dir, plotly_name = (re.escape(part) for part in self.plotly_url.rsplit("/", 1))
        own.append(
            (
                url_path_join(self.server_url, rf"/{plotly_dir}/({plotly_name})"),
                tornado.web.StaticFileHandler,
                {"path": str(self.plotly_file.parent)},
            )
        )
        if not self.erfassung:
            own.append(
                (
                    url_path_join(
                        self.server_url, rf"/voila/render/{re.escape(ERFASSUNG_NOTEBOOK)}.*"
                    ),
                    DisabledHandler,
                )
            )
        if not self.notebook_path:
            start = (
                StartPageHandler,
                {"base_url": self.base_url, "dashboards": self.enabled_dashboards()},
            )
            own.append((self.server_url, *start))
            own.append((url_path_join(self.server_url, r"/voila/tree(/.*)?"), *start))
        handlers = [
            (h[0], ShutdownOnUnloadHandler, *h[2:]) if h[1] is VoilaShutdownKernelHandler else h
            for h in handlers
        ]
        return own + handlers


def main(argv: list[str] | None = None) -> None:
    WorkbenchVoila.launch_instance(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
