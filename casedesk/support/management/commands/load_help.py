"""``casedesk load-help``: load the platform help articles (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from casedesk.support.help import seed_help_articles


class Command(BaseCommand):
    help = "Load casedesk's own help articles (casedesk/support/help/*.md) as platform articles."

    def handle(self, *args: Any, **options: Any) -> None:
        created, updated = seed_help_articles()
        self.stdout.write(f"Help articles: {created} created, {updated} updated.")
