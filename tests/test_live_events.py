"""Live events over the real ASGI app: auth from the session, per-case groups, visibility, Redis."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from django.test import Client as HttpClient

from casedesk.cases.actions import do_edit_message, do_post_message, do_remove_contact_from_case
from tests.conftest import Cast
from tests.live_helpers import collect, open_socket, subscribe

# The consumer reads the database from its own threads (channels' database_sync_to_async, which
# also closes connections that are inside a transaction): the data must be really committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    """Run actions so that their after-commit callbacks (the live events) really run."""

    def run(fn: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


def test_team_sees_internal_events_and_clients_only_public_ones(cast: Cast, on_commit: Any) -> None:
    sessions = cast.login(cast.bob), cast.login(cast.carol_user), cast.magic_client()

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        team, _ = await open_socket(sessions[0])
        client, _ = await open_socket(sessions[1])
        magic, _ = await open_socket(sessions[2])
        for communicator in (team, client, magic):
            assert (await subscribe(communicator, cast.case_a.pk))["event"] == "subscribed"
        await sync_to_async(on_commit)(
            do_post_message, case=cast.case_a, body="public", author_user=cast.alice
        )
        await sync_to_async(on_commit)(
            do_post_message, case=cast.case_a, body="secret", author_user=cast.alice, internal_only=True
        )
        result = (await collect(team), await collect(client), await collect(magic))
        for communicator in (team, client, magic):
            await communicator.disconnect()
        return result

    team_events, client_events, magic_events = async_to_sync(scenario)()
    assert [e["event"] for e in team_events] == ["message.created", "message.created"]
    assert len(client_events) == 1 and client_events[0]["event"] == "message.created"
    assert len(magic_events) == 1
    public_id = team_events[0]["payload"]["message"]
    assert client_events[0]["payload"] == {"case": cast.case_a.pk, "message": public_id}


def test_outsiders_cannot_subscribe_to_a_case(cast: Cast) -> None:
    sessions = cast.login(cast.dave), cast.login(cast.frank_user), cast.magic_client(cast.uma, cast.case_b)

    async def scenario() -> list[str]:
        answers = []
        for http in sessions:
            communicator, _ = await open_socket(http)
            answers.append((await subscribe(communicator, cast.case_a.pk))["event"])
            answers.append((await subscribe(communicator, 987654))["event"])
            await communicator.disconnect()
        return answers

    answers = async_to_sync(scenario)()
    # Dave (other agency), Frank (another client) and a magic link to another case are refused,
    # exactly as for a case that does not exist.
    assert answers == ["error"] * 6


def test_anonymous_socket_is_refused(cast: Cast) -> None:
    anonymous = HttpClient()

    async def scenario() -> bool:
        communicator, connected = await open_socket(anonymous)
        await communicator.disconnect()
        return connected

    assert async_to_sync(scenario)() is False


def test_removed_contact_stops_receiving_events_at_once(cast: Cast, on_commit: Any) -> None:
    session = cast.magic_client()

    async def scenario() -> list[dict[str, Any]]:
        magic, _ = await open_socket(session)
        await subscribe(magic, cast.case_a.pk)
        await sync_to_async(do_remove_contact_from_case)(case=cast.case_a, contact=cast.erin)
        await sync_to_async(on_commit)(
            do_post_message, case=cast.case_a, body="after removal", author_user=cast.bob
        )
        events = await collect(magic)
        await magic.disconnect()
        return events

    assert async_to_sync(scenario)() == []


def test_edits_and_mentions_reach_the_right_people(cast: Cast, on_commit: Any) -> None:
    sessions = cast.login(cast.bob), cast.login(cast.carol_user)

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        bob, _ = await open_socket(sessions[0])
        carol, _ = await open_socket(sessions[1])
        await subscribe(carol, cast.case_a.pk)
        message = await sync_to_async(on_commit)(
            do_post_message,
            case=cast.case_a,
            body="hey @**Bob Member**",
            author_user=cast.alice,
            internal_only=True,
        )
        await sync_to_async(on_commit)(
            do_edit_message, message=message, editor=cast.alice, body="hey @**Bob Member**!"
        )
        result = (await collect(bob), await collect(carol))
        await bob.disconnect()
        await carol.disconnect()
        return result

    bob_events, carol_events = async_to_sync(scenario)()
    # Bob is not subscribed to the case, but his own notification count reaches him.
    assert {"event": "notifications.changed", "payload": {"unread": 1}} in bob_events
    assert carol_events == []  # internal message and its edit: nothing for the client


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_layer(settings: Any) -> Iterator[str]:
    if not _redis_reachable():
        pytest.skip(
            "Redis is not reachable at 127.0.0.1:6379; start redis-server to test the multi-process path."
        )
    url = "redis://127.0.0.1:6379/0"
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [url]}}
    }
    channel_layers.backends = {}
    yield url
    channel_layers.backends = {}


def test_events_cross_processes_through_redis(cast: Cast, redis_layer: str) -> None:
    """A separate Python process publishes (as a web or worker process would); this one's sockets get it."""
    script = (
        "import django, sys; django.setup();"
        "from casedesk.live.publish import publish_case_event;"
        "publish_case_event(int(sys.argv[1]), 'message.created', {'message': 1}, internal_only=False);"
        "publish_case_event(int(sys.argv[1]), 'message.created', {'message': 2}, internal_only=True)"
    )
    env = {**os.environ, "REDIS_URL": redis_layer, "DJANGO_SETTINGS_MODULE": "casedesk.settings"}

    sessions = cast.login(cast.bob), cast.login(cast.carol_user)

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        team, _ = await open_socket(sessions[0])
        client, _ = await open_socket(sessions[1])
        await subscribe(team, cast.case_a.pk)
        await subscribe(client, cast.case_a.pk)

        def publish_from_another_process() -> None:
            subprocess.run(
                [sys.executable, "-c", script, str(cast.case_a.pk)], env=env, check=True, timeout=60
            )

        await sync_to_async(publish_from_another_process)()
        result = (await collect(team, quiet=1.0), await collect(client, quiet=1.0))
        await team.disconnect()
        await client.disconnect()
        return result

    team_events, client_events = async_to_sync(scenario)()
    assert [e["payload"]["message"] for e in team_events] == [1, 2]
    assert [e["payload"]["message"] for e in client_events] == [1]


