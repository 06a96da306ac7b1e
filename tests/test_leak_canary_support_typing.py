"""Typing in support chats over real sockets: the visitor's widget ↔ the team's conversation page.

The visitor's typing reaches only the conversation agency's team (``/ws/support/agent/`` sockets
of that conversation); an agent's typing reaches only that visitor's widgets. The other agency,
clients and other visitors hear nothing, and can neither listen nor signal. Throttled.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.test import Client as HttpClient

from casedesk.support.identity import issue_visitor_token
from casedesk.support.models import Conversation, ConversationState, Visitor
from tests.conftest import Cast
from tests.live_helpers import WebsocketCommunicator, collect, ws_headers

pytestmark = pytest.mark.django_db(transaction=True)


async def widget_socket(token: str) -> WebsocketCommunicator:
    from casedesk.asgi import application

    socket = WebsocketCommunicator(
        application, "/ws/support/widget/", [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    )
    socket.scope["query_string"] = f"agency=acme&token={token}".encode()
    accepted, _ = await socket.connect()
    assert accepted
    return socket


async def agent_socket(http: HttpClient, conversation_id: int) -> tuple[WebsocketCommunicator, bool]:
    from casedesk.asgi import application

    socket = WebsocketCommunicator(application, "/ws/support/agent/", ws_headers(http))
    socket.scope["query_string"] = f"conversation={conversation_id}".encode()
    accepted, _ = await socket.connect()
    return socket, accepted


@pytest.fixture
def chats(cast: Cast) -> dict[str, Any]:
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    ann = Visitor.objects.create(agency=cast.agency_a, name="Ann Visitor")
    zed = Visitor.objects.create(agency=cast.agency_a, name="Zed Visitor")
    return {
        "ann_token": issue_visitor_token(ann),
        "zed_token": issue_visitor_token(zed),
        "ann_chat": Conversation.objects.create(
            agency=cast.agency_a, visitor=ann, state=ConversationState.WITH_HUMAN
        ),
        "zed_chat": Conversation.objects.create(
            agency=cast.agency_a, visitor=zed, state=ConversationState.WITH_HUMAN
        ),
    }


def test_visitor_typing_reaches_only_the_agency_team_on_that_conversation(
    cast: Cast, chats: dict[str, Any]
) -> None:
    sessions = {
        "bob": cast.login(cast.bob),
        "dave": cast.login(cast.dave),
        "carol": cast.login(cast.carol_user),
        "anonymous": HttpClient(),
    }
    alice_http = cast.login(cast.alice)
    chat = chats["ann_chat"]

    async def scenario() -> dict[str, Any]:
        accepted = {}
        bob, accepted["bob"] = await agent_socket(sessions["bob"], chat.pk)
        for role in ("dave", "carol", "anonymous"):
            _, accepted[role] = await agent_socket(sessions[role], chat.pk)
        _, accepted["bad id"] = await agent_socket(sessions["bob"], 987654)
        # Alice is on the other conversation's page: she must not hear Ann.
        alice, _ = await agent_socket(alice_http, chats["zed_chat"].pk)
        ann = await widget_socket(chats["ann_token"])
        zed = await widget_socket(chats["zed_token"])
        await ann.send_json_to({"type": "typing", "conversation": str(chat.public_id)})
        # Zed tries to type into Ann's conversation: refused silently.
        await zed.send_json_to({"type": "typing", "conversation": str(chat.public_id)})
        heard = {
            "bob": await collect(bob, quiet=0.5),
            "alice": await collect(alice, quiet=0.3),
            "zed": await collect(zed, quiet=0.1),
        }
        for socket in (bob, alice, ann, zed):
            await socket.disconnect()
        return {"accepted": accepted, "heard": heard}

    result = async_to_sync(scenario)()
    assert result["accepted"] == {
        "bob": True,
        "dave": False,
        "carol": False,
        "anonymous": False,
        "bad id": False,
    }
    heard = result["heard"]
    assert [e["payload"] for e in heard["bob"]] == [
        {"conversation": chat.pk, "name": "Ann Visitor", "side": "visitor", "expires": 6}
    ]
    assert heard["alice"] == [] and heard["zed"] == []


def test_agent_typing_reaches_only_that_visitors_widget(cast: Cast, chats: dict[str, Any]) -> None:
    chat = chats["ann_chat"]
    bob_http, alice_http = cast.login(cast.bob), cast.login(cast.alice)

    async def scenario() -> dict[str, list[dict[str, Any]]]:
        bob, _ = await agent_socket(bob_http, chat.pk)
        alice_elsewhere, _ = await agent_socket(alice_http, chats["zed_chat"].pk)
        ann = await widget_socket(chats["ann_token"])
        zed = await widget_socket(chats["zed_token"])
        await bob.send_json_to({"type": "typing"})
        heard = {
            "ann": await collect(ann, quiet=0.5),
            "zed": await collect(zed, quiet=0.2),
            "bob": await collect(bob, quiet=0.1),
        }
        for socket in (bob, alice_elsewhere, ann, zed):
            await socket.disconnect()
        return heard

    heard = async_to_sync(scenario)()
    assert heard["ann"] == [
        {"event": "typing", "conversation": str(chat.public_id), "name": "Bob", "expires": 6}
    ]
    assert heard["zed"] == [] and heard["bob"] == []


def test_support_typing_is_throttled_and_stops_when_closed(cast: Cast, chats: dict[str, Any]) -> None:
    chat = chats["ann_chat"]
    bob_http = cast.login(cast.bob)

    async def scenario() -> tuple[int, int]:
        bob, _ = await agent_socket(bob_http, chat.pk)
        ann = await widget_socket(chats["ann_token"])
        ann2 = await widget_socket(chats["ann_token"])  # a second tab
        for _ in range(4):
            for socket in (ann, ann2):
                await socket.send_json_to({"type": "typing", "conversation": str(chat.public_id)})
        first = len(await collect(bob, quiet=0.5))
        cache.clear()
        await Conversation.objects.filter(pk=chat.pk).aupdate(state=ConversationState.CLOSED)
        ann3 = await widget_socket(chats["ann_token"])
        await ann3.send_json_to({"type": "typing", "conversation": str(chat.public_id)})
        after_close = len(await collect(bob, quiet=0.5))
        for socket in (bob, ann, ann2, ann3):
            await socket.disconnect()
        return first, after_close

    assert async_to_sync(scenario)() == (1, 0)


@pytest.mark.parametrize("conversation", ["99999999999999999999", "-1", "abc", ""])
def test_agent_socket_with_a_bad_conversation_id_is_refused_not_an_error(
    cast: Cast, conversation: str
) -> None:
    from casedesk.asgi import application

    headers = ws_headers(cast.login(cast.bob))

    async def scenario() -> tuple[bool, int | None]:
        socket = WebsocketCommunicator(application, "/ws/support/agent/", headers)
        socket.scope["query_string"] = f"conversation={conversation}".encode()
        accepted, code = await socket.connect()
        await socket.disconnect()
        return accepted, code

    accepted, code = async_to_sync(scenario)()
    assert not accepted
    assert code == 4404
