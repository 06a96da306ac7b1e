from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "casedesk.search"
    label = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.cases.events import DocumentStored
        from casedesk.lib.events import subscribe

        post_migrate.connect(_ensure_sqlite_triggers, sender=self)
        # In the upload's transaction: a stored file always gets its text-extraction job.
        subscribe(DocumentStored, _enqueue_extraction)


def _ensure_sqlite_triggers(using: str = "default", **kwargs: Any) -> None:
    # SQLite rebuilds a table (new table, copy, drop, rename) for most ALTERs, and its triggers
    # go with the dropped table; a later migration of cases_message would silently stop the
    # index's upkeep. Re-creating them (IF NOT EXISTS) after every migrate closes that gap.
    from casedesk.search.engines import ensure_index_triggers

    ensure_index_triggers(using)


def _enqueue_extraction(event: Any) -> None:
    from casedesk.search.extraction import extract_document_text

    extract_document_text.enqueue(event.document.pk)
