"""The built-in inbound SMTP server (aiosmtpd): ``casedesk smtpd`` and the embedded mode.

It accepts mail for ``@INBOUND_EMAIL_DOMAIN`` only (everything else is refused at RCPT
time, so it is never an open relay), stores the raw bytes through ``receive_email`` and
answers 250 once they are safely in the database. Processing happens later in a task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from casedesk.mail.addresses import is_ours
from casedesk.mail.models import InboundSource

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 60 * 1024 * 1024


def _store(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> int:
    from casedesk.mail.inbound import receive_email

    close_old_connections()
    try:
        row = receive_email(
            raw, source=InboundSource.SMTP, envelope_from=mail_from, envelope_to=list(rcpt_tos)
        )
        return row.pk
    finally:
        close_old_connections()


class InboundHandler:
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not is_ours(address):
            return "550 5.1.1 This server only accepts replies to casedesk conversations."
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        try:
            inbound_id = await sync_to_async(_store, thread_sensitive=False)(
                raw, envelope.mail_from or "", list(envelope.rcpt_tos)
            )
        except Exception:
            log.exception("could not store inbound email")
            return "451 4.3.0 Could not store the message; please try again later."
        log.info("stored inbound email %s from %s", inbound_id, envelope.mail_from)
        return "250 Message accepted"


def make_controller(host: str, port: int) -> Controller:
    return Controller(
        InboundHandler(),
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
        decode_data=False,
        server_hostname=settings.INBOUND_EMAIL_DOMAIN,
        ready_timeout=10,
    )


def start_embedded_smtpd(host: str, port: int) -> Callable[[], None]:
    """Start the inbound SMTP server in a thread of this process; returns a stop function."""
    # aiosmtpd logs every SMTP command at INFO; keep warnings and errors only.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = make_controller(host, port)
    controller.start()
    log.info("inbound SMTP listening on %s:%s for @%s", host, port, settings.INBOUND_EMAIL_DOMAIN)

    def stop(*_: Any) -> None:
        controller.stop()

    return stop
