"""Dev mailbox email backend (demo/debug only): captured mail is stored in the database.

Stored, not kept in memory, so ``/dev/mailbox`` survives restarts and sees mail sent by
worker threads and processes. Also keeps the locmem ``mail.outbox`` behaviour for tests.

Each captured email records whose mail it is, for ``/dev/mailbox`` to show it only to the right
people (``casedesk.mail.access.visible_captured_emails``): the agency and the recipient's account
from its ``OutboundEmail`` record (found by Message-ID; the record is written before sending), or,
for mail without one (password reset, invitation), only the account it was addressed to.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parseaddr
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


def _alternative(message: EmailMessage, mimetype: str) -> str:
    if isinstance(message, EmailMultiAlternatives):
        for alternative in message.alternatives:
            content, kind = alternative[0], alternative[1]
            if kind == mimetype:
                return str(content)
    return ""


def captured_owner(message_id: str, to_addresses: list[str]) -> tuple[int | None, int | None]:
    """(agency id, recipient user id) of a captured email; see the module docstring."""
    from casedesk.accounts.models import User
    from casedesk.mail.models import OutboundEmail

    if message_id:
        record = (
            OutboundEmail.objects.filter(rfc_message_id=message_id)
            .values("agency_id", "user_id", "contact__user_id")
            .first()
        )
        if record is not None:
            return record["agency_id"], record["user_id"] or record["contact__user_id"]
    if len(to_addresses) != 1:
        return None, None
    user_id = User.objects.filter(email__iexact=to_addresses[0]).values_list("pk", flat=True).first()
    return None, user_id


class DevMailboxBackend(LocmemBackend):
    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        from casedesk.mail.models import CapturedEmail

        count = super().send_messages(messages)
        for message in messages:
            headers: dict[str, Any] = dict(message.extra_headers or {})
            message_id = str(headers.get("Message-ID", ""))[:300]
            to_addresses = [parseaddr(str(a))[1] for a in message.to]
            agency_id, recipient_user_id = captured_owner(message_id, to_addresses)
            CapturedEmail.objects.create(
                agency_id=agency_id,
                recipient_user_id=recipient_user_id,
                from_address=str(message.from_email),
                to_addresses=to_addresses,
                reply_to=", ".join(str(a) for a in message.reply_to),
                subject=str(message.subject)[:300],
                message_id=message_id,
                text=str(message.body),
                html=_alternative(message, "text/html"),
                raw=message.message().as_bytes(),
            )
        return count
