"""Provider inbound webhooks: anymail verifies and parses, we store the raw message."""

from __future__ import annotations

from typing import Any

from anymail.signals import AnymailInboundEvent

from casedesk.mail.inbound import receive_email
from casedesk.mail.models import InboundSource


def handle_inbound(sender: Any, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    message = event.message
    if message is None:
        return
    recipient = getattr(message, "envelope_recipient", None)
    receive_email(
        message.as_bytes(),
        source=InboundSource.WEBHOOK,
        provider=esp_name,
        envelope_from=getattr(message, "envelope_sender", None),
        envelope_to=[recipient] if recipient else [],
    )
