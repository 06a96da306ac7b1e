"""Conversation states, the bot's silence after handoff, the team's queue actions, the
dashboard's honest figures, the help-centre seed and the reconciler check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from casedesk.lib.errors import ActionError
from casedesk.support import actions
from casedesk.support.help import seed_help_articles
from casedesk.support.models import (
    Conversation,
    ConversationMessage,
    ConversationState,
    Escalation,
    Feedback,
    HelpArticle,
    MessageKind,
    WidgetSettings,
)
from casedesk.support.stats import dashboard_for
from tests.conftest import Cast
from tests.support_helpers import triage_stub  # noqa: F401

pytestmark = pytest.mark.django_db


def _start(cast: Cast) -> Conversation:
    return actions.do_start_conversation(agency=cast.agency_a, page_url="http://testserver/s/acme/")


def _kinds(conversation: Conversation) -> list[str]:
    return list(conversation.messages.order_by("id").values_list("kind", flat=True))


@pytest.mark.usefixtures("triage_stub")
def test_bot_answers_with_passage_and_link(cast: Cast) -> None:
    conversation = _start(cast)
    created = actions.do_post_visitor_message(conversation=conversation, body="Where is my invoice?")
    assert [m.kind for m in created] == [MessageKind.VISITOR, MessageKind.BOT_ANSWER]
    assert created[1].article_url == "/s/acme/help/invoices/"
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.BOT


@pytest.mark.usefixtures("triage_stub")
def test_low_confidence_escalates_instead_of_guessing(cast: Cast) -> None:
    conversation = _start(cast)
    actions.do_post_visitor_message(conversation=conversation, body="My cat ate the router")
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.ESCALATING
    assert Escalation.objects.get(conversation=conversation).reason == "low_confidence"
    assert MessageKind.BOT_ANSWER not in _kinds(conversation)


@pytest.mark.usefixtures("triage_stub")
def test_bot_stays_silent_after_handoff(cast: Cast, run_tasks: Callable[[], int]) -> None:
    conversation = _start(cast)
    actions.do_post_visitor_message(conversation=conversation, body="human please")
    run_tasks()
    for text in ("Where is my invoice?", "hello?", "human!!"):
        created = actions.do_post_visitor_message(conversation=conversation, body=text)
        assert [m.kind for m in created] == [MessageKind.VISITOR]
    assert _kinds(conversation).count(MessageKind.BOT_NOTICE) == 1  # told once, never looped
    assert Escalation.objects.filter(conversation=conversation).count() == 1


@pytest.mark.usefixtures("triage_stub")
def test_feedback_yes_is_a_confirmed_resolution_and_no_hands_over(cast: Cast) -> None:
    helped = _start(cast)
    answer = actions.do_post_visitor_message(conversation=helped, body="invoice?")[1]
    actions.do_feedback(conversation=helped, message_id=answer.pk, helpful=True)
    answer.refresh_from_db()
    assert answer.feedback == Feedback.HELPFUL
    helped.refresh_from_db()
    assert helped.state == ConversationState.BOT

    unhelped = _start(cast)
    answer2 = actions.do_post_visitor_message(conversation=unhelped, body="invoice?")[1]
    actions.do_feedback(conversation=unhelped, message_id=answer2.pk, helpful=False)
    unhelped.refresh_from_db()
    assert unhelped.state == ConversationState.ESCALATING
    assert Escalation.objects.get(conversation=unhelped).reason == "not_helpful"
    with pytest.raises(ActionError, match="not part of this conversation"):
        actions.do_feedback(conversation=helped, message_id=answer2.pk, helpful=True)


@pytest.mark.usefixtures("triage_stub")
def test_reply_from_the_queue_stops_the_bot_and_records_first_reply(cast: Cast) -> None:
    conversation = _start(cast)
    actions.do_post_visitor_message(conversation=conversation, body="invoice?")
    actions.do_reply_as_agent(conversation=conversation, user=cast.bob, body="Bob here, I can help.")
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.WITH_HUMAN
    assert conversation.assignee == cast.bob
    assert conversation.first_human_reply_at is not None
    created = actions.do_post_visitor_message(conversation=conversation, body="Where is my invoice?")
    assert [m.kind for m in created] == [MessageKind.VISITOR]


def test_claim_assign_close_reopen(cast: Cast, run_tasks: Callable[[], int]) -> None:
    conversation = _start(cast)
    actions.do_request_escalation(conversation=conversation)
    run_tasks()
    actions.do_claim(conversation=conversation, user=cast.bob)
    with pytest.raises(ActionError, match="already claimed"):
        actions.do_claim(conversation=conversation, user=cast.alice)
    with pytest.raises(ActionError, match="not on the Acme Agency team"):
        actions.do_assign(conversation=conversation, assignee=cast.dave, by=cast.alice)
    actions.do_assign(conversation=conversation, assignee=cast.alice, by=cast.bob)
    conversation.refresh_from_db()
    assert conversation.assignee == cast.alice and conversation.state == ConversationState.WITH_HUMAN
    actions.do_close(conversation=conversation, by=cast.alice)
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.CLOSED
    actions.do_reopen(conversation=conversation, by=cast.alice)
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.WITH_HUMAN


def test_visitor_writing_to_a_closed_conversation_reopens_it_to_the_queue(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    conversation = _start(cast)
    actions.do_request_escalation(conversation=conversation)
    run_tasks()
    actions.do_close(conversation=conversation)
    actions.do_post_visitor_message(conversation=conversation, body="One more thing")
    conversation.refresh_from_db()
    assert conversation.state == ConversationState.WAITING_FOR_HUMAN
    assert Escalation.objects.filter(conversation=conversation).count() == 1


def test_agency_member_cannot_act_on_another_agencys_conversation(cast: Cast) -> None:
    conversation = _start(cast)
    with pytest.raises(ActionError):
        actions.do_reply_as_agent(conversation=conversation, user=cast.dave, body="hi")


def test_expected_wait_uses_recent_median_once_there_is_history(cast: Cast) -> None:
    assert "within about 60 minutes" in actions.expected_wait_text(cast.agency_a)
    now = timezone.now()
    for minutes in (4, 6, 10, 12, 30):
        conversation = _start(cast)
        Conversation.objects.filter(pk=conversation.pk).update(
            escalated_at=now - timedelta(minutes=minutes), first_human_reply_at=now
        )
    assert actions.expected_wait_text(cast.agency_a) == "within about 10 minutes"


@pytest.mark.usefixtures("triage_stub")
def test_dashboard_reports_confirmed_and_assumed_separately(cast: Cast) -> None:
    confirmed = _start(cast)
    answer = actions.do_post_visitor_message(conversation=confirmed, body="invoice?")[1]
    actions.do_feedback(conversation=confirmed, message_id=answer.pk, helpful=True)
    assumed = _start(cast)
    actions.do_post_visitor_message(conversation=assumed, body="invoice please")
    answered_then_escalated = _start(cast)
    actions.do_post_visitor_message(conversation=answered_then_escalated, body="invoice again")
    actions.do_request_escalation(conversation=answered_then_escalated)
    escalated = _start(cast)
    actions.do_post_visitor_message(conversation=escalated, body="human")
    totals = dashboard_for(cast.agency_a).totals
    assert totals == {
        "questions": 4,
        "bot_answers": 3,
        "confirmed": 1,
        "assumed": 1,
        "escalated": 2,
        "csat_good": 0,
        "csat_bad": 0,
    }
    assert "<svg" in dashboard_for(cast.agency_a).svg()


def test_queue_lists_waiting_with_overdue_and_unread_in_constant_queries(
    cast: Cast, run_tasks: Callable[[], int], django_assert_max_num_queries: Any, settings: Any
) -> None:
    settings.SUPPORT_OVERDUE_SECONDS = 60
    http = cast.login(cast.bob)

    def make(count: int) -> None:
        for _ in range(count):
            conversation = _start(cast)
            actions.do_post_visitor_message(conversation=conversation, body="human please, urgent")
        Conversation.objects.update(escalated_at=timezone.now() - timedelta(minutes=5))

    make(2)
    with django_assert_max_num_queries(40) as small:
        http.get("/support/")
    make(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = http.get("/support/")
    html = response.content.decode()
    assert html.count("is-overdue") == 22
    assert html.count('aria-label="Unread"') == 22


def test_sidebar_count_is_the_current_agencys_waiting_conversations(cast: Cast) -> None:
    actions.do_request_escalation(conversation=_start(cast))
    from django.test import RequestFactory

    from casedesk.support.context_processors import shell

    request = RequestFactory().get("/support/")
    request.user = cast.bob
    request.session = {}  # type: ignore[assignment]
    assert str(shell(request)["support_waiting_count"]) == "1"
    request.user = cast.dave
    request._casedesk_viewer = None  # type: ignore[attr-defined]
    del request._casedesk_viewer  # type: ignore[attr-defined]
    assert str(shell(request)["support_waiting_count"]) == "0"


def test_help_seed_is_idempotent_and_has_example_questions() -> None:
    assert seed_help_articles() == (6, 0)
    assert seed_help_articles() == (0, 0)
    notes = HelpArticle.objects.get(agency__isnull=True, slug="internal-notes")
    assert notes.title.startswith("Internal notes")
    assert "What is an internal note?" in notes.example_question_list
    assert ConversationMessage.objects.count() == 0


def test_reconciler_surfaces_a_conversation_stuck_escalating_without_a_task(cast: Cast) -> None:
    from django_tasks_db.models import DBTaskResult

    from casedesk.support.reconcile import conversations_stuck_escalating

    conversation = _start(cast)
    actions.do_request_escalation(conversation=conversation)
    Conversation.objects.filter(pk=conversation.pk).update(
        escalated_at=timezone.now() - timedelta(minutes=10)
    )
    assert list(conversations_stuck_escalating()) == []  # its task is still queued
    DBTaskResult.objects.all().delete()  # the task is lost (a bug, a restore from backup ...)
    stuck = list(conversations_stuck_escalating())
    assert [item.args for item in stuck] == [[conversation.pk]]
    assert stuck[0].url == f"/support/conversations/{conversation.pk}/"


def test_help_centre_pages_are_public_and_tenant_scoped(cast: Cast) -> None:
    from django.test import Client as HttpClient

    seed_help_articles()
    HelpArticle.objects.create(
        agency=cast.agency_a, slug="invoices", title="Acme invoices", body="**Monthly**."
    )
    HelpArticle.objects.create(agency=cast.agency_b, slug="secret", title="Bravo only", body="b")
    http = HttpClient()
    assert "Internal notes" in http.get("/help/").content.decode()
    assert "<strong>Monthly</strong>" in http.get("/s/acme/help/invoices/").content.decode()
    assert "Bravo only" not in http.get("/s/acme/help/").content.decode()
    assert http.get("/s/acme/help/secret/").status_code == 404
    assert http.get("/help/invoices/").status_code == 404
    assert http.get("/s/platform/").status_code == 404


def test_the_widget_header_reads_the_expected_wait_from_a_short_cache(cast: Cast) -> None:
    assert actions.expected_wait_for_widget(cast.agency_a) == "within about 60 minutes"
    WidgetSettings.objects.update_or_create(agency=cast.agency_a, defaults={"expected_reply_minutes": 5})
    # Every page with the widget asks; within two minutes they share one answer ...
    assert actions.expected_wait_for_widget(cast.agency_a) == "within about 60 minutes"
    # ... while the handover notice reads it fresh.
    assert actions.expected_wait_text(cast.agency_a) == "within about 5 minutes"
