"""The client portal's case list and case page. The thread pages live in the thread views."""

from __future__ import annotations

from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from casedesk.accounts.access import viewer_from_request
from casedesk.accounts.decorators import client_required
from casedesk.cases.access import access_case_as_client, client_cases


@client_required
def case_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    # Ordered by client-visible activity only: ``updated_at`` also moves for internal notes.
    cases = list(
        client_cases(viewer)
        .select_related("agency", "client")
        .annotate(client_activity_at=Coalesce("last_message_at", "created_at"))
        .order_by("-client_activity_at", "-pk")
    )
    return render(request, "portal/list.html", {"cases": cases})


@client_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    case, contact = access_case_as_client(viewer, case_id)
    try:
        return redirect(reverse("portal:messages", args=[case.pk]))
    except NoReverseMatch:
        return render(
            request, "portal/case_base.html", {"case": case, "contact": contact, "active_tab": "messages"}
        )
