"""The public JSON API behind widget.js: ``/widget/api/<agency_slug>/...``.

Every endpoint: CORS limited to the agency's allowed origins (plus our own site), rate limits
per IP, per visitor token and per tenant, JSON in and out, and a clear sentence in ``error`` for
anything the caller got wrong. Visitors authenticate with their signed token in the
``X-Visitor-Token`` header, never with a cookie; a session is only consulted on our own origin,
to recognise signed-in team members and portal clients.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadedfile import UploadedFile
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import escape, linebreaks
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from casedesk.accounts.access import viewer_from_request
from casedesk.accounts.models import Agency, User
from casedesk.cases.actions import check_files
from casedesk.lib.errors import ActionError
from casedesk.lib.files import file_response, upload_limit_bytes
from casedesk.lib.markdown import render_markdown
from casedesk.support import actions, hours, identity, ratelimit
from casedesk.support.access import (
    access_conversation_as_visitor,
    access_conversation_file_as_visitor,
    asking_agency_for,
)
from casedesk.support.models import (
    Conversation,
    ConversationMessage,
    ConversationState,
    MessageKind,
    Visitor,
    WidgetSettings,
)

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Visitor-Token"  # noqa: S105 (a header name)
POLL_SECONDS = 4


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


@dataclass
class WidgetCall:
    request: HttpRequest
    agency: Agency
    settings_row: WidgetSettings
    site_origin: str
    origin: str  # "" when the browser sent none (same-origin GET, tests)
    data: dict[str, Any]
    visitor: Visitor | None = None

    @property
    def same_origin(self) -> bool:
        return not self.origin or self.origin == self.site_origin

    def absolute(self, url: str) -> str:
        return self.site_origin + url if url.startswith("/") else url


def _site_origin(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/").lower()


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Headers"] = f"Content-Type, {TOKEN_HEADER}"
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    response["Cache-Control"] = "no-store"
    return response


def _error(status: int, message: str, code: str, origin: str = "") -> HttpResponse:
    return _cors(JsonResponse({"error": message, "code": code}, status=status), origin)


def _parse_body(request: HttpRequest) -> dict[str, Any]:
    if request.method != "POST":
        return {}
    if request.content_type == "multipart/form-data":
        # A line with files (the fields are the JSON body's, as text); files are in request.FILES.
        try:
            fields = {key: request.POST.get(key) for key in request.POST}
        except (MultiPartParserError, SuspiciousOperation):
            raise ApiError(
                400,
                "The upload could not be read. Send the message again, and attach any files again.",
                "bad_upload",
            ) from None
        return fields
    if not request.body:
        return {}
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ApiError(
            400, 'The request body must be JSON, for example {"body": "Hello"}.', "bad_json"
        ) from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.", "bad_json")
    return data


def _string(data: dict[str, Any], key: str, limit: int = 1000) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, f"“{key}” must be text.", "bad_field")
    return value[:limit]


def _visitor_from_token(call: WidgetCall, token: str) -> Visitor | None:
    public_id = identity.read_visitor_token(token, call.agency.pk)
    if public_id is None:
        return None
    visitor = Visitor.objects.filter(public_id=public_id, agency=call.agency).first()
    if visitor is None:
        return None
    if visitor.user_id is not None:
        # A signed-in person's chat is only reachable with their session, on our own site:
        # after sign-out (or as someone else) the token in localStorage opens nothing.
        user = call.request.user
        if (
            not call.same_origin
            or not user.is_authenticated
            or user.pk != visitor.user_id
            or not user.is_active
        ):
            return None
    return visitor


def widget_endpoint(
    *, needs_visitor: bool, methods: tuple[str, ...]
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def wrap(handler: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        def view(request: HttpRequest, agency_slug: str, **kwargs: Any) -> HttpResponse:
            origin = (request.headers.get("Origin") or "").rstrip("/").lower()
            if origin == "null":
                origin = ""
            agency = Agency.objects.filter(slug=agency_slug).first()
            if agency is None:
                return _error(
                    404,
                    "There is no help desk with that name. "
                    "Check the data-agency attribute of the widget's script tag.",
                    "no_agency",
                    origin,
                )
            settings_row = identity.widget_settings_for(agency)
            site_origin = _site_origin(request)
            if (
                origin
                and origin != site_origin
                and (agency.is_platform or origin not in settings_row.allowed_origin_list)
            ):
                return _error(
                    403,
                    f"This website ({origin}) may not use {agency.name}'s support widget. "
                    "An owner or admin can add it under "
                    "Settings → Support Widget Visibility → Allowed origins.",
                    "origin_not_allowed",
                )
            if request.method == "OPTIONS":
                return _cors(HttpResponse(status=204), origin)
            if request.method not in methods:
                return _error(405, f"Use {' or '.join(methods)} for this address.", "method", origin)
            token = request.headers.get(TOKEN_HEADER, "")
            try:
                ratelimit.check(
                    ip=request.META.get("REMOTE_ADDR", ""),
                    token_id=hashlib.sha256(token.encode()).hexdigest()[:32] if token else None,
                    tenant_id=agency.pk,
                )
            except ratelimit.RateLimited as limited:
                response = _error(429, limited.message, "rate_limited", origin)
                response["Retry-After"] = str(limited.retry_after)
                return response
            try:
                call = WidgetCall(
                    request=request,
                    agency=agency,
                    settings_row=settings_row,
                    site_origin=site_origin,
                    origin=origin,
                    data=_parse_body(request),
                )
                if needs_visitor:
                    # The header is the normal way; the body works too (navigator.sendBeacon).
                    token = token or _string(call.data, "visitor_token", 500)
                    call.visitor = _visitor_from_token(call, token)
                    if call.visitor is None:
                        # 404 like every other "not yours": a token of another agency or visitor
                        # learns nothing about what exists.
                        raise ApiError(
                            404,
                            "Your chat session has expired or belongs to another help desk. "
                            "Reload the page to start a new chat.",
                            "bad_token",
                        )
                return _cors(handler(call, **kwargs), origin)
            except ApiError as error:
                return _error(error.status, error.message, error.code, origin)
            except ActionError as error:
                return _error(error.status, error.message, error.code, origin)
            except Http404:
                return _error(
                    404,
                    "That conversation does not exist, or it belongs to someone else.",
                    "not_found",
                    origin,
                )

        return view

    return wrap


# --- serialisation --------------------------------------------------------------------------


def message_json(
    call: WidgetCall, message: ConversationMessage, conversation: Conversation
) -> dict[str, Any]:
    if message.kind == MessageKind.VISITOR:
        html = linebreaks(escape(message.body))
    else:
        html = render_markdown(message.body)
    return {
        "id": message.pk,
        "kind": message.kind,
        "author": message.author_label,
        "html": html,
        "files": files_json(call, message),
        "created_at": message.created_at.isoformat(),
        "article_url": call.absolute(message.article_url) if message.article_url else "",
        "article_title": message.article_title,
        "feedback": message.feedback,
        "ask_feedback": message.kind == MessageKind.BOT_ANSWER
        and not message.feedback
        and conversation.state == ConversationState.BOT,
    }


def conversation_summary(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": str(conversation.public_id),
        "subject": conversation.subject or "New conversation",
        "state": conversation.state,
        "state_label": ConversationState(conversation.state).label,
        "updated_at": conversation.updated_at.isoformat(),
    }


def conversation_json(call: WidgetCall, conversation: Conversation, after: int = 0) -> dict[str, Any]:
    messages = (
        ConversationMessage.objects.filter(conversation=conversation, pk__gt=after)
        .select_related("author_user")
        .prefetch_related("files")[:500]
    )
    return {
        "conversation": conversation_summary(conversation),
        "messages": [message_json(call, message, conversation) for message in messages],
        # At the handover the widget asks once, in one optional field, where to email the answer.
        "answer_email": conversation.answer_email,
        "ask_answer_email": conversation.escalated_at is not None
        and conversation.state != ConversationState.CLOSED
        and not conversation.answer_email
        and conversation.answer_email_unsubscribed_at is None,
        # After the close the widget asks once: 👍 or 👎 and an optional comment (issue 16 §5).
        "csat": {
            "ask": conversation.state == ConversationState.CLOSED and not conversation.csat_rating,
            "rating": conversation.csat_rating,
        },
    }


# --- endpoints -------------------------------------------------------------------------------


def _known_visitor(call: WidgetCall) -> tuple[Visitor | None, Agency | None]:
    """The visitor for a signed-in person on our own site, and the agency they ask for (platform)."""
    request = call.request
    if not call.same_origin or not request.user.is_authenticated:
        return None, None
    user = request.user
    assert isinstance(user, User)
    viewer = viewer_from_request(request)
    if call.agency.is_platform:
        preferred = request.session.get("agency_id") if hasattr(request, "session") else None
        asking = asking_agency_for(viewer, preferred if isinstance(preferred, int) else None)
        if asking is None:
            return None, None
        return actions.do_get_or_create_visitor(agency=call.agency, user=user), asking
    return actions.do_get_or_create_visitor(agency=call.agency, user=user), None


@widget_endpoint(needs_visitor=False, methods=("POST",))
def bootstrap(call: WidgetCall) -> HttpResponse:
    """Decide whether this page may show the widget and, if so, who the visitor is.

    Answers 403 (and the script shows nothing) when the page may not show it.
    """
    page_url = _string(call.data, "page_url")
    if call.origin and identity.origin_of(page_url) != call.origin:
        raise ApiError(400, "The page address does not match the page's origin. Reload the page.", "bad_page")
    visitor: Visitor | None = None
    if call.agency.is_platform:
        visitor, _asking = _known_visitor(call)
        if visitor is None:
            raise ApiError(403, "The casedesk support chat is for signed-in agency teams.", "not_shown")
    else:
        placement = identity.customer_widget_placement(
            call.agency, call.settings_row, page_url, call.site_origin
        )
        if not placement.allowed:
            raise ApiError(403, placement.reason, "not_shown")
        visitor, _ = _known_visitor(call)
        ident = call.data.get("identity") or {}
        if visitor is None and isinstance(ident, dict) and ident.get("user_id"):
            user_id = str(ident.get("user_id"))[:200]
            if not identity.verify_identity(call.settings_row, user_id, str(ident.get("user_hash", ""))):
                raise ApiError(
                    400,
                    "The identity hash does not match this user id. Compute it on your server as "
                    "HMAC-SHA256 of the user id with the widget's identity secret.",
                    "bad_identity",
                )
            visitor = actions.do_get_or_create_visitor(
                agency=call.agency,
                external_id=user_id,
                name=_string(ident, "name", 150),
                email=_string(ident, "email", 254),
            )
        if visitor is None:
            existing = _visitor_from_token(call, call.request.headers.get(TOKEN_HEADER, ""))
            if existing is not None and existing.user_id is None and not existing.external_id:
                visitor = existing
        if visitor is None:
            visitor = Visitor.objects.create(agency=call.agency)
    conversations = list(visitor.conversations.order_by("-updated_at")[:20])
    return JsonResponse(
        {
            "show": True,
            "token": identity.issue_visitor_token(visitor),
            "agency": {
                "name": "casedesk support" if call.agency.is_platform else call.agency.name,
                "slug": call.agency.slug,
                "color": call.agency.brand_color,
            },
            "visitor": {"name": visitor.display_name, "known": visitor.is_known},
            "conversations": [conversation_summary(c) for c in conversations],
            # Outside the agency's business hours: when the team is back (issue 16 §3).
            "away": hours.away(call.agency),
            # Shown in the header before any handover ("Usually answers within about 10 minutes").
            "expected_reply": actions.expected_wait_for_widget(call.agency),
            "poll_seconds": POLL_SECONDS,
            "max_message_chars": actions.MAX_MESSAGE_CHARS,
            "max_file_bytes": upload_limit_bytes(),
            "websocket_path": "/ws/support/widget/",
        }
    )


@widget_endpoint(needs_visitor=True, methods=("GET", "POST"))
def conversations(call: WidgetCall) -> HttpResponse:
    assert call.visitor is not None
    if call.request.method == "GET":
        rows = call.visitor.conversations.order_by("-updated_at")[:50]
        return JsonResponse({"conversations": [conversation_summary(c) for c in rows]})
    page_url = _string(call.data, "page_url")
    # Read well past the limit, so the refusal names the real length (never cut and posted).
    body = _string(call.data, "body", 10 * actions.MAX_MESSAGE_CHARS)
    requesting = None
    if call.agency.is_platform:
        _visitor, requesting = _known_visitor(call)
        if requesting is None:
            raise ApiError(403, "The casedesk support chat is for signed-in agency teams.", "not_shown")
    files = _uploads(call)
    if files:
        check_files(files)  # refused before the conversation exists: nothing is left behind
    conversation = actions.do_start_conversation(
        agency=call.agency, visitor=call.visitor, page_url=page_url, requesting_agency=requesting
    )
    if body.strip() or files:
        actions.do_post_visitor_message(conversation=conversation, body=body, page_url=page_url, files=files)
        conversation.refresh_from_db()
    return JsonResponse(conversation_json(call, conversation), status=201)


def _after(call: WidgetCall) -> int:
    raw = call.request.GET.get("after", "0") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        raise ApiError(400, "“after” must be a message id (a whole number).", "bad_field") from None


@widget_endpoint(needs_visitor=True, methods=("GET",))
def conversation_detail(call: WidgetCall, public_id: str) -> HttpResponse:
    assert call.visitor is not None
    conversation = access_conversation_as_visitor(call.visitor, public_id)
    return JsonResponse(conversation_json(call, conversation, _after(call)))


@widget_endpoint(needs_visitor=True, methods=("POST",))
def post_message(call: WidgetCall, public_id: str) -> HttpResponse:
    assert call.visitor is not None
    conversation = access_conversation_as_visitor(call.visitor, public_id)
    # Read well past the limit, so the refusal names the real length (never cut and posted).
    body = _string(call.data, "body", 10 * actions.MAX_MESSAGE_CHARS)
    actions.do_post_visitor_message(
        conversation=conversation, body=body, page_url=_string(call.data, "page_url"), files=_uploads(call)
    )
    conversation.refresh_from_db()
    return JsonResponse(conversation_json(call, conversation, _after(call)), status=201)


@widget_endpoint(needs_visitor=True, methods=("POST",))
def escalate(call: WidgetCall, public_id: str) -> HttpResponse:
    assert call.visitor is not None
    conversation = access_conversation_as_visitor(call.visitor, public_id)
    actions.do_request_escalation(conversation=conversation)
    conversation.refresh_from_db()
    return JsonResponse(conversation_json(call, conversation, _after(call)))


@widget_endpoint(needs_visitor=True, methods=("POST",))
def feedback(call: WidgetCall, public_id: str) -> HttpResponse:
    assert call.visitor is not None
    conversation = access_conversation_as_visitor(call.visitor, public_id)
    message_id = call.data.get("message_id")
    helpful = call.data.get("helpful")
    if not isinstance(message_id, int) or not isinstance(helpful, bool):
        raise ApiError(
            400, "Send “message_id” (a number) and “helpful” (true or false) with your feedback.", "bad_field"
        )
    actions.do_feedback(conversation=conversation, message_id=message_id, helpful=helpful)
    conversation.refresh_from_db()
    return JsonResponse(conversation_json(call, conversation, _after(call)))


@widget_endpoint(needs_visitor=True, methods=("POST",))
def rating(call: WidgetCall, public_id: str) -> HttpResponse:
    """``{"rating": "good" | "bad", "comment": "..."}``: the visitor's one rating of a closed chat."""
    assert call.visitor is not None
    conversation = access_conversation_as_visitor(call.visitor, public_id)
    conversation = actions.do_rate_conversation(
        conversation=conversation,
        visitor=call.visitor,
        rating=_string(call.data, "rating", 10),
        # Read past the limit, so the refusal names the real length (never cut and saved).
        comment=_string(call.data, "comment", 10 * actions.MAX_CSAT_COMMENT_CHARS),
    )
    return JsonResponse(conversation_json(call, conversation, _after(call)))


