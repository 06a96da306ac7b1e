"""Dev mailbox email backend (demo/debug only): captured mail is stored in the database.

Stored, not kept in memory, so ``/dev/mailbox`` survives restarts and sees mail sent by
worker threads and processes. Also keeps the locmem ``mail.outbox`` behaviour for tests.
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


class DevMailboxBackend(LocmemBackend):
    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        from casedesk.mail.models import CapturedEmail

        count = super().send_messages(messages)
        for message in messages:
            headers: dict[str, Any] = dict(message.extra_headers or {})
            CapturedEmail.objects.create(
                from_address=str(message.from_email),
                to_addresses=[parseaddr(str(a))[1] for a in message.to],
                reply_to=", ".join(str(a) for a in message.reply_to),
                subject=str(message.subject)[:300],
                message_id=str(headers.get("Message-ID", ""))[:300],
                text=str(message.body),
                html=_alternative(message, "text/html"),
                raw=message.message().as_bytes(),
            )
        return count
