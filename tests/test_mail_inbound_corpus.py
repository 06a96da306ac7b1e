"""The .eml corpus: every situation the inbound pipeline handles, each with its asserted outcome.

Required figures: 0 posts from forged, auto-submitted or cross-tenant mail; 0 automatic mails
answered; a duplicate Message-ID posts once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from casedesk.cases.actions import do_remove_contact_from_case
from casedesk.cases.models import Document, Message, MessageSource
from casedesk.mail.models import InboundEmail, InboundStatus, MatchedRule, ReplyToken
from tests.conftest import Cast
from tests.fixtures.eml.helpers import big_base64, deliver, load_eml, posted, token_for

pytestmark = pytest.mark.django_db


def email_posts(cast: Cast) -> int:
    return Message.objects.filter(source=MessageSource.EMAIL).count()


def _tokens(cast: Cast) -> dict[str, str]:
    return {
        "carol_token": token_for(cast.carol, cast.case_a),
        "erin_token": token_for(cast.erin, cast.case_a),
        "uma_token": token_for(cast.uma, cast.case_b),
    }


@pytest.mark.parametrize(
    ("fixture", "author"),
    [("gmail_reply.eml", "carol"), ("outlook_reply.eml", "erin"), ("apple_mail_reply.eml", "carol")],
)
def test_valid_reply_from_mail_client_is_posted_without_quotes(
    cast: Cast, run_tasks: Callable[[], int], fixture: str, author: str
) -> None:
    row = deliver(load_eml(fixture, **_tokens(cast)), run_tasks)
    assert row.status == InboundStatus.POSTED, row.reason
    assert row.matched_rule == MatchedRule.TOKEN
    message = posted(row)
    assert message.case_id == cast.case_a.pk
    assert message.author_contact == getattr(cast, author)
    assert "wrote" not in message.body and "Can we move the shoot" not in message.body
    assert "From:" not in message.body
    assert "Can we move the shoot" in row.full_text  # the full original is kept


def test_gmail_reply_text(cast: Cast, run_tasks: Callable[[], int]) -> None:
    row = deliver(load_eml("gmail_reply.eml", **_tokens(cast)), run_tasks)
    assert posted(row).body == "Thanks Bob, the new dates work for us."


def test_outlook_reply_keeps_sign_off_and_drops_header_block(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    row = deliver(load_eml("outlook_reply.eml", **_tokens(cast)), run_tasks)
    assert posted(row).body == ("Hi Bob,\n\nThursday is fine. I will bring the samples.\n\nErin")


@pytest.mark.parametrize(
    ("fixture", "prepare", "reason_part"),
    [
        ("unknown_token.eml", None, "not a reply address we know"),
        ("expired_token.eml", "expire", "expired"),
        ("removed_contact.eml", "remove_erin", "no longer"),
    ],
)
def test_bad_reply_address_is_bounced_with_reason_and_kept(
    cast: Cast, run_tasks: Callable[[], int], fixture: str, prepare: str | None, reason_part: str
) -> None:
    tokens = _tokens(cast)
    if prepare == "expire":
        ReplyToken.objects.filter(contact=cast.carol).update(expires_at=timezone.now() - timedelta(days=1))
    if prepare == "remove_erin":
        do_remove_contact_from_case(case=cast.case_a, contact=cast.erin)
    mail.outbox.clear()
    row = deliver(load_eml(fixture, **tokens), run_tasks)
    assert row.status == InboundStatus.BOUNCED
    assert reason_part in row.reason
    assert bytes(row.raw)  # kept
    assert email_posts(cast) == 0
    assert len(mail.outbox) == 1
    bounce = mail.outbox[0]
    assert bounce.to == [row.from_address]
    assert reason_part in bounce.body
    assert bounce.extra_headers["Auto-Submitted"] == "auto-generated"


def test_other_tenants_token_is_bounced_and_never_shown_to_that_tenant(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    row = deliver(load_eml("other_tenant_token.eml", **_tokens(cast)), run_tasks)
    assert row.status == InboundStatus.BOUNCED
    assert row.agency_id is None and row.case_id is None  # not in agency B's quarantine
    assert email_posts(cast) == 0
    assert not Message.objects.filter(case=cast.case_b).exists()


def test_from_mismatch_is_quarantined_for_the_agency(cast: Cast, run_tasks: Callable[[], int]) -> None:
    mail.outbox.clear()
    row = deliver(load_eml("from_mismatch.eml", **_tokens(cast)), run_tasks)
    assert row.status == InboundStatus.QUARANTINED
    assert row.agency_id == cast.agency_a.pk and row.case_id == cast.case_a.pk
    assert "not a contact" in row.reason
    assert email_posts(cast) == 0
    assert mail.outbox == []


def test_dmarc_fail_from_trusted_authserv_is_quarantined(cast: Cast, run_tasks: Callable[[], int]) -> None:
    row = deliver(load_eml("dmarc_fail_trusted.eml", **_tokens(cast)), run_tasks)
    assert row.status == InboundStatus.QUARANTINED
    assert "DMARC" in row.reason
    assert email_posts(cast) == 0


def test_forged_authentication_results_from_untrusted_server_gives_nothing(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    row = deliver(load_eml("forged_auth_results_untrusted.eml", **_tokens(cast)), run_tasks)
    assert row.status == InboundStatus.QUARANTINED
    assert email_posts(cast) == 0


def test_dmarc_fail_from_untrusted_server_is_ignored(cast: Cast, run_tasks: Callable[[], int]) -> None:
    row = deliver(load_eml("untrusted_dmarc_fail_ignored.eml", **_tokens(cast)), run_tasks)
    assert row.status == InboundStatus.POSTED


@pytest.mark.parametrize(
    ("fixture", "status"),
    [
        ("auto_submitted.eml", InboundStatus.AUTOMATED),
        ("x_autoreply.eml", InboundStatus.AUTOMATED),
        ("precedence_bulk.eml", InboundStatus.AUTOMATED),
        ("dsn.eml", InboundStatus.AUTOMATED),
        ("own_notification_loop.eml", InboundStatus.LOOP),
    ],
)
def test_automatic_mail_is_recorded_never_posted_or_answered(
    cast: Cast, run_tasks: Callable[[], int], fixture: str, status: str
) -> None:
    mail.outbox.clear()
    row = deliver(load_eml(fixture, **_tokens(cast)), run_tasks)
    assert row.status == status, row.reason
    assert row.reason
    assert email_posts(cast) == 0
    assert mail.outbox == []  # no bounce, no notification: 0 auto-replies answered


def test_duplicate_message_id_posts_once(cast: Cast, run_tasks: Callable[[], int]) -> None:
    raw = load_eml("duplicate_message_id.eml", **_tokens(cast))
    first = deliver(raw, run_tasks)
    second = deliver(raw, run_tasks)
    assert first.status == InboundStatus.POSTED
    assert second.status == InboundStatus.DUPLICATE
    assert email_posts(cast) == 1


def test_html_only_mail_becomes_safe_text(cast: Cast, run_tasks: Callable[[], int]) -> None:
    row = deliver(load_eml("html_only.eml", **_tokens(cast)), run_tasks)
    assert row.status == InboundStatus.POSTED
    body = posted(row).body
    assert "final" in body and "numbers" in body and "Carol" in body
    assert "<" not in body and "alert" not in body and "color:red" not in body
    assert "Can you send the numbers" not in body


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("latin1_reply.eml", "Merci, ça marche très bien. À jeudi !"),
        ("koi8r_reply.eml", "Спасибо, договорились на четверг."),
    ],
)
def test_non_utf8_charsets_are_decoded(
    cast: Cast, run_tasks: Callable[[], int], fixture: str, expected: str
) -> None:
    row = deliver(load_eml(fixture, **_tokens(cast)), run_tasks)
    assert row.status == InboundStatus.POSTED, row.reason
    assert posted(row).body == expected


def test_oversized_attachment_is_noted_and_sender_told(
    cast: Cast, run_tasks: Callable[[], int], settings: Any
) -> None:
    settings.MAX_ATTACHMENT_BYTES = 2048
    mail.outbox.clear()
    raw = load_eml("oversized_attachment.eml", big_payload=big_base64(5000), **_tokens(cast))
    row = deliver(raw, run_tasks)
    assert row.status == InboundStatus.POSTED
    message = posted(row)
    assert "footage.mov" in message.body and "was not added" in message.body
    names = list(Document.objects.filter(message=message).values_list("name", flat=True))
    assert names == ["brief.txt"]
    told = [m for m in mail.outbox if m.to == ["carol@globex.test"] and "too large" in m.subject]
    assert len(told) == 1 and "footage.mov" in told[0].body


def test_reply_threads_by_in_reply_to_when_the_address_is_lost(
    cast: Cast, run_tasks: Callable[[], int]
) -> None:
    from casedesk.cases.actions import do_post_message
    from casedesk.mail.models import OutboundEmail

    do_post_message(case=cast.case_a, body="Can we move the shoot to Thursday?", author_user=cast.bob)
    run_tasks()
    sent = OutboundEmail.objects.get(contact=cast.carol)
    raw = load_eml("gmail_reply.eml", notification_id=sent.rfc_message_id, **_tokens(cast))
    raw = raw.replace(b"reply+", b"support+")  # as if the client replied to the From address
    row = deliver(raw, run_tasks)
    assert row.status == InboundStatus.POSTED, row.reason
    assert row.matched_rule == MatchedRule.IN_REPLY_TO


def test_reply_threads_by_the_signed_thread_root(cast: Cast, run_tasks: Callable[[], int]) -> None:
    from casedesk.mail.emails import thread_root_id

    raw = load_eml("gmail_reply.eml", notification_id=thread_root_id(cast.case_a.pk), **_tokens(cast))
    row = deliver(raw.replace(b"reply+", b"support+"), run_tasks)
    assert row.status == InboundStatus.POSTED, row.reason
    assert row.matched_rule == MatchedRule.IN_REPLY_TO
    assert posted(row).case_id == cast.case_a.pk


def test_a_guessed_thread_root_does_not_reach_the_case(cast: Cast, run_tasks: Callable[[], int]) -> None:
    """Case ids are guessable; the thread root's signature is not, so mail can't be aimed at a case."""
    guessed = f"<case-{cast.case_b.pk}.{'0' * 20}.thread@{settings.INBOUND_EMAIL_DOMAIN}>"
    raw = load_eml("gmail_reply.eml", notification_id=guessed, **_tokens(cast))
    row = deliver(raw.replace(b"reply+", b"support+"), run_tasks)
    assert row.case_id != cast.case_b.pk
    assert row.matched_rule != MatchedRule.IN_REPLY_TO


def test_reply_threads_by_subject_tag_as_last_resort(cast: Cast, run_tasks: Callable[[], int]) -> None:
    raw = load_eml("gmail_reply.eml", **_tokens(cast)).replace(b"reply+", b"support+")
    row = deliver(raw, run_tasks)
    assert row.status == InboundStatus.POSTED, row.reason
    assert row.matched_rule == MatchedRule.SUBJECT_TAG
    assert posted(row).case_id == cast.case_a.pk


def test_required_figures_over_the_whole_corpus(cast: Cast, run_tasks: Callable[[], int]) -> None:
    """0 posts from forged, auto-submitted or cross-tenant mail; 0 automatic mails answered."""
    tokens = _tokens(cast)
    mail.outbox.clear()
    hostile = [
        "from_mismatch.eml",
        "forged_auth_results_untrusted.eml",
        "dmarc_fail_trusted.eml",
        "other_tenant_token.eml",
    ]
    automatic = [
        "auto_submitted.eml",
        "x_autoreply.eml",
        "precedence_bulk.eml",
        "dsn.eml",
        "own_notification_loop.eml",
    ]
    for name in hostile + automatic:
        deliver(load_eml(name, **tokens), run_tasks)
    assert email_posts(cast) == 0
    answered = [m for m in mail.outbox if m.to and m.to[0] in {"carol@globex.test", "erin@globex.test"}]
    # The only answer is the one bounce for the cross-tenant token (a person wrote it).
    assert [m.subject.startswith("Your reply was not posted") for m in answered] == [True]
    assert InboundEmail.objects.filter(status=InboundStatus.POSTED).count() == 0


def _reply(sender: str, token: str, message_id: str) -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"reply+{token}@{settings.INBOUND_EMAIL_DOMAIN}"
    message["Subject"] = "Re: Spring campaign"
    message["Message-ID"] = f"<{message_id}@globex.test>"
    message.set_content(f"Reply {message_id}.")
    return message.as_bytes()


def test_sender_over_the_hourly_limit_is_recorded_never_posted_or_answered(
    cast: Cast, run_tasks: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("casedesk.mail.inbound.SENDER_LIMIT_PER_HOUR", 2)
    tokens = _tokens(cast)
    rows = [
        deliver(_reply(cast.carol.email, tokens["carol_token"], f"limit-{i}"), run_tasks) for i in range(2)
    ]
    assert [r.status for r in rows] == [InboundStatus.POSTED, InboundStatus.POSTED]
    mail.outbox.clear()
    over = deliver(_reply(cast.carol.email, tokens["carol_token"], "limit-2"), run_tasks)
    # Even to an address that would bounce, a flood gets no answer.
    unknown = deliver(_reply(cast.carol.email, "unknowntoken0000", "limit-3"), run_tasks)
    for row in (over, unknown):
        assert row.status == InboundStatus.RATE_LIMITED
        assert "emails from carol@globex.test in an hour" in row.reason
        assert row.case_id is None and row.agency_id is None and row.message_id is None
    assert email_posts(cast) == 2
    assert mail.outbox == []
    # Another sender is not limited by Carol's mail.
    assert deliver(_reply(cast.erin.email, tokens["erin_token"], "limit-4"), run_tasks).status == (
        InboundStatus.POSTED
    )


def test_agency_over_the_hourly_limit_is_recorded_other_agencies_still_post(
    cast: Cast, run_tasks: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("casedesk.mail.inbound.AGENCY_LIMIT_PER_HOUR", 2)
    tokens = _tokens(cast)
    first = deliver(_reply(cast.carol.email, tokens["carol_token"], "agency-0"), run_tasks)
    second = deliver(_reply(cast.erin.email, tokens["erin_token"], "agency-1"), run_tasks)
    third = deliver(_reply(cast.carol.email, tokens["carol_token"], "agency-2"), run_tasks)
    other_agency = deliver(_reply(cast.uma.email, tokens["uma_token"], "agency-3"), run_tasks)
    assert [first.status, second.status] == [InboundStatus.POSTED, InboundStatus.POSTED]
    assert third.status == InboundStatus.RATE_LIMITED
    assert "for this agency in an hour" in third.reason
    assert third.agency_id == cast.case_a.agency_id and third.message_id is None
    assert other_agency.status == InboundStatus.POSTED


def test_processing_leaves_the_stored_raw_message_as_it_was(cast: Cast, run_tasks: Callable[[], int]) -> None:
    raw = _reply(cast.carol.email, _tokens(cast)["carol_token"], "raw-kept")
    row = deliver(raw, run_tasks)
    assert row.status == InboundStatus.POSTED
    assert bytes(InboundEmail.objects.get(pk=row.pk).raw) == raw


def test_mail_older_than_an_hour_no_longer_counts_toward_the_sender_limit(
    cast: Cast, run_tasks: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("casedesk.mail.inbound.SENDER_LIMIT_PER_HOUR", 1)
    tokens = _tokens(cast)
    first = deliver(_reply(cast.carol.email, tokens["carol_token"], "window-0"), run_tasks)
    assert first.status == InboundStatus.POSTED
    InboundEmail.objects.filter(pk=first.pk).update(received_at=timezone.now() - timedelta(minutes=61))
    second = deliver(_reply(cast.carol.email, tokens["carol_token"], "window-1"), run_tasks)
    assert second.status == InboundStatus.POSTED
    third = deliver(_reply(cast.carol.email, tokens["carol_token"], "window-2"), run_tasks)
    assert third.status == InboundStatus.RATE_LIMITED


def _reading(message: Any) -> list[Any]:
    """What processing reads from a parsed message: headers, parts, text, attachments."""
    from casedesk.mail.inbound import extract_attachments, extract_body

    headers = [(name, str(value)) for name, value in message.items()]
    parts = [
        (part.get_content_type(), part.get_content_disposition(), part.get_filename(), part.get_params())
        for part in message.walk()
    ]
    body = extract_body(message)
    files = [(a.name, a.content) for a in extract_attachments(message)]
    return [headers, parts, body.text, body.full, files]


def test_reused_header_objects_read_every_fixture_as_the_standard_policy_does() -> None:
    import email as email_lib
    from email import policy

    from casedesk.mail.inbound import parse_message

    names = sorted(p.name for p in (Path(__file__).parent / "fixtures" / "eml").glob("*.eml"))
    assert len(names) > 10
    for _ in range(2):  # the second pass reads every header from the cache
        for name in names:
            raw = load_eml(name, token="t0k3nt0k3nt0k3n0", big_payload=big_base64(1000))
            standard = email_lib.message_from_bytes(raw, policy=policy.default)
            assert _reading(parse_message(raw)) == _reading(standard), name


def test_processing_job_run_twice_posts_once(cast: Cast, run_tasks: Callable[[], int]) -> None:
    from casedesk.mail.inbound import process_inbound_email

    tokens = _tokens(cast)
    row = deliver(_reply(cast.carol.email, tokens["carol_token"], "twice-0"), run_tasks)
    assert row.status == InboundStatus.POSTED
    process_inbound_email.call(row.pk)  # a replayed or duplicated job
    assert email_posts(cast) == 1
    row.refresh_from_db()
    assert row.status == InboundStatus.POSTED