@widget_endpoint(needs_visitor=True, methods=("POST",))
def answer_email(call: WidgetCall, public_id: str) -> HttpResponse:
    """``{"email": "..."}``: where to email a person's answer the visitor has not seen."""
    assert call.visitor is not None
    conversation = access_conversation_as_visitor(call.visitor, public_id)
    conversation = actions.do_set_answer_email(
        conversation=conversation, email=_string(call.data, "email", 300)
    )
    return JsonResponse(conversation_json(call, conversation, _after(call)))


@widget_endpoint(needs_visitor=True, methods=("POST",))
def seen(call: WidgetCall, public_id: str) -> HttpResponse:
    """``{"up_to": <message id>}``: the open widget showed every line up to this one."""
    assert call.visitor is not None
    conversation = access_conversation_as_visitor(call.visitor, public_id)
    up_to = call.data.get("up_to")
    if not isinstance(up_to, int) or isinstance(up_to, bool):
        raise ApiError(400, "Send “up_to”: the id of the last message the widget showed.", "bad_field")
    return JsonResponse({"marked": actions.do_mark_seen(conversation=conversation, up_to_message_id=up_to)})


# --- files in the chat (issue 16 §2) ----------------------------------------------------------


def _uploads(call: WidgetCall) -> list[UploadedFile]:
    """The files of a multipart line (field ``files``); the size rule is ``check_files``'s."""
    return list(call.request.FILES.getlist("files"))


