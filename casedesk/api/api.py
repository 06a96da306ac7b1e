"""The JSON API (django-ninja): /api/openapi.json and /api/docs.

Same rules as the pages: every read goes through ``casedesk.cases.access`` and every write
through the ``do_*`` actions. Errors are JSON ``{"detail": sentence, ...}`` with the right
status: 401 not signed in, 404 missing or forbidden (the same), 400/413 refused by an action,
422 malformed input. Bad input never becomes a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.handlers.asgi import ASGIRequest
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.urls import reverse
from ninja import File, Form, NinjaAPI, Path, Query, Router, UploadedFile
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import Status

from casedesk.accounts.access import access_agency_as_team
from casedesk.api.auth import SessionViewerAuth, TokenAuth, request_viewer
from casedesk.api.schemas import (
    NON_BLANK,
    CaseOut,
    CountOut,
    DocumentOut,
    ErrorOut,
    MessageEditIn,
    MessageOut,
    MessagePageOut,
    NotificationOut,
    NotificationPageOut,
    SupportStatsOut,
)
from casedesk.cases.access import (
    access_case,
    access_case_for_posting,
    access_document,
    access_notification,
    access_own_message,
    is_team_for_case,
    unread_notification_count,
    visible_cases,
    visible_documents,
    visible_messages,
    visible_notifications,
)
from casedesk.cases.actions import (
    MAX_BODY_CHARS,
    MAX_FILES_PER_MESSAGE,
    do_edit_message,
    do_mark_all_notifications_read,
    do_mark_notification_read,
    do_post_message,
    do_upload_document,
)
from casedesk.cases.models import Case, Document, Message, Notification
from casedesk.cases.threads import message_window, with_thread_relations
from casedesk.lib.errors import ActionError
from casedesk.lib.files import file_response
from casedesk.search.api import router as search_router
from casedesk.support import stats as support_stats

api = NinjaAPI(
    title="casedesk API",
    version="1",
    description=(
        "Cases, messages, documents and notifications. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `casedesk create_api_token <email>`) or, from the browser, with your session "
        "and the CSRF token."
    ),
    auth=[TokenAuth(), SessionViewerAuth()],
    urls_namespace="api",
)

# Every error an operation can answer, each with the same JSON shape (403: a session without its
# CSRF token, or a write the account may not make).
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}
# Ids are 64-bit (BigAutoField); larger numbers, zero and negatives are refused with a 422, not
# sent to the database (PostgreSQL raises on integers beyond bigint).
MAX_ID = 2**63 - 1
# Far beyond any list's length, and small enough that offset + limit fits every database's integer.
MAX_OFFSET = 10**9
ID = {"ge": 1, "le": MAX_ID}
# A yes/no form field, spelled out: "1", "yes" or "on" are refused rather than guessed at, so the
# schema (a string that reads true or false) is exactly what the server accepts.
FLAG = Form(
    "false",
    pattern="^([Tt]rue|[Ff]alse)$",
    description="`true` or `false`: an internal note only the team sees (ignored for clients).",
)


def _error(
    request: HttpRequest, status: int, detail: str, code: str, field: str | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, "field": field}, status=status)


@api.exception_handler(ActionError)
def on_action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return _error(request, exc.status, exc.message, exc.code, exc.field)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or "Not found.", "not_found")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        "Sign in, or send an API token as “Authorization: Bearer <token>”.",
        "unauthenticated",
    )


@api.exception_handler(ValidationError)
def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
            loc = loc[1:]  # where ninja read it from, not part of the field's name
        where = ".".join(str(part) for part in loc)
        problems.append(f"{where or 'input'}: {error.get('msg', 'invalid')}")
    detail = "The request was not understood: " + "; ".join(problems) + ". Fix these fields and try again."
    return api.create_response(
        request, {"detail": detail, "code": "invalid_input", "field": None, "errors": exc.errors}, status=422
    )


@api.exception_handler(MultiPartParserError)
def on_unreadable_form(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return _error(
        request,
        400,
        "The form could not be read: send multipart/form-data with its boundary in the Content-Type "
        "(HTTP clients add it when they build the form), then try again.",
        "bad_form",
    )


@api.exception_handler(SuspiciousOperation)
def on_refused_body(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        return _error(request, 413, "The form fields are too large. Send long text as a file.", "too_large")
    return _error(
        request,
        400,
        "The request was refused as malformed (too many fields or files?). Send less.",
        "bad_form",
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc) == "Cannot parse request body":  # ninja's own wording
        return _error(
            request,
            400,
            "The request body is not valid JSON. Send a JSON object with Content-Type: application/json.",
            "bad_json",
        )
    detail = str(exc)
    return _error(request, exc.status_code, detail if detail.endswith(".") else f"{detail}.", "http_error")


# --- shapes ------------------------------------------------------------------------------------


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def document_out(request: HttpRequest, document: Document) -> dict[str, Any]:
    return {
        "id": document.pk,
        "case_id": document.case_id,
        "message_id": document.message_id,
        "name": document.name,
        "size": document.size,
        "content_type": document.content_type,
        "internal_only": document.internal_only,
        "uploaded_by": document.uploader_name,
        "created_at": document.created_at,
        "download_url": _absolute(request, reverse("api:document_download", args=[document.pk])),
        "share_url": _absolute(request, reverse("cases:document_share", args=[document.share_token])),
    }


def message_out(request: HttpRequest, message: Message) -> dict[str, Any]:
    if message.author_contact_id is not None:
        kind = "client"
    elif message.author_user_id is not None:
        kind = "team"
    else:
        kind = "system"
    files = getattr(message, "visible_files", None)
    return {
        "id": message.pk,
        "case_id": message.case_id,
        "author": {"name": message.author_name, "kind": kind},
        "body": message.body,
        "body_html": message.body_html,
        "internal_only": message.internal_only,
        "source": message.source,
        "created_at": message.created_at,
        "edited_at": message.edited_at,
        "documents": [document_out(request, d) for d in (files or [])],
        "mention_warnings": list(message.mention_warnings),
    }


def case_out(request: HttpRequest, case: Case) -> dict[str, Any]:
    # ``updated_at`` also moves for internal notes; clients get client-visible activity instead.
    team = is_team_for_case(request_viewer(request), case)
    return {
        "id": case.pk,
        "reference": case.reference,
        "title": case.title,
        "status": case.status,
        "agency": case.agency.name,
        "client": case.client.name,
        "created_at": case.created_at,
        "updated_at": case.updated_at if team else (case.last_message_at or case.created_at),
        "last_message_at": case.last_message_at,
        "url": _absolute(request, reverse("api:case_get", args=[case.pk])),
    }


# --- cases -------------------------------------------------------------------------------------

router = Router()


@router.get("/cases", response={200: list[CaseOut], **ERRORS}, url_name="cases_list")
def list_cases(
    request: HttpRequest,
    status: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    """Cases you can see, most recently active first."""
    viewer = request_viewer(request)
    cases = (
        visible_cases(viewer)
        .select_related("agency", "client")
        .annotate(activity_at=Coalesce("last_message_at", "created_at"))
        .order_by("-activity_at", "-id")
    )
    if status:
        cases = cases.filter(status=status)
    return [case_out(request, c) for c in cases[offset : offset + limit]]


@router.get("/cases/{case_id}", response={200: CaseOut, **ERRORS}, url_name="case_get")
def get_case(request: HttpRequest, case_id: int = Path(..., **ID)) -> dict[str, Any]:
    return case_out(request, access_case(request_viewer(request), case_id))


# --- messages ----------------------------------------------------------------------------------


@router.get("/cases/{case_id}/messages", response={200: MessagePageOut, **ERRORS}, url_name="messages_list")
def list_messages(
    request: HttpRequest,
    case_id: int = Path(..., **ID),
    before: int | None = Query(None, ge=0, le=MAX_ID),
    after: int | None = Query(None, ge=0, le=MAX_ID),
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    """Oldest→newest. Without a cursor: the newest page. ``before``: older; ``after``: newer (catch-up)."""
    viewer = request_viewer(request)
    case = access_case(viewer, case_id)
    window = message_window(
        visible_messages(viewer, case),
        visible_documents(viewer, case),
        before=before,
        after=after,
        limit=limit,
    )
    return {
        "items": [message_out(request, m) for m in window.messages],
        "next_before": window.first_id if window.has_earlier else None,
    }


# A message needs text (something besides spaces) or at least one file.
# Files are never empty: a 0-byte file is refused (it is almost always a failed attachment).
_NON_EMPTY_FILE = {"minLength": 1}
_TEXT_OR_FILES = {
    "properties": {"files": {"items": _NON_EMPTY_FILE}},
    "anyOf": [
        {"required": ["body"], "properties": {"body": {"pattern": NON_BLANK}}},
        {"required": ["files"], "properties": {"files": {"minItems": 1}}},
    ],
}


@router.post(
    "/cases/{case_id}/messages",
    response={201: MessageOut, **ERRORS},
    url_name="messages_post",
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": _TEXT_OR_FILES}}}},
)
def post_message(
    request: HttpRequest,
    case_id: int = Path(..., **ID),
    body: str = Form("", max_length=MAX_BODY_CHARS),
    internal_only: str = FLAG,
    files: list[UploadedFile] = File(None, max_length=MAX_FILES_PER_MESSAGE),  # noqa: B008 (ninja)
) -> Status[dict[str, Any]]:
    """Post a message (multipart form: ``body``, ``internal_only``, up to 20 ``files``).

    Send text, files or both. Each file may be up to 25 MB (``MAX_ATTACHMENT_BYTES``) and must not
    be empty; a larger one is refused with 413 and nothing is posted."""
    viewer = request_viewer(request)
    case, role = access_case_for_posting(viewer, case_id)
    if "files" in request.POST:  # a text field named "files" is not a file; never drop it silently
        raise ActionError(
            "“files” must be sent as files (form parts with a filename), not as text. Attach them again.",
            code="invalid_input",
            field="files",
            status=422,
        )
    uploads = request.FILES.getlist("files")
    message = do_post_message(
        case=case,
        body=body,
        author_user=viewer.user,
        author_contact=role.contact,
        internal_only=internal_only.lower() == "true" and role.is_team,
        files=uploads,
        source="api",
    )
    # The response is built from the objects in hand (author, body, times are what was just
    # written); only files need a query, through the same visibility rule as the thread.
    message.visible_files = (  # type: ignore[attr-defined]
        list(
            visible_documents(viewer, case)
            .filter(message=message)
            .select_related("uploaded_by_user", "uploaded_by_contact")
            .order_by("id")
        )
        if uploads
        else []
    )
    return Status(201, message_out(request, message))


@router.patch(
    "/cases/{case_id}/messages/{message_id}",
    response={200: MessageOut, 409: ErrorOut, **ERRORS},  # 409: the message was deleted
    url_name="message_edit",
)
def edit_message(
    request: HttpRequest,
    payload: MessageEditIn,
    case_id: int = Path(..., **ID),
    message_id: int = Path(..., **ID),
) -> dict[str, Any]:
    """Edit your own message (anyone else's is a 404); the earlier text is kept in its history."""
    viewer = request_viewer(request)
    case = access_case(viewer, case_id)
    message = access_own_message(viewer, case, message_id)
    assert viewer.user is not None  # access_own_message: the viewer is the author
    edited = do_edit_message(message=message, editor=viewer.user, body=payload.body)
    row = with_thread_relations(Message.objects.filter(pk=edited.pk), visible_documents(viewer, case)).get()
    row.mention_warnings = edited.mention_warnings
    return message_out(request, row)


# --- documents ---------------------------------------------------------------------------------


@router.get(
    "/cases/{case_id}/documents", response={200: list[DocumentOut], **ERRORS}, url_name="documents_list"
)
def list_documents(
    request: HttpRequest,
    case_id: int = Path(..., **ID),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    viewer = request_viewer(request)
    case = access_case(viewer, case_id)
    documents = (
        visible_documents(viewer, case)
        .select_related("uploaded_by_user", "uploaded_by_contact")
        .order_by("-created_at", "-id")
    )
    return [document_out(request, d) for d in documents[offset : offset + limit]]


@router.post(
    "/cases/{case_id}/documents",
    response={201: DocumentOut, **ERRORS},
    url_name="documents_upload",
    openapi_extra={
        "requestBody": {
            "content": {"multipart/form-data": {"schema": {"properties": {"file": _NON_EMPTY_FILE}}}}
        }
    },
)
def upload_document(
    request: HttpRequest,
    file: File[UploadedFile],
    case_id: int = Path(..., **ID),
    internal_only: str = FLAG,
) -> Status[dict[str, Any]]:
    """Add a file to the case (multipart form: ``file``, ``internal_only``).

    The file may be up to 25 MB (``MAX_ATTACHMENT_BYTES``) and must not be empty; a larger one is
    refused with 413."""
    viewer = request_viewer(request)
    case, role = access_case_for_posting(viewer, case_id)
    document = do_upload_document(
        case=case,
        upload=request.FILES.get("file"),
        uploaded_by_user=viewer.user,
        uploaded_by_contact=role.contact,
        internal_only=internal_only.lower() == "true" and role.is_team,
    )
    return Status(201, document_out(request, document))


@router.get("/documents/{document_id}/download", response={200: None, **ERRORS}, url_name="document_download")
def download_document(request: HttpRequest, document_id: int = Path(..., **ID)) -> HttpResponseBase:
    """The file itself, streamed as an attachment (``nosniff``, sandboxing CSP)."""
    document = access_document(request_viewer(request), document_id)
    try:
        fileobj = document.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise ActionError(
            f"The file “{document.name}” is missing from storage. "
            "Ask the person who uploaded it to attach it again.",
            code="file_missing",
            status=404,
        ) from None
    return file_response(
        fileobj,
        filename=document.name,
        content_type=document.content_type,
        inline=False,
        asynchronous=isinstance(request, ASGIRequest),
    )


# --- notifications -----------------------------------------------------------------------------


def notification_out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "text": n.text,
        "url": n.url,
        "case_id": n.case_id,
        "message_id": n.message_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


@router.get("/notifications", response={200: NotificationPageOut, **ERRORS}, url_name="notifications_list")
def list_notifications(
    request: HttpRequest, unread: bool = False, limit: int = Query(50, ge=1, le=200)
) -> dict[str, Any]:
    viewer = request_viewer(request)
    rows = visible_notifications(viewer).order_by("-created_at", "-id")
    if unread:
        rows = rows.filter(read_at__isnull=True)
    count = unread_notification_count(viewer.user.pk) if viewer.user is not None else 0
    return {"items": [notification_out(n) for n in rows[:limit]], "unread": count}


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **ERRORS},
    url_name="notification_read",
)
def mark_notification_read(request: HttpRequest, notification_id: int = Path(..., **ID)) -> dict[str, Any]:
    notification = access_notification(request_viewer(request), notification_id)
    return notification_out(do_mark_notification_read(notification=notification))


