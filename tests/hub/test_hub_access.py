"""``workbench hub`` over HTTP: nothing without login, each role sees what it may (issue 13).

A real JupyterHub with configurable-http-proxy and the dashboards service (conftest); the
requests go through the proxy like a browser's.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from workbench.hub.users import remove_groups, remove_user

from .conftest import SERVICE, RunningHub, wait_until

pytestmark = pytest.mark.slow

PROTECTED = [
    "/hub/home",
    "/hub/api/users",
    "/hub/admin",
    SERVICE,
    f"{SERVICE}voila/render/handlungsfelder.ipynb",
    f"{SERVICE}voila/render/messwerte_erfassen.ipynb",
    f"{SERVICE}voila/tree",
    f"{SERVICE}berichte/",
    f"{SERVICE}berichte/index.html",
    f"{SERVICE}berichte/sachsenheim.html",
    f"{SERVICE}api/kernels",
    f"{SERVICE}api/kernels/00000000-0000-0000-0000-000000000000",
    f"{SERVICE}voila/files/handlungsfelder.ipynb",
    f"{SERVICE}voila/static/voila.js",
    f"{SERVICE}workbench/assets/fontawesome/css/all.min.css",
    "/user/a.nalyst/lab",
    "/user/a.nalyst/api/contents",
]


def is_login_page(response: requests.Response) -> bool:
    return response.status_code in (200, 403) and 'name="password"' in response.text


@pytest.mark.parametrize("path", PROTECTED)
def test_nothing_without_login(hub: RunningHub, path: str):
    response = requests.get(f"{hub.url}{path}", timeout=30)
    # either the hub's login page (after redirects) or a refusal – never content
    assert is_login_page(response) or response.status_code in (401, 403, 404), (
        path, response.status_code, response.text[:300])
    assert "Integrationsbericht" not in response.text and "Angemeldet als" not in response.text
    assert "kernel" not in response.text.lower() or response.status_code != 200


def test_websocket_without_login_is_refused(hub: RunningHub):
    # the kernel channel of any kernel id: 403 before any kernel is looked up
    url = f"{hub.url}{SERVICE}api/kernels/00000000-0000-0000-0000-000000000000/channels"
    response = requests.get(url, timeout=30, headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": hub.url})
    assert response.status_code in (302, 401, 403) or is_login_page(response)
    assert response.status_code != 101


def test_wrong_password_is_refused(hub: RunningHub):
    session = hub.login("e.mueller", "falsch-falsch-falsch")
    assert is_login_page(session.last_response)  # type: ignore[attr-defined]
    assert "jupyterhub-hub-login" not in session.cookies


def start_page(session: requests.Session, hub: RunningHub) -> str:
    response = session.get(f"{hub.url}{SERVICE}", timeout=30)
    assert response.status_code == 200, response.text[:300]
    return response.text


def test_manager_reads_everything_and_has_no_entry_form(hub: RunningHub):
    session = hub.login("l.chef")
    page = start_page(session, hub)
    assert 'data-testid="login">l.chef<' in page
    assert "nichts ändern" in page and "Messwerte erfassen" not in page
    assert "JupyterLab" not in page
    form = session.get(f"{hub.url}{SERVICE}voila/render/messwerte_erfassen.ipynb", timeout=60)
    assert form.status_code == 403 and "darf keine Messwerte erfassen" in form.text
    assert f"href='{SERVICE}'>Zur Startseite" in form.text
    report = session.get(f"{hub.url}{SERVICE}berichte/sachsenheim.html", timeout=30)
    assert report.status_code == 200 and "Integrationsbericht Sachsenheim" in report.text
    assert "private" in report.headers["Cache-Control"]
    index = session.get(f"{hub.url}{SERVICE}berichte/", timeout=30)
    assert index.status_code == 200 and "Berichte 2025" in index.text
    # no JupyterLab for Leitung: the hub refuses to start a server
    spawn = session.get(f"{hub.url}/hub/spawn", timeout=30)
    assert spawn.status_code == 403 or "/user/l.chef/" not in spawn.url


def test_editor_sees_the_entry_form_and_only_their_traeger_as_writable(hub: RunningHub):
    session = hub.login("e.mueller")
    page = start_page(session, hub)
    assert "Messwerte erfassen" in page and "für: sachsenheim" in page
    form = session.get(f"{hub.url}{SERVICE}voila/render/messwerte_erfassen.ipynb", timeout=90)
    assert form.status_code == 200, form.text[:300]
    assert "<title>Messwerte erfassen" in form.text
    assert "application/vnd.jupyter.widget-view+json" in form.text


def test_kreis_and_analyse_get_jupyterlab_links(hub: RunningHub):
    for user in ("k.koordi", "a.nalyst"):
        page = start_page(hub.login(user), hub)
        assert "JupyterLab (eigener Server)" in page, user


def test_session_cookies_are_httponly_and_samesite(hub: RunningHub):
    session = hub.login("l.chef")
    session.get(f"{hub.url}{SERVICE}", timeout=30)
    cookies = {c.name: c for c in session.cookies}
    for name in ("jupyterhub-hub-login", "jupyterhub-session-id", "service-dashboards"):
        assert name in cookies, sorted(cookies)
        rest = {k.lower(): v for k, v in cookies[name]._rest.items()}
        assert "httponly" in rest, name
        assert rest.get("samesite", "").lower() in ("lax", "strict"), name


def test_state_changing_requests_need_the_xsrf_token(hub: RunningHub):
    session = hub.login("k.koordi")
    page = session.get(f"{hub.url}{SERVICE}voila/render/handlungsfelder.ipynb", timeout=90)
    kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page.text)
    assert kernel, page.text[:500]
    # shut the visitor's kernel down through the service's API without the XSRF token
    url = f"{hub.url}{SERVICE}api/kernels/{kernel.group(1)}"
    response = session.delete(url, timeout=30, headers={"Origin": hub.url})
    assert response.status_code == 403
    assert session.get(url, timeout=30).status_code == 200  # still running
    # the hub's own forms too
    login = requests.post(f"{hub.url}/hub/login", timeout=30,
                          data={"username": "k.koordi", "password": "x"})
    assert login.status_code == 403


def test_logout_ends_access(hub: RunningHub):
    session = hub.login("e.mueller")
    assert "Angemeldet als" in start_page(session, hub)
    out = session.get(f"{hub.url}{SERVICE}logout", timeout=30)
    assert out.status_code == 200
    after = session.get(f"{hub.url}{SERVICE}", timeout=30)
    assert is_login_page(after) and "Angemeldet als" not in after.text


def test_group_removed_means_the_right_is_gone_at_the_next_request(hub: RunningHub):
    session = hub.login("t.weg")
    assert "für: sachsenheim" in start_page(session, hub)
    remove_groups(hub.users_file, "t.weg", ["traeger-sachsenheim"])
    time.sleep(1.5)  # the authenticator re-reads the file at most once a second
    page = start_page(session, hub)
    assert "nichts ändern" in page and "Messwerte erfassen" not in page
    form = session.get(f"{hub.url}{SERVICE}voila/render/messwerte_erfassen.ipynb", timeout=60)
    assert form.status_code == 403


def test_user_removed_is_logged_out_at_the_next_request(hub: RunningHub):
    session = hub.login("x.raus")
    assert "Angemeldet als" in start_page(session, hub)
    remove_user(hub.users_file, "x.raus")
    time.sleep(1.5)
    after = session.get(f"{hub.url}{SERVICE}", timeout=30)
    assert "Angemeldet als" not in after.text
    assert after.status_code in (401, 403) or is_login_page(after), after.status_code


def test_analyst_gets_an_own_jupyterlab_with_their_identity(hub: RunningHub):
    session = hub.login("a.nalyst")
    lab = session.get(f"{hub.url}/hub/spawn", timeout=180)
    # the browser's way in: the lab page (OAuth with the hub sets the server's cookie)
    wait_until(lambda: (r := session.get(f"{hub.url}/user/a.nalyst/lab", timeout=30)).ok
               and "/user/a.nalyst/lab" in r.url, 120, "JupyterLab von a.nalyst", hub)
    assert session.get(f"{hub.url}/user/a.nalyst/api/status", timeout=30).ok
    found = [p for p in hub.processes() if "jupyterhub-singleuser" in " ".join(p.cmdline())]
    assert found, lab.url
    env = found[0].environ()
    assert env["WORKBENCH_PRINCIPAL_LOGIN"] == "a.nalyst"
    assert env["WORKBENCH_PRINCIPAL_GROUPS"] == "analyse"
    assert env["WORKBENCH_REQUIRE_LOGIN"] == "1"
    assert "WORKBENCH_IDENTITY_KEY" not in env  # only the dashboards service signs
    # another user cannot use it
    other = hub.login("k.koordi")
    foreign = other.get(f"{hub.url}/user/a.nalyst/api/contents", timeout=30)
    assert foreign.status_code in (403, 404) or is_login_page(foreign) or \
        re.search(r"/user/k\.koordi/", foreign.url)


def test_kernel_query_socket_needs_login_from_a_browser(hub: RunningHub):
    # Voila's query-string websocket: open for the server's own kernels (no Origin header),
    # not for a browser that is not logged in.
    url = f"{hub.url}{SERVICE}voila/query/00000000-0000-0000-0000-000000000000"
    response = requests.get(url, timeout=30, allow_redirects=False, headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": hub.url})
    assert response.status_code in (302, 403), response.status_code
