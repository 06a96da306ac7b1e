"""The team's thread (Messages tab): page, send, live catch-up feed, edit, delete, history, @ list.

Thin views: viewer → ``access_*`` → form → ``do_*`` → response. Requests sent by the page's
script ask for JSON (``Accept: application/json``) and get ``{"error": sentence}`` on failure;
without script the same URLs re-render the page with the text kept.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.accounts.access import Viewer, viewer_from_request
from casedesk.cases.access import (
    access_case_as_team,
    access_message,
    access_own_message,
    mentionable_teammates,
    visible_documents,
    visible_messages,
)
from casedesk.cases.actions import MAX_BODY_CHARS, do_delete_message, do_edit_message, do_post_message
from casedesk.cases.forms import EditMessageForm, MessageForm
from casedesk.cases.message_html import messages_html
from casedesk.cases.models import Case, CaseStatus, Message
from casedesk.cases.threads import ThreadWindow, message_window, parse_cursor, with_thread_relations
from casedesk.lib.errors import ActionError
from casedesk.lib.http import answer_action


def _team_viewer(request: HttpRequest) -> Viewer | None:
    """None means "no session": sign in. A client's session is a viewer too, and gets the 404."""
    viewer = viewer_from_request(request)
    return viewer if (viewer.is_authenticated_user or viewer.magic_grants) else None


CLOSED_NOTE_TEAM = (
    "This case is closed. You can still post: the case stays closed, and a reply from the client "
    "reopens it. Reopen it from the case header if there is more work to do."
)


def _messages_html(viewer: Viewer, case: Case, messages: list[Message]) -> str:
    return messages_html(messages, case, is_team=True, me_user_id=viewer.user.pk if viewer.user else None)


def thread_context(viewer: Viewer, case: Case, window: ThreadWindow, **extra: Any) -> dict[str, Any]:
    return {
        "case": case,
        "is_team": True,
        "me_user_id": viewer.user.pk if viewer.user else None,
        "feed_url": reverse("cases:messages_feed", args=[case.pk]),
        "message_url_template": reverse("cases:message_fragment", args=[case.pk, 0]),
        "post_url": reverse("cases:messages", args=[case.pk]),
        "max_bytes": settings.MAX_ATTACHMENT_BYTES,
        "max_chars": MAX_BODY_CHARS,
        "draft_scope": "team",
        "closed_note": CLOSED_NOTE_TEAM if case.status == CaseStatus.CLOSED else "",
        "window": window,
        "messages_html": _messages_html(viewer, case, window.messages),
        **extra,
    }


