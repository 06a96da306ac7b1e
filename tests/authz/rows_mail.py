"""Mail pages: quarantine (team of the agency), originals of emailed messages (team of the case),
email preferences (anyone with an account), the dev mailbox (demo mode, team members and staff)."""

from __future__ import annotations

from casedesk.cases.models import Message, MessageSource
from casedesk.mail.models import InboundEmail, InboundSource, InboundStatus
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
    Row("dev_mailbox", "list", "GET", lambda cast: "/dev/mailbox", WITH_MEMBERSHIPS),
]
