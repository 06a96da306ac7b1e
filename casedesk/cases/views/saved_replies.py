"""Settings → Saved replies, and the ``/`` picker's list for a case thread (issue 16 §4).

Any member of the agency's team may add, change and delete the team's saved replies; the
support conversation's picker lives in the support app and reads the same access function.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from casedesk.accounts.access import Viewer, access_current_agency, viewer_from_request
from casedesk.accounts.decorators import team_required
from casedesk.accounts.models import Agency, User
from casedesk.cases import saved_reply_actions as actions
from casedesk.cases.access import access_case_as_team, access_saved_reply, visible_saved_replies
from casedesk.cases.models import Case, SavedReply
from casedesk.cases.saved_replies import (
    MAX_BODY_CHARS,
    MAX_TITLE_CHARS,
    FillValues,
    first_name,
    picker_results,
)
from casedesk.lib.errors import ActionError


class SavedReplyForm(forms.Form):
    # Lengths are checked by the action, with its sentence, rather than cut by the browser.
    title = forms.CharField(label="Name", required=False, strip=False)
    body = forms.CharField(
        label="Text",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown works. The variables are explained below.",
    )


def _actor(viewer: Viewer) -> User:
    assert viewer.user is not None  # team_required
    return viewer.user


def _list_url(agency: Agency) -> str:
    return f"{reverse('saved_replies:list')}?agency={agency.pk}"


def _render(
    request: HttpRequest, agency: Agency, form: SavedReplyForm, editing: SavedReply | None = None
) -> HttpResponse:
    viewer = viewer_from_request(request)
    context = {
        "agency": agency,
        "form": form,
        "editing": editing,
        "replies": list(visible_saved_replies(viewer, agency.pk)),
        "max_title": MAX_TITLE_CHARS,
        "max_body": MAX_BODY_CHARS,
        "settings_tab": "saved_replies",
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "cases/saved_replies.html", context, status=status)


@team_required
def saved_reply_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer)
    form = SavedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reply = actions.do_create_saved_reply(
                agency=agency,
                author=_actor(viewer),
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except ActionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"Saved “{reply.title}”. Type / in a reply box to use it.")
            return redirect(_list_url(agency))
    return _render(request, agency, form)


@team_required
def saved_reply_edit(request: HttpRequest, reply_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer)
    reply = access_saved_reply(viewer, agency.pk, reply_id)
    form = SavedReplyForm(request.POST or None, initial={"title": reply.title, "body": reply.body})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_saved_reply(
                reply=reply, title=form.cleaned_data["title"], body=form.cleaned_data["body"]
            )
        except ActionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"Saved “{reply.title}”.")
            return redirect(_list_url(agency))
    return _render(request, agency, form, editing=reply)


@team_required
@require_POST
def saved_reply_delete(request: HttpRequest, reply_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer)
    reply = access_saved_reply(viewer, agency.pk, reply_id)
    title = reply.title
    actions.do_delete_saved_reply(reply=reply)
    messages.success(request, f"Deleted “{title}”.")
    return redirect(_list_url(agency))


def case_fill_values(case: Case, agent: User) -> FillValues:
    contact = case.contacts.order_by("name", "pk").first()
    return FillValues(
        contact_first_name=first_name(contact.name) if contact else "",
        case_title=case.title,
        agent_first_name=first_name(agent.name) or agent.get_short_name(),
    )


@require_GET
@team_required
def case_saved_replies(request: HttpRequest, case_id: int) -> JsonResponse:
    """Saved replies for the team's ``/`` list on a case thread. A client gets the 404 of any
    case they can't see as team (``access_case_as_team``), never the list."""
    viewer = viewer_from_request(request)
    case = access_case_as_team(viewer, case_id)
    values = case_fill_values(case, _actor(viewer))
    return JsonResponse({"results": picker_results(viewer, case.agency_id, request.GET.get("q", ""), values)})