@require_http_methods(["GET", "POST"])
def messages_page(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = _team_viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    case = access_case_as_team(viewer, case_id)
    form = MessageForm(request.POST if request.method == "POST" else None)

    def page(error: ActionError | None = None) -> HttpResponse:
        window = message_window(
            visible_messages(viewer, case),
            visible_documents(viewer, case),
            before=parse_cursor(request.GET.get("before")),  # a search hit opens an older page
        )
        context = thread_context(viewer, case, window, active_tab="messages", form=form, error=error)
        return render(request, "cases/thread/page.html", context, status=error.status if error else 200)

    if request.method != "POST":
        return page()
    form.is_valid()
    data = form.cleaned_data
    return answer_action(
        request,
        lambda: do_post_message(
            case=case,
            body=data.get("body", ""),
            author_user=viewer.user,
            internal_only=bool(data.get("internal_only")),
            files=request.FILES.getlist("files"),
        ),
        json=_posted_json,
        json_status=201,
        then=_message_url,
        warnings=lambda message: message.mention_warnings,
        refused=page,
    )


def _posted_json(message: Message) -> dict[str, Any]:
    return {"message": message.pk, "warnings": list(message.mention_warnings)}


def _message_url(message: Message) -> str:
    return reverse("cases:messages", args=[message.case_id]) + f"#m{message.pk}"


@require_GET
def messages_feed(request: HttpRequest, case_id: int) -> HttpResponse:
    """HTML of messages ``?after=<id>`` (live catch-up) or ``?before=<id>`` (load earlier)."""
    viewer = _team_viewer(request)
    if viewer is None:
        return HttpResponse(status=401)
    case = access_case_as_team(viewer, case_id)
    window = message_window(
        visible_messages(viewer, case),
        visible_documents(viewer, case),
        before=parse_cursor(request.GET.get("before")),
        after=parse_cursor(request.GET.get("after")),
    )
    # Plain HTML of the messages: no template, so no context processors (sidebar counts) either;
    # every live event makes every open page ask for this.
    response = HttpResponse(_messages_html(viewer, case, window.messages))
    response["X-Has-Earlier"] = "1" if window.has_earlier else "0"
    return response


def _fragment(request: HttpRequest, viewer: Viewer, case: Case, message: Message) -> HttpResponse:
    row = with_thread_relations(
        visible_messages(viewer, case).filter(pk=message.pk), visible_documents(viewer, case)
    ).get()
    return HttpResponse(_messages_html(viewer, case, [row]))


@require_GET
def message_fragment(request: HttpRequest, case_id: int, message_id: int) -> HttpResponse:
    viewer = _team_viewer(request)
    if viewer is None:
        return HttpResponse(status=401)
    case = access_case_as_team(viewer, case_id)
    return _fragment(request, viewer, case, access_message(viewer, case, message_id))


@require_http_methods(["GET", "POST"])
def edit_message(request: HttpRequest, case_id: int, message_id: int) -> HttpResponse:
    viewer = _team_viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    case = access_case_as_team(viewer, case_id)
    message = access_own_message(viewer, case, message_id)
    form = EditMessageForm(request.POST if request.method == "POST" else None, initial={"body": message.body})

    def page(error: ActionError | None = None) -> HttpResponse:
        return render(
            request,
            "cases/thread/edit.html",
            {"case": case, "message": message, "form": form, "error": error, "active_tab": "messages"},
            status=error.status if error else 200,
        )

    editor = viewer.user
    if request.method != "POST" or not form.is_valid() or editor is None:
        return page()
    return answer_action(
        request,
        lambda: do_edit_message(message=message, editor=editor, body=form.cleaned_data["body"]),
        json=_posted_json,
        then=_message_url,
        warnings=lambda edited: edited.mention_warnings,
        refused=page,
    )


@require_POST
def delete_message(request: HttpRequest, case_id: int, message_id: int) -> HttpResponse:
    viewer = _team_viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    case = access_case_as_team(viewer, case_id)
    message = access_own_message(viewer, case, message_id)
    actor = viewer.user
    assert actor is not None  # access_own_message: the viewer is the author
    thread_url = reverse("cases:messages", args=[case.pk])
    return answer_action(
        request,
        lambda: do_delete_message(message=message, actor=actor),
        json=lambda deleted: {"deleted": deleted.pk},
        then=lambda _: thread_url,
        success=lambda _: "Message deleted. Its earlier text is kept in the case history.",
        refused_url=thread_url,
    )


@require_GET
def message_history(request: HttpRequest, case_id: int, message_id: int) -> HttpResponse:
    viewer = _team_viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    case = access_case_as_team(viewer, case_id)
    message = access_message(viewer, case, message_id)
    revisions = message.revisions.select_related("edited_by").order_by("-created_at")
    return render(
        request,
        "cases/thread/history.html",
        {"case": case, "message": message, "revisions": revisions, "active_tab": "messages"},
    )


@require_GET
def mentionable(request: HttpRequest, case_id: int) -> JsonResponse:
    """Teammates for the @ list: the case agency's active members only, never clients."""
    viewer = _team_viewer(request)
    if viewer is None:
        return JsonResponse({"error": "Sign in to continue."}, status=401)
    case = access_case_as_team(viewer, case_id)
    people = mentionable_teammates(viewer, case, request.GET.get("q", "")[:60])
    names = [p.name.lower() for p in people]
    results = [
        {
            "name": p.name,
            "email": p.email,
            # Two teammates with one name: mention by email so the right one is notified.
            "insert": f"@**{p.email if names.count(p.name.lower()) > 1 or not p.name else p.name}**",
        }
        for p in people
    ]
    return JsonResponse({"results": results})
