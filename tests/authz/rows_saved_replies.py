"""Saved replies rows (issue 16 §4): Settings → Saved replies and the ``/`` lists of a case
thread and a support conversation. Agency A's team only: clients, magic-link visitors, other
agencies and platform staff get the 404 (a team-only resource: a client never sees the list)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from casedesk.cases.models import SavedReply
from tests.authz.matrix import TEAM_A, Row
from tests.authz.rows_support import conversation_a
from tests.conftest import Cast

TITLE = "Acme saved reply: we are on it"
BODY = "Hi {{contact.first_name}}, we are on {{case.title}}. {{agent.first_name}}"


def reply_a(cast: Cast) -> SavedReply:
    found, _ = SavedReply.objects.get_or_create(agency=cast.agency_a, title=TITLE, defaults={"body": BODY})
    return found


def lists_the_reply(cast: Cast, response: HttpResponse) -> bool:
    reply_a(cast)
    return TITLE in response.content.decode()


def list_url(cast: Cast) -> str:
    reply_a(cast)
    return f"/settings/saved-replies/?agency={cast.agency_a.pk}"


def edit_url(cast: Cast) -> str:
    return f"/settings/saved-replies/{reply_a(cast).pk}/?agency={cast.agency_a.pk}"


def case_picker_url(cast: Cast) -> str:
    reply_a(cast)
    return f"/cases/{cast.case_a.pk}/saved-replies?q=on+it"


def support_picker_url(cast: Cast) -> str:
    reply_a(cast)
    return f"/support/conversations/{conversation_a(cast).pk}/saved-replies?q=on+it"


def add_data(cast: Cast) -> dict[str, Any]:
    return {"agency": cast.agency_a.pk, "title": f"Another {SavedReply.objects.count()}", "body": "Thanks!"}


def edit_data(cast: Cast) -> dict[str, Any]:
    return {"agency": cast.agency_a.pk, "title": TITLE, "body": "Changed text"}


ROWS = [
    Row("saved_replies", "list", "GET", list_url, TEAM_A, check=lists_the_reply),
    Row(
        "saved_replies",
        "add",
        "POST",
        lambda cast: "/settings/saved-replies/",
        TEAM_A,
        data=add_data,
        ok=(302,),
        check=lambda cast, response: SavedReply.objects.filter(agency=cast.agency_a, body="Thanks!").exists(),
    ),
    Row("saved_replies", "edit_page", "GET", edit_url, TEAM_A, check=lists_the_reply),
    Row(
        "saved_replies",
        "edit",
        "POST",
        edit_url,
        TEAM_A,
        data=edit_data,
        ok=(302,),
        check=lambda cast, response: reply_a(cast).body == "Changed text",
    ),
    Row(
        "saved_replies",
        "delete",
        "POST",
        lambda cast: f"/settings/saved-replies/{reply_a(cast).pk}/delete",
        TEAM_A,
        data=lambda cast: {"agency": cast.agency_a.pk},
        ok=(302,),
        check=lambda cast, response: (
            not SavedReply.objects.filter(agency=cast.agency_a, title=TITLE).exists()
        ),
    ),
    Row(
        "saved_replies",
        "case_picker",
        "GET",
        case_picker_url,
        TEAM_A,
        check=lists_the_reply,
    ),
    Row(
        "saved_replies",
        "support_picker",
        "GET",
        support_picker_url,
        TEAM_A,
        check=lists_the_reply,
    ),
]
