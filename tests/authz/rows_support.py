"""Support chat rows: the queue, conversations, the platform console, widget settings, and the
widget API with visitor tokens (own, another visitor's, another agency's, a signed-in person's)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from casedesk.support.actions import do_request_escalation, do_start_conversation
from casedesk.support.identity import issue_visitor_token, widget_settings_for
from casedesk.support.models import Conversation, Visitor
from tests.authz.matrix import MANAGERS_A, NOBODY, ROLES, TEAM_A, Row
from tests.conftest import Cast

EVERYONE = frozenset(ROLES)
A_SUBJECT = "Acme widget question about delivery"
PLATFORM_SUBJECT = "Acme team asks the platform about exports"


def conversation_a(cast: Cast) -> Conversation:
    existing = Conversation.objects.filter(agency=cast.agency_a, subject=A_SUBJECT).first()
    if existing is not None:
        return existing
    visitor = Visitor.objects.create(agency=cast.agency_a, name="Sam Shopper")
    conversation = do_start_conversation(agency=cast.agency_a, visitor=visitor, subject=A_SUBJECT)
    do_request_escalation(conversation=conversation)
    return conversation


def conversation_platform(cast: Cast) -> Conversation:
    existing = Conversation.objects.filter(agency=cast.platform, subject=PLATFORM_SUBJECT).first()
    if existing is not None:
        return existing
    visitor, _ = Visitor.objects.get_or_create(agency=cast.platform, user=cast.bob)
    conversation = do_start_conversation(
        agency=cast.platform, visitor=visitor, requesting_agency=cast.agency_a, subject=PLATFORM_SUBJECT
    )
    do_request_escalation(conversation=conversation)
    return conversation


def token_of(visitor: Visitor) -> str:
    return issue_visitor_token(visitor)


def _is_team_a(cast: Cast, response: HttpResponse) -> bool:
    user = response.wsgi_request.user  # type: ignore[attr-defined]
    return user.is_authenticated and user.pk in (cast.alice.pk, cast.adam.pk, cast.bob.pk)


def queue_shows_only_own_agency(cast: Cast, response: HttpResponse) -> bool:
    shown = A_SUBJECT in response.content.decode()
    return shown if _is_team_a(cast, response) else not shown


def settings_secret_only_for_a_managers(cast: Cast, response: HttpResponse) -> bool:
    secret = widget_settings_for(cast.agency_a).identity_secret
    shown = secret in response.content.decode()
    user = response.wsgi_request.user  # type: ignore[attr-defined]
    return shown if user.pk in (cast.alice.pk, cast.adam.pk) else not shown


def _message(token: str) -> dict[str, Any]:
    return {"body": "Any news?", "visitor_token": token}


ROWS = [
    # Sidebar → Support: everyone on a team gets their own agency's queue, nobody sees another's.
    Row(
        "support_queue",
        "view",
        "GET",
        lambda cast: (conversation_a(cast), "/support/")[1],
        TEAM_A | {"outsider", "platform_staff"},
        check=queue_shows_only_own_agency,
    ),
    Row(
        "support_conversation",
        "view",
        "GET",
        lambda cast: f"/support/conversations/{conversation_a(cast).pk}/",
        TEAM_A,
        check=lambda cast, response: A_SUBJECT in response.content.decode(),
    ),
    Row(
        "support_conversation",
        "poll_transcript",
        "GET",
        lambda cast: f"/support/conversations/{conversation_a(cast).pk}/transcript/",
        TEAM_A,
    ),
    Row(
        "support_conversation",
        "reply",
        "POST",
        lambda cast: f"/support/conversations/{conversation_a(cast).pk}/reply/",
        TEAM_A,
        data=lambda cast: {"body": "Hello from the team"},
        ok=(302,),
    ),
    Row(
        "support_conversation",
        "claim",
        "POST",
        lambda cast: f"/support/conversations/{conversation_a(cast).pk}/claim/",
        TEAM_A,
        ok=(302,),
    ),
    Row(
        "support_conversation",
        "close",
        "POST",
        lambda cast: f"/support/conversations/{conversation_a(cast).pk}/close/",
        TEAM_A,
        ok=(302,),
    ),
    # The platform console and the teams' conversations with the platform desk.
    Row("support_console", "view", "GET", lambda cast: "/support/console/", frozenset({"platform_staff"})),
    Row(
        "support_platform_conversation",
        "view",
        "GET",
        lambda cast: f"/support/conversations/{conversation_platform(cast).pk}/",
        frozenset({"platform_staff"}),
    ),
    Row(
        "support_platform_conversation",
        "reply",
        "POST",
        lambda cast: f"/support/conversations/{conversation_platform(cast).pk}/reply/",
        frozenset({"platform_staff"}),
        data=lambda cast: {"body": "Platform support here"},
        ok=(302,),
    ),
    # Settings → Support Widget Visibility: owners and admins, each of their own agency only.
    Row(
        "support_widget_settings",
        "view",
        "GET",
        lambda cast: "/settings/support-widget/",
        MANAGERS_A | {"outsider"},
        check=settings_secret_only_for_a_managers,
    ),
    # The widget API: a visitor token is the credential, whoever holds it.
    Row(
        "widget_conversation",
        "post_with_own_token",
        "POST",
        lambda cast: f"/widget/api/acme/conversations/{conversation_a(cast).public_id}/messages",
        EVERYONE,
        data=lambda cast: _message(token_of(conversation_a(cast).visitor)),
        content_type="application/json",
        ok=(201,),
    ),
    Row(
        "widget_conversation",
        "post_with_another_visitors_token",
        "POST",
        lambda cast: f"/widget/api/acme/conversations/{conversation_a(cast).public_id}/messages",
        NOBODY,
        data=lambda cast: _message(token_of(Visitor.objects.create(agency=cast.agency_a))),
        content_type="application/json",
    ),
    Row(
        "widget_conversation",
        "post_with_other_agency_token",
        "POST",
        lambda cast: f"/widget/api/acme/conversations/{conversation_a(cast).public_id}/messages",
        NOBODY,
        data=lambda cast: _message(token_of(Visitor.objects.create(agency=cast.agency_b))),
        content_type="application/json",
    ),
    Row(
        "widget_conversation",
        "own_token_under_other_agency_slug",
        "POST",
        lambda cast: f"/widget/api/bravo/conversations/{conversation_a(cast).public_id}/messages",
        NOBODY,
        data=lambda cast: _message(token_of(conversation_a(cast).visitor)),
        content_type="application/json",
    ),
    Row(
        "widget_conversation",
        "post_without_token",
        "POST",
        lambda cast: f"/widget/api/acme/conversations/{conversation_a(cast).public_id}/messages",
        NOBODY,
        data=lambda cast: {"body": "Any news?"},
        content_type="application/json",
    ),
    # A signed-in person's chat needs their own session as well as the token.
    Row(
        "widget_platform_conversation",
        "post_with_signed_in_visitors_token",
        "POST",
        lambda cast: f"/widget/api/platform/conversations/{conversation_platform(cast).public_id}/messages",
        frozenset({"member"}),
        data=lambda cast: _message(token_of(conversation_platform(cast).visitor)),
        content_type="application/json",
        ok=(201,),
    ),
]
