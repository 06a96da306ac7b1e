"""``GET /api/search``: the search of the pages, as JSON, with the same filters and visibility.

Mounted on the project's NinjaAPI (``casedesk/api/api.py``), so its authentication and error
handlers apply: 401 without a session or token, and every refusal as ``{"detail": sentence}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import WithJsonSchema

from casedesk.accounts.access import Viewer, viewer_from_request
from casedesk.cases.access import is_team_for_case
from casedesk.cases.models import Case
from casedesk.lib.errors import ActionError
from casedesk.search.query import MAX_QUERY_CHARS, SearchQueryError, parse_query
from casedesk.search.service import SearchFilters, search
from casedesk.search.views import hit_url

router = Router(tags=["search"])


class ErrorOut(Schema):
    """The API's error shape (``casedesk/api/schemas.py``), declared here: search sits below the api app."""

    detail: str
    code: str = "invalid"
    field: str | None = None


def request_viewer(request: HttpRequest) -> Viewer:
    """The viewer the API's authentication put on the request (token or session)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, Viewer) else viewer_from_request(request)


class SearchCaseOut(Schema):
    id: int
    reference: str
    title: str
    agency: str
    client: str


class SearchHitOut(Schema):
    kind: Literal["message", "document"]
    id: int
    case_id: int
    message_id: int | None
    name: str
    author: str
    internal_only: bool
    created_at: dt.datetime
    snippet_html: str
    url: str


class SearchGroupOut(Schema):
    case: SearchCaseOut
    hits: list[SearchHitOut]


class SearchPageOut(Schema):
    query: str
    total: int
    page: int
    page_size: int
    pages: int
    next_page: int | None
    groups: list[SearchGroupOut]
    cases: list[SearchCaseOut]
    cases_total: int


def _case_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "reference": case.reference,
        "title": case.title,
        "agency": case.agency.name,
        "client": case.client.name,
    }


def _refuse(message: str, field: str, status: int = 422) -> ActionError:
    return ActionError(message, code="invalid_query", field=field, status=status)


@router.get(
    "/search",
    response={200: SearchPageOut, 401: ErrorOut, 422: ErrorOut},
    url_name="search",
    summary="Search messages, files and cases",
)
def api_search(
    request: HttpRequest,
    q: Annotated[
        str, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS})
    ] = Query(
        "",
        description=(
            "What to look for, in web-search syntax: words (all must appear), "
            '`"a phrase"`, `-word` to leave out, `or` between alternatives. '
            f"Required; at most {MAX_QUERY_CHARS} characters. An empty, too long or malformed "
            "query is refused with 422 and a sentence in `detail`."
        ),
    ),
    case: int | None = Query(None, ge=1, description="Only this case."),
    client: int | None = Query(None, ge=1, description="Only cases of this client."),
    author_user: int | None = Query(None, ge=1, description="Only messages and files by this team member."),
    author_contact: int | None = Query(None, ge=1, description="Only messages and files by this contact."),
    date_from: dt.date | None = Query(None, description="Created on or after this day (YYYY-MM-DD)."),  # noqa: B008
    date_to: dt.date | None = Query(None, description="Created on or before this day (YYYY-MM-DD)."),  # noqa: B008
    has_file: bool = Query(False, description="Only messages with a file (files always have one)."),
    visibility: Literal["", "internal", "client"] = Query(
        "", description="`internal`: internal notes and files only (team); `client`: client-visible only."
    ),
    order: Literal["newest", "relevance"] = Query(
        "newest", description="Newest first, or most relevant first."
    ),
    page: int = Query(1, ge=1, description="Page number, from 1; there is no last-page limit."),
    page_size: int = Query(20, ge=1, le=100, description="Hits per page (1–100)."),
) -> dict[str, Any]:
    """Messages and files you may see (internal notes only on your own agencies' cases), grouped by
    case, plus cases whose title (or, for the team, client or contact name) matches, on page 1."""
    try:
        parsed = parse_query(q)
    except SearchQueryError as error:
        raise _refuse(str(error), "q") from None
    if date_from and date_to and date_from > date_to:
        raise _refuse("The end date is before the start date. Swap them or pick another end date.", "date_to")
    viewer = request_viewer(request)
    filters = SearchFilters(
        case_id=case,
        client_id=client,
        author_user_id=author_user,
        author_contact_id=author_contact,
        date_from=date_from,
        date_to=date_to,
        has_file=has_file,
        visibility=visibility,
        order=order,
    )
    results = search(viewer, parsed, filters, page=page, page_size=page_size)
    groups = []
    for group in results.groups:
        team = is_team_for_case(viewer, group.case)
        hits = [
            {
                "kind": hit.kind,
                "id": hit.pk,
                "case_id": hit.case.pk,
                "message_id": hit.message_id,
                "name": hit.name,
                "author": hit.author_name,
                "internal_only": hit.internal_only,
                "created_at": hit.created_at,
                "snippet_html": str(hit.snippet),
                "url": request.build_absolute_uri(hit_url(hit, team=team)),
            }
            for hit in group.hits
        ]
        groups.append({"case": _case_out(group.case), "hits": hits})
    return {
        "query": parsed.raw,
        "total": results.total,
        "page": results.page,
        "page_size": results.page_size,
        "pages": results.pages,
        "next_page": results.page + 1 if results.has_next else None,
        "groups": groups,
        "cases": [_case_out(c) for c in results.matching_cases],
        "cases_total": results.matching_cases_total,
    }