@router.post("/notifications/read-all", response={200: CountOut, **ERRORS}, url_name="notifications_read_all")
def mark_all_notifications_read(request: HttpRequest) -> dict[str, Any]:
    viewer = request_viewer(request)
    if viewer.user is None:
        return {"count": 0}
    return {"count": do_mark_all_notifications_read(user=viewer.user)}


# --- support ----------------------------------------------------------------------------------


@router.get("/support/stats", response={200: SupportStatsOut, **ERRORS}, url_name="support_stats")
def get_support_stats(
    request: HttpRequest,
    agency_id: int = Query(..., ge=1, le=MAX_ID, description="An agency whose team you are on."),
    days: int = Query(30, ge=1, le=90),
) -> dict[str, Any]:
    """The Support dashboard's figures per day: questions, bot answers (confirmed and assumed
    apart), escalations and satisfaction ratings (CSAT). Your agency's team only (404 otherwise)."""
    agency = access_agency_as_team(request_viewer(request), agency_id)
    dashboard = support_stats.dashboard_for(agency, days=days)
    return {
        "agency_id": agency.pk,
        "days": days,
        "totals": dashboard.totals,
        "csat_percent": dashboard.csat_percent,
        "median_reply_minutes": dashboard.median_reply_minutes,
        "per_day": [
            {
                "day": day.day,
                **{name: getattr(day, name) for name in support_stats.FIGURES},
                "median_reply_minutes": day.median_reply_minutes,
            }
            for day in dashboard.days
        ],
    }


api.add_router("/", router)
api.add_router("/", search_router)  # GET /api/search (casedesk/search/api.py)
