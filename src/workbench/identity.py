"""How the logged-in person reaches a shared dashboard kernel (issue 13).

Dashboard kernels are started and run their notebook *before* anyone is known (pre-heated
pool), and no code from the browser ever runs in them. So the identity cannot be set once per
kernel; it travels with every message instead:

1. The dashboard server (a JupyterHub service) knows the person of each websocket: the hub
   checked their login (OAuth). For every message a browser sends to a kernel, the server
   *overwrites* ``metadata["workbench_identity"]`` with a token it signs itself
   (:func:`sign`: login, groups, kernel id, expiry; HMAC-SHA256 with the per-deployment key in
   ``WORKBENCH_IDENTITY_KEY``, which the browser never sees). Whatever a browser put there is
   discarded (``dashboards.stamping``).
2. The server forwards the message to the kernel signed with the kernel's own Jupyter session
   key, as every Jupyter message is.
3. When a widget callback writes, :func:`current_principal` reads the token of the message
   being handled (``kernel.get_parent()``), checks signature, kernel id and expiry and gives
   the :class:`~workbench.access.Principal` to the store, which checks the rights
   (:meth:`~workbench.store.ObservationStore.authorize`). No valid token under the hub: no
   principal, and the store refuses the write and audits it.

A token copied from one kernel is useless in another (kernel id), and after ``TOKEN_TTL``
seconds. Without the hub (``workbench dashboards`` for one person) there is no login and the
single local user writes (:func:`workbench.access.local_principal`).

Example::

    >>> from workbench.access import Principal
    >>> token = sign(Principal("e.mueller", frozenset({"traeger-sachsenheim"})), "k1", "s3cret")
    >>> verify(token, "k1", "s3cret").login
    'e.mueller'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

from workbench.access import Principal, ambient_principal, local_principal, login_required
from workbench.settings import IDENTITY_KEY_ENV

METADATA_KEY = "workbench_identity"
# Seconds a stamped token is valid; messages are stamped when they pass the server, and a
# widget callback runs right after, so this only needs to cover a slow kernel.
TOKEN_TTL = 120


class IdentityError(ValueError):
    """A token that is missing, malformed, forged, for another kernel or expired."""


def new_key() -> str:
    """A fresh random signing key (64 hex digits)."""
    return secrets.token_hex(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: str, payload: str) -> str:
    return hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()


def sign(principal: Principal, kernel_id: str, key: str, *, now: float | None = None,
         ttl: int = TOKEN_TTL) -> str:
    """``<payload>.<hmac>`` for ``principal`` in kernel ``kernel_id``, valid ``ttl`` seconds."""
    if not key:
        raise IdentityError("kein Signaturschlüssel")
    now = time.time() if now is None else now
    payload = _b64(json.dumps({
        "login": principal.login,
        "groups": sorted(principal.groups),
        "kernel": kernel_id,
        "exp": int(now) + ttl,
    }, separators=(",", ":")).encode())
    return f"{payload}.{_mac(key, payload)}"


def verify(token: object, kernel_id: str, key: str, *, now: float | None = None) -> Principal:
    """The principal of a token made by :func:`sign`; :class:`IdentityError` otherwise."""
    if not key:
        raise IdentityError("kein Signaturschlüssel")
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 8192:
        raise IdentityError("kein Anmeldenachweis")
    payload, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(key, payload)):
        raise IdentityError("Anmeldenachweis ungültig (Signatur)")
    try:
        data = json.loads(_unb64(payload))
        login, groups, kernel, exp = data["login"], data["groups"], data["kernel"], data["exp"]
    except (ValueError, KeyError, TypeError) as exc:
        raise IdentityError("Anmeldenachweis unlesbar") from exc
    if kernel != kernel_id:
        raise IdentityError("Anmeldenachweis gilt für einen anderen Kernel")
    if (time.time() if now is None else now) > exp:
        raise IdentityError("Anmeldenachweis abgelaufen")
    return Principal(str(login), frozenset(str(g) for g in groups))


def this_kernel_id() -> str | None:
    """The id of the kernel this code runs in (from its connection file ``kernel-<id>.json``,
    the name jupyter_server gives it); ``None`` outside a kernel."""
    try:
        from ipykernel.connect import get_connection_file

        name = Path(get_connection_file()).name
    except Exception:  # noqa: BLE001 - not in a kernel
        return None
    if name.startswith("kernel-") and name.endswith(".json"):
        return name[len("kernel-"):-len(".json")]
    return None


def current_message_token() -> object:
    """``metadata["workbench_identity"]`` of the message the kernel is handling now."""
    try:
        from IPython import get_ipython

        kernel = get_ipython().kernel  # type: ignore[union-attr]
        parent = kernel.get_parent("shell") or {}
    except Exception:  # noqa: BLE001 - not in a kernel
        return None
    return (parent.get("metadata") or {}).get(METADATA_KEY)


def current_principal() -> Principal | None:
    """Who is acting in this process right now.

    Without the hub: the single local user. Under the hub: the hub user a JupyterLab server
    was started for (:func:`workbench.access.ambient_principal`), or in a dashboard kernel the
    verified token of the message being handled; ``None`` when there is none (the store then
    refuses writes).
    """
    if not login_required():
        return ambient_principal() or local_principal()
    ambient = ambient_principal()
    if ambient is not None:
        return ambient
    key = os.environ.get(IDENTITY_KEY_ENV, "")
    kernel_id = this_kernel_id()
    if not key or kernel_id is None:
        return None
    try:
        return verify(current_message_token(), kernel_id, key)
    except IdentityError:
        return None
