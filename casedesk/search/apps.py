from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "casedesk.search"
    label = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_ensure_sqlite_triggers, sender=self)


def _ensure_sqlite_triggers(using: str = "default", **kwargs: Any) -> None:
    # SQLite rebuilds a table (new table, copy, drop, rename) for most ALTERs, and its triggers
    # go with the dropped table; a later migration of cases_message would silently stop the
    # index's upkeep. Re-creating them (IF NOT EXISTS) after every migrate closes that gap.
    from casedesk.search.engines import ensure_index_triggers

    ensure_index_triggers(using)
