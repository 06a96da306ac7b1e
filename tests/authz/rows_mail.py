"""Mail pages: quarantine (team of the agency), originals of emailed messages (team of the case),
email preferences (anyone with an account), the dev mailbox (demo mode: platform staff see all
mail, an agency's team the mail sent for that agency, anyone with an account the mail to them)."""

from __future__ import annotations

from django.core.mail import EmailMessage

from casedesk.accounts.models import Agency, Contact, User
from casedesk.cases.models import Message, MessageSource
from casedesk.mail.devmailbox import DevMailboxBackend
from casedesk.mail.models import (
    CapturedEmail,
    EmailKind,
    InboundEmail,
    InboundSource,
    InboundStatus,
    OutboundEmail,
)
from tests.authz.matrix import TEAM_A, Row
from tests.conftest import Cast


def quarantined_of_a(cast: Cast) -> InboundEmail:
    row, _ = InboundEmail.objects.get_or_create(
        subject="authz quarantined",
        defaults={
            "source": InboundSource.IMPORT,
            "raw": b"From: mallory@evil.test\r\nSubject: authz quarantined\r\n\r\nhello\r\n",
            "status": InboundStatus.QUARANTINED,
            "agency": cast.agency_a,
            "case": cast.case_a,
            "from_address": "mallory@evil.test",
            "full_text": "hello",
        },
    )
    return row


def emailed_message_on_a(cast: Cast) -> Message:
    message = Message.objects.filter(case=cast.case_a, source=MessageSource.EMAIL).first()
    if message is None:
        message = Message.objects.create(
            case=cast.case_a, author_contact=cast.carol, body="By email", source=MessageSource.EMAIL
        )
        InboundEmail.objects.create(
            source=InboundSource.IMPORT,
            raw=b"Subject: x\r\n\r\nBy email\r\n> quoted\r\n",
            status=InboundStatus.POSTED,
            agency=cast.agency_a,
            case=cast.case_a,
            contact=cast.carol,
            message=message,
            full_text="By email\n> quoted",
        )
    return message


def captured(
    key: str,
    to: str,
    agency: Agency | None,
    *,
    contact: Contact | None = None,
    user: User | None = None,
    reply_to: str = "",
) -> CapturedEmail:
    """Mail caught by the dev mailbox backend, as the outbound pipeline sends it: with its
    OutboundEmail record (agency mail) or without one (personal mail such as a password reset)."""
    subject = f"authz {key}"
    existing = CapturedEmail.objects.filter(subject=subject).first()
    if existing is not None:
        return existing
    message_id = f"<authz.{key}@reply.casedesk.localhost>"
    if agency is not None:
        OutboundEmail.objects.create(
            kind=EmailKind.CLIENT_MESSAGE if contact else EmailKind.TEAM_MENTION,
            idempotency_key=f"authz:{key}",
            agency=agency,
            contact=contact,
            user=user,
            to_address=to,
            rfc_message_id=message_id,
        )
    email = EmailMessage(
        subject=subject,
        body=f"Hello, this is {key}.",
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers={"Message-ID": message_id},
    )
    DevMailboxBackend().send_messages([email])
    return CapturedEmail.objects.get(subject=subject)


def mail_to_carol(cast: Cast) -> CapturedEmail:
    return captured(
        "mail-to-carol", cast.carol.email, cast.agency_a, contact=cast.carol, reply_to="reply+x@reply.test"
    )


def mail_to_erin(cast: Cast) -> CapturedEmail:
    return captured("mail-to-erin", cast.erin.email, cast.agency_a, contact=cast.erin)


def mail_to_uma(cast: Cast) -> CapturedEmail:
    return captured("mail-to-uma", cast.uma.email, cast.agency_b, contact=cast.uma)


def reset_to_bob(cast: Cast) -> CapturedEmail:
    return captured("reset-to-bob", cast.bob.email, None)


DEMO = {"DEMO_MODE": True}
# Nothing listens on port 1: an allowed reply gets as far as SMTP and is answered 502 there
# (tests/test_dev_mailbox.py sends real ones); a denied one is a 404 before that.
DEMO_NO_SMTP = {"DEMO_MODE": True, "INBOUND_SMTP_HOST": "127.0.0.1", "INBOUND_SMTP_PORT": 1}

ACCOUNT_HOLDERS = frozenset(
    {"owner", "admin", "member", "outsider", "portal_client", "other_client", "platform_staff"}
)
WITH_MEMBERSHIPS = TEAM_A | {"outsider", "platform_staff"}

ROWS = [
    Row("quarantine", "list", "GET", lambda cast: "/quarantine/", WITH_MEMBERSHIPS),
    Row(
        "quarantined_email_a",
        "view",
        "GET",
        lambda cast: f"/quarantine/{quarantined_of_a(cast).pk}/",
        TEAM_A,
        check=lambda cast, response: b"mallory@evil.test" in response.content,
    ),
    Row(
        "quarantined_email_a",
        "reject",
        "POST",
        lambda cast: f"/quarantine/{quarantined_of_a(cast).pk}/",
        TEAM_A,
        data=lambda cast: {"decision": "reject"},
        ok=(302,),
    ),
    Row(
        "emailed_message_a",
        "view_original",
        "GET",
        lambda cast: f"/email/messages/{emailed_message_on_a(cast).pk}/original/",
        TEAM_A,
        check=lambda cast, response: b"quoted" in response.content,
    ),
    Row("dev_mailbox", "list", "GET", lambda cast: "/dev/mailbox", ACCOUNT_HOLDERS, settings=DEMO),
    Row(
        "dev_mailbox_mail_to_carol",
        "view",
        "GET",
        lambda cast: f"/dev/mailbox/{mail_to_carol(cast).pk}/",
        TEAM_A | {"portal_client", "platform_staff"},
        check=lambda cast, response: b"Reply as this contact" in response.content,
        settings=DEMO,
    ),
    Row(
        "dev_mailbox_mail_to_carol",
        "view_html",
        "GET",
        lambda cast: f"/dev/mailbox/{mail_to_carol(cast).pk}/html",
        TEAM_A | {"portal_client", "platform_staff"},
        settings=DEMO,
    ),
    Row(
        "dev_mailbox_mail_to_carol",
        "reply_as",
        "POST",
        lambda cast: f"/dev/mailbox/{mail_to_carol(cast).pk}/reply",
        TEAM_A | {"portal_client", "platform_staff"},
        data=lambda cast: {"body": "Replying from the matrix."},
        ok=(502,),
        check=lambda cast, response: b"could not be sent to the inbound SMTP server" in response.content,
        settings=DEMO_NO_SMTP,
    ),
    Row(
        "dev_mailbox_mail_to_erin",
        "view",
        "GET",
        lambda cast: f"/dev/mailbox/{mail_to_erin(cast).pk}/",
        TEAM_A | {"platform_staff"},
        settings=DEMO,
    ),
    Row(
        "dev_mailbox_mail_to_uma",
        "view",
        "GET",
        lambda cast: f"/dev/mailbox/{mail_to_uma(cast).pk}/",
        frozenset({"outsider", "platform_staff"}),
        settings=DEMO,
    ),
    Row(
        "dev_mailbox_reset_to_bob",
        "view",
        "GET",
        lambda cast: f"/dev/mailbox/{reset_to_bob(cast).pk}/",
        frozenset({"member", "platform_staff"}),
        settings=DEMO,
    ),
]
