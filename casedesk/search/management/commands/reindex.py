"""``casedesk reindex``: (re)build the search index for messages that already exist.

Idempotent: the index is recomputed from the rows, so running it twice leaves the same index.
New and edited messages never need it (the database keeps the index current); it is for data
that predates search, for an agency whose language changed, or after restoring a backup.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from tqdm import tqdm

from casedesk.cases.models import Message
from casedesk.search.actions import REINDEX_BATCH, reindex_messages


class Command(BaseCommand):
    help = "Rebuild the search index of existing messages (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", type=int, default=None, help="Only this agency's messages (its id).")
        parser.add_argument("--batch", type=int, default=REINDEX_BATCH, help="Messages per transaction.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs).")

    def handle(self, *args: Any, agency: int | None, batch: int, no_progress: bool, **options: Any) -> None:
        messages = Message.objects.all()
        if agency is not None:
            messages = messages.filter(case__agency_id=agency)
        total = messages.count()
        with tqdm(total=total, unit="msg", desc="Indexing", disable=no_progress, file=self.stderr) as bar:
            done = reindex_messages(agency_id=agency, batch=batch, progress=bar.update)
        self.stdout.write(f"Indexed {done:,} message{'s' if done != 1 else ''} ({connection.vendor}).")
