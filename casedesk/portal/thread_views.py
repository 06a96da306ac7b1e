"""The client's thread (/my-cases/<id>/messages) and documents. Same actions and access rules as
the team's pages; never any internal message or file (``visible_messages`` drops them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.accounts.access import Viewer, viewer_from_request
from casedesk.accounts.models import Contact
from casedesk.cases.access import (
    access_case_as_client,
    access_message,
    access_own_message,
    visible_documents,
    visible_messages,
)
from casedesk.cases.actions import (
    MAX_BODY_CHARS,
    do_delete_message,
    do_edit_message,
    do_post_message,
    do_record_thread_viewed,
)
from casedesk.cases.forms import EditMessageForm, MessageForm
from casedesk.cases.message_html import messages_html
from casedesk.cases.models import Case, CaseStatus, Message
from casedesk.cases.threads import message_window, parse_cursor, with_thread_relations
from casedesk.lib.errors import ActionError
from casedesk.lib.http import answer_action

CLOSED_NOTE_CLIENT = "This case is closed. If you reply, it will be reopened and the team will be told."


def _client_viewer(request: HttpRequest) -> Viewer | None:
    viewer = viewer_from_request(request)
    return viewer if (viewer.is_authenticated_user or viewer.magic_grants) else None


def _messages_html(viewer: Viewer, case: Case, contact: Contact, messages: list[Message]) -> str:
    return messages_html(
        messages,
        case,
        is_team=False,
        me_user_id=viewer.user.pk if viewer.user else None,
        contact_id=contact.pk,
    )


def _context(viewer: Viewer, case: Case, contact: Contact, **extra: Any) -> dict[str, Any]:
    return {
        "case": case,
        "contact": contact,
        "is_team": False,
        "me_user_id": viewer.user.pk if viewer.user else None,
        "feed_url": reverse("portal:messages_feed", args=[case.pk]),
        "message_url_template": reverse("portal:message_fragment", args=[case.pk, 0]),
        "post_url": reverse("portal:messages", args=[case.pk]),
        "max_bytes": settings.MAX_ATTACHMENT_BYTES,
        "max_chars": MAX_BODY_CHARS,
        "draft_scope": f"client{contact.pk}",
        "closed_note": CLOSED_NOTE_CLIENT if case.status == CaseStatus.CLOSED else "",
        **extra,
    }


@require_http_methods(["GET", "POST"])
def messages_page(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = _client_viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    case, contact = access_case_as_client(viewer, case_id)
    form = MessageForm(request.POST if request.method == "POST" else None)

    def page(error: ActionError | None = None) -> HttpResponse:
        window = message_window(
            visible_messages(viewer, case),
            visible_documents(viewer, case),
            before=parse_cursor(request.GET.get("before")),  # a search hit opens an older page
        )
        context = _context(
            viewer,
            case,
            contact,
            window=window,
            messages_html=_messages_html(viewer, case, contact, window.messages),
            form=form,
            error=error,
            active_tab="messages",
        )
        return render(request, "portal/thread/page.html", context, status=error.status if error else 200)

    if request.method != "POST":
        do_record_thread_viewed(case=case, contact=contact)
        return page()
    form.is_valid()
    return answer_action(
        request,
        lambda: do_post_message(
            case=case,
            body=form.cleaned_data.get("body", ""),
            author_user=viewer.user,
            author_contact=contact,
            files=request.FILES.getlist("files"),
        ),
        json=_posted_json,
        json_status=201,
        then=_message_url,
        refused=page,
    )


def _posted_json(message: Message) -> dict[str, Any]:
    return {"message": message.pk, "warnings": []}  # clients cannot mention, so no warnings


def _message_url(message: Message) -> str:
    return reverse("portal:messages", args=[message.case_id]) + f"#m{message.pk}"


@require_GET
def messages_feed(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = _client_viewer(request)
    if viewer is None:
        return HttpResponse(status=401)
    case, contact = access_case_as_client(viewer, case_id)
    window = message_window(
        visible_messages(viewer, case),
        visible_documents(viewer, case),
        before=parse_cursor(request.GET.get("before")),
        after=parse_cursor(request.GET.get("after")),
    )
    do_record_thread_viewed(case=case, contact=contact)  # a live page fetching new messages shows them
    # Plain HTML of the messages: no template, so no context processors either (asked on every
    # live event by every open page).
    response = HttpResponse(_messages_html(viewer, case, contact, window.messages))
    response["X-Has-Earlier"] = "1" if window.has_earlier else "0"
    return response


@require_GET
def message_fragment(request: HttpRequest, case_id: int, message_id: int) -> HttpResponse:
    viewer = _client_viewer(request)
    if viewer is None:
        return HttpResponse(status=401)
    case, contact = access_case_as_client(viewer, case_id)
    message = access_message(viewer, case, message_id)
    row = with_thread_relations(
        visible_messages(viewer, case).filter(pk=message.pk), visible_documents(viewer, case)
    ).get()
    return HttpResponse(_messages_html(viewer, case, contact, [row]))


@require_http_methods(["GET", "POST"])
def edit_message(request: HttpRequest, case_id: int, message_id: int) -> HttpResponse:
    viewer = _client_viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    case, _contact = access_case_as_client(viewer, case_id)
    message = access_own_message(viewer, case, message_id)
    form = EditMessageForm(request.POST if request.method == "POST" else None, initial={"body": message.body})

    def page(error: ActionError | None = None) -> HttpResponse:
        return render(
            request,
            "portal/thread/edit.html",
            {"case": case, "message": message, "form": form, "error": error, "active_tab": "messages"},
            status=error.status if error else 200,
        )

    if request.method != "POST" or not form.is_valid():
        return page()
    editor = viewer.user
    assert editor is not None  # access_own_message: the viewer is the author
    return answer_action(
        request,
        lambda: do_edit_message(message=message, editor=editor, body=form.cleaned_data["body"]),
        json=_posted_json,
        then=_message_url,
        refused=page,
    )


@require_POST
def delete_message(request: HttpRequest, case_id: int, message_id: int) -> HttpResponse:
    viewer = _client_viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    case, _contact = access_case_as_client(viewer, case_id)
    message = access_own_message(viewer, case, message_id)
    actor = viewer.user
    assert actor is not None  # access_own_message: the viewer is the author
    thread_url = reverse("portal:messages", args=[case.pk])
    return answer_action(
        request,
        lambda: do_delete_message(message=message, actor=actor),
        json=lambda deleted: {"deleted": deleted.pk},
        then=lambda _: thread_url,
        refused_url=thread_url,
    )


@require_GET
def documents_page(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = _client_viewer(request)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    case, contact = access_case_as_client(viewer, case_id)
    documents = (
        visible_documents(viewer, case)
        .select_related("uploaded_by_user", "uploaded_by_contact", "message")
        .order_by("-created_at", "-id")
    )
    template = (
        "cases/thread/_documents.html" if request.GET.get("fragment") else "portal/thread/documents.html"
    )
    return render(
        request,
        template,
        {
            "case": case,
            "contact": contact,
            "documents": documents,
            "is_team": False,
            "active_tab": "documents",
        },
    )
