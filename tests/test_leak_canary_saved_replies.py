"""Leak canary for saved replies (issue 16 §4): the team's saved replies are a team-only
resource. Planted: a saved reply in agency A and one in agency B, each with a unique string in
its name and its text. Collected: every page, list and API a client, a magic-link visitor,
another client, a widget visitor and another agency's team can reach or try, and agency A's
own team pickers. Zero hits outside A's team; A's team never sees B's."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from casedesk.cases.saved_reply_actions import do_create_saved_reply
from casedesk.support.models import Conversation
from tests.conftest import Cast
from tests.support_helpers import Widget, triage_stub  # noqa: F401

A_TITLE, A_TEXT = "CANARY-saved-title-a-71c2", "CANARY-saved-text-a-0d9e"
B_TITLE, B_TEXT = "CANARY-saved-title-b-4a6f", "CANARY-saved-text-b-e83b"

pytestmark = pytest.mark.django_db


def fetch(http: HttpClient, url: str, **headers: str) -> str:
    return http.get(url, headers=headers or None).content.decode(errors="replace")


@pytest.mark.usefixtures("triage_stub")
def test_saved_replies_reach_only_their_own_team(cast: Cast) -> None:
    do_create_saved_reply(agency=cast.agency_a, author=cast.alice, title=A_TITLE, body=f"{A_TEXT} hi")
    do_create_saved_reply(agency=cast.agency_b, author=cast.dave, title=B_TITLE, body=f"{B_TEXT} hi")
    for agency in (cast.agency_a, cast.agency_b):
        agency.support_widget_for_customers = True
        agency.save()
    # A widget visitor of agency A hands over, so there is a support conversation with a case.
    widget = Widget(cast.agency_a.slug)
    assert widget.bootstrap().status_code == 200
    asked = widget.ask("I would like to talk to a person please")
    assert asked.status_code in (200, 201), asked.content
    conversation = Conversation.objects.get(agency=cast.agency_a)
    public_id = str(conversation.public_id)
    a, a2, b = cast.case_a.pk, cast.case_a2.pk, cast.case_b.pk
    settings_urls = [
        "/settings/saved-replies/",
        f"/settings/saved-replies/?agency={cast.agency_a.pk}",
        f"/settings/saved-replies/?agency={cast.agency_b.pk}",
        *[f"/settings/saved-replies/{pk}/" for pk in range(1, 4)],
        "/settings/profile/",
    ]
    picker_urls = [
        *[f"/cases/{case_id}/saved-replies?q={q}" for case_id in (a, a2, b) for q in ("", "CANARY")],
        f"/support/conversations/{conversation.pk}/saved-replies?q=",
    ]
    client_pages = [
        "/my-cases/",
        f"/my-cases/{a}/messages",
        f"/my-cases/{a}/messages/feed?after=0",
        f"/my-cases/{a}/documents",
        "/api/cases",
        f"/api/cases/{a}/messages",
        "/search/my-cases/?q=CANARY",
        "/api/search?q=CANARY",
    ]
    outsiders: dict[str, HttpClient] = {
        "portal_client": cast.login(cast.carol_user),
        "magic_client": cast.magic_client(),
        "other_client": cast.login(cast.frank_user),
        "anonymous": HttpClient(),
        "platform_staff": cast.login(cast.pat),
    }
    collected: dict[str, list[str]] = {}
    for role, http in outsiders.items():
        collected[role] = [fetch(http, url) for url in settings_urls + picker_urls + client_pages]
    collected["widget_visitor"] = [
        fetch(widget.http, f"/widget/api/{cast.agency_a.slug}{path}", **widget.headers())
        for path in (
            "/config",
            f"/conversations/{public_id}",
            f"/conversations/{public_id}/messages",
            "/history",
        )
    ] + [fetch(widget.http, url) for url in settings_urls + picker_urls]
    dave = cast.login(cast.dave)
    collected["other_agency_team"] = [fetch(dave, url) for url in settings_urls + picker_urls]
    for role, texts in collected.items():
        joined = "\n".join(texts)
        for canary in (A_TITLE, A_TEXT):
            assert canary not in joined, f"{role} saw agency A's saved reply ({canary})"
    # Dave does see his own agency's (the test would pass vacuously if the pages never showed any).
    assert B_TITLE in fetch(dave, "/settings/saved-replies/") and B_TEXT in fetch(
        dave, f"/cases/{b}/saved-replies"
    )

    bob = cast.login(cast.bob)
    team_texts = "\n".join(fetch(bob, url) for url in settings_urls + picker_urls)
    assert A_TITLE in team_texts and A_TEXT in team_texts
    assert B_TITLE not in team_texts and B_TEXT not in team_texts
    assert set(collected) == {*outsiders, "widget_visitor", "other_agency_team"}
