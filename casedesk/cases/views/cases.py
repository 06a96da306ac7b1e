"""The team's case list and the case page shell (its tabs are filled by the thread views)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from casedesk.accounts.access import access_current_agency, viewer_from_request
from casedesk.accounts.decorators import team_required
from casedesk.accounts.models import Agency, Client, Contact, User
from casedesk.cases.access import access_case_as_team
from casedesk.cases.actions import do_create_case, do_set_case_status
from casedesk.cases.models import Case, CaseStatus
from casedesk.lib.ids import parse_id

PAGE_SIZE = 50
# "" (the default) means the cases someone still has to act on.
STATUS_FILTERS = [("", "Active"), *CaseStatus.choices, ("all", "All")]


class NewCaseForm(forms.Form):
    title = forms.CharField(max_length=200, label="Title")
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(), label="Client", empty_label="Choose a client"
    )
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label="Contacts on the case",
        widget=forms.CheckboxSelectMultiple,
        help_text="They can follow and reply to the case. Pick contacts of the chosen client.",
    )
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Assign to",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_client: Any = self.fields["client"]
        field_contacts: Any = self.fields["contacts"]
        field_members: Any = self.fields["members"]
        field_client.queryset = Client.objects.filter(agency=agency).order_by("name")
        field_contacts.queryset = (
            Contact.objects.filter(agency=agency).select_related("client").order_by("name")
        )
        field_contacts.label_from_instance = lambda c: f"{c.name} ({c.client.name})"
        field_members.queryset = team_members(agency)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        client = data.get("client")
        strangers = [
            c.name for c in data.get("contacts", []) if client is not None and c.client_id != client.pk
        ]
        if strangers:
            self.add_error(
                "contacts",
                f"{', '.join(strangers)} work{'s' if len(strangers) == 1 else ''} for another client; "
                f"pick contacts of {client}.",
            )
        return data


def team_members(agency: Agency) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, memberships__agency=agency, memberships__is_active=True
    ).order_by("name")


def filtered_cases(agency: Agency, params: dict[str, str], me: User) -> QuerySet[Case]:
    cases = Case.objects.filter(agency=agency)
    status = params.get("status", "")
    if status == "":
        cases = cases.exclude(status=CaseStatus.CLOSED)
    elif status in CaseStatus.values:
        cases = cases.filter(status=status)
    client_id = parse_id(params.get("client", ""))
    if client_id is not None:
        cases = cases.filter(client_id=client_id)
    assignee = params.get("assignee", "")
    if assignee == "me":
        cases = cases.filter(members=me)
    elif assignee == "none":
        cases = cases.filter(members__isnull=True)
    elif (assignee_id := parse_id(assignee)) is not None:
        cases = cases.filter(members__id=assignee_id)
    return (
        cases.select_related("client")
        .prefetch_related(
            Prefetch("members", queryset=User.objects.order_by("name")),
            Prefetch("contacts", queryset=Contact.objects.order_by("name")),
        )
        .order_by("-updated_at", "-pk")
        .distinct()
    )


@team_required
def case_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer)
    assert viewer.user is not None
    params = {key: request.GET.get(key, "") for key in ("status", "client", "assignee")}
    page = Paginator(filtered_cases(agency, params, viewer.user), PAGE_SIZE).get_page(request.GET.get("page"))
    form = NewCaseForm(agency=agency, initial={"members": [viewer.user.pk]})
    return _render_list(request, agency, params, page, form)


def _render_list(
    request: HttpRequest,
    agency: Agency,
    params: dict[str, str],
    page: Any,
    form: NewCaseForm,
    status: int = 200,
) -> HttpResponse:
    filters = {key: value for key, value in params.items() if value}
    context = {
        "agency": agency,
        "page": page,
        "cases": list(page.object_list),
        "params": params,
        "has_filters": bool(filters),
        "status_filters": STATUS_FILTERS,
        "clients": list(Client.objects.filter(agency=agency).order_by("name")),
        "assignees": list(team_members(agency)),
        "new_case_form": form,
        "open_new_case": status != 200,
    }
    return render(request, "cases/list.html", context, status=status)


@team_required
@require_POST
def case_create(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer)
    assert viewer.user is not None
    form = NewCaseForm(request.POST, agency=agency)
    if form.is_valid():
        case = do_create_case(
            agency=agency,
            client=form.cleaned_data["client"],
            title=form.cleaned_data["title"],
            contacts=form.cleaned_data["contacts"],
            members=form.cleaned_data["members"],
        )
        messages.success(request, f"Case {case.reference} created.")
        return redirect("cases:detail", case_id=case.pk)
    params = {"status": "", "client": "", "assignee": ""}
    page = Paginator(filtered_cases(agency, params, viewer.user), PAGE_SIZE).get_page(1)
    return _render_list(request, agency, params, page, form, status=400)


def case_page_context(case: Case, active_tab: str) -> dict[str, Any]:
    """What case_base.html needs; thread views may call this or pass ``case`` and ``active_tab``."""
    return {"case": case, "active_tab": active_tab, "statuses": CaseStatus.choices}


@team_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    case = access_case_as_team(viewer, case_id)
    try:
        return redirect(reverse("cases:messages", args=[case.pk]))
    except NoReverseMatch:
        return render(request, "cases/case_base.html", case_page_context(case, "messages"))


@team_required
@require_POST
def case_set_status(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    case = access_case_as_team(viewer, case_id)
    status = request.POST.get("status", "")
    if status not in CaseStatus.values:
        messages.error(request, "Choose a status: open, waiting or closed.")
    elif status != case.status:
        do_set_case_status(case=case, status=status)
        messages.success(request, f"{case.reference} is now {CaseStatus(status).label.lower()}.")
    return redirect("cases:detail", case_id=case.pk)
