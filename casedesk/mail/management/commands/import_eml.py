"""``casedesk import-eml FILE...``: feed saved .eml files through the inbound pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casedesk.mail.inbound import receive_email
from casedesk.mail.models import InboundSource


class Command(BaseCommand):
    help = "Store each .eml file as received mail and queue it for processing (the worker posts it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--to", action="append", default=[], help="Envelope recipient (repeatable); default: the headers."
        )
        parser.add_argument(
            "--now", action="store_true", help="Process right away in this process instead of by the worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        missing = [str(path) for path in options["files"] if not path.is_file()]
        if missing:
            raise CommandError(f"Not found: {', '.join(missing)}. Check the paths and try again.")
        for path in options["files"]:
            row = receive_email(path.read_bytes(), source=InboundSource.IMPORT, envelope_to=options["to"])
            if options["now"]:
                from casedesk.mail.inbound import process_inbound_email

                process_inbound_email.call(row.pk)
                row.refresh_from_db()
                self.stdout.write(f"{path}: inbound {row.pk} → {row.status} {row.reason}".rstrip())
            else:
                self.stdout.write(f"{path}: stored as inbound {row.pk}, queued for processing.")
