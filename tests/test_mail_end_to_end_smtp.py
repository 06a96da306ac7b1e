"""The whole loop over real SMTP on loopback.

The team posts → the notification goes out over SMTP to an aiosmtpd sink on 127.0.0.1 → a
reply built from it (new text on top, the original quoted, a file attached) is sent over
SMTP to casedesk's own inbound server → the reply appears in the thread without the
quote, and its attachment appears in the case's documents.
"""

from __future__ import annotations

import email
import smtplib
import socket
import time
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from typing import cast as typed

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from casedesk.accounts.access import viewer_for_user
from casedesk.cases.access import visible_documents
from casedesk.cases.actions import do_post_message
from casedesk.cases.models import MessageSource
from casedesk.mail.models import InboundEmail, InboundStatus
from casedesk.mail.smtpd import start_embedded_smtpd
from tests.conftest import Cast
from tests.fixtures.eml.helpers import posted


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(
            (envelope.mail_from or "", list(envelope.rcpt_tos), envelope.original_content or b"")
        )
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def inbound_port() -> Iterator[int]:
    port = _free_port()
    stop = start_embedded_smtpd("127.0.0.1", port)
    try:
        yield port
    finally:
        stop()


def _wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_reply_over_real_smtp_lands_in_thread_with_attachment(
    cast: Cast, run_tasks: Callable[[], int], settings: Any, sink: tuple[Sink, int], inbound_port: int
) -> None:
    handler, sink_port = sink
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink_port
    settings.EMAIL_USE_TLS = False

    do_post_message(case=cast.case_a, body="Can we move the shoot to Thursday?", author_user=cast.bob)
    run_tasks()
    _wait_for(lambda: len(handler.received) >= 2)
    to_carol = next(raw for _, rcpts, raw in handler.received if rcpts == ["carol@globex.test"])
    notification = typed(EmailMessage, email.message_from_bytes(to_carol, policy=policy.default))
    assert notification["Auto-Submitted"] == "auto-generated"
    reply_to = str(notification["Reply-To"])
    assert reply_to.startswith("reply+")

    original_text = typed(EmailMessage, notification.get_body(("plain",))).get_content()
    reply = EmailMessage()
    reply["From"] = "Carol Client <carol@globex.test>"
    reply["To"] = reply_to
    reply["Subject"] = f"Re: {notification['Subject']}"
    reply["Message-ID"] = make_msgid(domain="globex.test")
    reply["In-Reply-To"] = notification["Message-ID"]
    reply["References"] = notification["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in original_text.splitlines())
    reply.set_content(
        "Thursday works. The signed brief is attached.\n\n"
        f"On Tue, Mar 3, 2026 at 9:58 AM Bob Member <{reply_to}> wrote:\n\n{quoted}\n"
    )
    reply.add_attachment(
        b"%PDF-1.4 signed brief", maintype="application", subtype="pdf", filename="signed.pdf"
    )
    with smtplib.SMTP("127.0.0.1", inbound_port, timeout=10) as smtp:
        refused = smtp.send_message(reply, from_addr="carol@globex.test", to_addrs=[reply_to])
    assert refused == {}

    _wait_for(lambda: InboundEmail.objects.exists())
    run_tasks()
    row = InboundEmail.objects.get()
    assert row.status == InboundStatus.POSTED, row.reason
    message = posted(row)
    assert message.source == MessageSource.EMAIL and message.author_contact == cast.carol
    assert message.body == "Thursday works. The signed brief is attached."
    documents = visible_documents(viewer_for_user(cast.carol_user), cast.case_a)
    assert list(documents.values_list("name", flat=True)) == ["signed.pdf"]


@pytest.mark.django_db(transaction=True)
def test_inbound_smtp_refuses_other_domains(cast: Cast, inbound_port: int) -> None:
    with smtplib.SMTP("127.0.0.1", inbound_port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("someone@example.com")
        code, _ = smtp.rcpt("victim@example.org")
    assert code == 550  # never an open relay
