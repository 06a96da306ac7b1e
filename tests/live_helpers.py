"""Websocket helpers shared by the live-event tests and the leak canary."""

from __future__ import annotations

import json
from typing import Any

from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client as HttpClient


class WebsocketCommunicator(ApplicationCommunicator):
    """A websocket client for an ASGI app, in-process.

    (channels.testing has one, but importing that package needs daphne, which casedesk does
    not use; this is the few lines we need.)
    """

    def __init__(self, application: Any, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        scope = {
            "type": "websocket",
            "path": path,
            "query_string": b"",
            "headers": headers,
            "subprotocols": [],
        }
        super().__init__(application, scope)

    async def connect(self, timeout: float = 5) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, response.get("subprotocol")

    async def send_json_to(self, data: Any) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json_from(self, timeout: float = 5) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 5) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


def ws_headers(http: HttpClient | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if http is not None and settings.SESSION_COOKIE_NAME in http.cookies:
        cookie = http.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return headers


async def open_socket(http: HttpClient | None) -> tuple[WebsocketCommunicator, bool]:
    from casedesk.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/live/", headers=ws_headers(http))
    connected, _ = await communicator.connect()
    if connected:
        hello = await communicator.receive_json_from(timeout=5)
        assert hello["event"] == "hello"
    return communicator, connected


async def subscribe(communicator: WebsocketCommunicator, case_id: int) -> dict[str, Any]:
    await communicator.send_json_to({"type": "subscribe", "case": case_id})
    return dict(await communicator.receive_json_from(timeout=5))


async def collect(communicator: WebsocketCommunicator, quiet: float = 0.3) -> list[dict[str, Any]]:
    """Every event that arrives until the socket has been quiet for ``quiet`` seconds."""
    events: list[dict[str, Any]] = []
    while not await communicator.receive_nothing(timeout=quiet):
        events.append(await communicator.receive_json_from(timeout=5))
    return events
