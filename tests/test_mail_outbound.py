"""Outbound notifications: who gets mail, what it carries, and that sending is idempotent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.files.base import ContentFile

from casedesk.cases.actions import do_post_message, do_remove_contact_from_case
from casedesk.mail.emails import thread_root_id
from casedesk.mail.models import OutboundEmail, ReplyToken, hash_reply_token
from casedesk.mail.outbound import send_client_message_email
from casedesk.mail.tokens import look_up_token, token_from_address
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _by_recipient() -> dict[str, Any]:
    return {m.to[0]: m for m in mail.outbox}


def test_client_visible_message_mails_every_contact_on_the_case(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    do_post_message(case=cast.case_a, body="The **draft** is ready.", author_user=cast.bob)
    run_tasks()
    sent = _by_recipient()
    assert set(sent) == {"carol@globex.test", "erin@globex.test"}
    carol = sent["carol@globex.test"]
    assert carol.subject == "[case-1] Spring campaign"
    assert "The **draft** is ready." in carol.body and "Bob Member" in carol.body
    html = carol.alternatives[0][0]
    assert "<strong>draft</strong>" in html and "View the conversation" in html
    assert f"/my-cases/{cast.case_a.pk}/messages" in carol.body  # portal user
    assert "/accounts/magic/" in sent["erin@globex.test"].body  # no portal: a fresh magic link
    assert carol.extra_headers["Auto-Submitted"] == "auto-generated"
    assert carol.extra_headers["Message-ID"].endswith("@reply.casedesk.localhost>")
    assert carol.extra_headers["References"] == thread_root_id(cast.case_a.pk)
    assert "Bob Member" in carol.from_email


def test_reply_to_is_a_hashed_revocable_token_of_at_least_128_bits(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    do_post_message(case=cast.case_a, body="Hello", author_user=cast.bob)
    run_tasks()
    reply_to = _by_recipient()["erin@globex.test"].reply_to[0]
    raw = token_from_address(reply_to)
    assert raw is not None and len(raw) * 5 >= 128  # base32: 5 bits a character
    row = ReplyToken.objects.get(contact=cast.erin, case=cast.case_a)
    assert row.token_hash == hash_reply_token(raw) and raw not in row.token_hash
    assert look_up_token(raw).state == "valid"
    do_remove_contact_from_case(case=cast.case_a, contact=cast.erin)
    assert look_up_token(raw).state in ("not_on_case", "revoked")


def test_internal_note_sends_nothing_to_clients(cast: Cast, run_tasks: Callable[[], int]) -> None:
    do_post_message(
        case=cast.case_a, body="Internal: budget is tight", author_user=cast.bob, internal_only=True
    )
    run_tasks()
    assert [m for m in mail.outbox if m.to[0].endswith("@globex.test")] == []


def test_client_author_is_not_mailed_and_team_on_case_is(cast: Cast, run_tasks: Callable[[], int]) -> None:
    do_post_message(case=cast.case_a, body="Here is our feedback.", author_contact=cast.carol)
    run_tasks()
    sent = _by_recipient()
    assert "carol@globex.test" not in sent
    assert "erin@globex.test" in sent
    assert "bob@acme.test" in sent  # Bob is on the case
    assert "alice@acme.test" not in sent  # Alice is not
    assert "Carol Client" in sent["bob@acme.test"].subject


def test_team_member_can_turn_client_reply_emails_off(cast: Cast, run_tasks: Callable[[], int]) -> None:
    http = cast.login(cast.bob)
    response = http.post("/settings/profile/", {"name": cast.bob.name, "email_on_mention": "on"})
    assert response.status_code == 302
    cast.bob.refresh_from_db()
    assert cast.bob.email_on_client_reply is False and cast.bob.email_on_mention is True
    do_post_message(case=cast.case_a, body="Feedback again.", author_contact=cast.carol)
    run_tasks()
    assert "bob@acme.test" not in _by_recipient()


def test_attachments_are_links_not_files(cast: Cast, run_tasks: Callable[[], int]) -> None:
    do_post_message(
        case=cast.case_a,
        body="See attached.",
        author_user=cast.bob,
        files=[ContentFile(b"%PDF-1.4 brief", name="brief.pdf")],
    )
    run_tasks()
    carol = _by_recipient()["carol@globex.test"]
    assert carol.attachments == []
    assert "brief.pdf" in carol.body and "http" in carol.body


def test_sending_twice_sends_once(cast: Cast, run_tasks: Callable[[], int]) -> None:
    message = do_post_message(case=cast.case_a, body="Once only", author_user=cast.bob)
    run_tasks()
    before = len(mail.outbox)
    send_client_message_email.call(message.pk, cast.carol.pk)  # a replayed job
    assert len(mail.outbox) == before
    assert OutboundEmail.objects.filter(message=message, contact=cast.carol).count() == 1


def test_smtp_outage_delays_mail_and_the_retry_sends_it(
    cast: Cast, run_tasks: Callable[[], int], settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    message = do_post_message(case=cast.case_a, body="During an outage", author_user=cast.bob)
    with pytest.raises(OSError):
        send_client_message_email.call(message.pk, cast.carol.pk)
    row = OutboundEmail.objects.get(message=message, contact=cast.carol)
    assert row.sent_at is None and row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_client_message_email.call(message.pk, cast.carol.pk)
    row.refresh_from_db()
    assert row.sent_at is not None
    assert [m.to for m in mail.outbox if m.subject.startswith("[case-1]")] == [["carol@globex.test"]]