def files_json(call: WidgetCall, message: ConversationMessage) -> list[dict[str, Any]]:
    """A line's files with download links for this visitor only (a signed key per file)."""
    visitor = call.visitor
    rows = list(message.files.all())
    if visitor is None or not rows:
        return []
    return [
        {
            "id": row.pk,
            "name": row.name,
            "size": row.size,
            "size_label": filesizeformat(row.size),
            "url": call.absolute(
                reverse(
                    "support:widget_file",
                    args=[call.agency.slug, identity.issue_file_token(visitor, row.pk)],
                )
            ),
        }
        for row in rows
    ]


@require_GET
def file_download(request: HttpRequest, agency_slug: str, token: str) -> HttpResponseBase:
    """A visitor's download link: only the visitor of the file's own conversation, always inert.

    A signed-in person's chat (``Visitor.user``) needs that person's session as well, as the API.
    """
    missing = HttpResponse(
        "This file link is not valid any more, or the file belongs to another conversation. "
        "Open the chat again to get a fresh link.",
        status=404,
        content_type="text/plain; charset=utf-8",
    )
    agency = Agency.objects.filter(slug=agency_slug).first()
    key = identity.read_file_token(token, agency.pk) if agency is not None else None
    if agency is None or key is None:
        return missing
    try:
        ratelimit.check(ip=request.META.get("REMOTE_ADDR", ""), token_id=None, tenant_id=agency.pk)
    except ratelimit.RateLimited as limited:
        response = HttpResponse(limited.message, status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(limited.retry_after)
        return response
    file_id, visitor_public_id = key
    visitor = Visitor.objects.filter(public_id=visitor_public_id, agency=agency).first()
    if visitor is None:
        return missing
    if visitor.user_id is not None and (
        not request.user.is_authenticated or request.user.pk != visitor.user_id
    ):
        return missing
    try:
        row = access_conversation_file_as_visitor(visitor, file_id)
        fileobj = row.file.open("rb")
    except (Http404, FileNotFoundError, OSError, ValueError):
        return missing
    return file_response(
        fileobj,
        filename=row.name,
        content_type=row.content_type,
        inline=False,
        asynchronous=isinstance(request, ASGIRequest),
    )
