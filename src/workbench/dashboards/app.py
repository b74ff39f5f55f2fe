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
  connecting (see :class:`WorkbenchKernelManager`);
* service hardening (``guard``): a Host/Origin allow-list on every request, caps on
  concurrent kernels (503 with a German page past them), a German ``/logout`` page, and a
  stop on SIGTERM/SIGINT that closes the port, shuts every kernel down and kills what is left.

All settings are traits of :class:`WorkbenchVoila` (and the kernel manager), set in
``dashboards/voila.json`` or on the command line; see ``docs/dashboards-betrieb.md``.
"""

from __future__ import annotations

import asyncio
import html
import inspect
import os
import re
import signal
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import tornado.web
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from tornado.web import OutputTransform
from traitlets import Bool, Float, Integer, List, Unicode, default
from voila.app import Voila
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.handler import TornadoVoilaHandler

from workbench.dashboards.guard import (
    STATIC_PREFIXES,
    ForbiddenHandler,
    HostPolicy,
    LogoutHandler,
    RefusedRequest,
    Reservation,
    busy_page,
    current_reservation,
    descendants,
    german_page,
    hold,
    reap,
)
from workbench.dashboards.hubauth import (
    ReportsHandler,
    WorkbenchHubIdentityProvider,
    exempt,
    missing_hub_environment,
    principal_of,
    require_login,
)
from workbench.dashboards.kernel import KERNEL_NAME as DASHBOARD_KERNEL
from workbench.dashboards.kernel import POLARS_THREADS
from workbench.dashboards.stamping import IdentityStampingConnection
from workbench.settings import PLOTLY_PRELOADED_ENV

SHARE_DIR = Path(__file__).resolve().parent / "share"
TEMPLATE = "workbench"

# notebook file -> German title on the start page (order = display order)
DASHBOARDS: dict[str, str] = {
    "auslaenderanteil.ipynb": "Ausländeranteil in den Städten und Gemeinden",
    "handlungsfelder.ipynb": "Handlungsfelder: Maßnahmen, Indikatoren, Zeitplan",
    "messwerte_erfassen.ipynb": "Messwerte erfassen",
}
ERFASSUNG_NOTEBOOK = "messwerte_erfassen.ipynb"
# notebook name -> first part of the page <title> ("Ausländeranteil – Integrationsmonitoring
# Landkreis Ludwigsburg"); the area is appended by the template
PAGE_TITLES: dict[str, str] = {
    "auslaenderanteil": "Ausländeranteil",
    "handlungsfelder": "Handlungsfelder",
    "messwerte_erfassen": "Messwerte erfassen",
}


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


def server_environ(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the Voila process (its kernels inherit it): ``environ`` (default
    ``os.environ``) plus the share directory on ``JUPYTER_PATH`` (Voila and nbconvert find the
    ``workbench`` template there) and ``WORKBENCH_PLOTLY_PRELOADED=1`` (the page template loads
    plotly.js itself, see ``plotly_chart.plotly_loader``). Passed as ``env=`` when the process
    starts (``DashboardServer.start``, :func:`main`); nothing writes ``os.environ``."""
    env = dict(os.environ if environ is None else environ)
    jupyter_path = [str(SHARE_DIR), *filter(None, env.get("JUPYTER_PATH", "").split(os.pathsep))]
    env["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(jupyter_path))
    env[PLOTLY_PRELOADED_ENV] = "1"
    # Dashboard kernels (they inherit this environment) need no more polars worker threads:
    # 16 idle threads cost ≈ 8 MiB per kernel, i.e. per visitor (see dashboards.kernel).
    env.setdefault("POLARS_MAX_THREADS", str(POLARS_THREADS))
    return env


class WorkbenchKernelManager(AsyncMappingKernelManager):
    """Kernel manager that culls safely, counts kernels for the caps and starts the
    notebooks' kernels as the lean ``workbench-dashboard`` spec (``dashboard_kernel``, see
    ``workbench.dashboards.kernel``: less memory per visitor).

    Culling: Voila's pool already exempts kernels *waiting in the pool*. The gap: a pooled
    kernel that idled longer than ``cull_idle_timeout`` is popped for a visitor, is no longer
    in the pool, has no websocket yet (the browser is still loading the page's JavaScript) and
    an old ``last_activity`` – the next culler tick kills it and the page hangs on
    ``404 Kernel does not exist``. Here a kernel that has never had a client connection is
    left alone for ``connect_grace`` seconds from the first time the culler sees it outside the
    pool; after that it is abandoned (a plain GET, a bot, a browser that never ran the page's
    JavaScript) and shut down. Kernels that were connected and have no connection left (tab
    closed) are culled after ``cull_idle_timeout`` as usual.

    Counting: :meth:`kernel_usage` gives the kernels running, starting or due to start (pool
    refills) and the visitor kernels per notebook, for the admission check of
    ``AdmittingVoilaHandler``. Every kernel start passes through :meth:`start_kernel` (Voila's
    pool calls it via ``super()``), which picks the kernel id up front so a starting kernel is
    counted exactly once.
    """

    connect_grace = Integer(
        120,
        config=True,
        help="Seconds a handed-out kernel may wait for its browser before it is shut down.",
    )
    dashboard_kernel = Unicode(
        DASHBOARD_KERNEL,
        config=True,
        help="Kernel spec the notebooks' python3 kernels start as (workbench.dashboards."
        "kernel: the same ipykernel without imports a dashboard never uses, less memory per "
        "visitor); empty: the notebook's own kernel spec.",
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ever_connected: set[str] = set()
        self._released_at: dict[str, float] = {}
        self._starting: dict[str, bool] = {}  # kernel id -> started for the pool
        self._visitor_notebook: dict[str, str] = {}  # kernel id -> notebook (non-pool starts)
        self.reservations: set[Reservation] = set()
        # pool tasks popped for a visitor before their kernel was ready -> notebook
        self.claimed_pool_tasks: dict[asyncio.Task, str] = {}
        self._dashboard_spec_found: bool | None = None

    # ---- kernel spec -----------------------------------------------------------------
    def _kernel_spec_name(self, name: str | None) -> str | None:
        """``dashboard_kernel`` for the notebooks' Python kernel if that spec is installed
        (it is on ``JUPYTER_PATH`` via ``server_environ``), else ``name`` unchanged."""
        if not self.dashboard_kernel or name not in (None, "", "python3"):
            return name
        if self._dashboard_spec_found is None:
            try:
                self.kernel_spec_manager.get_kernel_spec(self.dashboard_kernel)
                self._dashboard_spec_found = True
            except Exception:  # noqa: BLE001 - NoSuchKernel or an unreadable spec
                self.log.warning("Kernel spec %s not found: dashboards run in %s",
                                 self.dashboard_kernel, name or "python3")
                self._dashboard_spec_found = False
        return self.dashboard_kernel if self._dashboard_spec_found else name

    # ---- counting --------------------------------------------------------------------
    async def start_kernel(self, *args, **kwargs):
        kwargs["kernel_name"] = self._kernel_spec_name(
            kwargs.get("kernel_name") or self.default_kernel_name)
        kernel_id = kwargs.get("kernel_id") or str(uuid.uuid4())
        if kernel_id in self:
            return await super().start_kernel(*args, **kwargs)
        kwargs["kernel_id"] = kernel_id
        preheat = (kwargs.get("env") or {}).get("VOILA_PREHEAT") == "True"
        self._starting[kernel_id] = preheat
        reservation = current_reservation()
        if reservation is not None and not preheat:
            # a visitor's own kernel (pool empty or off): counted from now on
            self._visitor_notebook[kernel_id] = reservation.notebook
            reservation.release()
        try:
            return await super().start_kernel(*args, **kwargs)
        finally:
            self._starting.pop(kernel_id, None)

    def kernel_usage(self) -> tuple[int, Counter[str]]:
        """``(kernels, visitors)``: kernels running, starting or waiting to start for a pool
        plus admitted visitors not yet holding one; visitor kernels per notebook (kernels
        handed out from the pool or started for a visitor, plus admitted visitors)."""
        live = set(self._kernels) | set(getattr(self, "_pending_kernels", ())) | set(
            self._starting
        )
        in_pool: set[str] = set()
        waiting = 0
        for tasks in getattr(self, "_pools", {}).values():
            for task in tasks:
                if not task.done():
                    waiting += 1
                elif not task.cancelled() and task.exception() is None:
                    in_pool.add(task.result()["kernel_id"])
        visitors = Counter(r.notebook for r in self.reservations)
        for task, nb in list(self.claimed_pool_tasks.items()):
            if task.done():  # its kernel is counted below (handed out, not in a pool)
                del self.claimed_pool_tasks[task]
            else:
                waiting += 1
                visitors[nb] += 1
        # pool tasks already inside start_kernel are in `live`
        waiting = max(0, waiting - sum(self._starting.values()))
        pool_notebook = {
            kid: nb
            for nb, data in getattr(self, "notebook_data", {}).items()
            for kid in data.get("kernel_ids", ())
        }
        for kid in live - in_pool:
            nb = self._visitor_notebook.get(kid) or pool_notebook.get(kid)
            if nb is not None:
                visitors[nb] += 1
        return len(live) + waiting + len(self.reservations), visitors

    # ---- culling ---------------------------------------------------------------------
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
            if now - first_seen < self.connect_grace:
                return None
            self.log.warning(
                "Kernel %s never connected within %s s: shutting it down",
                kernel_id, self.connect_grace,
            )
            await self.shutdown_kernel(kernel_id)
            return None
        return await super().cull_kernel_if_idle(kernel_id)

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        self._ever_connected.discard(kernel_id)
        self._released_at.pop(kernel_id, None)
        self._visitor_notebook.pop(kernel_id, None)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)

    def kernel_pids(self) -> list[int]:
        """Process ids of the kernels this manager knows (for the clean-up at stop)."""
        pids = []
        for km in list(self._kernels.values()):
            provisioner = getattr(km, "provisioner", None)
            pid = getattr(provisioner, "pid", None) or getattr(
                getattr(provisioner, "process", None), "pid", None
            )
            if pid:
                pids.append(pid)
        return pids


# Hashed file names (webpack chunks of lab extensions: remoteEntry.<hash>.js, 123.<hash>.js)
# never change content: cache them for a year. Everything else static: for `max_age`.
_HASHED = re.compile(r"/voila/labextensions/.+/static/.*[.\-][0-9a-f]{16,}\.")


def make_cache_transform(base_url: str, max_age: int) -> type[OutputTransform]:
    prefixes = tuple(url_path_join(base_url, p) for p in STATIC_PREFIXES)

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

    def initialize(self, base_url: str, dashboards: dict[str, str], hub: bool = False) -> None:
        self.base_url = base_url
        self.dashboards = dashboards
        self.hub = hub

    def get(self, *args) -> None:
        from workbench import region

        area = region.kreis_name(region.default_kreis())  # set by `dashboards --kreis`
        principal = principal_of(self) if self.hub else None
        shown = {nb: title for nb, title in self.dashboards.items()
                 if principal is None or nb != ERFASSUNG_NOTEBOOK or principal.can_write_any()}
        items = "\n".join(
            f'<li><a href="{html.escape(url_path_join(self.base_url, "voila/render", nb))}">'
            f"{html.escape(title)}</a></li>"
            for nb, title in shown.items()
        )
        account = ""
        if self.hub:
            account = self._account(principal)
        self.set_header("Cache-Control", "no-cache")
        self.write(
            "<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'>"
            "<title>Integrationsmonitoring – Dashboards</title>"
            "<style>body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:18px;"
            "margin:3em auto;max-width:50em;line-height:1.6;padding:0 12px}a{color:#004C7A}"
            "h1{font-size:1.7em;overflow-wrap:break-word}"
            "a:focus-visible{outline:3px solid #004C7A;outline-offset:2px}</style></head>"
            f"<body><main><h1>Integrationsmonitoring {html.escape(area)}</h1>"
            f'<nav aria-labelledby="wb-dashboards"><h2 id="wb-dashboards">Dashboards</h2>'
            f"<ul>{items}</ul></nav>{account}</main></body></html>"
        )

    def _account(self, principal) -> str:
        """Who is logged in, their rights, reports, JupyterLab and logout (hub only)."""
        from workbench.access import group_label

        if principal is None:
            return ""
        provider = self.settings.get("identity_provider")
        hub_prefix = getattr(getattr(provider, "hub_auth", None), "hub_prefix", "/hub/")
        groups = "".join(f"<li>{html.escape(group_label(g))}</li>"
                         for g in sorted(principal.groups)) or "<li>keine Gruppe</li>"
        links = [f'<li><a href="{html.escape(url_path_join(self.base_url, "berichte/"))}">'
                 "Berichte (HTML und PDF)</a></li>"]
        if principal.can_use_jupyterlab():
            lab = html.escape(url_path_join(hub_prefix, "user-redirect/lab"))
            links.append(f'<li><a href="{lab}">JupyterLab (eigener Server)</a></li>')
        links.append(f'<li><a href="{html.escape(url_path_join(self.base_url, "logout"))}">'
                     "Abmelden</a></li>")
        rights = ("Sie können Messwerte erfassen für: "
                  + ("alle Träger" if principal.writes_everywhere else
                     ", ".join(sorted(principal.writable_traeger())))
                  if principal.can_write_any() else "Sie können alles lesen, aber nichts ändern.")
        return (
            '<section aria-labelledby="wb-konto"><h2 id="wb-konto">Angemeldet als '
            f'<span data-testid="login">{html.escape(principal.login)}</span></h2>'
            f"<p>{html.escape(rights)}</p><p>Ihre Gruppen:</p><ul>{groups}</ul>"
            f"<ul>{''.join(links)}</ul></section>"
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


class AdmittingVoilaHandler(TornadoVoilaHandler):
    """Voila's page handler behind the kernel caps: past a cap the visitor gets 503 with
    ``Retry-After`` and a German page, and no kernel is started for the request.

    An admitted request holds a :class:`~workbench.dashboards.guard.Reservation` until its
    kernel is counted by ``WorkbenchKernelManager.kernel_usage``: when a pool kernel is popped
    for it (``should_use_rendered_notebook`` returned true, the pop follows synchronously) or
    when its own kernel start begins (``start_kernel``); at the latest when the request ends.
    """

    def initialize(self, **kwargs):
        self.max_kernels = kwargs.pop("max_kernels")
        self.max_kernels_per_dashboard = kwargs.pop("max_kernels_per_dashboard")
        self.retry_after = kwargs.pop("retry_after")
        self.reservation: Reservation | None = None
        super().initialize(**kwargs)

    async def prepare(self):
        result = super().prepare()
        if inspect.isawaitable(result):
            await result
        if self._finished or self.request.method != "GET":
            return
        notebook = self.path_args[0] if self.path_args else self.notebook_path
        principal = principal_of(self)
        if principal is not None and notebook == ERFASSUNG_NOTEBOOK \
                and not principal.can_write_any():
            self.set_status(403)
            self.set_header("Cache-Control", "no-store")
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            start = html.escape(self.base_url)
            self.finish(german_page(
                "Nur lesen",
                f"„{principal.login}“ darf keine Messwerte erfassen: dazu fehlt eine "
                "Redaktionsgruppe (traeger-…) oder „kreis-integration“.",
            ).replace("</p></body>",
                      f"</p><p><a href='{start}'>Zur Startseite</a></p></body>"))
            return
        usage = getattr(self.kernel_manager, "kernel_usage", None)
        if usage is None:
            return
        total, visitors = usage()
        if (self.max_kernels and total >= self.max_kernels) or (
            self.max_kernels_per_dashboard
            and visitors[notebook] >= self.max_kernels_per_dashboard
        ):
            self.log.warning(
                "Kernel-Obergrenze erreicht (%s Kernel, %s Besucher für %s): 503",
                total, visitors[notebook], notebook,
            )
            self.set_status(503)
            self.set_header("Retry-After", str(self.retry_after))
            self.set_header("Cache-Control", "no-store")
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.finish(busy_page(self.retry_after))
            return
        self.reservation = Reservation(self.kernel_manager.reservations, notebook)
        hold(self.reservation)

    def should_use_rendered_notebook(self, *args, **kwargs):
        use = super().should_use_rendered_notebook(*args, **kwargs)
        if use and self.reservation is not None:
            # The pool entry popped next (synchronously) is this visitor's kernel from now on;
            # one still starting is counted through the kernel manager's claimed tasks.
            km = self.kernel_manager
            pool = getattr(km, "_pools", {}).get(self.reservation.notebook) or []
            if pool and not pool[0].done() and hasattr(km, "claimed_pool_tasks"):
                km.claimed_pool_tasks[pool[0]] = self.reservation.notebook
            self.reservation.release()
        return use

    def on_finish(self) -> None:
        if self.reservation is not None:
            self.reservation.release()
        super().on_finish()


class ListeningApplication(tornado.web.Application):
    """Keeps the HTTP servers it listens with, so a stop can close the port first."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.http_servers: list = []

    def listen(self, *args, **kwargs):
        server = super().listen(*args, **kwargs)
        self.http_servers.append(server)
        return server


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
    public_names = List(
        Unicode(),
        config=True,
        help="Host names (or URLs) besides 127.0.0.1, localhost and [::1] under which the "
        "server may be reached, e.g. the name a reverse proxy forwards. Requests with another "
        "Host header, and websocket or state-changing requests with another Origin, get 403.",
    )
    max_kernels = Integer(
        40,
        config=True,
        help="Kernels at most, all dashboards together, pre-heated pool kernels included "
        "(about 200 MiB each: 40 = about 8 GiB). Past it a visitor gets 503. 0 = no cap.",
    )
    max_kernels_per_dashboard = Integer(
        20,
        config=True,
        help="Visitor kernels (open pages) at most per dashboard; pool kernels waiting for a "
        "visitor do not count. Past it a visitor gets 503. 0 = no cap.",
    )
    retry_after = Integer(
        30, config=True, help="Seconds in Retry-After (and the page's auto-reload) of a 503."
    )
    hub = Bool(
        False,
        config=True,
        help="Run as a JupyterHub service (workbench hub): every request is authenticated "
        "through the hub (OAuth), rights come from the hub groups, kernel messages carry the "
        "signed identity. Needs the JUPYTERHUB_* environment the hub gives its services.",
    )
    reports_dir = Unicode(
        "",
        config=True,
        help="Directory of the generated reports served under berichte/ (hub only; default: "
        "the output directory's berichte/).",
    )
    stop_grace = Float(
        3.0,
        config=True,
        help="Seconds kernel processes get after the shutdown on SIGTERM/SIGINT before they "
        "are killed.",
    )

    @default("dashboards")
    def _default_dashboards(self):
        return list_notebooks(Path(self.root_dir))

    def initialize(self, argv=None):
        # The `workbench` template is found through JUPYTER_PATH: the process was started
        # with server_environ() (see main()).
        super().initialize(argv)
        # Always: a browser's own "identity" in message metadata never reaches a kernel.
        self.kernel_websocket_connection_class = IdentityStampingConnection
        if self.hub:
            missing = missing_hub_environment()
            if missing:
                raise SystemExit(
                    "Dashboards als Hub-Dienst brauchen die Umgebung, die JupyterHub seinen "
                    f"Diensten gibt; es fehlt: {', '.join(missing)}. Start mit: workbench hub"
                )
            from jupyterhub.singleuser.extension import JupyterHubAuthorizer

            self.base_url = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
            self.identity_provider_class = WorkbenchHubIdentityProvider
            self.authorizer_class = JupyterHubAuthorizer
            if not self.reports_dir:
                from workbench import paths

                self.reports_dir = str(paths.output_dir() / "berichte")
        self.plotly_file, version, basic = dashboard_plotly_bundle()
        if not basic:
            self.log.warning(
                "plotly.js-Basisbündel passt nicht zur plotly-Version %s: die Dashboards laden "
                "das volle plotly.js (langsamer). Siehe docs/dashboards.md.", version
            )
        # Versioned URL: a browser never keeps an old bundle after an upgrade.
        self.plotly_url = f"workbench/assets/plotly/{version}/{self.plotly_file.name}"
        # Read by the page template (resources.workbench.plotly_js); Voila's renderer takes
        # extra resources from the config, so the configured ones (already parsed into the
        # trait) go back there with ours added.
        from workbench import region

        resources = {**self.voila_configuration.resources,
                     "workbench": {"plotly_js": self.plotly_url,
                                   # page titles and the banner's navigation (template)
                                   "area": region.kreis_name(region.default_kreis()),
                                   "titles": PAGE_TITLES,
                                   "nav": self.enabled_dashboards()}}
        self.voila_configuration.config.VoilaConfiguration.resources = resources

    def host_policy(self) -> HostPolicy:
        return HostPolicy(self.port, self.public_names)

    def start(self):
        # Voila.start, but with an Application that keeps its HTTP server (closed first on stop)
        self.connection_dir = tempfile.mkdtemp(prefix="voila_", dir=self.connection_dir_root)
        self.log.info("Storing connection files in %s.", self.connection_dir)
        settings = self.init_settings()
        self.app = ListeningApplication(**settings)
        self.app.settings.update(self.tornado_settings)
        self.app.add_handlers(".*$", self.init_handlers())
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle_signal_stop)
        self.listen()

    def stop(self):
        """Close the port, shut all kernels down, kill what is left after ``stop_grace``.

        Kernels run in their own sessions: a signal to the server's process group does not
        reach them, so they are tracked as children of this process (snapshot taken before
        the shutdown, while they are still children) and by the kernel manager's pids.
        """
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)  # a second signal must not cut this short
        for server in getattr(self.app, "http_servers", ()):
            server.stop()
        self.log.info("Dashboards werden beendet: Port %s geschlossen.", self.port)
        km = self.kernel_manager
        tracked = descendants(os.getpid())
        # pool refills still waiting to start a kernel: drop them instead of starting kernels
        pools = getattr(km, "_pools", {})
        for tasks in pools.values():
            for task in tasks:
                if not task.done():
                    task.cancel()
        if pools:
            # only ready pool kernels stay (registered, shut down with the others)
            km._pools = {nb: [t for t in tasks if t.done()] for nb, tasks in pools.items()}
        try:
            super().stop()
        except BaseException as exc:  # noqa: BLE001 – the kill below must still run
            self.log.warning("Kernel-Shutdown unvollständig: %r", exc)
        import psutil

        for pid in km.kernel_pids() if hasattr(km, "kernel_pids") else ():
            try:
                tracked.append(psutil.Process(pid))
            except psutil.Error:
                pass
        killed = reap(tracked + descendants(os.getpid()), self.stop_grace)
        if killed:
            self.log.warning("%d Kernel-Prozess(e) nach %s s beendet (SIGKILL).",
                             len(killed), self.stop_grace)
        self.log.info("Dashboards beendet.")

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
        if self.hub:
            # the XSRF cookie stays readable for the page's JavaScript, but off cross-site
            # requests (the hub's own cookies are HttpOnly and SameSite=Lax, see hub.config)
            settings["xsrf_cookie_kwargs"] = {"samesite": "Lax"}
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
                {"base_url": self.base_url, "dashboards": self.enabled_dashboards(),
                 "hub": self.hub},
            )
            own.append((self.server_url, *start))
            own.append((url_path_join(self.server_url, r"/voila/tree(/.*)?"), *start))
        if self.hub:
            own.append((url_path_join(self.server_url, r"/berichte"),
                        tornado.web.RedirectHandler,
                        {"url": url_path_join(self.server_url, "berichte/")}))
            own.append((url_path_join(self.server_url, r"/berichte/(.*)"), ReportsHandler,
                        {"path": self.reports_dir, "default_filename": "index.html"}))
        else:
            own.append((url_path_join(self.server_url, r"/logout"), LogoutHandler,
                        {"base_url": self.base_url}))
        limits = {
            "max_kernels": self.max_kernels,
            "max_kernels_per_dashboard": self.max_kernels_per_dashboard,
            "retry_after": self.retry_after,
        }
        replaced = []
        for h in handlers:
            if h[1] is VoilaShutdownKernelHandler:
                h = (h[0], ShutdownOnUnloadHandler, *h[2:])
            elif h[1] is TornadoVoilaHandler:
                h = (h[0], AdmittingVoilaHandler, {**h[2], **limits})
            replaced.append(h)
        handlers = own + replaced
        if self.hub:
            # Voila adds the identity provider's handlers (/logout, /oauth_callback) without
            # its base URL; behind the hub's proxy they live under the service prefix.
            handlers = [(url_path_join(self.server_url, h[0]), *h[1:])
                        if isinstance(h[0], str) and not h[0].startswith(self.server_url)
                        else h for h in handlers]
            handlers = [h if exempt(h[0]) else (h[0], require_login(h[1]), *h[2:])
                        for h in handlers]
        policy = self.host_policy()
        # first rule: every request with a foreign Host (or Origin) ends here with 403
        guard = [(RefusedRequest(policy), ForbiddenHandler, {"policy": policy})]
        return guard + handlers


def main(argv: list[str] | None = None) -> None:
    """Run the server; started without :func:`server_environ` (``python -m
    workbench.dashboards.app`` by hand), the process replaces itself with one that has it."""
    argv = list(sys.argv[1:] if argv is None else argv)
    env = server_environ()
    if any(os.environ.get(name) != value for name, value in env.items()):
        os.execve(sys.executable, [sys.executable, "-m", "workbench.dashboards.app", *argv], env)
    WorkbenchVoila.launch_instance(argv)


if __name__ == "__main__":
    main()
