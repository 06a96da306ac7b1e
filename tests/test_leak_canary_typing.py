"""Typing indicators over the real websocket, in the leak-canary style.

Real sockets for every role (team, portal client, magic-link client, another client of the
agency, the other agency). The canary: a team member's INTERNAL-note composer must never make a
client socket hear "typing" — not the frame, not the name, not a count. Also: client typing
reaches the team only, the sender never hears themselves, the other agency hears nothing,
signals are throttled (per socket and across sockets), and a removed contact stops hearing.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.cache import cache
from django.test import Client as HttpClient

from casedesk.accounts.access import viewer_from_request
from casedesk.cases.actions import do_remove_contact_from_case
from casedesk.cases.presence import accept_typing
from tests.conftest import Cast
from tests.live_helpers import WebsocketCommunicator, collect, open_socket, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def typing_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == "typing"]


async def sockets_on_case(sessions: dict[str, HttpClient], case_id: int) -> dict[str, WebsocketCommunicator]:
    sockets = {}
    for role, http in sessions.items():
        communicator, connected = await open_socket(http)
        assert connected, role
        answer = await subscribe(communicator, case_id)
        assert answer["event"] == ("error" if role in {"outsider", "other_client"} else "subscribed"), role
        sockets[role] = communicator
    return sockets


def sessions_for(cast: Cast) -> dict[str, HttpClient]:
    return {
        "bob": cast.login(cast.bob),
        "alice": cast.login(cast.alice),
        "carol": cast.login(cast.carol_user),
        "erin_magic": cast.magic_client(),
        "other_client": cast.login(cast.frank_user),
        "outsider": cast.login(cast.dave),
    }


def run_typing(cast: Cast, sender: str, frames: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    sessions = sessions_for(cast)

    async def scenario() -> dict[str, list[dict[str, Any]]]:
        sockets = await sockets_on_case(sessions, cast.case_a.pk)
        for frame in frames:
            await sockets[sender].send_json_to({"type": "typing", "case": cast.case_a.pk, **frame})
        heard = {role: await collect(communicator, quiet=0.5) for role, communicator in sockets.items()}
        for communicator in sockets.values():
            await communicator.disconnect()
        return heard

    return async_to_sync(scenario)()


def test_internal_note_typing_never_reaches_a_client_socket(cast: Cast) -> None:
    heard = run_typing(cast, "bob", [{"internal": True}])
    assert [e["payload"] for e in typing_events(heard["alice"])] == [
        {"name": "Bob Member", "side": "team", "internal": True, "expires": 6, "case": cast.case_a.pk}
    ]
    for role in ("carol", "erin_magic", "other_client", "outsider"):
        assert heard[role] == [], role  # nothing at all: no frame, no name, no count
    assert typing_events(heard["bob"]) == []  # never one's own


def test_a_frame_that_does_not_say_reply_counts_as_internal(cast: Cast) -> None:
    for frame in ({}, {"internal": None}, {"internal": "false"}, {"internal": 0}):
        heard = run_typing(cast, "alice", [frame])
        assert [e["payload"]["internal"] for e in typing_events(heard["bob"])] == [True], frame
        assert heard["carol"] == [] and heard["erin_magic"] == [], frame
        cache.clear()  # the next frame is a new interval


def test_reply_typing_reaches_team_and_clients_on_the_case_only(cast: Cast) -> None:
    heard = run_typing(cast, "bob", [{"internal": False}])
    for role in ("alice", "carol", "erin_magic"):
        payloads = [e["payload"] for e in typing_events(heard[role])]
        assert payloads == [
            {"name": "Bob Member", "side": "team", "internal": False, "expires": 6, "case": cast.case_a.pk}
        ], role
    assert heard["other_client"] == [] and heard["outsider"] == []
    assert typing_events(heard["bob"]) == []


def test_client_typing_reaches_the_team_only(cast: Cast) -> None:
    heard = run_typing(cast, "carol", [{"internal": False}])
    for role in ("alice", "bob"):
        assert [e["payload"]["name"] for e in typing_events(heard[role])] == ["Carol Client"], role
        assert typing_events(heard[role])[0]["payload"]["side"] == "client"
    assert typing_events(heard["erin_magic"]) == []  # other clients do not hear each other
    assert typing_events(heard["carol"]) == []
    assert heard["other_client"] == [] and heard["outsider"] == []


def test_magic_link_client_typing_reaches_the_team(cast: Cast) -> None:
    heard = run_typing(cast, "erin_magic", [{"internal": False}])
    assert [e["payload"]["name"] for e in typing_events(heard["bob"])] == ["Erin Nologin"]
    assert typing_events(heard["carol"]) == [] and typing_events(heard["erin_magic"]) == []


def test_other_agency_and_other_client_signals_reach_nobody(cast: Cast) -> None:
    for sender in ("outsider", "other_client"):
        heard = run_typing(cast, sender, [{"internal": False}])
        assert all(typing_events(events) == [] for events in heard.values()), sender


def test_typing_is_throttled_per_socket_and_across_tabs(cast: Cast) -> None:
    heard = run_typing(cast, "bob", [{"internal": False}] * 6)
    assert len(typing_events(heard["carol"])) == 1

    # A second tab of the same person: the shared throttle still lets one through per interval.
    sessions = {"bob": cast.login(cast.bob), "bob2": cast.login(cast.bob), "alice": cast.login(cast.alice)}

    async def two_tabs() -> list[dict[str, Any]]:
        sockets = {}
        for role, http in sessions.items():
            sockets[role], _ = await open_socket(http)
            await subscribe(sockets[role], cast.case_a.pk)
        for _ in range(3):
            for role in ("bob", "bob2"):
                await sockets[role].send_json_to({"type": "typing", "case": cast.case_a.pk, "internal": True})
        heard = await collect(sockets["alice"], quiet=0.5)
        for communicator in sockets.values():
            await communicator.disconnect()
        return heard

    cache.clear()
    assert len(typing_events(async_to_sync(two_tabs)())) == 1


def test_server_side_throttle_per_person_case_and_mode(cast: Cast) -> None:
    bob = viewer_from_request(SimpleNamespace(user=cast.bob, session={}))  # type: ignore[arg-type]
    assert accept_typing(bob, cast.case_a.pk, internal=False) is not None
    assert accept_typing(bob, cast.case_a.pk, internal=False) is None  # within 3 s
    assert accept_typing(bob, cast.case_a.pk, internal=True) is not None  # another mode, its own interval
    assert accept_typing(bob, cast.case_a2.pk, internal=False) is not None  # another case
    dave = viewer_from_request(SimpleNamespace(user=cast.dave, session={}))  # type: ignore[arg-type]
    assert accept_typing(dave, cast.case_a.pk, internal=False) is None  # no access: nothing sent


def test_a_removed_contact_stops_hearing_typing(cast: Cast) -> None:
    sessions = {
        "bob": cast.login(cast.bob),
        "erin": cast.magic_client(),
        "carol": cast.login(cast.carol_user),
    }

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        sockets = {}
        for role, http in sessions.items():
            sockets[role], _ = await open_socket(http)
            assert (await subscribe(sockets[role], cast.case_a.pk))["event"] == "subscribed"
        await sync_to_async(do_remove_contact_from_case)(case=cast.case_a, contact=cast.erin)
        await sockets["bob"].send_json_to({"type": "typing", "case": cast.case_a.pk, "internal": False})
        heard = (await collect(sockets["erin"], quiet=0.5), await collect(sockets["carol"], quiet=0.5))
        # Erin's own typing no longer reaches the team either.
        await sockets["erin"].send_json_to({"type": "typing", "case": cast.case_a.pk, "internal": False})
        team = await collect(sockets["bob"], quiet=0.5)
        for communicator in sockets.values():
            await communicator.disconnect()
        assert typing_events(team) == []
        return heard

    erin_heard, carol_heard = async_to_sync(scenario)()
    assert typing_events(erin_heard) == []
    assert [e["payload"]["name"] for e in typing_events(carol_heard)] == ["Bob Member"]


def test_typing_without_a_subscription_is_dropped(cast: Cast) -> None:
    sessions = {"bob": cast.login(cast.bob), "carol": cast.login(cast.carol_user)}

    async def scenario() -> list[dict[str, Any]]:
        bob, _ = await open_socket(sessions["bob"])
        carol, _ = await open_socket(sessions["carol"])
        await subscribe(carol, cast.case_a.pk)
        await bob.send_json_to({"type": "typing", "case": cast.case_a.pk, "internal": False})
        heard = await collect(carol, quiet=0.5)
        await bob.disconnect()
        await carol.disconnect()
        return heard

    assert typing_events(async_to_sync(scenario)()) == []
