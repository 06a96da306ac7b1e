"""Write paths of search: an agency's language, and re-indexing rows that exist already."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction

from casedesk.accounts.models import Agency
from casedesk.cases.models import Message
from casedesk.jobs import durable_task
from casedesk.lib.errors import ActionError
from casedesk.search import engines
from casedesk.search.models import TEXT_SEARCH_LANGUAGES, AgencySearchLanguage

REINDEX_BATCH = 2000


def do_set_search_language(*, agency: Agency, config: str) -> AgencySearchLanguage:
    """Index the agency's messages with ``config`` from now on; existing ones are re-indexed by a job.

    The job is enqueued in the same transaction, so the setting and the re-index cannot part.
    """
    if config not in TEXT_SEARCH_LANGUAGES:
        choices = ", ".join(sorted(TEXT_SEARCH_LANGUAGES))
        raise ActionError(f"“{config}” is not a search language casedesk knows. Choose one of: {choices}.")
    with transaction.atomic():
        row, _ = AgencySearchLanguage.objects.update_or_create(agency=agency, defaults={"config": config})
        reindex_agency.enqueue(agency.pk)
    return row


def reindex_messages(
    *,
    agency_id: int | None = None,
    batch: int = REINDEX_BATCH,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Recompute the index for existing messages (all, or one agency's); safe to run again.

    PostgreSQL: ``UPDATE ... SET body = body`` in id batches fires the trigger that computes the
    vector, the same code path as a new message. SQLite: FTS5's ``rebuild`` re-reads the table.
    Returns the number of messages covered.
    """
    messages = Message.objects.all()
    if agency_id is not None:
        messages = messages.filter(case__agency_id=agency_id)
    if connection.vendor != "postgresql":
        engines.rebuild_index()
        count = messages.count()
        if progress:
            progress(count)
        return count
    done = 0
    last_id = 0
    while True:
        ids = list(messages.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return done
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE cases_message SET body = body WHERE id = ANY(%s)", [ids])
        done += len(ids)
        last_id = ids[-1]
        if progress:
            progress(len(ids))


@durable_task(kind="search.reindex_agency", queue="default", max_attempts=5)
def reindex_agency(agency_id: int) -> None:
    """Re-index one agency's messages (after its language changed). Idempotent."""
    reindex_messages(agency_id=agency_id)
