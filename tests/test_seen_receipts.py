"""Seen receipts: stored per person, marked by the thread pages' POST (never by GET or email),
shown to the team per client-visible message and to the client as "Seen by the team".

Leak-canary style: an internal note planted between public messages must leave no trace in any
seen answer, row, count or live event a client gets; the other agency sees nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core import mail
from django.test import Client as HttpClient

from casedesk.accounts.models import Contact
from casedesk.cases.access import contacts_seen_by_message, has_contact_seen, team_seen_last_own_message
from casedesk.cases.actions import do_post_message
from casedesk.cases.models import Message, MessageSeen
from casedesk.cases.seen import do_mark_seen
from tests.conftest import Cast
from tests.live_helpers import collect, open_socket, subscribe

CANARY = "CANARY-seen-internal-7c21"


def team_url(cast: Cast) -> str:
    return f"/cases/{cast.case_a.pk}/messages/seen"


def portal_url(cast: Cast) -> str:
    return f"/my-cases/{cast.case_a.pk}/messages/seen"


def thread(cast: Cast) -> tuple[Message, Message, Message]:
    """A client message, then an internal note, then a team reply (the note in the middle)."""
    question = do_post_message(
        case=cast.case_a, body="When is the launch?", author_user=cast.carol_user, author_contact=cast.carol
    )
    note = do_post_message(
        case=cast.case_a, body=f"{CANARY} ask Dave", author_user=cast.bob, internal_only=True
    )
    answer = do_post_message(case=cast.case_a, body="Next Tuesday.", author_user=cast.bob)
    return question, note, answer


@pytest.mark.django_db
def test_opening_the_page_marks_nothing_only_the_pages_post_does(cast: Cast) -> None:
    _, _, answer = thread(cast)
    erin = cast.magic_client()
    assert erin.get(f"/my-cases/{cast.case_a.pk}/messages").status_code == 200
    assert MessageSeen.objects.count() == 0  # a GET (a scanner, a prefetch) never counts
    assert erin.post(portal_url(cast), {"up_to": answer.pk}).json() == {"marked": 2}
    assert has_contact_seen(cast.erin.pk, answer.pk)
    assert not has_contact_seen(cast.carol.pk, answer.pk)


@pytest.mark.django_db
def test_internal_notes_never_get_read_state(cast: Cast) -> None:
    question, note, answer = thread(cast)
    do_mark_seen(case=cast.case_a, up_to=answer.pk, contact=cast.erin)
    do_mark_seen(case=cast.case_a, up_to=answer.pk, user=cast.alice)
    assert not MessageSeen.objects.filter(message=note).exists()
    # Even a row written by mistake is never read back.
    MessageSeen.objects.create(message=note, contact=cast.carol, seen_at=question.created_at)
    assert not has_contact_seen(cast.carol.pk, note.pk)
    assert contacts_seen_by_message(cast.case_a, [note.pk]) == {}


@pytest.mark.django_db
def test_marking_is_idempotent_and_keeps_the_first_time(cast: Cast) -> None:
    _, _, answer = thread(cast)
    assert do_mark_seen(case=cast.case_a, up_to=answer.pk, contact=cast.carol) == 1  # not her own question
    first = MessageSeen.objects.get(contact=cast.carol, message=answer).seen_at
    assert do_mark_seen(case=cast.case_a, up_to=answer.pk, contact=cast.carol) == 0
    assert MessageSeen.objects.get(contact=cast.carol, message=answer).seen_at == first


@pytest.mark.django_db
def test_team_sees_which_contacts_saw_each_client_visible_message(cast: Cast) -> None:
    question, note, answer = thread(cast)
    cast.magic_client().post(portal_url(cast), {"up_to": answer.pk})
    cast.login(cast.carol_user).post(portal_url(cast), {"up_to": answer.pk})
    bob = cast.login(cast.bob)
    data = bob.get(team_url(cast), {"ids": f"{question.pk},{note.pk},{answer.pk}"}).json()
    assert set(data["messages"]) == {str(question.pk), str(answer.pk)}  # Erin saw Carol's question
    assert [row["name"] for row in data["messages"][str(answer.pk)]] == ["Erin Nologin", "Carol Client"]
    assert all(row["seen_at"] and row["label"] for row in data["messages"][str(answer.pk)])


@pytest.mark.django_db
def test_client_sees_seen_by_the_team_on_their_last_message_only(cast: Cast) -> None:
    question, _note, answer = thread(cast)
    carol = cast.login(cast.carol_user)
    assert carol.get(portal_url(cast)).json() == {
        "message": question.pk,
        "seen_by_team": False,
        "seen_at": None,
        "label": None,
    }
    cast.login(cast.bob).post(team_url(cast), {"up_to": answer.pk})
    data = carol.get(portal_url(cast)).json()
    assert data["message"] == question.pk and data["seen_by_team"] is True
    # Erin wrote nothing: there is nothing of hers to be seen.
    assert cast.magic_client().get(portal_url(cast)).json()["message"] is None


@pytest.mark.django_db
def test_team_reading_only_an_internal_note_tells_the_client_nothing(cast: Cast) -> None:
    question = do_post_message(
        case=cast.case_a, body="Hello?", author_user=cast.carol_user, author_contact=cast.carol
    )
    cast.login(cast.bob).post(team_url(cast), {"up_to": question.pk})
    before = cast.login(cast.carol_user).get(portal_url(cast)).content
    note = do_post_message(case=cast.case_a, body=CANARY, author_user=cast.alice, internal_only=True)
    assert cast.login(cast.bob).post(team_url(cast), {"up_to": note.pk}).json() == {"marked": 0}
    after = cast.login(cast.carol_user).get(portal_url(cast)).content
    assert before == after
    assert json.loads(after)["message"] == question.pk and CANARY.encode() not in after


@pytest.mark.django_db
def test_a_client_cannot_mark_or_read_through_ids_they_cannot_see(cast: Cast) -> None:
    _, note, answer = thread(cast)
    carol = cast.login(cast.carol_user)
    # Carol asks up to the internal note's id and beyond: only what she may see is marked.
    carol.post(portal_url(cast), {"up_to": note.pk + 1000})
    assert set(MessageSeen.objects.filter(contact=cast.carol).values_list("message_id", flat=True)) == {
        answer.pk
    }
    # The team's answer is team-only: a client gets the same 404 as for a missing case.
    assert carol.get(team_url(cast), {"ids": str(answer.pk)}).status_code == 404
    assert carol.post(team_url(cast), {"up_to": answer.pk}).status_code == 404


@pytest.mark.django_db
def test_the_other_agency_sees_and_marks_nothing(cast: Cast) -> None:
    _, _, answer = thread(cast)
    cast.magic_client().post(portal_url(cast), {"up_to": answer.pk})
    dave = cast.login(cast.dave)
    assert dave.get(team_url(cast), {"ids": str(answer.pk)}).status_code == 404
    assert dave.post(team_url(cast), {"up_to": answer.pk}).status_code == 404
    assert dave.get(portal_url(cast)).status_code == 404
    uma = cast.magic_client(cast.uma, cast.case_b)
    assert uma.post(portal_url(cast), {"up_to": answer.pk}).status_code == 404
    assert MessageSeen.objects.filter(user=cast.dave).count() == 0


@pytest.mark.django_db
def test_a_removed_contact_can_no_longer_mark(cast: Cast) -> None:
    from casedesk.cases.actions import do_remove_contact_from_case

    _, _, answer = thread(cast)
    erin = cast.magic_client()
    do_remove_contact_from_case(case=cast.case_a, contact=cast.erin)
    assert erin.post(portal_url(cast), {"up_to": answer.pk}).status_code == 404
    assert not has_contact_seen(cast.erin.pk, answer.pk)


@pytest.mark.django_db
def test_email_never_marks_seen(cast: Cast, run_tasks: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _, _, _answer = thread(cast)
    run_tasks()
    assert mail.outbox, "the reply was emailed to the clients"
    for message in mail.outbox:
        html = "".join(str(alt[0]) for alt in getattr(message, "alternatives", []))
        assert "/seen" not in message.body and "/seen" not in html  # no pixel, no read link
        assert "<img" not in html  # no pixel of any kind
    assert MessageSeen.objects.count() == 0


@pytest.mark.django_db
def test_has_contact_seen_is_one_query(cast: Cast, django_assert_num_queries: Any) -> None:
    _, _, answer = thread(cast)
    do_mark_seen(case=cast.case_a, up_to=answer.pk, contact=cast.erin)
    with django_assert_num_queries(1):
        assert has_contact_seen(cast.erin.pk, answer.pk)
    carol = Contact.objects.get(pk=cast.carol.pk)
    with django_assert_num_queries(2):
        message_id, seen = team_seen_last_own_message(cast.case_a, carol)
    assert seen is None and message_id is not None


@pytest.mark.django_db(transaction=True)
def test_seen_events_carry_no_ids_and_reach_clients_only_for_their_messages(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    sessions = {
        "bob": cast.login(cast.bob),
        "carol": cast.login(cast.carol_user),
        "erin": cast.magic_client(),
    }
    _question, note, answer = thread(cast)

    def mark(**kwargs: Any) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return do_mark_seen(case=cast.case_a, **kwargs)

    async def scenario() -> dict[str, list[dict[str, Any]]]:
        sockets = {}
        for role, http in sessions.items():
            sockets[role], _ = await open_socket(http)
            await subscribe(sockets[role], cast.case_a.pk)
        heard: dict[str, list[dict[str, Any]]] = {}
        # Erin reads: the team is told, the other client is not.
        await sync_to_async(mark)(up_to=answer.pk, contact=cast.erin)
        heard["after_erin"] = await collect(sockets["bob"]) + await collect(sockets["carol"])
        # Alice reads the internal note only (Carol's question is older and stays unread for her).
        await sync_to_async(mark)(up_to=note.pk, user=cast.alice)
        for role in ("carol", "erin"):
            heard[f"{role}_after_alice"] = await collect(sockets[role])
        for communicator in sockets.values():
            await communicator.disconnect()
        return heard

    heard = async_to_sync(scenario)()
    assert [e["event"] for e in heard["after_erin"]] == ["seen.changed"]  # Bob only
    assert heard["after_erin"][0]["payload"] == {"case": cast.case_a.pk}
    # Alice newly saw Carol's question (a client message): clients are told "something changed",
    # with no id and no count; the internal note itself left no row.
    for role in ("carol", "erin"):
        events = heard[f"{role}_after_alice"]
        assert [e["payload"] for e in events] == [{"case": cast.case_a.pk}], role
    assert not MessageSeen.objects.filter(message=note).exists()


@pytest.mark.django_db
def test_anonymous_gets_no_seen_state(cast: Cast) -> None:
    anonymous = HttpClient()
    assert anonymous.get(team_url(cast)).status_code == 401
    assert anonymous.post(portal_url(cast), {"up_to": 1}).status_code == 401
