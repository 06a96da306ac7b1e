"""Typing in support chats over real sockets: the visitor's widget ↔ the team's conversation page.

The visitor's typing reaches only the conversation agency's team (pages subscribed to that
conversation); an agent's typing reaches only that visitor's widgets. The other agency, clients
and other visitors hear nothing, and can neither subscribe nor signal. Throttled.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache

from casedesk.support.identity import issue_visitor_token
from casedesk.support.models import Conversation, ConversationState, Visitor
from tests.conftest import Cast
from tests.live_helpers import WebsocketCommunicator, collect, open_socket

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


@pytest.fixture
def chats(cast: Cast) -> dict[str, Any]:
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    ann = Visitor.objects.create(agency=cast.agency_a, name="Ann Visitor")
    zed = Visitor.objects.create(agency=cast.agency_a, name="Zed Visitor")
    return {
        "ann": ann,
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
    }
    chat = chats["ann_chat"]
    alice_http = cast.login(cast.alice)

    async def scenario() -> dict[str, Any]:
        pages = {}
        answers = {}
        for role, http in sessions.items():
            pages[role], _ = await open_socket(http)
            await pages[role].send_json_to({"type": "subscribe", "conversation": chat.pk})
            answers[role] = (await pages[role].receive_json_from())["event"]
        # Alice is on the other conversation's page: she must not hear Ann.
        alice, _ = await open_socket(alice_http)
        await alice.send_json_to({"type": "subscribe", "conversation": chats["zed_chat"].pk})
        await alice.receive_json_from()
        ann = await widget_socket(chats["ann_token"])
        zed = await widget_socket(chats["zed_token"])
        await ann.send_json_to({"type": "typing", "conversation": str(chat.public_id)})
        # Zed tries to type into Ann's conversation: refused silently.
        await zed.send_json_to({"type": "typing", "conversation": str(chat.public_id)})
        heard = {role: await collect(page, quiet=0.5) for role, page in pages.items()}
        heard["alice"] = await collect(alice, quiet=0.3)
        heard["zed"] = await collect(zed, quiet=0.1)
        for socket in (*pages.values(), alice, ann, zed):
            await socket.disconnect()
        return {"answers": answers, "heard": heard}

    result = async_to_sync(scenario)()
    assert result["answers"] == {"bob": "subscribed", "dave": "error", "carol": "error"}
    heard = result["heard"]
    assert [e["payload"] for e in heard["bob"]] == [
        {"conversation": chat.pk, "name": "Ann Visitor", "side": "visitor", "expires": 6}
    ]
    assert heard["dave"] == [] and heard["carol"] == [] and heard["alice"] == [] and heard["zed"] == []


def test_agent_typing_reaches_only_that_visitors_widget(cast: Cast, chats: dict[str, Any]) -> None:
    chat = chats["ann_chat"]
    sessions = [cast.login(cast.bob), cast.login(cast.dave), cast.login(cast.carol_user)]

    async def scenario() -> dict[str, list[dict[str, Any]]]:
        bob, _ = await open_socket(sessions[0])
        dave, _ = await open_socket(sessions[1])
        carol, _ = await open_socket(sessions[2])
        ann = await widget_socket(chats["ann_token"])
        zed = await widget_socket(chats["zed_token"])
        for socket in (bob, dave, carol):
            await socket.send_json_to({"type": "typing", "conversation": chat.pk})
        heard = {"ann": await collect(ann, quiet=0.5), "zed": await collect(zed, quiet=0.2)}
        for socket in (bob, dave, carol, ann, zed):
            await socket.disconnect()
        return heard

    heard = async_to_sync(scenario)()
    # Only Bob's signal: Dave (other agency) and Carol (a client) are refused.
    assert heard["ann"] == [
        {"event": "typing", "conversation": str(chat.public_id), "name": "Bob", "expires": 6}
    ]
    assert heard["zed"] == []


def test_support_typing_is_throttled_and_stops_when_closed(cast: Cast, chats: dict[str, Any]) -> None:
    chat = chats["ann_chat"]
    bob_http = cast.login(cast.bob)

    async def scenario() -> tuple[int, int]:
        bob, _ = await open_socket(bob_http)
        await bob.send_json_to({"type": "subscribe", "conversation": chat.pk})
        await bob.receive_json_from()
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
