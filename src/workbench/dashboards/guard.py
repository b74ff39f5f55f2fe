"""Service hardening of the dashboard server (issue 10).

* :class:`HostPolicy` – the Host/Origin allow-list checked for *every* request (pages, static
  files, API, kernel websocket, the unload beacon) by :class:`RefusedRequest`, a routing rule
  placed before all handlers. Without it any ``Host`` is served, so a foreign web page can
  rebind its DNS name to 127.0.0.1 and drive the dashboards (including the entry form).
* :class:`Reservation` / :func:`current_reservation` – a visitor admitted under the kernel caps
  holds a reservation until its kernel is counted by the kernel manager (see
  ``app.WorkbenchKernelManager.kernel_usage``), so a burst of requests cannot overshoot.
* German refusal pages (403, 503) and :func:`reap` (terminate, grace, kill) used when the
  server stops.
"""

from __future__ import annotations

import contextvars
import html
import urllib.parse
from collections.abc import Iterable, Sequence

import tornado.routing
import tornado.web
from tornado.httputil import HTTPServerRequest, split_host_and_port
from tornado.log import app_log

LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
# URL prefixes (below the base URL) of static files: code, fonts, styles – no data. Used for
# the cache headers (app) and the hub login's cache and CORS handling (hubauth).
STATIC_PREFIXES = (
    "/voila/static/",
    "/voila/templates/",
    "/voila/labextensions/",
    "/voila/api/themes/",
    "/workbench/assets/",
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TEXT = "Zu viele gleichzeitige Nutzer – bitte gleich erneut versuchen."


def _host_port(value: str, default_port: int) -> tuple[str, int]:
    host, port = split_host_and_port(value.strip().lower())
    return host.rstrip("."), port or default_port


class HostPolicy:
    """Which ``Host`` and ``Origin`` values the server answers.

    Allowed: 127.0.0.1, localhost and [::1] with the server's port, and each public name.
    A public name without a port (``dashboards.example.de``) is allowed on ports 80 and 443
    (behind a reverse proxy) and on the server's port; ``name:port`` only on that port. A
    public name may also be given as a URL (``https://dashboards.example.de``).
    """

    def __init__(self, port: int, public_names: Iterable[str] = ()) -> None:
        self.port = port
        self.allowed: set[tuple[str, int]] = {(name, port) for name in LOCAL_HOSTS}
        for entry in public_names:
            entry = entry.strip()
            if not entry:
                continue
            if "://" in entry:
                entry = urllib.parse.urlsplit(entry).netloc
            host, explicit = split_host_and_port(entry.lower())
            host = host.rstrip(".")
            if explicit:
                self.allowed.add((host, explicit))
            else:
                self.allowed.update({(host, 80), (host, 443), (host, port)})

    def host_allowed(self, host: str) -> bool:
        return _host_port(host, 80) in self.allowed

    def origin_allowed(self, origin: str) -> bool:
        parts = urllib.parse.urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False  # includes the opaque origin "null"
        return _host_port(parts.netloc, 443 if parts.scheme == "https" else 80) in self.allowed

    def refusal(self, request: HTTPServerRequest) -> str | None:
        """``None`` if the request may pass, else the German reason for the 403 page."""
        if not self.host_allowed(request.host):
            return "Diese Adresse ist für die Dashboards nicht freigegeben."
        origin = request.headers.get("Origin")
        websocket = request.headers.get("Upgrade", "").lower() == "websocket"
        if origin is not None and (websocket or request.method not in SAFE_METHODS):
            if not self.origin_allowed(origin):
                return "Anfragen von fremden Webseiten werden abgelehnt."
        return None


class RefusedRequest(tornado.routing.Matcher):
    """Routing rule matching every request the policy refuses (first rule of the app)."""

    def __init__(self, policy: HostPolicy) -> None:
        self.policy = policy

    def match(self, request: HTTPServerRequest) -> dict | None:
        reason = self.policy.refusal(request)
        if reason is None:
            return None
        app_log.warning(
            "Abgelehnt (403): %s %s, Host %r, Origin %r", request.method, request.path,
            request.host, request.headers.get("Origin"),
        )
        return {"path_kwargs": {}, "path_args": []}


def german_page(title: str, text: str, extra_head: str = "") -> str:
    return (
        "<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} – Integrationsmonitoring</title>{extra_head}"
        "<style>body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:18px;"
        "margin:3em auto;max-width:50em;line-height:1.6}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )


class ForbiddenHandler(tornado.web.RequestHandler):
    """403 with a German page, for any method (target of :class:`RefusedRequest`)."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")

    def initialize(self, policy: HostPolicy) -> None:
        self.policy = policy

    def check_xsrf_cookie(self) -> None:
        pass  # refused anyway, with the German page below

    def prepare(self) -> None:
        reason = self.policy.refusal(self.request) or "Zugriff verweigert."
        self.set_status(403)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(german_page("Zugriff verweigert", reason))


def busy_page(retry_after: int) -> str:
    # the page retries by itself; no kernel is started for it
    return german_page(
        "Zu viele gleichzeitige Nutzer", BUSY_TEXT,
        extra_head=f"<meta http-equiv='refresh' content='{int(retry_after)}'>",
    )


class LogoutHandler(tornado.web.RequestHandler):
    """There is no login (yet): ``/logout`` says so in German instead of failing with 500."""

    def initialize(self, base_url: str) -> None:
        self.base_url = base_url

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        start = html.escape(self.base_url)
        self.finish(
            german_page("Abgemeldet", "Sie sind abgemeldet.").replace(
                "</p></body>", f"</p><p><a href='{start}'>Zur Startseite</a></p></body>"
            )
        )


# ---- kernel caps ---------------------------------------------------------------------------
class Reservation:
    """One admitted visitor whose kernel is not yet counted by the kernel manager."""

    def __init__(self, owner: set[Reservation], notebook: str) -> None:
        self.owner = owner
        self.notebook = notebook
        owner.add(self)

    def release(self) -> None:
        self.owner.discard(self)


_RESERVATION: contextvars.ContextVar[Reservation | None] = contextvars.ContextVar(
    "workbench_kernel_reservation", default=None
)


def current_reservation() -> Reservation | None:
    """The reservation of the request being handled in this task (``None`` elsewhere)."""
    return _RESERVATION.get()


def hold(reservation: Reservation) -> None:
    _RESERVATION.set(reservation)


# ---- stopping ------------------------------------------------------------------------------
def descendants(pid: int) -> list:
    """All live descendants of ``pid`` (``psutil.Process`` objects; kernels run in their own
    sessions, so a process-group signal does not reach them)."""
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def reap(processes: Sequence, grace: float) -> list:
    """SIGTERM ``processes``, wait up to ``grace`` seconds, SIGKILL the rest; return the ones
    that had to be killed. PID reuse is safe: psutil checks the process start time."""
    import psutil

    alive = [p for p in processes if p.is_running()]
    for p in alive:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, left = psutil.wait_procs(alive, timeout=grace)
    for p in left:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=2)
    return left
