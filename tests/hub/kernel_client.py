"""A minimal Jupyter kernel-websocket client, to send what a crafted browser could send.

Speaks the JSON ("legacy") websocket protocol of jupyter_server and the ipywidgets comm
protocol: fetch all widget states, set widget values, click buttons – exactly the messages
the Voila page would send, but written by hand, with any metadata.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

CONTROL_TARGET = "jupyter.widget.control"
CONTROL_VERSION = "1.0.0"  # ipywidgets 8's control protocol


def kernel_id_of(page_html: str) -> str:
    match = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page_html)
    assert match, page_html[:500]
    return match.group(1)


class KernelSocket:
    def __init__(self, ws, session_id: str):
        self.ws = ws
        self.session = session_id

    @classmethod
    async def open(cls, hub_url: str, service: str, kernel_id: str,
                   session: requests.Session) -> KernelSocket:
        session_id = uuid.uuid4().hex
        ws_url = hub_url.replace("http://", "ws://") + (
            f"{service}api/kernels/{kernel_id}/channels?session_id={session_id}")
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        request = HTTPRequest(ws_url, headers={"Cookie": cookie, "Origin": hub_url})
        ws = await websocket_connect(request)
        return cls(ws, session_id)

    def send(self, msg_type: str, content: dict, metadata: dict | None = None) -> str:
        msg_id = uuid.uuid4().hex
        self.ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": "", "session": self.session,
                       "msg_type": msg_type, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": metadata or {}, "content": content,
            "channel": "shell", "buffers": [],
        }))
        return msg_id

    async def receive(self, timeout: float) -> dict[str, Any] | None:
        try:
            raw = await asyncio.wait_for(self.ws.read_message(), timeout)
        except TimeoutError:
            return None
        if raw is None:
            raise ConnectionError("Websocket geschlossen")
        return json.loads(raw)

    async def widget_states(self, timeout: float = 30) -> dict[str, dict]:
        """All widget models of the kernel: ``{model_id: state}`` (ipywidgets' control comm)."""
        comm_id = uuid.uuid4().hex
        self.send("comm_open", {"comm_id": comm_id, "target_name": CONTROL_TARGET,
                                "data": {}}, {"version": CONTROL_VERSION})
        self.send("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            msg = await self.receive(deadline - loop.time())
            if msg and msg["msg_type"] == "comm_msg" and \
                    msg["content"].get("comm_id") == comm_id:
                data = msg["content"]["data"]
                if data.get("method") == "update_states":
                    return {mid: s["state"] for mid, s in data["states"].items()}
        raise TimeoutError("keine Widget-Zustände vom Kernel")

    def update(self, model_id: str, state: dict, metadata: dict | None = None) -> None:
        self.send("comm_msg", {"comm_id": model_id, "data": {
            "method": "update", "state": state, "buffer_paths": []}}, metadata)

    def click(self, model_id: str, metadata: dict | None = None) -> None:
        self.send("comm_msg", {"comm_id": model_id, "data": {
            "method": "custom", "content": {"event": "click"}}}, metadata)

    async def drain(self, seconds: float) -> list[dict]:
        out = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            msg = await self.receive(deadline - loop.time())
            if msg:
                out.append(msg)
        return out

    def close(self) -> None:
        self.ws.close()


def find(states: dict[str, dict], model: str, **expected) -> str:
    """The model id of the one widget of class ``model`` whose state matches ``expected``."""
    hits = [mid for mid, s in states.items() if s.get("_model_name") == model
            and all(s.get(k) == v for k, v in expected.items())]
    assert len(hits) == 1, (model, expected, len(hits))
    return hits[0]
