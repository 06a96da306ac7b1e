"""Search as one function: who asks, what they typed, which filters → a page of hits by case.

Visibility comes first and from one place: the hits are drawn from
``searchable_messages`` / ``searchable_documents`` / ``visible_cases`` / ``client_cases``
(``casedesk.cases.access``), and only then narrowed by the engine and the filters. Totals,
snippets and highlights are computed from those rows alone, so nothing the viewer may not see
can be found, counted or shown.

A page costs the same handful of queries whatever it holds (count, the page of ids, the
messages, the files, the languages, the matching cases).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Exists, F, FloatField, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.safestring import SafeString

from casedesk.accounts.access import Viewer
from casedesk.cases.access import (
    client_cases,
    narrow_by_internal,
    searchable_documents,
    searchable_messages,
    visible_cases,
)
from casedesk.cases.models import Case, Document, Message
from casedesk.lib.markdown import plain_text
from casedesk.search.engines import engine, name_condition
from casedesk.search.highlight import snippet
from casedesk.search.models import FALLBACK_LANGUAGE, AgencySearchLanguage
from casedesk.search.query import ParsedQuery

PAGE_SIZE = 20
MATCHING_CASES_SHOWN = 20
Order = Literal["newest", "relevance"]
Visibility = Literal["", "internal", "client"]


@dataclass(frozen=True)
class SearchFilters:
    case_id: int | None = None
    client_id: int | None = None
    author_user_id: int | None = None
    author_contact_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    has_file: bool = False
    visibility: Visibility = ""
    order: Order = "newest"


@dataclass
class Hit:
    kind: Literal["message", "document"]
    pk: int
    case: Case
    created_at: dt.datetime
    internal_only: bool
    author_name: str
    snippet: SafeString
    message_id: int | None  # the message to open (a file's own message, if it has one)
    name: str = ""  # a file's name
    url: str = ""  # set by the channel (team page, portal, API): where a click opens the hit


@dataclass
class CaseGroup:
    case: Case
    hits: list[Hit] = field(default_factory=list)


@dataclass
class SearchResults:
    query: ParsedQuery
    total: int
    page: int
    page_size: int
    groups: list[CaseGroup]
    matching_cases: list[Case]
    matching_cases_total: int

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _languages(viewer: Viewer, *, as_client: bool, agency_id: int | None) -> list[str]:
    """The text-search configurations of the agencies in scope, "simple" always among them."""
    if agency_id is not None:
        rows = AgencySearchLanguage.objects.filter(agency_id=agency_id)
    elif as_client:
        rows = AgencySearchLanguage.objects.filter(agency_id__in=client_cases(viewer).values("agency_id"))
    else:
        rows = AgencySearchLanguage.objects.filter(
            agency_id__in=[*viewer.memberships().keys()]
        ) | AgencySearchLanguage.objects.filter(agency_id__in=client_cases(viewer).values("agency_id"))
    return sorted({FALLBACK_LANGUAGE, *rows.values_list("config", flat=True)})


def _filter_messages(
    messages: QuerySet[Message], documents: QuerySet[Document], filters: SearchFilters
) -> QuerySet[Message]:
    if filters.author_user_id is not None:
        messages = messages.filter(author_user_id=filters.author_user_id, author_contact__isnull=True)
    if filters.author_contact_id is not None:
        messages = messages.filter(author_contact_id=filters.author_contact_id)
    if filters.has_file:
        messages = messages.filter(Exists(documents.filter(message_id=OuterRef("pk"))))
    return messages


def _filter_documents(documents: QuerySet[Document], filters: SearchFilters) -> QuerySet[Document]:
    if filters.author_user_id is not None:
        documents = documents.filter(
            uploaded_by_user_id=filters.author_user_id, uploaded_by_contact__isnull=True
        )
    if filters.author_contact_id is not None:
        documents = documents.filter(uploaded_by_contact_id=filters.author_contact_id)
    return documents


def _common(rows: QuerySet[Any], filters: SearchFilters) -> QuerySet[Any]:
    if filters.case_id is not None:
        rows = rows.filter(case_id=filters.case_id)
    if filters.client_id is not None:
        rows = rows.filter(case__client_id=filters.client_id)
    if filters.date_from is not None:
        rows = rows.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to is not None:
        rows = rows.filter(created_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.visibility:
        rows = narrow_by_internal(rows, internal=filters.visibility == "internal")
    return rows


def search(
    viewer: Viewer,
    query: ParsedQuery,
    filters: SearchFilters | None = None,
    *,
    as_client: bool = False,
    agency_id: int | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> SearchResults:
    """One page of what ``viewer`` may see that matches ``query``.

    ``as_client``: the portal (client cases only, client-visible content only, whoever asks).
    ``agency_id``: the team app's current agency (the caller checked the viewer is on its team).
    Neither: everything the viewer may see (the API).
    """
    filters = filters or SearchFilters()
    page = max(1, page)
    hits, ordering = hit_rows(viewer, query, filters, as_client=as_client, agency_id=agency_id)
    total = hits.count()
    offset = (page - 1) * page_size
    page_rows = list(hits.order_by(*ordering)[offset : offset + page_size]) if offset < total else []

    message_ids = [pk for kind, pk, _, _ in page_rows if kind == "message"]
    document_ids = [pk for kind, pk, _, _ in page_rows if kind == "document"]
    words = query.highlight_words
    loaded: dict[tuple[str, int], Hit] = {}
    if message_ids:
        for m in Message.objects.filter(pk__in=message_ids).select_related(
            "case", "case__client", "case__agency", "author_user", "author_contact"
        ):
            loaded["message", m.pk] = Hit(
                kind="message",
                pk=m.pk,
                case=m.case,
                created_at=m.created_at,
                internal_only=m.internal_only,
                author_name=m.author_name,
                snippet=snippet(plain_text(m.body), words),  # as read, not the Markdown source
                message_id=m.pk,
            )
    if document_ids:
        for d in Document.objects.filter(pk__in=document_ids).select_related(
            "case", "case__client", "case__agency", "uploaded_by_user", "uploaded_by_contact"
        ):
            loaded["document", d.pk] = Hit(
                kind="document",
                pk=d.pk,
                case=d.case,
                created_at=d.created_at,
                internal_only=d.internal_only,
                author_name=d.uploader_name,
                snippet=snippet(d.name, words),
                message_id=d.message_id,
                name=d.name,
            )
    groups: dict[int, CaseGroup] = {}
    for kind, pk, _, _ in page_rows:
        hit = loaded.get((kind, pk))
        if hit is not None:
            groups.setdefault(hit.case.pk, CaseGroup(case=hit.case)).hits.append(hit)

    matching_cases: list[Case] = []
    matching_total = 0
    if page == 1 and not _narrowed_to_content(filters):
        cases = matching_case_rows(viewer, query, as_client=as_client, agency_id=agency_id, filters=filters)
        matching_cases = list(cases[: MATCHING_CASES_SHOWN + 1])
        matching_total = len(matching_cases)
        if matching_total > MATCHING_CASES_SHOWN:
            matching_total = cases.count()
            matching_cases = matching_cases[:MATCHING_CASES_SHOWN]
    return SearchResults(
        query=query,
        total=total,
        page=page,
        page_size=page_size,
        groups=list(groups.values()),
        matching_cases=matching_cases,
        matching_cases_total=matching_total,
    )


def hit_rows(
    viewer: Viewer,
    query: ParsedQuery,
    filters: SearchFilters,
    *,
    as_client: bool = False,
    agency_id: int | None = None,
) -> tuple[QuerySet[Any], tuple[str, ...]]:
    """The matching (kind, pk, sort_at, search_rank) rows, unordered, and the ordering to apply.

    Messages and files in one ``UNION ALL``, both drawn from the access module's querysets.
    """
    messages = searchable_messages(viewer, as_client=as_client)
    documents = searchable_documents(viewer, as_client=as_client)
    # "Has a file" asks for a visible file of the same message (so of the same case): the files'
    # queryset before the engine's raw agency condition, which must stay in the outer query.
    files_of_messages = documents
    search_engine = engine()
    if agency_id is not None:
        messages = search_engine.in_agency(messages, "cases_message", agency_id)
        documents = search_engine.in_agency(documents, "cases_document", agency_id)
    messages = _filter_messages(_common(messages, filters), files_of_messages, filters)
    documents = _filter_documents(_common(documents, filters), filters)

    languages = _languages(viewer, as_client=as_client, agency_id=agency_id)
    message_hits = (
        search_engine.match_messages(messages, query, languages)
        .annotate(kind=Value("message"), sort_at=F("created_at"))
        .values_list("kind", "pk", "sort_at", "search_rank")
    )
    document_hits = (
        documents.filter(
            name_condition("name", query) | Q(search_engine.document_text_condition(query, languages))
        )
        .annotate(kind=Value("document"), sort_at=F("created_at"), search_rank=Value(1.0, FloatField()))
        .values_list("kind", "pk", "sort_at", "search_rank")
    )
    hits = message_hits.union(document_hits, all=True)
    ordering = ("-search_rank", "-sort_at", "-pk") if filters.order == "relevance" else ("-sort_at", "-pk")
    return hits, ordering


def _narrowed_to_content(filters: SearchFilters) -> bool:
    """Filters about messages and files (author, dates, files, internal): cases do not apply."""
    return bool(
        filters.author_user_id
        or filters.author_contact_id
        or filters.date_from
        or filters.date_to
        or filters.has_file
        or filters.visibility
    )


def matching_case_rows(
    viewer: Viewer,
    query: ParsedQuery,
    *,
    as_client: bool,
    agency_id: int | None,
    filters: SearchFilters,
) -> QuerySet[Case]:
    """Cases whose title matches; for the team also by client or contact name."""
    if as_client:
        cases = client_cases(viewer)
        condition = name_condition("title", query)
    else:
        cases = visible_cases(viewer)
        if agency_id is not None:
            cases = cases.filter(agency_id=agency_id)
        team_agencies = list(viewer.memberships().keys())
        # Client and contact names only where the viewer is on the team: a client finds their
        # cases by title, not by the names of people the agency works with.
        condition = name_condition("title", query) | (
            (name_condition("client__name", query) | name_condition("contacts__name", query))
            & Q(agency_id__in=team_agencies)
        )
    if filters.case_id is not None:
        cases = cases.filter(pk=filters.case_id)
    if filters.client_id is not None:
        cases = cases.filter(client_id=filters.client_id)
    return (
        cases.filter(condition)
        .select_related("agency", "client")
        .annotate(activity_at=Coalesce("last_message_at", "created_at"))
        .order_by("-activity_at", "-pk")
    )
