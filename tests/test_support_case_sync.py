"""The escalated case follows the chat: who owns it, and who wrote each mirrored line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from casedesk.cases.models import Message, MessageSource
from casedesk.support import actions
from casedesk.support.models import Conversation, Visitor
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _escalated(cast: Cast, run_tasks: Callable[[], int], visitor: Visitor | None = None) -> Conversation:
    conversation = actions.do_start_conversation(
        agency=cast.agency_a, visitor=visitor, page_url="http://testserver/s/acme/"
    )
    actions.do_request_escalation(conversation=conversation)
    run_tasks()
    conversation.refresh_from_db()
    assert conversation.case is not None
    return conversation


def test_claiming_a_conversation_makes_the_claimer_the_cases_assignee(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    conversation = _escalated(cast, run_tasks)
    assert conversation.case is not None
    assert list(conversation.case.members.all()) == []
    actions.do_claim(conversation=conversation, user=cast.bob)
    assert list(conversation.case.members.all()) == [cast.bob]
    actions.do_claim(conversation=conversation, user=cast.bob)  # idempotent
    assert list(conversation.case.members.all()) == [cast.bob]


def test_assigning_moves_the_case_from_the_previous_owner_to_the_new_one(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    conversation = _escalated(cast, run_tasks)
    assert conversation.case is not None
    conversation.case.members.add(cast.adam)  # someone the team added by hand stays
    actions.do_claim(conversation=conversation, user=cast.bob)
    actions.do_assign(conversation=conversation, assignee=cast.alice, by=cast.bob)
    assert set(conversation.case.members.all()) == {cast.alice, cast.adam}


def test_the_first_reply_of_an_unclaimed_conversation_assigns_the_case(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    conversation = _escalated(cast, run_tasks)
    assert conversation.case is not None
    actions.do_reply_as_agent(conversation=conversation, user=cast.alice, body="Alice here.")
    assert list(conversation.case.members.all()) == [cast.alice]


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ("Ana Lima", "ana@example.com", "Ana Lima (support chat)"),
        ("", "ana@example.com", "ana@example.com (support chat)"),
        ("", "", "Visitor "),
    ],
)
def test_a_visitors_follow_up_in_the_case_is_signed_with_the_visitor_not_casedesk(
    cast: Cast, run_tasks: Callable[[], int], name: str, email: str, expected: str
) -> None:
    visitor = Visitor.objects.create(agency=cast.agency_a, name=name, email=email)
    conversation = _escalated(cast, run_tasks, visitor)
    actions.do_post_visitor_message(conversation=conversation, body="One more thing: it is urgent.")
    line = Message.objects.filter(case=conversation.case, source=MessageSource.SUPPORT_CHAT).latest("id")
    assert line.body == "One more thing: it is urgent."
    assert line.author_name.startswith(expected)
    assert "casedesk" not in line.author_name
    assert line.author_user_id is None and line.author_contact_id is None


def test_the_case_page_shows_the_visitors_name_on_their_line(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    visitor = Visitor.objects.create(agency=cast.agency_a, name="Ana Lima")
    conversation = _escalated(cast, run_tasks, visitor)
    actions.do_post_visitor_message(conversation=conversation, body="Still there?")
    assert conversation.case is not None
    page = cast.login(cast.alice).get(f"/cases/{conversation.case.pk}/messages/")
    html = page.content.decode()
    assert "Ana Lima (support chat)" in html


def test_an_agents_line_in_the_case_is_signed_by_the_agent(cast: Cast, run_tasks: Callable[[], int]) -> None:
    conversation = _escalated(cast, run_tasks)
    actions.do_reply_as_agent(conversation=conversation, user=cast.bob, body="On it.")
    line = Message.objects.filter(case=conversation.case, body="On it.").get()
    assert line.author_user == cast.bob and line.author_label == ""