def test_events_published_from_a_worker_thread_reach_sockets_in_one_process(cast: Cast) -> None:
    """The embedded worker and SMTP threads post messages too (inbound email, support bot):
    their events must reach browsers through the in-memory layer of the same process."""
    import threading

    from casedesk.live.publish import publish_case_event

    session = cast.login(cast.bob)

    async def scenario() -> list[dict[str, Any]]:
        team, _ = await open_socket(session)
        await subscribe(team, cast.case_a.pk)
        worker = threading.Thread(
            target=publish_case_event,
            args=(cast.case_a.pk, "message.created", {"message": 7}),
            kwargs={"internal_only": False},
        )
        worker.start()
        await sync_to_async(worker.join)()
        events = await collect(team, quiet=1.0)
        await team.disconnect()
        return events

    events = async_to_sync(scenario)()
    assert [e["payload"]["message"] for e in events] == [7]


def test_one_process_reads_each_event_once_for_all_its_sockets(cast: Cast, on_commit: Any) -> None:
    """Sockets of one process share one fan-out subscription per case group; every socket still
    gets every event it may see, in order, and nothing of a group it is not in."""
    from channels.layers import get_channel_layer

    from casedesk.live.fanout import local_fanout

    sessions = [cast.login(cast.bob) for _ in range(3)] + [cast.login(cast.carol_user)]

    async def scenario() -> tuple[list[list[dict[str, Any]]], dict[str, int], dict[str, int]]:
        sockets = [(await open_socket(s))[0] for s in sessions]
        for communicator in sockets:
            assert (await subscribe(communicator, cast.case_a.pk))["event"] == "subscribed"
        fanout = local_fanout(get_channel_layer())
        sizes = {group: len(members) for group, members in fanout.members.items()}
        for body, internal in (("one", False), ("two", True), ("three", False)):
            await sync_to_async(on_commit)(
                do_post_message, case=cast.case_a, body=body, author_user=cast.alice, internal_only=internal
            )
        events = [await collect(c) for c in sockets]
        for communicator in sockets:
            await communicator.disconnect()
        left = {group: len(members) for group, members in fanout.members.items()}
        return events, sizes, left

    events, sizes, left = async_to_sync(scenario)()
    team_group, client_group = f"case.{cast.case_a.pk}.team", f"case.{cast.case_a.pk}.client"
    assert sizes == {team_group: 3, client_group: 1}
    team_ids = [e["payload"]["message"] for e in events[0]]
    assert len(team_ids) == 3 and team_ids == sorted(team_ids)
    assert [e["payload"]["message"] for e in events[1]] == team_ids
    assert [e["payload"]["message"] for e in events[2]] == team_ids
    assert [e["payload"]["message"] for e in events[3]] == [team_ids[0], team_ids[2]]
    assert left == {}


def test_events_queued_for_a_removed_contact_are_all_dropped(cast: Cast, on_commit: Any) -> None:
    session = cast.magic_client()

    async def scenario() -> list[dict[str, Any]]:
        magic, _ = await open_socket(session)
        await subscribe(magic, cast.case_a.pk)
        await sync_to_async(do_remove_contact_from_case)(case=cast.case_a, contact=cast.erin)
        for body in ("first after removal", "second after removal"):
            await sync_to_async(on_commit)(do_post_message, case=cast.case_a, body=body, author_user=cast.bob)
        events = await collect(magic)
        await magic.disconnect()
        return events

    assert async_to_sync(scenario)() == []


def test_a_socket_that_ends_without_disconnect_is_forgotten_by_the_fan_out(cast: Cast) -> None:
    import asyncio

    from channels.layers import get_channel_layer

    from casedesk.live.fanout import local_fanout

    session = cast.login(cast.bob)

    async def scenario() -> tuple[int, int]:
        team, _ = await open_socket(session)
        await subscribe(team, cast.case_a.pk)
        fanout = local_fanout(get_channel_layer())
        before = sum(len(m) for m in fanout.members.values())
        team.future.cancel()  # the server drops the connection's task (shutdown, crash)
        with contextlib.suppress(asyncio.CancelledError):
            await team.future
        await asyncio.sleep(0.05)
        return before, sum(len(m) for m in fanout.members.values())

    assert async_to_sync(scenario)() == (1, 0)
