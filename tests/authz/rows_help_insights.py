"""Settings → Help centre rows: agency A's low-confidence questions, and the two buttons that turn
them into example questions or a draft article. Owners and admins of A only."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from casedesk.support import bot
from casedesk.support.actions import do_request_escalation, do_start_conversation
from casedesk.support.models import Conversation, ConversationMessage, HelpArticle, MessageKind
from tests.authz.matrix import MANAGERS_A, Row
from tests.conftest import Cast

QUESTION = "Acme visitor asks about refunds for a broken kettle"


def escalated_question(cast: Cast) -> ConversationMessage:
    existing = ConversationMessage.objects.filter(conversation__agency=cast.agency_a, body=QUESTION).first()
    if existing is not None:
        return existing
    conversation: Conversation = do_start_conversation(agency=cast.agency_a)
    line = ConversationMessage.objects.create(
        conversation=conversation, kind=MessageKind.VISITOR, body=QUESTION, asked_bot=True
    )
    do_request_escalation(conversation=conversation, reason=bot.REASON_LOW_CONFIDENCE)
    return line


def article_a(cast: Cast) -> HelpArticle:
    found, _ = HelpArticle.objects.get_or_create(
        agency=cast.agency_a, slug="refunds", defaults={"title": "Refunds", "body": "Within 30 days."}
    )
    return found


def page_url(cast: Cast) -> str:
    escalated_question(cast)
    return f"/settings/help-centre/?agency={cast.agency_a.pk}"


def shows_the_question(cast: Cast, response: HttpResponse) -> bool:
    return QUESTION in response.content.decode()


def add_data(cast: Cast) -> dict[str, Any]:
    return {
        "agency": cast.agency_a.pk,
        "article": article_a(cast).pk,
        "question": [escalated_question(cast).pk],
    }


def draft_data(cast: Cast) -> dict[str, Any]:
    return {"agency": cast.agency_a.pk, "question": [escalated_question(cast).pk]}


ROWS = [
    Row("help_insights", "view", "GET", page_url, MANAGERS_A, check=shows_the_question),
    Row(
        "help_insights",
        "add_example_questions",
        "POST",
        lambda cast: "/settings/help-centre/add-examples/",
        MANAGERS_A,
        data=add_data,
        ok=(302,),
        check=lambda cast, response: QUESTION in article_a(cast).example_questions,
    ),
    Row(
        "help_insights",
        "draft_article",
        "POST",
        lambda cast: "/settings/help-centre/draft-article/",
        MANAGERS_A,
        data=draft_data,
        ok=(302,),
        check=lambda cast, response: HelpArticle.objects.filter(
            agency=cast.agency_a, is_published=False, example_questions=QUESTION
        ).exists(),
    ),
]
