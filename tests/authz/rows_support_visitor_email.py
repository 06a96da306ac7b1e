"""Support chat, the answer by email (issue 16): the visitor's address and "seen" reports through
the widget API (the visitor token is the credential), and the signed one-click unsubscribe link."""

from __future__ import annotations

from typing import Any

from casedesk.support.actions import do_set_answer_email
from casedesk.support.models import Visitor
from casedesk.support.visitor_email import unsubscribe_token
from tests.authz.matrix import NOBODY, ROLES, Row
from tests.authz.rows_support import conversation_a, token_of
from tests.conftest import Cast

EVERYONE = frozenset(ROLES)


def _email(token: str) -> dict[str, Any]:
    return {"email": "sam@example.com", "visitor_token": token}


def _seen(token: str) -> dict[str, Any]:
    return {"up_to": 10**9, "visitor_token": token}


def _answer_url(cast: Cast) -> str:
    return f"/widget/api/acme/conversations/{conversation_a(cast).public_id}/answer-email"


def _seen_url(cast: Cast) -> str:
    return f"/widget/api/acme/conversations/{conversation_a(cast).public_id}/seen"


def _unsubscribe_url(cast: Cast, forged: bool = False) -> str:
    conversation = do_set_answer_email(conversation=conversation_a(cast), email="sam@example.com")
    token = unsubscribe_token(conversation)
    return f"/support/unsubscribe/{token[:-2] + 'zz' if forged else token}/"


ROWS = [
    Row(
        "widget_answer_email",
        "set_with_own_token",
        "POST",
        _answer_url,
        EVERYONE,
        data=lambda cast: _email(token_of(conversation_a(cast).visitor)),
        content_type="application/json",
    ),
    Row(
        "widget_answer_email",
        "set_with_another_visitors_token",
        "POST",
        _answer_url,
        NOBODY,
        data=lambda cast: _email(token_of(Visitor.objects.create(agency=cast.agency_a))),
        content_type="application/json",
    ),
    Row(
        "widget_answer_email",
        "set_with_other_agency_token",
        "POST",
        _answer_url,
        NOBODY,
        data=lambda cast: _email(token_of(Visitor.objects.create(agency=cast.agency_b))),
        content_type="application/json",
    ),
    Row(
        "widget_answer_email",
        "set_without_token",
        "POST",
        _answer_url,
        NOBODY,
        data=lambda cast: {"email": "sam@example.com"},
        content_type="application/json",
    ),
    Row(
        "widget_seen",
        "report_with_own_token",
        "POST",
        _seen_url,
        EVERYONE,
        data=lambda cast: _seen(token_of(conversation_a(cast).visitor)),
        content_type="application/json",
    ),
    Row(
        "widget_seen",
        "report_with_another_visitors_token",
        "POST",
        _seen_url,
        NOBODY,
        data=lambda cast: _seen(token_of(Visitor.objects.create(agency=cast.agency_a))),
        content_type="application/json",
    ),
    # The signed link is the credential (RFC 8058: the mail client POSTs without a session).
    Row("answer_email_unsubscribe", "one_click", "POST", _unsubscribe_url, EVERYONE),
    Row(
        "answer_email_unsubscribe",
        "forged_link",
        "POST",
        lambda cast: _unsubscribe_url(cast, forged=True),
        NOBODY,
    ),
]
