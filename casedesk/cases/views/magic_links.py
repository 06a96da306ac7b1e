"""The "Client links" tab of a team case page: each contact's active magic links, and revoking one."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from casedesk.accounts.access import viewer_from_request
from casedesk.accounts.actions import do_revoke_magic_link
from casedesk.accounts.decorators import team_required
from casedesk.cases.access import access_case_as_team, access_magic_link_as_team, active_magic_links


@team_required
def magic_links_page(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    case = access_case_as_team(viewer, case_id)
    links = list(
        active_magic_links(viewer, case).select_related("contact").order_by("contact__name", "-created_at")
    )
    return render(request, "cases/magic_links.html", {"case": case, "links": links, "active_tab": "links"})


@team_required
@require_POST
def magic_link_revoke(request: HttpRequest, case_id: int, link_id: int) -> HttpResponse:
    viewer = viewer_from_request(request)
    case = access_case_as_team(viewer, case_id)
    link = access_magic_link_as_team(viewer, case, link_id)
    assert viewer.user is not None
    do_revoke_magic_link(link=link, actor=viewer.user)
    messages.success(
        request,
        f"The link of {link.contact.name} no longer works; a browser that used it loses the case now.",
    )
    return redirect("cases:magic_links", case_id=case.pk)
