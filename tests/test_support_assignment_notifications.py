"""Whoever is given a support conversation by someone else, or by auto-assignment, hears of it
in the bell and on the notifications page (issue 14: "who did what (mention, client reply,
assignment)"). Taking one yourself (Claim, or replying) notifies nobody."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from casedesk.accounts.models import User
from casedesk.cases.models import Notification, NotificationKind
from casedesk.lib.avatars import avatar_html
from casedesk.support import actions
from casedesk.support.assignment import do_set_availability
from casedesk.support.models import Conversation, WidgetSettings
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _escalated(cast: Cast, run_tasks: Callable[[], int]) -> Conversation:
    conversation = actions.do_start_conversation(agency=cast.agency_a, page_url="http://testserver/s/acme/")
    actions.do_request_escalation(conversation=conversation)
    run_tasks()
    conversation.refresh_from_db()
    return conversation


def _assignments(user: User) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=NotificationKind.ASSIGNMENT))


def test_assigning_someone_else_notifies_them_once_with_a_link(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    conversation = _escalated(cast, run_tasks)
    actions.do_assign(conversation=conversation, assignee=cast.bob, by=cast.adam)
    (note,) = _assignments(cast.bob)
    assert (
        note.text
        == f"{cast.adam.name} assigned you the support conversation with {conversation.visitor.display_name}."
    )
    assert note.url == f"/support/conversations/{conversation.pk}/"
    assert note.case_id == conversation.case_id and note.agency_id == cast.agency_a.pk
    assert _assignments(cast.adam) == []
    # Assigning the same person again is no news.
    actions.do_assign(conversation=conversation, assignee=cast.bob, by=cast.adam)
    assert len(_assignments(cast.bob)) == 1

    assert note.actor == cast.adam
    page = cast.login(cast.bob).get("/cases/notifications/").content.decode()
    assert f"{cast.adam.name} assigned you the support conversation with" in page
    # The avatar is Adam's (his initials on his colour), not casedesk's.
    assert avatar_html(cast.adam.name, f"u{cast.adam.pk}").strip() in page


def test_claiming_or_assigning_yourself_notifies_nobody(cast: Cast, run_tasks: Callable[[], int]) -> None:
    first = _escalated(cast, run_tasks)
    actions.do_claim(conversation=first, user=cast.bob)
    second = _escalated(cast, run_tasks)
    actions.do_assign(conversation=second, assignee=cast.adam, by=cast.adam)
    assert Notification.objects.filter(kind=NotificationKind.ASSIGNMENT).count() == 0


def test_auto_assignment_notifies_the_person_chosen(cast: Cast, run_tasks: Callable[[], int]) -> None:
    WidgetSettings.objects.update_or_create(agency=cast.agency_a, defaults={"auto_assign": True})
    do_set_availability(agency=cast.agency_a, user=cast.bob, available=True)
    conversation = _escalated(cast, run_tasks)
    assert conversation.assignee == cast.bob
    (note,) = _assignments(cast.bob)
    assert note.text.startswith("Auto-assignment assigned you the support conversation with")
    assert note.actor is None  # the system did it: casedesk's avatar


def test_the_assignment_shows_in_the_bell_count(cast: Cast, run_tasks: Callable[[], int]) -> None:
    conversation = _escalated(cast, run_tasks)
    http = cast.login(cast.bob)
    before = http.get("/api/notifications?unread=true").json()["unread"]
    actions.do_assign(conversation=conversation, assignee=cast.bob, by=cast.alice)
    after = http.get("/api/notifications?unread=true").json()
    assert after["unread"] == before + 1
    assert any(item["kind"] == "assignment" for item in after["items"])
