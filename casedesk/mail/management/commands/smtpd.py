"""``casedesk smtpd``: run the inbound SMTP server in the foreground."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from casedesk.mail.smtpd import start_embedded_smtpd


class Command(BaseCommand):
    help = "Receive replies over SMTP (aiosmtpd) for INBOUND_EMAIL_DOMAIN and queue them for processing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.INBOUND_SMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.INBOUND_SMTP_PORT)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = start_embedded_smtpd(options["host"], options["port"])
        self.stdout.write(
            f"Receiving mail for @{settings.INBOUND_EMAIL_DOMAIN} on {options['host']}:{options['port']}."
        )
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        signal.signal(signal.SIGINT, lambda *_: done.set())
        done.wait()
        stop()
        self.stdout.write("Stopped.")
