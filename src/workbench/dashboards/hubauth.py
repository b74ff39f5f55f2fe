"""The dashboards as a JupyterHub service: login through the hub on every request (issue 13).

With ``--WorkbenchVoila.hub=True`` (set by ``workbench hub`` for its managed service) the
server authenticates with JupyterHub's OAuth (``jupyterhub.services.auth.HubOAuth``, the
same identity provider a single-user JupyterLab uses):

* every handler asks the hub who is logged in – jupyter_server's own handlers (pages, kernel
  API, kernel websocket) through the identity provider, all other handlers (static assets,
  start page, reports) through :func:`require_login`; unknown visitors are redirected to the
  hub's login (GET) or get 403 (anything else, websockets included);
* the person's groups are the hub's groups; the rights they give are in
  :mod:`workbench.access` and enforced by the store;
* the kernel websocket stamps every message with the signed identity
  (:mod:`workbench.dashboards.stamping`).

Exempt: the OAuth callback (it completes the login). Voila's ``/voila/query/<kernel>``
websocket, which the server's own pre-heated kernels open (from this machine, with a Python
client) to learn the query string of the page they are handed to, needs no login only when it
carries no ``Origin`` header – every browser sends one on a websocket, so a browser always has
to be logged in there, too.
"""

from __future__ import annotations

import contextvars
import inspect
import os

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyterhub.services.auth import HubOAuth
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider
from traitlets import default

from workbench.access import Principal, is_workbench_group
from workbench.dashboards.guard import STATIC_PREFIXES, german_page

HUB_ENV = ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_API_URL")
EXEMPT_SUFFIXES = ("/oauth_callback",)
KERNEL_QUERY = "/voila/query/"


# Static assets (code, fonts, styles – no data) may use the hub's answer of the last
# ASSET_CACHE_SECONDS; every other request asks the hub again, so a removed group or user
# takes effect at the next page, API call or websocket.
ASSET_CACHE_SECONDS = 60
_CACHE_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "workbench_hub_cache_allowed", default=False)


class WorkbenchHubOAuth(HubOAuth):
    """HubOAuth that uses its cache of user models only for static assets."""

    @default("cache_max_age")
    def _default_cache_max_age(self) -> int:
        return ASSET_CACHE_SECONDS

    def user_for_token(self, token, use_cache=True, session_id="", *, sync=True):
        return super().user_for_token(token, use_cache and _CACHE_ALLOWED.get(),
                                      session_id, sync=sync)


class WorkbenchHubIdentityProvider(JupyterHubIdentityProvider):
    """JupyterHub's OAuth identity provider (the hub user model is kept on the handler as
    ``handler.current_user.hub_user``), plus: a hub user in no workbench group gets 403 –
    the hub's scope check already requires the dashboards' access scope, this is the second
    lock in case an admin gives that scope to everyone."""

    @default("hub_auth")
    def _default_hub_auth(self):
        return WorkbenchHubOAuth(parent=self)

    async def get_user(self, handler):
        path = handler.request.path
        asset = any(part in path for part in STATIC_PREFIXES)
        _CACHE_ALLOWED.set(asset)
        if asset and handler.request.method in ("GET", "HEAD") and \
                handler.request.headers.get("Sec-Fetch-Site", "same-origin") == "same-origin":
            # Browsers fetch fonts (and module chunks) in CORS mode; JupyterHub then wants an
            # XSRF token before it accepts the login cookie, which a font request cannot send
            # – the icons would be missing. Reading our own static code from our own page
            # needs no XSRF protection (nothing changes, nothing of a person is read); the
            # login is still required. This is the flag JupyterHub's check looks at.
            handler._token_authenticated = True
        user = await super().get_user(handler)
        hub_user = getattr(user, "hub_user", None)
        if hub_user is not None and not any(
                is_workbench_group(g) for g in hub_user.get("groups") or ()):
            self.log.warning("%s ist in keiner Workbench-Gruppe: 403", hub_user.get("name"))

            def refuse(*args, **kwargs):
                raise tornado.web.HTTPError(403, "Keiner Workbench-Gruppe zugeordnet")

            handler.redirect = refuse
            handler._jupyterhub_user = None
            return None
        return user


def missing_hub_environment(environ: dict[str, str] | None = None) -> list[str]:
    env = os.environ if environ is None else environ
    return [name for name in HUB_ENV if not env.get(name)]


def principal_of(handler: tornado.web.RequestHandler) -> Principal | None:
    """The logged-in person of a request (after :func:`require_login` / the identity
    provider ran), ``None`` without the hub."""
    user = getattr(handler, "_jupyterhub_user", None) or getattr(handler, "current_user", None)
    hub_user = getattr(user, "hub_user", None)
    return Principal.from_hub_user(hub_user) if hub_user else None


class _LoginRequired:
    """Mixin for plain tornado handlers: ask the hub first; no login, no content."""

    async def prepare(self):  # type: ignore[override]
        handler: tornado.web.RequestHandler = self  # type: ignore[assignment]
        provider = handler.settings.get("identity_provider")
        user = None
        if provider is not None:
            user = await provider.get_user(handler)
        if user is None:
            websocket = handler.request.headers.get("Upgrade", "").lower() == "websocket"
            if websocket and KERNEL_QUERY in handler.request.path \
                    and "Origin" not in handler.request.headers:
                # a pre-heated kernel asking for its page's query string (see module doc)
                result = super().prepare()  # type: ignore[misc]
                if inspect.isawaitable(result):
                    await result
                return
            if handler.request.method in ("GET", "HEAD") and not websocket:
                # the identity provider patched get_login_url: the hub's OAuth URL with state
                handler.redirect(handler.get_login_url())
                return
            raise tornado.web.HTTPError(403)
        handler.current_user = user
        result = super().prepare()  # type: ignore[misc]
        if inspect.isawaitable(result):
            await result


def require_login(cls: type) -> type:
    """``cls`` itself if jupyter_server already authenticates it, else a subclass that does."""
    if issubclass(cls, JupyterHandler) or issubclass(cls, _LoginRequired):
        return cls
    return type(cls.__name__, (_LoginRequired, cls), {"__doc__": cls.__doc__})


def exempt(pattern: str) -> bool:
    return any(part in pattern for part in EXEMPT_SUFFIXES)


class ReportsHandler(tornado.web.StaticFileHandler):
    """The generated reports (``output/berichte``: index, HTML, PDF) behind the hub login.

    Every logged-in role may read every report (Leitung reads all; a Redaktion may do
    everything Leitung may), so nothing is filtered. No directory listings; a missing
    directory gets a German page saying how to create the reports.
    """

    def set_extra_headers(self, path: str) -> None:
        # reports hold unpublished observation values: not for shared caches
        self.set_header("Cache-Control", "private, no-cache")

    async def get(self, path: str, include_body: bool = True) -> None:
        if not os.path.isdir(self.root):
            self.set_status(404)
            self.set_header("Cache-Control", "no-store")
            self.finish(german_page(
                "Noch keine Berichte",
                "Auf diesem Server wurden noch keine Berichte erzeugt (workbench reports).",
            ))
            return
        await super().get(path, include_body)
