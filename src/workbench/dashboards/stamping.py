"""The kernel websocket that stamps every browser message with the signed identity.

See :mod:`workbench.identity` for the whole scheme. This connection class sits where
jupyter_server turns websocket frames into kernel messages: for each message from the browser
it removes any ``workbench_identity`` the browser put into the metadata and, under the hub,
puts in a token signed for the person logged in on this websocket.

The person is re-read from the hub (the user's OAuth token, no cache) when the last check is
older than ``identity_max_age`` seconds, so a group removed by an admin, a deleted user or a
logout takes effect with the next message after that. Messages are forwarded in order: they
pass through one queue per websocket.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from traitlets import Float

from workbench.access import Principal
from workbench.identity import IDENTITY_KEY_ENV, METADATA_KEY, sign

V1 = "v1.kernel.websocket.jupyter.org"


def restamp(ws_msg: str | bytes, protocol: str | None, token: str | None) -> str | bytes:
    """``ws_msg`` with ``metadata.workbench_identity`` replaced by ``token`` (removed when
    ``None``). Frames that cannot be parsed are passed on unchanged: jupyter_server rejects
    them itself, and without a valid token no write is possible anyway."""
    try:
        if protocol == V1 and isinstance(ws_msg, bytes):
            channel, parts = deserialize_msg_from_ws_v1(ws_msg)
            if len(parts) < 4:
                return ws_msg
            metadata = json.loads(parts[2] or b"{}")
            if not isinstance(metadata, dict):
                metadata = {}
            metadata.pop(METADATA_KEY, None)
            if token is not None:
                metadata[METADATA_KEY] = token
            parts = [*parts[:2], json.dumps(metadata).encode(), *parts[3:]]
            return serialize_msg_to_ws_v1(parts, channel)
        if isinstance(ws_msg, str):
            msg = json.loads(ws_msg)
            metadata = msg.get("metadata")
            if not isinstance(metadata, dict):
                metadata = {}
            metadata.pop(METADATA_KEY, None)
            if token is not None:
                metadata[METADATA_KEY] = token
            msg["metadata"] = metadata
            return json.dumps(msg)
    except (ValueError, TypeError, IndexError, UnicodeDecodeError):
        return ws_msg
    return ws_msg


class IdentityStampingConnection(ZMQChannelsWebsocketConnection):
    """ZMQ websocket connection that stamps the signed identity on every incoming message."""

    identity_max_age = Float(
        1.0,
        config=True,
        help="Seconds a person's groups read from the hub are used before they are read "
        "again (for the next message after that).",
    )

    def _hub_state(self) -> tuple[object, str | None, Principal | None]:
        handler = self.websocket_handler
        provider = getattr(handler, "identity_provider", None)
        hub_auth = getattr(provider, "hub_auth", None)
        user = getattr(handler, "current_user", None)
        hub_user = getattr(user, "hub_user", None)
        principal = Principal.from_hub_user(hub_user) if hub_user else None
        token = hub_auth.get_token(handler) if hub_auth is not None else None
        return hub_auth, token, principal

    def handle_incoming_message(self, incoming_msg: str) -> None:
        key = os.environ.get(IDENTITY_KEY_ENV, "")
        if not key:
            # no hub: nobody to stamp, but a browser's own "identity" never reaches a kernel
            super().handle_incoming_message(restamp(incoming_msg, self.subprotocol, None))
            return
        if not hasattr(self, "_stamp_queue"):
            self._hub_auth, self._token, self._principal = self._hub_state()
            self._checked_at = time.monotonic()
            self._stamp_queue: asyncio.Queue = asyncio.Queue()
            self._stamp_task = asyncio.ensure_future(self._forward(key))
        self._stamp_queue.put_nowait(incoming_msg)

    async def _refresh(self) -> None:
        if time.monotonic() - self._checked_at < self.identity_max_age:
            return
        self._checked_at = time.monotonic()
        if self._hub_auth is None or not self._token:
            self._principal = None
            return
        try:
            model = await self._hub_auth.user_for_token(self._token, use_cache=False,
                                                        sync=False)
        except Exception as exc:  # noqa: BLE001 - hub unreachable: no identity, no writes
            self.log.warning("Anmeldung beim Hub nicht prüfbar: %r", exc)
            model = None
        if model is None or model.get("kind", "user") != "user":
            if self._principal is not None:
                self.log.info("Anmeldung von %s nicht mehr gültig", self._principal.login)
            self._principal = None
        else:
            self._principal = Principal.from_hub_user(model)

    async def _forward(self, key: str) -> None:
        while True:
            msg = await self._stamp_queue.get()
            try:
                await self._refresh()
                token = (sign(self._principal, self.kernel_id, key)
                         if self._principal is not None else None)
                if self.channels:  # still connected
                    super().handle_incoming_message(restamp(msg, self.subprotocol, token))
            except Exception:  # noqa: BLE001 - one bad frame must not stop the queue
                self.log.exception("Nachricht an den Kernel nicht weitergegeben")

    def disconnect(self) -> None:
        task = getattr(self, "_stamp_task", None)
        if task is not None:
            task.cancel()
        super().disconnect()
