"""Query shapes for showing a thread, shared by the team and portal views and the API.

They take a queryset that already went through ``casedesk.cases.access`` and only page and
prefetch it, so each page costs the same few queries whatever the thread's length.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from casedesk.cases.models import Document, Message
from casedesk.lib.ids import parse_id

PAGE_SIZE = 50


def with_thread_relations(messages: QuerySet[Message], documents: QuerySet[Document]) -> QuerySet[Message]:
    """Authors in the same query; the visible files of every message in one more."""
    return messages.select_related("author_user", "author_contact").prefetch_related(
        Prefetch("documents", queryset=documents.order_by("id"), to_attr="visible_files")
    )


@dataclass
class ThreadWindow:
    messages: list[Message]
    has_earlier: bool

    @property
    def first_id(self) -> int | None:
        return self.messages[0].pk if self.messages else None

    @property
    def last_id(self) -> int | None:
        return self.messages[-1].pk if self.messages else None


def message_window(
    messages: QuerySet[Message],
    documents: QuerySet[Document],
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = PAGE_SIZE,
) -> ThreadWindow:
    """Oldest→newest slice: the newest ``limit`` (optionally before an id), or all after an id.

    ``after`` is how a page catches up after a live event or a reconnect; it is capped at
    ``limit`` too, and the page asks again while ``has_earlier`` stays false and rows keep coming.
    """
    base = with_thread_relations(messages, documents)
    if after is not None:
        rows = list(base.filter(pk__gt=after).order_by("id")[:limit])
        return ThreadWindow(messages=rows, has_earlier=False)
    if before is not None:
        base = base.filter(pk__lt=before)
    rows = list(base.order_by("-id")[: limit + 1])
    has_earlier = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return ThreadWindow(messages=rows, has_earlier=has_earlier)


def parse_cursor(value: str | None) -> int | None:
    """A message id from a query string, or None for anything that is not a whole number in range."""
    return parse_id(value, minimum=0)
