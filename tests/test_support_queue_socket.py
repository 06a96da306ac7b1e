"""The support queue's websocket: an agency's team hears that a conversation changed, nobody else.

The frames carry a conversation id and the waiting count only, never a line of text.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client as HttpClient

from casedesk.support import actions
from casedesk.support.models import Conversation
from tests.conftest import Cast
from tests.live_helpers import WebsocketCommunicator, collect, ws_headers

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "my card number is 4111 1111 1111 1111"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    def run(fn: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


async def _open(http: HttpClient | None, agency_id: Any, origin: bytes = b"http://testserver") -> Any:
    from casedesk.asgi import application

    headers = [(k, origin if k == b"origin" else v) for k, v in ws_headers(http)]
    socket = WebsocketCommunicator(application, "/ws/support/queue/", headers)
    socket.scope["query_string"] = f"agency={agency_id}".encode()
    accepted, code = await socket.connect()
    if accepted:
        # The first frame is the waiting count alone; the tests below look at what follows it.
        state = await socket.receive_json_from(timeout=5)
        assert set(state) == {"event", "waiting"} and state["event"] == "queue.state"
        assert isinstance(state["waiting"], int)
    return socket, accepted, code


def _refusal(http: HttpClient | None, agency_id: Any, origin: bytes = b"http://testserver") -> Any:
    async def scenario() -> Any:
        socket, accepted, code = await _open(http, agency_id, origin)
        if accepted:
            await socket.disconnect()
            return "accepted"
        return code

    return async_to_sync(scenario)()


def test_team_of_the_agency_hears_new_conversations_lines_claims_and_closes(
    cast: Cast, on_commit: Any
) -> None:
    http = cast.login(cast.bob)

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
        socket, accepted, _ = await _open(http, cast.agency_a.pk)
        assert accepted
        conversation = await sync_to_async(on_commit)(actions.do_start_conversation, agency=cast.agency_a)
        started = await collect(socket)
        await sync_to_async(on_commit)(
            actions.do_post_visitor_message, conversation=conversation, body=SECRET
        )
        await sync_to_async(on_commit)(actions.do_request_escalation, conversation=conversation)
        fresh = await sync_to_async(Conversation.objects.get)(pk=conversation.pk)
        await sync_to_async(on_commit)(actions.do_claim, conversation=fresh, user=cast.bob)
        await sync_to_async(on_commit)(actions.do_close, conversation=fresh, by=cast.bob)
        later = await collect(socket)
        await socket.disconnect()
        return started, started + later, str(conversation.public_id)

    started, events, public_id = async_to_sync(scenario)()
    assert len(started) == 1, "a new conversation is listed under 'With the bot': the queue must hear of it"
    # Then at least one frame each for the line, the escalation, the claim and the close.
    assert len(events) >= 5
    for event in events:
        assert set(event) == {"event", "conversation", "waiting"}
        assert event["event"] == "conversation.updated"
        assert event["conversation"] == public_id
        assert isinstance(event["waiting"], int)
    assert SECRET not in repr(events) and "4111" not in repr(events)
    assert events[-1]["waiting"] == 0  # closed: nobody waits


def test_waiting_count_follows_an_escalation(cast: Cast, on_commit: Any) -> None:
    http = cast.login(cast.bob)
    conversation = actions.do_start_conversation(agency=cast.agency_a)

    async def scenario() -> list[dict[str, Any]]:
        socket, accepted, _ = await _open(http, cast.agency_a.pk)
        assert accepted
        await sync_to_async(on_commit)(actions.do_request_escalation, conversation=conversation)
        events = await collect(socket)
        await socket.disconnect()
        return events

    events = async_to_sync(scenario)()
    assert events and events[-1]["waiting"] == 1


def test_the_first_frame_is_the_waiting_count_so_a_reconnecting_page_catches_up(cast: Cast) -> None:
    waiting = actions.do_start_conversation(agency=cast.agency_a)
    actions.do_request_escalation(conversation=waiting)
    actions.do_start_conversation(agency=cast.agency_a)  # with the bot: not waiting
    other = actions.do_start_conversation(agency=cast.agency_b)
    actions.do_request_escalation(conversation=other)  # another agency's: not counted
    http = cast.login(cast.bob)

    async def scenario() -> dict[str, Any]:
        from casedesk.asgi import application

        socket = WebsocketCommunicator(application, "/ws/support/queue/", ws_headers(http))
        socket.scope["query_string"] = f"agency={cast.agency_a.pk}".encode()
        accepted, _ = await socket.connect()
        assert accepted
        first: dict[str, Any] = await socket.receive_json_from(timeout=5)
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
        return first

    assert async_to_sync(scenario)() == {"event": "queue.state", "waiting": 1}


def test_another_agencys_team_hears_nothing(cast: Cast, on_commit: Any) -> None:
    http = cast.login(cast.dave)

    async def scenario() -> list[dict[str, Any]]:
        socket, accepted, _ = await _open(http, cast.agency_b.pk)
        assert accepted
        await sync_to_async(on_commit)(actions.do_start_conversation, agency=cast.agency_a)
        events = await collect(socket)
        await socket.disconnect()
        return events

    assert async_to_sync(scenario)() == []


def test_outsiders_clients_and_anonymous_are_refused(cast: Cast) -> None:
    a = cast.agency_a.pk
    assert _refusal(cast.login(cast.dave), a) == 4404  # another agency's team
    assert _refusal(cast.login(cast.carol_user), a) == 4404  # a client of the agency
    assert _refusal(cast.magic_client(), a) == 4404  # a magic-link visitor
    assert _refusal(None, a) == 4404  # nobody signed in
    assert _refusal(cast.login(cast.bob), "x") == 4404
    assert _refusal(cast.login(cast.bob), "") == 4404
    assert _refusal(cast.login(cast.bob), 987654321) == 4404
    assert _refusal(cast.login(cast.bob), a) == "accepted"


def test_another_website_cannot_open_the_queue_socket(cast: Cast) -> None:
    assert _refusal(cast.login(cast.bob), cast.agency_a.pk, b"https://evil.example.net") != "accepted"
