"""Leak canary for the support chat: internal notes added to an escalated case never reach the
visitor, on any channel the widget has.

Channels covered: widget bootstrap, conversation list, conversation transcript (full and
incremental), the responses to posting a message / asking for a person / feedback, live
websocket events, the storefront and help-centre pages, and (for a team's escalation to the
platform desk) the requesting team member's access to the platform case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.http import Http404

from casedesk.accounts.access import viewer_for_user
from casedesk.cases.access import access_case
from casedesk.cases.actions import do_post_message
from casedesk.support import live
from casedesk.support.models import Conversation
from tests.conftest import Cast
from tests.support_helpers import SITE, Widget, triage_stub  # noqa: F401

CANARY = "CANARY-support-7f3a9c"

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_events(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    sent: list[Any] = []
    monkeypatch.setattr(live, "_send", lambda group, payload: sent.append((group, payload)))
    return sent


@pytest.mark.usefixtures("triage_stub")
def test_customer_never_sees_internal_notes_added_to_the_escalated_case(
    cast: Cast,
    run_tasks: Callable[[], int],
    live_events: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()
    widget = Widget("acme")
    assert widget.bootstrap().status_code == 200
    collected: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        started = widget.ask("Where is my invoice?")
        collected.append(started.content.decode())
        public_id = started.json()["conversation"]["id"]
        collected.append(widget.post(f"/conversations/{public_id}/escalate").content.decode())
    run_tasks()
    conversation = Conversation.objects.get(public_id=public_id)
    assert conversation.case is not None
    # The team writes internal notes (and an internal file) on the escalated case ...
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(
            case=conversation.case,
            body=f"Internal: {CANARY} refund abuse?",
            author_user=cast.bob,
            internal_only=True,
        )
        do_post_message(
            case=conversation.case,
            body="see file",
            author_user=cast.bob,
            internal_only=True,
            files=[ContentFile(CANARY.encode(), name=f"{CANARY}.txt")],
        )
        # ... and replies in the chat, which the visitor must see.
        from casedesk.support.actions import do_reply_as_agent

        do_reply_as_agent(conversation=conversation, user=cast.bob, body="Hi, Bob here. Checking now.")
    # Every channel the visitor has:
    collected.append(widget.bootstrap().content.decode())
    collected.append(widget.get("/conversations").content.decode())
    transcript = widget.get(f"/conversations/{public_id}")
    collected.append(transcript.content.decode())
    collected.append(widget.get(f"/conversations/{public_id}?after=0").content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        collected.append(
            widget.post(f"/conversations/{public_id}/messages", {"body": "Thanks!"}).content.decode()
        )
    collected.append(repr(live_events))
    for page in ("/s/acme/", "/s/acme/help/"):
        collected.append(widget.http.get(page).content.decode())
    assert "Bob here" in transcript.content.decode()  # the channel works ...
    assert live_events, "live events were not captured"
    hits = [text for text in collected if CANARY in text]
    assert hits == [], "the canary leaked to the visitor"


def test_team_member_who_escalated_to_the_platform_never_sees_platform_internal_notes(
    cast: Cast, run_tasks: Callable[[], int], live_events: list[Any]
) -> None:
    widget = Widget("platform", http=cast.login(cast.bob))
    assert widget.bootstrap(page_url=f"{SITE}/cases/").status_code == 200
    started = widget.post("/conversations", {"body": "I need a human to look at our exports"})
    public_id = started.json()["conversation"]["id"]
    run_tasks()
    conversation = Conversation.objects.get(public_id=public_id)
    assert conversation.case is not None and conversation.case.agency == cast.platform
    do_post_message(
        case=conversation.case, body=f"Platform internal {CANARY}", author_user=cast.pat, internal_only=True
    )
    collected = [
        widget.get(f"/conversations/{public_id}").content.decode(),
        widget.get("/conversations").content.decode(),
        widget.bootstrap(page_url=f"{SITE}/cases/").content.decode(),
        repr(live_events),
    ]
    assert all(CANARY not in text for text in collected)
    with pytest.raises(Http404):
        access_case(viewer_for_user(cast.bob), conversation.case.pk)


@pytest.mark.usefixtures("triage_stub")
def test_the_visitor_answer_email_carries_no_internal_note_and_no_other_tenants_lines(
    cast: Cast, run_tasks: Callable[..., int]
) -> None:
    from django.core import mail

    from casedesk.support.actions import (
        do_post_visitor_message,
        do_reply_as_agent,
        do_set_answer_email,
        do_start_conversation,
    )

    for agency in (cast.agency_a, cast.agency_b):
        agency.support_widget_for_customers = True
        agency.save()
    ours = do_start_conversation(agency=cast.agency_a, page_url=f"{SITE}/s/acme/")
    do_post_visitor_message(conversation=ours, body="human please: where is my order?")
    theirs = do_start_conversation(agency=cast.agency_b, page_url=f"{SITE}/s/bravo/")
    do_post_visitor_message(conversation=theirs, body=f"human please: {CANARY} bravo secret")
    run_tasks()
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.case is not None and theirs.case is not None
    do_post_message(
        case=ours.case, body=f"Internal: {CANARY} refund abuse?", author_user=cast.bob, internal_only=True
    )
    do_post_message(
        case=ours.case,
        body="internal file",
        author_user=cast.bob,
        internal_only=True,
        files=[ContentFile(CANARY.encode(), name=f"{CANARY}.txt")],
    )
    for conversation, author, address in (
        (ours, cast.bob, "sam@example.com"),
        (theirs, cast.dave, "uma@example.com"),
    ):
        do_set_answer_email(conversation=conversation, email=address)
        do_reply_as_agent(conversation=conversation, user=author, body="Checking now.")
    mail.outbox.clear()
    run_tasks(include_delayed=True)
    to_ours = [m for m in mail.outbox if m.to == ["sam@example.com"]]
    assert len(to_ours) == 1  # the channel works ...
    sent = to_ours[0]
    text = sent.message().as_string()
    assert "where is my order?" in text
    assert CANARY not in text, "the canary leaked into the visitor's answer email"
