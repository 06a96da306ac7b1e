"""Outbound notifications: who gets mail, what it carries, and that sending is idempotent."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django_tasks_db.models import DBTaskResult

from casedesk.accounts.models import MagicLink, hash_token
from casedesk.cases.actions import do_add_contact_to_case, do_post_message, do_remove_contact_from_case
from casedesk.cases.models import Message
from casedesk.mail.addresses import token_from_address
from casedesk.mail.emails import thread_root_id
from casedesk.mail.models import OutboundEmail, ReplyToken, hash_reply_token
from casedesk.mail.outbound import send_client_message_email, send_message_notifications
from casedesk.mail.tokens import look_up_token
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


class FailingForErin(LocmemBackend):
    """Accepts every email except those to Erin, like an SMTP server refusing one recipient."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            if "erin@globex.test" in message.to:
                raise smtplib.SMTPRecipientsRefused({"erin@globex.test": (550, b"mailbox unavailable")})
        return super().send_messages(messages)


def test_one_task_per_message_mails_all_its_recipients(cast: Cast, run_tasks: Callable[[], int]) -> None:
    message = do_post_message(case=cast.case_a, body="One job", author_user=cast.bob)
    queued = DBTaskResult.objects.filter(status="READY")
    assert [t.task_path for t in queued] == [send_message_notifications.module_path]
    assert queued.get().args_kwargs["args"] == [message.pk]
    run_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == ["carol@globex.test", "erin@globex.test"]
    rows = OutboundEmail.objects.filter(message=message)
    assert sorted(r.idempotency_key for r in rows) == [
        f"client_message:{message.pk}:{cast.carol.pk}",
        f"client_message:{message.pk}:{cast.erin.pk}",
    ]
    assert all(r.sent_at is not None and r.attempts == 1 for r in rows)


def test_a_retry_sends_only_to_the_recipients_not_yet_mailed(cast: Cast, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.test_mail_outbound.FailingForErin"
    message = do_post_message(case=cast.case_a, body="Partly refused", author_user=cast.bob)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_message_notifications.call(message.pk)
    assert [m.to for m in mail.outbox] == [["carol@globex.test"]]
    erin_row = OutboundEmail.objects.get(message=message, contact=cast.erin)
    assert erin_row.sent_at is None and "SMTPRecipientsRefused" in erin_row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_message_notifications.call(message.pk)  # the retry
    send_message_notifications.call(message.pk)  # and a replay after success
    assert sorted(m.to[0] for m in mail.outbox) == ["carol@globex.test", "erin@globex.test"]
    erin_row.refresh_from_db()
    assert erin_row.sent_at is not None and erin_row.attempts == 2 and erin_row.last_error == ""
    carol_row = OutboundEmail.objects.get(message=message, contact=cast.carol)
    assert carol_row.attempts == 1
    # The retry carries the Message-ID fixed before the first attempt.
    assert mail.outbox[-1].extra_headers["Message-ID"] == erin_row.rfc_message_id


def test_message_made_internal_before_the_job_runs_mails_nobody(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    message = do_post_message(case=cast.case_a, body="Oops, internal", author_user=cast.bob)
    Message.objects.filter(pk=message.pk).update(internal_only=True)
    run_tasks()
    assert mail.outbox == []


def _magic_url(email: EmailMessage) -> str:
    found = re.search(r"https?://\S*/accounts/magic/[^/\s]+/", str(email.body))
    assert found is not None
    return found.group(0)


def test_notifications_reuse_the_current_magic_link_and_it_works(
    cast: Cast, run_tasks: Callable[[], int], client: Any
) -> None:
    do_post_message(case=cast.case_a, body="First", author_user=cast.bob)
    do_post_message(case=cast.case_a, body="Second", author_user=cast.bob)
    run_tasks()
    to_erin = [m for m in mail.outbox if m.to == ["erin@globex.test"]]
    assert len(to_erin) == 2
    assert _magic_url(to_erin[0]) == _magic_url(to_erin[1])
    assert MagicLink.objects.filter(contact=cast.erin, case=cast.case_a).count() == 1
    response = client.post(urlparse(_magic_url(to_erin[0])).path)
    assert response.status_code == 302
    assert client.get(f"/my-cases/{cast.case_a.pk}/messages").status_code == 200


def test_a_contact_removed_and_added_back_gets_a_new_link_not_the_revoked_one(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    do_post_message(case=cast.case_a, body="Before", author_user=cast.bob)
    run_tasks()
    (before,) = [m for m in mail.outbox if m.to == ["erin@globex.test"]]
    first = _magic_url(before)
    do_remove_contact_from_case(case=cast.case_a, contact=cast.erin)
    do_add_contact_to_case(case=cast.case_a, contact=cast.erin)
    mail.outbox.clear()
    do_post_message(case=cast.case_a, body="After", author_user=cast.bob)
    run_tasks()
    (to_erin,) = [m for m in mail.outbox if m.to == ["erin@globex.test"]]
    second = _magic_url(to_erin)
    assert second != first
    token = second.rstrip("/").rsplit("/", 1)[-1]
    assert MagicLink.objects.usable().filter(token_hash=hash_token(token)).exists()
    old_token = first.rstrip("/").rsplit("/", 1)[-1]
    assert not MagicLink.objects.usable().filter(token_hash=hash_token(old_token)).exists()


def test_a_clients_message_mailed_to_other_contacts_names_the_clients_company(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    do_post_message(case=cast.case_a, body="Looks good to us.", author_contact=cast.carol)
    do_post_message(case=cast.case_a, body="Thanks Carol.", author_user=cast.bob)
    run_tasks()
    senders = [m.from_email for m in mail.outbox if m.to == ["erin@globex.test"]]
    assert len(senders) == 2
    assert any("Carol Client (Globex)" in f for f in senders)  # Carol is Globex's, not the agency's
    assert any("Bob Member (Acme Agency)" in f for f in senders)
