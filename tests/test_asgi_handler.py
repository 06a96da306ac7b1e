"""The one-hop ASGI handler (``casedesk.asgi.SyncChainASGIHandler``), a known exception to "public
APIs only" (DEVELOPERS.md): it overrides two methods of Django's ``ASGIHandler``. These tests hold
it to the stock handler's public behaviour and check the one thing it exists for, that the whole
synchronous middleware chain and the view run in a single thread hop."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from asgiref import sync
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase

from casedesk.asgi import SyncChainASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)

SEEN: list[tuple[str, int, bool]] = []


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class RecordOuter:
    """Records the thread it runs in (first in the chain)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        SEEN.append(("outer", threading.get_ident(), _in_event_loop()))
        return self.get_response(request)


class RecordInner(RecordOuter):
    """Records the thread it runs in (last in the chain, next to the view)."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        SEEN.append(("inner", threading.get_ident(), _in_event_loop()))
        return self.get_response(request)


async def _request(
    app: Any, method: str, path: str, body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await communicator.receive_output(10)
    assert start["type"] == "http.response.start"
    content = b""
    while True:
        message = await communicator.receive_output(10)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(10)
    return start["status"], dict(start["headers"]), content


def _stable(page: bytes) -> bytes:
    page = re.sub(rb'(nonce|value)="[^"]*"', rb'\1=""', page)
    return re.sub(rb'"X-CSRFToken": "[^"]*"', b'"X-CSRFToken": ""', page)


@pytest.mark.asyncio
async def test_one_hop_handler_answers_like_djangos_own_handler() -> None:
    stock, one_hop = ASGIHandler(), SyncChainASGIHandler()
    for method, path, body in (
        ("GET", "/accounts/login/", b""),
        ("GET", "/no-such-page/", b""),
        ("POST", "/accounts/login/", b"email=a%40b.test&password=x"),  # no CSRF token: refused
        ("GET", "/cases/", b""),  # signed out: redirected to sign in
    ):
        expected = await _request(stock, method, path, body)
        got = await _request(one_hop, method, path, body)
        assert got[0] == expected[0], path
        for header in (b"Content-Type", b"Location", b"X-Frame-Options"):
            assert got[1].get(header) == expected[1].get(header), (path, header)
        # Same page; only the per-response values (CSP nonce, CSRF token) differ between renders.
        assert _stable(got[2]) == _stable(expected[2]), path


@pytest.mark.asyncio
async def test_middleware_chain_and_view_run_in_one_thread_hop(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MIDDLEWARE = [
        "tests.test_asgi_handler.RecordOuter",
        *settings.MIDDLEWARE,
        "tests.test_asgi_handler.RecordInner",
    ]
    calls: list[int] = []
    original = sync.SyncToAsync.__call__

    async def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counting)
    finished: list[int] = []

    def on_finished(**kwargs: Any) -> None:
        finished.append(1)

    request_finished.connect(on_finished)
    try:
        hops = {}
        for name, handler_class in (("stock", ASGIHandler), ("one_hop", SyncChainASGIHandler)):
            app = handler_class()  # middleware is loaded here, with the recorders
            SEEN.clear()
            calls.clear()
            finished.clear()
            status, _, _ = await _request(app, "GET", "/accounts/login/")
            assert status == 200
            assert [where for where, _, _ in SEEN] == ["outer", "inner"]
            # Sync middleware never runs on the event loop, in either handler.
            assert not any(in_loop for _, _, in_loop in SEEN)
            assert len({thread for _, thread, _ in SEEN}) == 1
            assert finished == [1]  # request_finished (closes DB connections) still fires once
            hops[name] = len(calls)
    finally:
        request_finished.disconnect(on_finished)
    # The point of the handler: the chain and the view cost one hop, not one per middleware.
    assert hops["one_hop"] < hops["stock"]
    # request_started, the chain with the view, the response's close: one hop each.
    assert hops["one_hop"] <= 3
