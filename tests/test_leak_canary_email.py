"""The leak canary, extended to email: an internal note's text never appears in any email.

Every kind of mail the loop sends is triggered around an internal note carrying a canary
string: client notifications, team client-reply mail, mention mail (the note itself
mentions a teammate), a bounce and an attachment-too-large notice, and a client's emailed
reply quoting the notification they got (quoted history). Then every byte of every email
(subjects, text, HTML, headers) is searched for the canary.
"""

from __future__ import annotations

import base64
import quopri
from collections.abc import Callable
from email import message_from_bytes, policy
from typing import Any

import pytest
from django.core import mail

from casedesk.cases.actions import do_post_message
from casedesk.mail.models import InboundStatus
from tests.conftest import Cast
from tests.fixtures.eml.helpers import big_base64, deliver, load_eml, token_for

CANARY = "CANARY-7f3a9-internal-budget-is-40k"


def _all_email_bytes() -> list[bytes]:
    return [message.message().as_bytes() for message in mail.outbox]


@pytest.mark.django_db
def test_internal_note_never_appears_in_any_email(
    cast: Cast, run_tasks: Callable[[], int], settings: Any
) -> None:
    settings.MAX_ATTACHMENT_BYTES = 2048
    do_post_message(case=cast.case_a, body="Kick-off is on Monday.", author_user=cast.bob)
    do_post_message(
        case=cast.case_a,
        body=f"@**Alice Owner** {CANARY}",
        author_user=cast.bob,
        internal_only=True,
    )
    do_post_message(case=cast.case_a, body="Agenda attached soon.", author_user=cast.alice)
    do_post_message(case=cast.case_a, body="Looks good to us.", author_contact=cast.carol)
    run_tasks()
    # Replies by email that quote what the client received (quoted history), one oversized.
    tokens = {"carol_token": token_for(cast.carol, cast.case_a)}
    deliver(load_eml("gmail_reply.eml", **tokens), run_tasks)
    deliver(load_eml("oversized_attachment.eml", big_payload=big_base64(5000), **tokens), run_tasks)
    bounced = deliver(load_eml("unknown_token.eml"), run_tasks)
    assert bounced.status == InboundStatus.BOUNCED

    kinds = {str(m.extra_headers.get("X-Casedesk-Notification")) for m in mail.outbox}
    assert {"client-message", "team-client-reply", "team-mention", "bounce", "attachment-too-large"} <= kinds
    mention = next(m for m in mail.outbox if m.extra_headers.get("X-Casedesk-Notification") == "team-mention")
    assert mention.to == ["alice@acme.test"] and "internal note" in mention.body
    everything = b"\n".join(_all_email_bytes())
    assert CANARY.encode() not in everything
    # Also not in any encoding of it (quoted-printable or base64 bodies hide plain matches).
    for raw in _all_email_bytes():
        parsed = message_from_bytes(raw, policy=policy.default)
        for part in parsed.walk():
            if part.get_content_maintype() == "text":
                assert CANARY not in part.get_content()
        assert base64.b64encode(CANARY.encode()) not in raw
        assert quopri.encodestring(CANARY.encode()) not in raw


@pytest.mark.django_db
def test_internal_note_never_appears_in_a_digest(cast: Cast, run_tasks: Callable[[], int]) -> None:
    from casedesk.accounts.models import Agency
    from casedesk.cases.models import Message
    from casedesk.jobs.testing import drain_tasks

    Agency.objects.filter(pk=cast.agency_a.pk).update(email_digest_minutes=2)
    do_post_message(case=cast.case_a, body="Kick-off is on Monday.", author_user=cast.bob)
    do_post_message(case=cast.case_a, body=f"Note: {CANARY}", author_user=cast.bob, internal_only=True)
    flipped = do_post_message(case=cast.case_a, body=f"Oops {CANARY}-flipped", author_user=cast.bob)
    do_post_message(case=cast.case_a, body="Agenda attached soon.", author_user=cast.alice)
    run_tasks()
    Message.objects.filter(pk=flipped.pk).update(internal_only=True)  # made internal in the window
    drain_tasks(include_delayed=True)
    digests = [m for m in mail.outbox if m.extra_headers.get("X-Casedesk-Notification") == "client-digest"]
    assert len(digests) == 2 and all("2 new messages" in m.subject for m in digests)
    everything = b"\n".join(_all_email_bytes())
    assert CANARY.encode() not in everything
