"""The answer finds the visitor: a person's reply the visitor has not seen goes out by email."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client as HttpClient

from casedesk.cases.actions import do_post_message
from casedesk.jobs.models import FailedJob
from casedesk.support import actions
from casedesk.support.identity import identity_hash, widget_settings_for
from casedesk.support.models import Conversation, VisitorReplyEmail
from casedesk.support.visitor_email import (
    send_visitor_reply_email,
    unsubscribe_token,
    unsubscribe_url,
)
from tests.conftest import Cast
from tests.support_helpers import Widget, triage_stub  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("triage_stub")]

CANARY = "CANARY-visitor-email-51d2"


@pytest.fixture(autouse=True)
def _widget_on(cast: Cast) -> None:
    cache.clear()
    cast.agency_a.support_widget_for_customers = True
    cast.agency_a.save()


def _handover(widget: Widget, run_tasks: Callable[..., int]) -> tuple[str, Conversation]:
    widget.bootstrap()
    started = widget.ask("human please, my order is late").json()
    public_id = started["conversation"]["id"]
    assert started["ask_answer_email"] is True  # the widget asks for an address at the handover
    run_tasks()
    return public_id, Conversation.objects.get(public_id=public_id)


def test_an_unseen_reply_is_emailed_once_with_the_latest_lines_and_one_click_unsubscribe(
    cast: Cast, run_tasks: Callable[..., int]
) -> None:
    widget = Widget("acme")
    public_id, conversation = _handover(widget, run_tasks)
    answered = widget.post(f"/conversations/{public_id}/answer-email", {"email": "ana@example.com"})
    assert answered.status_code == 200 and answered.json()["ask_answer_email"] is False
    assert conversation.case is not None
    do_post_message(case=conversation.case, body=f"note {CANARY}", author_user=cast.bob, internal_only=True)
    actions.do_reply_as_agent(conversation=conversation, user=cast.bob, body="Your parcel left today.")
    mail.outbox.clear()
    run_tasks()  # not yet: the reply waits a few minutes for the visitor to see it
    assert mail.outbox == []
    run_tasks(include_delayed=True)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ana@example.com"]
    assert "answered" in sent.subject
    text = str(sent.body) + str(getattr(sent, "alternatives")[0][0])  # noqa: B009
    assert "Your parcel left today." in text and "human please, my order is late" in text
    assert CANARY not in text + str(sent.extra_headers)
    assert "#casedesk-chat" in text
    conversation.refresh_from_db()
    assert sent.extra_headers["List-Unsubscribe"] == f"<{unsubscribe_url(conversation)}>"
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Running the task again (retry, duplicate delivery, replay) sends nothing more.
    reply_id = VisitorReplyEmail.objects.get().message_id
    assert send_visitor_reply_email.call(reply_id) is False
    assert len(mail.outbox) == 1


def test_a_reply_the_open_widget_showed_is_not_emailed(cast: Cast, run_tasks: Callable[..., int]) -> None:
    widget = Widget("acme")
    public_id, conversation = _handover(widget, run_tasks)
    widget.post(f"/conversations/{public_id}/answer-email", {"email": "ana@example.com"})
    reply = actions.do_reply_as_agent(conversation=conversation, user=cast.bob, body="Seen live.")
    # The visitor's question, the handover notice and the reply were all on screen.
    assert widget.post(f"/conversations/{public_id}/seen", {"up_to": reply.pk}).json() == {"marked": 3}
    reply.refresh_from_db()
    assert reply.seen_at is not None
    mail.outbox.clear()
    run_tasks(include_delayed=True)
    assert mail.outbox == []


def test_one_click_unsubscribe_works_by_post_without_signing_in(
    cast: Cast, run_tasks: Callable[..., int]
) -> None:
    widget = Widget("acme")
    public_id, conversation = _handover(widget, run_tasks)
    widget.post(f"/conversations/{public_id}/answer-email", {"email": "ana@example.com"})
    conversation.refresh_from_db()
    url = unsubscribe_url(conversation).removeprefix("http://testserver")
    anonymous = HttpClient(enforce_csrf_checks=True)
    assert "Stop these emails" in anonymous.get(url).content.decode()  # GET changes nothing
    conversation.refresh_from_db()
    assert conversation.answer_email_unsubscribed_at is None
    response = anonymous.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.answer_email_unsubscribed_at is not None
    actions.do_reply_as_agent(conversation=conversation, user=cast.bob, body="Anyone there?")
    mail.outbox.clear()
    run_tasks(include_delayed=True)
    assert mail.outbox == []
    forged = unsubscribe_token(conversation)[:-3] + "abc"
    assert anonymous.post(f"/support/unsubscribe/{forged}/").status_code == 404


def test_a_verified_identitys_email_is_used_without_asking(cast: Cast, run_tasks: Callable[..., int]) -> None:
    secret = widget_settings_for(cast.agency_a).identity_secret
    widget = Widget("acme")
    widget.bootstrap(
        identity={"user_id": "c-9", "user_hash": identity_hash(secret, "c-9"), "email": "quinn@example.com"}
    )
    started = widget.ask("talk to a person").json()
    assert started["ask_answer_email"] is False
    assert started["answer_email"] == "quinn@example.com"


def test_a_bad_address_gets_a_sentence(cast: Cast, run_tasks: Callable[..., int]) -> None:
    widget = Widget("acme")
    public_id, _ = _handover(widget, run_tasks)
    response = widget.post(f"/conversations/{public_id}/answer-email", {"email": "ana at example"})
    assert response.status_code == 400
    assert "does not look like an email address" in response.json()["error"]


def test_another_visitor_cannot_set_or_read_the_address(cast: Cast, run_tasks: Callable[..., int]) -> None:
    widget = Widget("acme")
    public_id, _ = _handover(widget, run_tasks)
    widget.post(f"/conversations/{public_id}/answer-email", {"email": "ana@example.com"})
    stranger = Widget("acme")
    stranger.bootstrap()
    assert (
        stranger.post(f"/conversations/{public_id}/answer-email", {"email": "x@example.com"}).status_code
        == 404
    )
    assert stranger.post(f"/conversations/{public_id}/seen", {"up_to": 10**6}).status_code == 404
    assert "ana@example.com" not in stranger.get("/conversations").content.decode()


def test_a_failing_send_is_retried_and_lands_in_failed_jobs(
    cast: Cast, run_tasks: Callable[..., int], settings: Any
) -> None:
    widget = Widget("acme")
    public_id, conversation = _handover(widget, run_tasks)
    widget.post(f"/conversations/{public_id}/answer-email", {"email": "ana@example.com"})
    actions.do_reply_as_agent(conversation=conversation, user=cast.bob, body="Reply.")
    settings.EMAIL_BACKEND = "tests.test_support_visitor_email.FailingBackend"
    for _ in range(10):
        run_tasks(include_delayed=True)
    assert VisitorReplyEmail.objects.count() == 0  # rolled back with the failed send
    failed = FailedJob.objects.filter(kind="support.visitor_reply_email")
    assert failed.count() == 1


class FailingBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise OSError("SMTP server is down")


def _reply_email(to: str, sender: str, text: str, message_id: str = "<r1@example.com>") -> bytes:
    return (
        f"From: Ana <{sender}>\r\nTo: {to}\r\nSubject: Re: answered\r\nMessage-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n\r\nOn Tue, someone wrote:\r\n> Your parcel left today.\r\n"
    ).encode()


def _emailed(cast: Cast, run_tasks: Callable[..., int]) -> tuple[Widget, str, Conversation, Any]:
    widget = Widget("acme")
    public_id, conversation = _handover(widget, run_tasks)
    widget.post(f"/conversations/{public_id}/answer-email", {"email": "ana@example.com"})
    actions.do_reply_as_agent(conversation=conversation, user=cast.bob, body="Your parcel left today.")
    mail.outbox.clear()
    run_tasks(include_delayed=True)
    assert len(mail.outbox) == 1
    return widget, public_id, conversation, mail.outbox[0]


def test_replying_to_the_email_lands_in_the_chat_and_the_case_through_the_inbound_pipeline(
    cast: Cast, run_tasks: Callable[..., int]
) -> None:
    from casedesk.cases.models import Message, MessageSource
    from casedesk.mail.inbound import receive_email
    from casedesk.mail.models import InboundEmail, InboundStatus

    widget, public_id, conversation, sent = _emailed(cast, run_tasks)
    assert sent.reply_to and sent.reply_to[0].startswith("reply+")
    row = receive_email(
        _reply_email(sent.reply_to[0], "ana@example.com", "Thanks, it arrived!"), source="import"
    )
    mail.outbox.clear()
    run_tasks()
    row.refresh_from_db()
    assert row.status == InboundStatus.POSTED
    posted = Message.objects.get(case=conversation.case, source=MessageSource.EMAIL)
    assert posted.body == "Thanks, it arrived!"  # reply parsing dropped the quote
    assert posted.author_name == conversation.visitor.display_name
    lines = widget.get(f"/conversations/{public_id}").json()["messages"]
    assert lines[-1]["kind"] == "visitor" and "Thanks, it arrived!" in lines[-1]["html"]
    # The visitor is a quiet contact: the team's messages on the case are not mailed to them twice.
    assert [m.to for m in mail.outbox if "ana@example.com" in m.to] == []
    # The same email again is a duplicate; a forged sender is quarantined, never posted.
    receive_email(_reply_email(sent.reply_to[0], "ana@example.com", "Thanks, it arrived!"), source="import")
    forged = receive_email(
        _reply_email(sent.reply_to[0], "mallory@example.com", "Send it to me", "<r2@example.com>"),
        source="import",
    )
    run_tasks()
    forged.refresh_from_db()
    assert forged.status == InboundStatus.QUARANTINED
    assert InboundEmail.objects.filter(status=InboundStatus.DUPLICATE).count() == 1
    texts = [m["html"] for m in widget.get(f"/conversations/{public_id}").json()["messages"]]
    assert sum("Thanks, it arrived!" in t for t in texts) == 1
    assert not any("Send it to me" in t for t in texts)


def test_our_own_email_coming_back_is_not_posted(cast: Cast, run_tasks: Callable[..., int]) -> None:
    from casedesk.mail.inbound import receive_email
    from casedesk.mail.models import InboundStatus

    _widget, _public_id, _conversation, sent = _emailed(cast, run_tasks)
    looped = receive_email(sent.message().as_bytes(), source="import")
    run_tasks()
    looped.refresh_from_db()
    assert looped.status not in (InboundStatus.POSTED, InboundStatus.RECEIVED)


def test_an_address_of_another_contact_is_never_borrowed(cast: Cast, run_tasks: Callable[..., int]) -> None:
    widget = Widget("acme")
    public_id, conversation = _handover(widget, run_tasks)
    carol = cast.carol_user.email
    widget.post(f"/conversations/{public_id}/answer-email", {"email": carol})
    actions.do_reply_as_agent(conversation=conversation, user=cast.bob, body="Hello")
    mail.outbox.clear()
    run_tasks(include_delayed=True)
    (sent,) = mail.outbox
    assert sent.reply_to == []
    assert "replies to this email are not read" in str(sent.body)
    assert conversation.case is not None
    assert not conversation.case.contacts.exists()
