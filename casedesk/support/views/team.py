"""The team's side: Sidebar → Support (queue + dashboard), a conversation, the platform console."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from casedesk.accounts.access import access_current_agency, viewer_from_request
from casedesk.accounts.decorators import team_required
from casedesk.accounts.models import Membership, User
from casedesk.cases.saved_replies import FillValues, first_name, picker_results
from casedesk.lib.business_hours import Schedule
from casedesk.lib.errors import ActionError
from casedesk.lib.files import file_response, upload_limit_bytes
from casedesk.lib.http import error_json, wants_json
from casedesk.support import actions, assignment, hours, stats
from casedesk.support.access import (
    access_conversation_as_team,
    access_conversation_file_as_team,
    platform_desk_for,
    team_conversations,
)
from casedesk.support.models import (
    WAITING_STATES,
    Conversation,
    ConversationMessage,
    ConversationState,
    Escalation,
)


def _decorate(rows: QuerySet[Conversation]) -> list[Conversation]:
    now = timezone.now()
    overdue_after = timedelta(seconds=settings.SUPPORT_OVERDUE_SECONDS)
    result = list(rows.select_related("agency", "visitor", "assignee", "requesting_agency", "case"))
    schedules: dict[int, Schedule | None] = {}  # the overdue timer counts business hours only
    for conversation in result:
        if conversation.agency_id not in schedules:
            schedules[conversation.agency_id] = conversation.agency.schedule()
        since = conversation.escalated_at or conversation.created_at
        # The row shows how long the visitor has really waited; "Overdue" counts open time only.
        conversation.waiting_for = now - since  # type: ignore[attr-defined]
        open_time = hours.waited(schedules[conversation.agency_id], since, now)
        conversation.is_overdue = conversation.is_waiting and open_time > overdue_after  # type: ignore[attr-defined]
    return result


def _queue_context(conversations: QuerySet[Conversation]) -> dict[str, Any]:
    day_ago = timezone.now() - timedelta(days=1)
    return {
        "waiting": _decorate(conversations.filter(state__in=WAITING_STATES).order_by("escalated_at", "id")),
        "active": _decorate(conversations.filter(state=ConversationState.WITH_HUMAN).order_by("-updated_at")),
        "with_bot": _decorate(
            conversations.filter(state=ConversationState.BOT, updated_at__gte=day_ago).order_by(
                "-updated_at"
            )[:20]
        ),
        "closed": _decorate(conversations.filter(state=ConversationState.CLOSED).order_by("-closed_at")[:10]),
        "overdue_minutes": settings.SUPPORT_OVERDUE_SECONDS // 60,
    }


@team_required
def queue(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer)
    context = _queue_context(team_conversations(viewer, agency))
    context.update({"agency": agency, "nav": "support"})
    if request.headers.get("HX-Request") and request.GET.get("part") == "lists":
        return render(request, "support/partials/queue_lists.html", context)
    dashboard = stats.dashboard_for(agency)  # the full page only: the lists re-read on every change
    context.update({"dashboard": dashboard, "chart": dashboard.svg()})
    user = request.user
    assert isinstance(user, User)
    auto_assign, cap = assignment.auto_assign_settings(agency)
    context.update(
        {
            "auto_assign": auto_assign,
            "auto_assign_cap": cap,
            "available": assignment.is_available(agency, user),
        }
    )
    return render(request, "support/queue.html", context)


@team_required
@require_POST
def availability(request: HttpRequest) -> HttpResponse:
    """The "Available for new chats" switch on the Support queue (auto-assignment)."""
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer)
    user = request.user
    assert isinstance(user, User)
    wanted = request.POST.get("available")
    if wanted not in ("0", "1"):
        messages.error(request, "Choose available or away.")
        return redirect("support:queue")
    try:
        assignment.do_set_availability(agency=agency, user=user, available=wanted == "1")
    except ActionError as error:
        messages.error(request, str(error))
        return redirect("support:queue")
    if wanted == "1":
        messages.success(request, "You're available: new conversations can be assigned to you.")
    else:
        messages.success(request, "You're away: no new conversations will be assigned to you.")
    return redirect("support:queue")


@team_required
def console(request: HttpRequest) -> HttpResponse:
    """Platform staff: agency teams' conversations with the platform desk."""
    viewer = viewer_from_request(request)
    desk = platform_desk_for(viewer)
    context = _queue_context(team_conversations(viewer, desk))
    context.update({"agency": desk, "nav": "console", "console": True})
    if request.headers.get("HX-Request") and request.GET.get("part") == "lists":
        return render(request, "support/partials/queue_lists.html", context)
    return render(request, "support/console.html", context)


