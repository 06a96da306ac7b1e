"""The widget's websocket accepts the site itself and the agency's allowed origins, nothing else."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from casedesk.support.identity import issue_visitor_token, widget_settings_for
from casedesk.support.models import Visitor
from tests.conftest import Cast
from tests.live_helpers import WebsocketCommunicator

SHOP = "https://shop.example.com"


def can_connect(agency_slug: str, token: str, origin: str) -> bool:
    async def scenario() -> bool:
        from casedesk.asgi import application

        socket = WebsocketCommunicator(
            application,
            "/ws/support/widget/",
            [(b"origin", origin.encode()), (b"host", b"testserver")],
        )
        socket.scope["query_string"] = f"agency={agency_slug}&token={token}".encode()
        accepted, _ = await socket.connect()
        if accepted:
            await socket.disconnect()
        return accepted

    return bool(async_to_sync(scenario)())


@pytest.fixture
def token(transactional_db: None, cast: Cast) -> str:
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    return issue_visitor_token(Visitor.objects.create(agency=cast.agency_a))


def test_site_origin_connects(cast: Cast, token: str) -> None:
    assert can_connect("acme", token, "http://testserver")


def test_other_website_connects_only_once_its_origin_is_allowed(cast: Cast, token: str) -> None:
    assert not can_connect("acme", token, SHOP)
    row = widget_settings_for(cast.agency_a)
    row.allowed_origins = SHOP
    row.save()
    assert can_connect("acme", token, SHOP)
    assert not can_connect("acme", token, "https://evil.example.net")


def test_token_of_another_agency_is_refused_even_from_an_allowed_origin(cast: Cast, token: str) -> None:
    row = widget_settings_for(cast.agency_b)
    row.allowed_origins = SHOP
    row.save()
    assert not can_connect("bravo", token, SHOP)


def test_page_sockets_still_refuse_foreign_origins(cast: Cast) -> None:
    async def scenario() -> bool:
        from casedesk.asgi import application

        socket = WebsocketCommunicator(
            application, "/ws/live/", [(b"origin", SHOP.encode()), (b"host", b"testserver")]
        )
        accepted, _ = await socket.connect()
        return accepted

    assert async_to_sync(scenario)() is False