def _messages(conversation: Conversation) -> QuerySet[ConversationMessage]:
    return conversation.messages.select_related("author_user").prefetch_related("files").order_by("id")


@team_required
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    conversation = access_conversation_as_team(viewer, conversation_id)
    if conversation.has_unread:
        actions.do_mark_read(conversation=conversation)
    team = (
        Membership.objects.filter(agency_id=conversation.agency_id, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__name")
    )
    context = {
        "conversation": conversation,
        "messages_list": _messages(conversation),
        "team": [m.user for m in team],
        "nav": "console" if conversation.agency.is_platform else "support",
        "escalation": Escalation.objects.filter(conversation=conversation).first(),
        "draft": request.session.pop("support_draft", ""),
        "max_bytes": upload_limit_bytes(),
    }
    return render(request, "support/conversation.html", context)


@team_required
def conversation_messages(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The transcript alone, polled by the conversation page."""
    viewer = viewer_from_request(request)
    conversation = access_conversation_as_team(viewer, conversation_id)
    if conversation.has_unread:
        actions.do_mark_read(conversation=conversation)
    return render(
        request,
        "support/partials/transcript.html",
        {"conversation": conversation, "messages_list": _messages(conversation)},
    )


@require_GET
@team_required
def saved_replies(request: HttpRequest, conversation_id: int) -> JsonResponse:
    """The team's saved replies for the ``/`` list in the agent's reply box (issue 16 §4),
    filled in for this visitor; the conversation is read as team, so anyone else gets a 404."""
    viewer = viewer_from_request(request)
    conversation = access_conversation_as_team(viewer, conversation_id)
    agent = viewer.user
    assert agent is not None  # team_required
    values = FillValues(
        contact_first_name=first_name(conversation.visitor.name),
        case_title=conversation.case.title
        if conversation.case_id and conversation.case
        else conversation.subject,
        agent_first_name=first_name(agent.name) or agent.get_short_name(),
    )
    results = picker_results(viewer, conversation.agency_id, request.GET.get("q", ""), values)
    return JsonResponse({"results": results})


def _act(request: HttpRequest, conversation_id: int, action: str) -> HttpResponse:
    viewer = viewer_from_request(request)
    conversation = access_conversation_as_team(viewer, conversation_id)
    user = request.user
    assert isinstance(user, User)
    try:
        if action == "reply":
            actions.do_reply_as_agent(
                conversation=conversation,
                user=user,
                body=request.POST.get("body", ""),
                files=request.FILES.getlist("files"),
            )
        elif action == "claim":
            actions.do_claim(conversation=conversation, user=user)
        elif action == "assign":
            assignee = User.objects.filter(pk=request.POST.get("assignee") or 0).first()
            if assignee is None:
                raise ActionError("Choose a teammate to assign this conversation to.", field="assignee")
            actions.do_assign(conversation=conversation, assignee=assignee, by=user)
        elif action == "close":
            actions.do_close(conversation=conversation, by=user)
        elif action == "reopen":
            actions.do_reopen(conversation=conversation, by=user)
    except ActionError as error:
        if action == "reply" and wants_json(request):
            return error_json(error)  # conversation.js keeps the text and the chosen files
        messages.error(request, error.message)
        if action == "reply":
            request.session["support_draft"] = request.POST.get("body", "")[:4000]
    if action == "reply" and wants_json(request):
        return JsonResponse({"ok": True}, status=201)
    return redirect("support:conversation", conversation_id=conversation.pk)


@team_required
@require_POST
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _act(request, conversation_id, "reply")


@team_required
@require_POST
def claim(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _act(request, conversation_id, "claim")


@team_required
@require_POST
def assign(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _act(request, conversation_id, "assign")


@team_required
@require_POST
def close(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _act(request, conversation_id, "close")


@team_required
@require_POST
def reopen(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _act(request, conversation_id, "reopen")


@require_GET
def conversation_file(request: HttpRequest, conversation_id: int, file_id: int) -> HttpResponseBase:
    """A file sent in the chat, for the conversation's team only; always a download, inert.

    Not ``team_required`` (that decorator answers pages): anyone else gets the same 404 as a
    missing file, after signing in."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    row = access_conversation_file_as_team(viewer_from_request(request), conversation_id, file_id)
    try:
        fileobj = row.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404("This file is missing from storage.") from None
    return file_response(
        fileobj,
        filename=row.name,
        content_type=row.content_type,
        inline=False,
        asynchronous=isinstance(request, ASGIRequest),
    )
